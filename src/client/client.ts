/**
 * ZooKeeperClient: the public promise API over one Session. Each op validates its path, maps it through the
 * chroot, submits the request, and decodes the reply synchronously as it arrives — which is also where a
 * watch is recorded in the client's table, so no event can overtake its registration.
 *
 * Watch fan-out and ZooKeeper 3.8: a server keeps one watch mode per (connection, path), so a standard watch
 * set on a path that has a persistent watch would turn the persistent one into a one-shot. The client
 * therefore serves standard watches locally while a persistent watch on the same path already delivers their
 * events, and re-arms them (SetWatches relative to the removal's zxid) when that persistent watch goes.
 */
import { EventEmitter } from "node:events";
import type tls from "node:tls";
import { AddWatchMode, Err, OpCode, WatcherType } from "../jute/codes.js";
import { readACLList, readMultiResponse, readStat, readStringList } from "../jute/records.js";
import type { ACL, MultiResult, Request, Stat, WatcherEvent } from "../jute/records.js";
import { parseConnectString, shuffled } from "./connect-string.js";
import { createRequest, isSequential, toBuffer, type CreateOptions, type NodeData } from "./create-mode.js";
import {
  BadArgumentsError,
  MarshallingError,
  NoWatcherError,
  NotConnectedError,
  SessionExpiredError,
  UnimplementedError,
  ZooKeeperError,
  errorForCode,
} from "./errors.js";
import { Chroot, validatePath } from "./paths.js";
import { Session, type SessionState, type SessionTransition, type TransitionDetail } from "./session.js";
import { Transaction } from "./transaction.js";
import { PersistentWatchStream, type PersistentWatchMode, type WatchStream } from "./watch-stream.js";
import { WATCH_KINDS, WatchTable, serverEventType, type WatchEvent, type WatchEventType, type WatchKind, type Watcher } from "./watches.js";

export interface ClientOptions {
  /** Requested session timeout; the server clamps it to [2, 20] × tickTime. Default 30 000. */
  sessionTimeoutMs?: number;
  /** Per connection attempt (TCP + handshake). Default: session timeout / number of servers, ≥ 250 ms. */
  connectTimeoutMs?: number;
  /**
   * Bounds every request: not sent in time ⇒ NotConnectedError("timeout"); sent but unanswered ⇒
   * RequestTimeoutError (outcome unknown). Default: none (requests wait for a reconnect or the session's end).
   */
  requestTimeoutMs?: number;
  /** How long close() waits for the server to acknowledge closeSession. Default 2 000. */
  closeTimeoutMs?: number;
  /** Accept read-only servers (sends readOnly=true; the `readOnly` event says when one was reached). */
  canBeReadOnly?: boolean;
  /** Connect with TLS using these options (host and port come from the connect string). */
  tls?: tls.ConnectionOptions;
  /** Back-off between failed connection attempts: doubles from baseMs up to maxMs. Default 50 / 1 000. */
  reconnect?: { baseMs?: number; maxMs?: number };
  /** Default true: spreads clients over an ensemble. */
  shuffleServers?: boolean;
  /** Returns [0, 1); used for shuffling and jitter. Default Math.random. */
  random?: () => number;
  /** Re-attach to an existing session instead of creating one. */
  sessionId?: bigint;
  sessionPassword?: Buffer;
  /** Credentials sent on the first connection (and every reconnect), before any request. */
  auth?: { scheme: string; auth: string | Buffer }[];
  /** Largest frame accepted from the server. Default 16 MiB. */
  frameBytesMax?: number;
  /** Queued + in-flight requests before new ones fail with ThrottledError. Default 50 000. */
  pendingRequestsMax?: number;
}

export interface ServerInfo {
  server: string;
}

/** Session events. `disconnected` means suspended: the session may still come back as `reconnected`. */
export interface ClientEvents {
  connected: [ServerInfo];
  reconnected: [ServerInfo];
  readOnly: [ServerInfo];
  disconnected: [ServerInfo & { reason: Error }];
  expired: [];
  authFailed: [Error];
  closed: [];
  /** Every transition, with the state it led to. */
  state: [SessionState, SessionTransition];
  /** A watcher callback threw. Without a listener the error is rethrown (as an uncaught exception). */
  error: [Error];
}

