/**
 * Create modes and the create request they imply. The op code, not only the flags, decides what the server
 * makes: containers go as createContainer (19), TTL modes as createTTL (21) with their `ttl`, everything else
 * as create (1), or create2 (15) when the caller wants the new node's Stat.
 */
import { CreateFlag, OpCode } from "../jute/codes.js";
import type { ACL, CreateOpCode, Request } from "../jute/records.js";
import { OPEN_ACL_UNSAFE } from "./acl.js";
import { BadArgumentsError } from "./errors.js";

export const CreateMode = {
  PERSISTENT: "persistent",
  EPHEMERAL: "ephemeral",
  PERSISTENT_SEQUENTIAL: "persistentSequential",
  EPHEMERAL_SEQUENTIAL: "ephemeralSequential",
  CONTAINER: "container",
  PERSISTENT_WITH_TTL: "persistentWithTtl",
  PERSISTENT_SEQUENTIAL_WITH_TTL: "persistentSequentialWithTtl",
} as const;
export type CreateMode = (typeof CreateMode)[keyof typeof CreateMode];

/** What create() and Transaction.create() accept as node data. */
export type NodeData = Buffer | Uint8Array | string | null;

export interface CreateOptions {
  /** Default "persistent". */
  mode?: CreateMode;
  /** Default OPEN_ACL_UNSAFE. */
  acl?: readonly ACL[];
  /** Required for the TTL modes, refused for the others: ms, 1 … 2^40−1. */
  ttlMs?: number;
}

/** TTLs are stored in 40 bits of ephemeralOwner on the server. */
export const TTL_MS_MAX = 2 ** 40 - 1;

const flagOf: Record<CreateMode, number> = {
  persistent: CreateFlag.PERSISTENT,
  ephemeral: CreateFlag.EPHEMERAL,
  persistentSequential: CreateFlag.PERSISTENT_SEQUENTIAL,
  ephemeralSequential: CreateFlag.EPHEMERAL_SEQUENTIAL,
  container: CreateFlag.CONTAINER,
  persistentWithTtl: CreateFlag.PERSISTENT_WITH_TTL,
  persistentSequentialWithTtl: CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL,
};

export function isSequential(mode: CreateMode): boolean {
  return mode === "persistentSequential" || mode === "ephemeralSequential" || mode === "persistentSequentialWithTtl";
}

function isTtl(mode: CreateMode): boolean {
  return mode === "persistentWithTtl" || mode === "persistentSequentialWithTtl";
}

export function toBuffer(data: NodeData | undefined): Buffer | null {
  if (data === undefined) return Buffer.alloc(0);
  if (data === null) return null;
  if (typeof data === "string") return Buffer.from(data, "utf8");
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The request for a create of `serverPath`. `wantStat` picks create2 for ordinary modes (containers and TTL
 * nodes always answer with a Stat). Throws BadArgumentsError for an unknown mode or a bad TTL.
 */
export function createRequest(serverPath: string, data: NodeData | undefined, opts: CreateOptions, wantStat: boolean): Request {
  const mode = opts.mode ?? "persistent";
  const flags = flagOf[mode];
  if (flags === undefined) throw new BadArgumentsError({ message: `unknown create mode ${JSON.stringify(mode)}` });
  const acl = [...(opts.acl ?? OPEN_ACL_UNSAFE)].map((a) => ({ perms: a.perms, id: { ...a.id } }));
  const base = { op: "create" as const, path: serverPath, data: toBuffer(data), acl, flags, ttl: -1n };
  if (isTtl(mode)) return { ...base, opcode: OpCode.createTTL, ttl: BigInt(checkedTtl(opts.ttlMs)) };
  if (opts.ttlMs !== undefined) throw new BadArgumentsError({ message: `ttlMs is only valid for TTL modes, not ${mode}` });
  const opcode: CreateOpCode = mode === "container" ? OpCode.createContainer : wantStat ? OpCode.create2 : OpCode.create;
  return { ...base, opcode };
}

function checkedTtl(ttlMs: number | undefined): number {
  if (ttlMs === undefined || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > TTL_MS_MAX) {
    throw new BadArgumentsError({ message: `ttlMs must be an integer in [1, ${TTL_MS_MAX}], got ${ttlMs}` });
  }
  return ttlMs;
}
