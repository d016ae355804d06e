/**
 * Types for the parts of node-zookeeper-client (a CommonJS package without typings) the interop tests use.
 * 64-bit fields (zxids, times, ephemeralOwner, session id) arrive as 8-byte big-endian Buffers.
 */
declare module "node-zookeeper-client" {
  import { EventEmitter } from "node:events";

  export interface Stat {
    czxid: Buffer; mzxid: Buffer; ctime: Buffer; mtime: Buffer;
    version: number; cversion: number; aversion: number;
    ephemeralOwner: Buffer; dataLength: number; numChildren: number; pzxid: Buffer;
  }

  export class Id {
    constructor(scheme: string, id: string);
    scheme: string;
    id: string;
  }

  export class ACL {
    constructor(permission: number, id: Id);
    permission: number;
    id: Id;
    static OPEN_ACL_UNSAFE: ACL[];
    static CREATOR_ALL_ACL: ACL[];
    static READ_ACL_UNSAFE: ACL[];
  }

  export const Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
  export const CreateMode: { PERSISTENT: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL: number; EPHEMERAL_SEQUENTIAL: number };

  export interface State { name: string; code: number }
  export const State: Record<"DISCONNECTED" | "SYNC_CONNECTED" | "AUTH_FAILED" | "CONNECTED_READ_ONLY" | "SASL_AUTHENTICATED" | "EXPIRED", State>;

  export interface Event { type: number; name: string; path: string; getType(): number; getPath(): string }
  export const Event: { NODE_CREATED: number; NODE_DELETED: number; NODE_DATA_CHANGED: number; NODE_CHILDREN_CHANGED: number };

  export interface Exception extends Error { code: number; path?: string; getCode(): number; getName(): string }
  export const Exception: {
    OK: number; NO_NODE: number; NO_AUTH: number; BAD_VERSION: number; NO_CHILDREN_FOR_EPHEMERALS: number;
    NODE_EXISTS: number; NOT_EMPTY: number; SESSION_EXPIRED: number; INVALID_ACL: number; AUTH_FAILED: number;
    RUNTIME_INCONSISTENCY: number; BAD_ARGUMENTS: number;
  };

  export type Callback<T> = (error: Exception | Error | null, result: T) => void;
  export type Watcher = (event: Event) => void;

  /** One op's result in a committed (or failed) transaction; `type` is the op code, -1 for an error. */
  export interface OpResult { type: number; path?: string; stat?: Stat; err?: number }

  export interface Transaction {
    create(path: string, data?: Buffer, acls?: ACL[], mode?: number): Transaction;
    create(path: string, mode: number): Transaction;
    check(path: string, version?: number): Transaction;
    setData(path: string, data: Buffer | null, version?: number): Transaction;
    remove(path: string, version?: number): Transaction;
    commit(callback: (error: Exception | Error | null, results: OpResult[]) => void): void;
  }

  export interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
    sessionId?: Buffer;
    sessionPassword?: Buffer;
  }

  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getState(): State;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    getSessionTimeout(): number;
    addAuthInfo(scheme: string, auth: Buffer): void;
    create(path: string, data: Buffer | null, acls: ACL[], mode: number, callback: Callback<string>): void;
    remove(path: string, version: number, callback: (error: Exception | Error | null) => void): void;
    setData(path: string, data: Buffer | null, version: number, callback: Callback<Stat>): void;
    getData(path: string, watcher: Watcher | undefined, callback: (error: Exception | Error | null, data: Buffer, stat: Stat) => void): void;
    exists(path: string, watcher: Watcher | undefined, callback: Callback<Stat | null>): void;
    getChildren(path: string, watcher: Watcher | undefined, callback: (error: Exception | Error | null, children: string[], stat: Stat) => void): void;
    getACL(path: string, callback: (error: Exception | Error | null, acls: ACL[], stat: Stat) => void): void;
    setACL(path: string, acls: ACL[], version: number, callback: Callback<Stat>): void;
    mkdirp(path: string, callback: Callback<string>): void;
    transaction(): Transaction;
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client;

  const zookeeper: {
    createClient: typeof createClient;
    ACL: typeof ACL;
    Id: typeof Id;
    Permission: typeof Permission;
    CreateMode: typeof CreateMode;
    State: typeof State;
    Event: typeof Event;
    Exception: typeof Exception;
  };
  export default zookeeper;
}