export type { SessionState, SessionTransition };

/** Which watches removeWatches / removeAllWatches target. */
export type WatcherTypeName = "data" | "children" | "any" | "persistent" | "persistentRecursive";

export type { PersistentWatchMode, WatchStream };

export interface WatchOption {
  /** A one-shot watch: called once with the next change (or with SessionExpired / Closed). */
  watch?: Watcher;
}

export interface GetDataResult {
  /** Null data on the server reads as an empty buffer; `dataIsNull` tells the two apart. */
  data: Buffer;
  /** True when the node holds null data (created with null, e.g. by the Java client), not empty data. */
  dataIsNull: boolean;
  stat: Stat;
}

/** A reconfig request (ZooKeeper's dynamic reconfiguration): incremental (joining/leaving) or a whole membership. */
export interface ReconfigRequest {
  /** Comma-separated server specs to add (incremental mode), or null. */
  joining: string | null;
  /** Comma-separated server ids to remove (incremental mode), or null. */
  leaving: string | null;
  /** The whole new membership (non-incremental mode), or null. */
  members: string | null;
  /** The config version the change applies to; -1 for any. */
  fromConfigVersion: bigint;
}

export type ReadOp = { type: "getData"; path: string } | { type: "getChildren"; path: string };
export type ReadErrorResult = { type: "error"; error: ZooKeeperError };
export type ReadOpResult<O extends ReadOp> =
  | (O extends { type: "getData" } ? { type: "getData"; data: Buffer; stat: Stat } : { type: "getChildren"; children: string[] })
  | ReadErrorResult;

export interface ClientInfo {
  authScheme: string;
  user: string;
}

export interface WatchStreamOptions {
  /** Also watch every descendant (PERSISTENT_RECURSIVE; no NodeChildrenChanged events then). */
  recursive?: boolean;
}

const DEFAULTS = {
  sessionTimeoutMs: 30_000,
  closeTimeoutMs: 2_000,
  reconnectBaseMs: 50,
  reconnectMaxMs: 1_000,
  frameBytesMax: 16 * 1024 * 1024,
  pendingRequestsMax: 50_000,
} as const;

/** Starts connecting at once; requests made before the session is established wait for it. */
export function createClient(connectString: string, options: ClientOptions = {}): ZooKeeperClient {
  return new ZooKeeperClient(connectString, options);
}

export class ZooKeeperClient extends EventEmitter<ClientEvents> {
  private readonly session: Session;
  private readonly chroot: Chroot;
  private readonly watches = new WatchTable();
  /** In-flight addWatch requests per "kind path": they cover standard watches like registered ones. */
  private readonly pendingPersistent = new Map<string, number>();
  /** False once a server (ZooKeeper < 3.9) refused removeWatches of type Persistent/PersistentRecursive. */
  private removesPersistentByType = true;
  private readonly requestedSessionTimeoutMs: number;

  constructor(connectString: string, options: ClientOptions = {}) {
    super();
    const parsed = parseConnectString(connectString);
    const random = options.random ?? Math.random;
    this.chroot = new Chroot(parsed.chroot);
    const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs;
    this.requestedSessionTimeoutMs = sessionTimeoutMs;
    this.session = new Session(
      {
        servers: options.shuffleServers === false ? parsed.servers : shuffled(parsed.servers, random),
        sessionTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
        closeTimeoutMs: options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
        canBeReadOnly: options.canBeReadOnly ?? false,
        tls: options.tls,
        reconnectBaseMs: options.reconnect?.baseMs ?? DEFAULTS.reconnectBaseMs,
        reconnectMaxMs: options.reconnect?.maxMs ?? DEFAULTS.reconnectMaxMs,
        frameBytesMax: options.frameBytesMax ?? DEFAULTS.frameBytesMax,
        pendingRequestsMax: options.pendingRequestsMax ?? DEFAULTS.pendingRequestsMax,
        random,
        sessionId: options.sessionId ?? 0n,
        sessionPassword: options.sessionPassword,
      },
      {
        onTransition: (t, d) => this.onTransition(t, d),
        onNotification: (e) => this.onNotification(e),
        watchRestoreRequests: (zxid) => this.watches.restoreRequests(zxid, (p) => this.chroot.toServer(p)),
      },
    );
    for (const credential of options.auth ?? []) {
      // Failures surface as the authFailed event; the promise itself has no other reader.
      this.session.addAuth(credential.scheme, toAuthBytes(credential.auth)).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------ session

  get state(): SessionState {
    return this.session.state;
  }
  /** 0n until the first connection is established. */
  get sessionId(): bigint {
    return this.session.sessionId;
  }
  get sessionPassword(): Buffer {
    return this.session.sessionPassword;
  }
  /** The timeout the server granted (0 until connected). */
  get sessionTimeoutMs(): number {
    return this.session.sessionTimeoutMs;
  }
  get lastZxidSeen(): bigint {
    return this.session.lastZxidSeen;
  }
  /** `host:port` of the server currently connected to. */
  get currentServer(): string | undefined {
    return this.session.currentServer;
  }
  get chrootPath(): string | null {
    return this.chroot.prefix === "" ? null : this.chroot.prefix;
  }

  /**
   * Resolves when the session is connected (read-write, or read-only if allowed); rejects when it ends, or
   * with NotConnectedError("timeout") after `timeoutMs` (default: the requested session timeout).
   */
  whenConnected(timeoutMs?: number): Promise<void> {
    const isUp = () => this.state === "connected" || this.state === "readOnly";
    if (isUp()) return Promise.resolve();
    const ended = this.endError();
    if (ended) return Promise.reject(ended);
    return new Promise((resolve, reject) => {
      const onState = () => {
        if (isUp()) finish();
        else if (this.endError()) finish(this.endError());
      };
      const waitMs = timeoutMs ?? this.requestedSessionTimeoutMs;
      const timer = setTimeout(() => finish(new NotConnectedError("timeout", { message: `not connected within ${waitMs} ms` })), waitMs);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.off("state", onState);
        if (err) reject(err);
        else resolve();
      };
      this.on("state", onState);
    });
  }

  async addAuth(scheme: string, auth: string | Buffer): Promise<void> {
    return this.session.addAuth(scheme, toAuthBytes(auth));
  }

  /** Ends the session (closeSession) and the connection. Idempotent. */
  close(): Promise<void> {
    return this.session.close();
  }

  // ------------------------------------------------------------------ ops

  create(path: string, data?: NodeData, opts?: CreateOptions & { withStat?: false }): Promise<string>;
  create(path: string, data: NodeData | undefined, opts: CreateOptions & { withStat: true }): Promise<{ path: string; stat: Stat }>;
  async create(path: string, data?: NodeData, opts: CreateOptions & { withStat?: boolean } = {}): Promise<string | { path: string; stat: Stat }> {
    validatePath(path, isSequential(opts.mode ?? "persistent"));
    const wantStat = opts.withStat === true;
    const request = createRequest(this.chroot.toServer(path), data, opts, wantStat);
    const answersStat = request.op === "create" && request.opcode !== OpCode.create;
    return this.session.submit(request, path, (err, body) => {
      this.check(err, path);
      const created = this.chroot.toClient(body.ustring() ?? "");
      if (!answersStat) return created;
      const stat = readStat(body);
      return wantStat ? { path: created, stat } : created;
    });
  }

  /** `version` -1 (default) matches any version. */
  async delete(path: string, version = -1): Promise<void> {
    validatePath(path);
    return this.session.submit({ op: "delete", path: this.chroot.toServer(path), version }, path, (err) => this.check(err, path));
  }

  /** The node's Stat, or null when it does not exist. A watch is set either way (it fires on creation). */
  async exists(path: string, opts: WatchOption = {}): Promise<Stat | null> {
    validatePath(path);
    const watch = opts.watch;
    const request: Request = { op: "exists", path: this.chroot.toServer(path), watch: this.needsServerWatch("data", path, watch) };
    return this.session.submit(request, path, (err, body) => {
      if (err === Err.NoNode) {
        if (watch) this.watches.add("exist", path, watch);
        return null;
      }
      this.check(err, path);
      const stat = readStat(body);
      if (watch) this.watches.add("data", path, watch);
      return stat;
    });
  }

  async getData(path: string, opts: WatchOption = {}): Promise<GetDataResult> {
    validatePath(path);
    const watch = opts.watch;
    const request: Request = { op: "getData", path: this.chroot.toServer(path), watch: this.needsServerWatch("data", path, watch) };
    return this.session.submit(request, path, (err, body) => {
      this.check(err, path);
      const raw = body.buffer();
      const stat = readStat(body);
      if (watch) this.watches.add("data", path, watch);
      return { data: raw ?? Buffer.alloc(0), dataIsNull: raw === null, stat };
    });
  }

  /**
   * Dynamic reconfiguration (op 16): answers the new configuration (the data of /zookeeper/config) and its stat.
   * Servers without it enabled answer ReconfigDisabled, as ZooKeeper does with reconfigEnabled=false.
   */
  async reconfig(r: ReconfigRequest): Promise<{ config: Buffer; stat: Stat }> {
    const request: Request = {
      op: "reconfig", joiningServers: r.joining, leavingServers: r.leaving, newMembers: r.members, curConfigId: r.fromConfigVersion,
    };
    return this.session.submit(request, undefined, (err, body) => {
      this.check(err, undefined);
      const config = body.buffer();
      return { config: config ?? Buffer.alloc(0), stat: readStat(body) };
    });
  }

  /** `version` -1 (default) matches any version. */
  async setData(path: string, data: NodeData, version = -1): Promise<Stat> {
    validatePath(path);
    const request: Request = { op: "setData", path: this.chroot.toServer(path), data: toBuffer(data), version };
    return this.session.submit(request, path, (err, body) => {
      this.check(err, path);
      return readStat(body);
    });
  }

  getChildren(path: string, opts?: WatchOption & { withStat?: false }): Promise<string[]>;
  getChildren(path: string, opts: WatchOption & { withStat: true }): Promise<{ children: string[]; stat: Stat }>;
  async getChildren(path: string, opts: WatchOption & { withStat?: boolean } = {}): Promise<string[] | { children: string[]; stat: Stat }> {
    validatePath(path);
    const watch = opts.watch;
    const withStat = opts.withStat === true;
    const serverWatch = this.needsServerWatch("child", path, watch);
    const serverPath = this.chroot.toServer(path);
    const request: Request = { op: withStat ? "getChildren2" : "getChildren", path: serverPath, watch: serverWatch };
    return this.session.submit(request, path, (err, body) => {
      this.check(err, path);
      const children = readStringList(body);
      const stat = withStat ? readStat(body) : undefined;
      if (watch) this.watches.add("child", path, watch);
      return stat ? { children, stat } : children;
    });
  }

  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    validatePath(path);
    return this.session.submit({ op: "getACL", path: this.chroot.toServer(path) }, path, (err, body) => {
      this.check(err, path);
      return { acl: readACLList(body) ?? [], stat: readStat(body) };
    });
  }

  /** `version` is the ACL version (aversion); -1 (default) matches any. */
  async setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    validatePath(path);
    const request: Request = { op: "setACL", path: this.chroot.toServer(path), acl: acl.map((a) => ({ perms: a.perms, id: { ...a.id } })), version };
    return this.session.submit(request, path, (err, body) => {
      this.check(err, path);
      return readStat(body);
    });
  }

  /** Waits until the server this client talks to has applied every write committed before the call. */
  async sync(path: string): Promise<string> {
    validatePath(path);
    return this.session.submit({ op: "sync", path: this.chroot.toServer(path) }, path, (err, body) => {
      this.check(err, path);
      return this.chroot.toClient(body.ustring() ?? path);
    });
  }

  transaction(): Transaction {
    return new Transaction({
      toServerPath: (p) => this.chroot.toServer(p),
      toClientPath: (p) => this.chroot.toClient(p),
      runMulti: (ops) => this.session.submit({ op: "multi", ops }, undefined, (err, body) => {
        this.check(err, undefined);
        return readMultiResponse(body);
      }),
    });
  }

  /** Several reads in one round trip; each succeeds or fails on its own (no watches are set). */
  async multiRead<const T extends readonly ReadOp[]>(ops: T): Promise<{ -readonly [K in keyof T]: ReadOpResult<T[K]> }> {
    const requests: Request[] = ops.map((op) => {
      validatePath(op.path);
      return { op: op.type, path: this.chroot.toServer(op.path), watch: false };
    });
    const results = await this.session.submit({ op: "multiRead", ops: requests }, undefined, (err, body) => {
      this.check(err, undefined);
      return readMultiResponse(body);
    });
    if (results.length !== ops.length) throw new MarshallingError({ message: `multiRead answered ${results.length} of ${ops.length}` });
    return results.map((r, i) => readResult(r, ops[i].path)) as { -readonly [K in keyof T]: ReadOpResult<T[K]> };
  }

  /** The paths of this session's ephemeral nodes whose path starts with `prefixPath` (default: all). */
  async getEphemerals(prefixPath = "/"): Promise<string[]> {
    const serverPrefix = this.chroot.toServer(prefixPath);
    return this.session.submit({ op: "getEphemerals", prefixPath: serverPrefix }, prefixPath, (err, body) => {
      this.check(err, prefixPath);
      return readStringList(body)
        .filter((p) => this.chroot.prefix === "" || p === this.chroot.prefix || p.startsWith(`${this.chroot.prefix}/`))
        .map((p) => this.chroot.toClient(p));
    });
  }

  /** The number of descendants of `path` (not counting itself). */
  async getAllChildrenNumber(path: string): Promise<number> {
    validatePath(path);
    return this.session.submit({ op: "getAllChildrenNumber", path: this.chroot.toServer(path) }, path, (err, body) => {
      this.check(err, path);
      return body.int32();
    });
  }

  /** The identities this connection has, e.g. [{ authScheme: "ip", user: "127.0.0.1" }]. */
  async whoAmI(): Promise<ClientInfo[]> {
    return this.session.submit({ op: "whoAmI" }, undefined, (err, body) => {
      this.check(err, undefined);
      return body.vector((r) => ({ authScheme: r.ustring() ?? "", user: r.ustring() ?? "" }), 8) ?? [];
    });
  }

  // ------------------------------------------------------------------ persistent watches

  /**
   * A persistent watch (addWatch): `watcher` gets every event until removed. Recursive watches also cover
   * all descendants but never get NodeChildrenChanged. Several watchers on one path share one server watch.
   */
  async addWatch(path: string, watcher: Watcher, mode: PersistentWatchMode = "persistent"): Promise<void> {
    validatePath(path);
    if (this.watches.has(mode, path)) {
      this.watches.add(mode, path, watcher);
      return;
    }
    const key = `${mode} ${path}`;
    this.pendingPersistent.set(key, (this.pendingPersistent.get(key) ?? 0) + 1);
    const request: Request = {
      op: "addWatch",
      path: this.chroot.toServer(path),
      mode: mode === "persistent" ? AddWatchMode.Persistent : AddWatchMode.PersistentRecursive,
    };
    const release = () => {
      const left = (this.pendingPersistent.get(key) ?? 1) - 1;
      if (left === 0) this.pendingPersistent.delete(key);
      else this.pendingPersistent.set(key, left);
    };
    try {
      await this.session.submit(request, path, (err) => {
        release();
        this.check(err, path);
        this.watches.add(mode, path, watcher);
      });
    } catch (err) {
      if (this.pendingPersistent.has(key)) release();
      throw err;
    }
  }

  /** Iterates over the events of a persistent (or recursive) watch on `path`. */
  watch(path: string, opts: WatchStreamOptions = {}): WatchStream {
    return new PersistentWatchStream(this, path, opts.recursive === true ? "persistentRecursive" : "persistent");
  }

  /**
   * Removes one watcher. It gets a *WatchRemoved event; the server's watch goes only when no other watcher of
   * this client still needs it. NoWatcherError if `watcher` is not registered for `type` on `path`.
   */
  async removeWatches(path: string, watcher: Watcher, type: WatcherTypeName = "any"): Promise<void> {
    validatePath(path);
    await this.removeWatchers(path, type, watcher, false);
  }

  /** Removes every watcher of `type` on `path`; with `local`, without telling the server (e.g. while offline). */
  async removeAllWatches(path: string, type: WatcherTypeName = "any", opts: { local?: boolean } = {}): Promise<void> {
    validatePath(path);
    await this.removeWatchers(path, type, undefined, opts.local === true);
  }

  // ------------------------------------------------------------------ internals

  private check(err: number, path: string | undefined): void {
    if (err !== Err.OK) throw errorForCode(err, { path });
  }

  private endError(): ZooKeeperError | undefined {
    switch (this.state) {
      case "expired":
        return new SessionExpiredError();
      case "closed":
      case "authFailed":
        return new NotConnectedError("closed");
      default:
        return undefined;
    }
  }

  /** False when a persistent watch on the path (registered or being added) already delivers the events. */
  private needsServerWatch(kind: "data" | "child", path: string, watch: Watcher | undefined): boolean {
    if (watch === undefined) return false;
    const covering: WatchKind[] = kind === "data" ? ["persistent", "persistentRecursive"] : ["persistent"];
    return !covering.some((k) => this.watches.has(k, path) || this.pendingPersistent.has(`${k} ${path}`));
  }

  private async removeWatchers(path: string, type: WatcherTypeName, watcher: Watcher | undefined, local: boolean): Promise<void> {
    const removed = new Map<Watcher, Set<WatchEventType>>();
    const touched = new Set<WatchKind>();
    for (const kind of kindsOf(type)) {
      const gone = watcher === undefined ? this.watches.removeAll(kind, path) : this.watches.remove(kind, path, watcher) ? [watcher] : [];
      if (gone.length > 0) touched.add(kind);
      for (const w of gone) {
        const events = removed.get(w) ?? new Set<WatchEventType>();
        events.add(removedEventOf(kind));
        removed.set(w, events);
      }
    }
    if (touched.size === 0) throw new NoWatcherError({ path, message: `no ${type} watcher` });
    for (const [w, events] of removed) for (const type of events) this.deliver(w, { type, path });
    if (!local) await this.releaseServerWatches(path, touched);
  }

  /** Tells the server to drop the watches of `path` that no local watcher needs any more. */
  private async releaseServerWatches(path: string, touched: Set<WatchKind>): Promise<void> {
    const has = (k: WatchKind) => this.watches.has(k, path);
    const removals: Promise<void>[] = [];
    if (!WATCH_KINDS.some(has)) {
      removals.push(this.removeOnServer(path, WatcherType.Any, false));
    } else {
      if ((touched.has("data") || touched.has("exist")) && !has("data") && !has("exist") && !has("persistent") && !has("persistentRecursive")) {
        removals.push(this.removeOnServer(path, WatcherType.Data, false));
      }
      if (touched.has("child") && !has("child") && !has("persistent")) removals.push(this.removeOnServer(path, WatcherType.Children, false));
      if (touched.has("persistent") && !has("persistent")) removals.push(this.removePersistentOnServer(path, "persistent"));
      if (touched.has("persistentRecursive") && !has("persistentRecursive")) removals.push(this.removePersistentOnServer(path, "persistentRecursive"));
    }
    await Promise.all(removals);
  }

  /** removeWatches (op 18); NoWatcher is fine (a one-shot watch may have fired meanwhile). */
  private removeOnServer(path: string, type: number, rearm: boolean): Promise<void> {
    const request: Request = { op: "removeWatches", path: this.chroot.toServer(path), type };
    return this.session.submit(request, path, (err, _body, zxid) => {
      if (err !== Err.NoWatcher) this.check(err, path);
      if (rearm) this.rearm(path, zxid, type === WatcherType.Any);
    });
  }

  /**
   * Removes a persistent watch by its own type (3.9+), falling back to type Any where the server refuses that
   * (ZooKeeper 3.8 answers MarshallingError). Either way the standard watches it was serving are re-armed.
   */
  private async removePersistentOnServer(path: string, mode: PersistentWatchMode): Promise<void> {
    if (this.removesPersistentByType) {
      const type = mode === "persistent" ? WatcherType.Persistent : WatcherType.PersistentRecursive;
      try {
        return await this.removeOnServer(path, type, true);
      } catch (err) {
        if (!(err instanceof MarshallingError || err instanceof UnimplementedError || err instanceof BadArgumentsError)) throw err;
        this.removesPersistentByType = false;
      }
    }
    return this.removeOnServer(path, WatcherType.Any, true);
  }

  /**
   * After a persistent watch on `path` left the server at `zxid`, registers what local watchers still need:
   * one-shot watches through SetWatches relative to `zxid` (so a change right after the removal still fires),
   * and, when everything on the path was removed (type Any), the remaining persistent watches.
   */
  private rearm(path: string, zxid: bigint, removedAll: boolean): void {
    const has = (k: WatchKind) => this.watches.has(k, path);
    const serverPath = this.chroot.toServer(path);
    const dataCovered = has("persistent") || has("persistentRecursive");
    const data = !dataCovered && has("data") ? [serverPath] : [];
    const exist = !dataCovered && has("exist") ? [serverPath] : [];
    const child = !has("persistent") && has("child") ? [serverPath] : [];
    const ignore = () => undefined;
    if (data.length + exist.length + child.length > 0) {
      const request: Request = { op: "setWatches", relativeZxid: zxid, data, exist, child, persistent: [], persistentRecursive: [], v2: false };
      this.session.submit(request, path, ignore).catch(ignore);
    }
    if (!removedAll) return;
    for (const mode of ["persistent", "persistentRecursive"] as const) {
      if (!has(mode)) continue;
      const m = mode === "persistent" ? AddWatchMode.Persistent : AddWatchMode.PersistentRecursive;
      this.session.submit({ op: "addWatch", path: serverPath, mode: m }, path, ignore).catch(ignore);
    }
  }

  private onNotification(event: WatcherEvent): void {
    const type = serverEventType(event.type);
    if (type === undefined) return;
    const path = this.chroot.toClient(event.path);
    for (const watcher of this.watches.take(type, path)) this.deliver(watcher, { type, path });
  }

  /** A throwing watcher must not break the connection's frame loop. */
  private deliver(watcher: Watcher, event: WatchEvent): void {
    try {
      watcher(event);
    } catch (err) {
      this.reportListenerError(err);
    }
  }

  /** To the `error` listeners if there are any, else as an uncaught exception (as EventEmitter would). */
  private reportListenerError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.listenerCount("error") > 0) this.emit("error", error);
    else process.nextTick(() => {
      throw error;
    });
  }

  private onTransition(transition: SessionTransition, detail: TransitionDetail): void {
    if (transition === "expired" || transition === "closed" || transition === "authFailed") {
      const type: WatchEventType = transition === "expired" ? "SessionExpired" : "Closed";
      for (const watcher of this.watches.drain()) this.deliver(watcher, { type, path: "" });
    }
    // A throwing listener must not stop the session's reconnect loop, which is what called us.
    try {
      this.announce(transition, detail);
    } catch (err) {
      this.reportListenerError(err);
    }
  }

  private announce(transition: SessionTransition, detail: TransitionDetail): void {
    this.emit("state", this.state, transition);
    const server = detail.server ?? "";
    switch (transition) {
      case "connected":
      case "reconnected":
      case "readOnly":
        this.emit(transition, { server });
        return;
      case "disconnected":
        this.emit("disconnected", { server, reason: detail.reason ?? new Error("disconnected") });
        return;
      case "authFailed":
        this.emit("authFailed", detail.reason ?? new Error("auth failed"));
        return;
      case "expired":
      case "closed":
        this.emit(transition);
        return;
    }
  }
}

function toAuthBytes(auth: string | Buffer): Buffer {
  return typeof auth === "string" ? Buffer.from(auth, "utf8") : auth;
}

function kindsOf(type: WatcherTypeName): WatchKind[] {
  switch (type) {
    case "data":
      return ["data", "exist"];
    case "children":
      return ["child"];
    case "persistent":
      return ["persistent"];
    case "persistentRecursive":
      return ["persistentRecursive"];
    case "any":
      return ["data", "exist", "child", "persistent", "persistentRecursive"];
  }
}

function removedEventOf(kind: WatchKind): WatchEventType {
  if (kind === "data" || kind === "exist") return "DataWatchRemoved";
  if (kind === "child") return "ChildWatchRemoved";
  return "PersistentWatchRemoved";
}

function readResult(r: MultiResult, path: string): ReadOpResult<ReadOp> {
  switch (r.type) {
    case OpCode.getData:
      return { type: "getData", data: r.data ?? Buffer.alloc(0), stat: r.stat };
    case OpCode.getChildren:
      return { type: "getChildren", children: r.children };
    case OpCode.error:
      return { type: "error", error: errorForCode(r.err, { path }) };
    default:
      throw new MarshallingError({ path, message: `unexpected multiRead result type ${r.type}` });
  }
}
