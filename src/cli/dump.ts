/**
 * Herd's portable dump: JSON lines, one znode per line, parents before children. Written by
 * `herd snapshot export` and `herd import-zookeeper --out`, read by `herd snapshot import`.
 *
 *   {"path":"/app/cfg","data":"aGk=","utf8":"hi","acl":[{"scheme":"world","id":"anyone","perms":31}],
 *    "ephemeral":false,"stat":{"czxid":"0x5",…}}
 *
 * `data` is base64 (null for a node whose data is null); `utf8` is a readability hint, present when the bytes
 * are valid UTF-8, never read back. `mode` is "container" or "ttl" (with `ttlMs`) for those node kinds.
 * `stat` is mostly for information: import cannot restore zxids, versions or times. It does read `cversion`
 * and `numChildren`, which give the node's count of child creations ever, and carries that counter over
 * (it numbers sequential children; see create-counters.ts).
 */
import type { ACL, Stat } from "../client/index.js";
import { UsageError } from "./args.js";
import { isUtf8, statJson, type StatJson } from "./format.js";

export interface DumpAcl {
  scheme: string;
  id: string;
  perms: number;
}

export interface DumpNode {
  path: string;
  data: string | null;
  utf8?: string;
  acl: DumpAcl[];
  ephemeral: boolean;
  mode?: "container" | "ttl";
  ttlMs?: number;
  /** Complete when written; when read from a dump, only cversion and numChildren are used (and checked). */
  stat?: Partial<StatJson>;
}

/** A dump line longer than this is refused (ZooKeeper's default jute.maxbuffer is 1 MiB of data). */
export const DUMP_LINE_CHARS_MAX = 16 * 1024 * 1024;

/** The ephemeralOwner ZooKeeper stores for containers, and the high byte that marks TTL nodes. */
const CONTAINER_OWNER = -(2n ** 63n);
const TTL_OWNER_MASK = 0xff00_0000_0000_0000n;
const TTL_VALUE_MASK = 0x0000_00ff_ffff_ffffn;

export type NodeKind = { kind: "persistent" } | { kind: "ephemeral" } | { kind: "container" } | { kind: "ttl"; ttlMs: number };

/** What ephemeralOwner says a node is (ZooKeeper's EphemeralType, with extended types enabled). */
export function nodeKind(ephemeralOwner: bigint): NodeKind {
  if (ephemeralOwner === 0n) return { kind: "persistent" };
  if (ephemeralOwner === CONTAINER_OWNER) return { kind: "container" };
  if ((BigInt.asUintN(64, ephemeralOwner) & TTL_OWNER_MASK) === TTL_OWNER_MASK) {
    return { kind: "ttl", ttlMs: Number(BigInt.asUintN(64, ephemeralOwner) & TTL_VALUE_MASK) };
  }
  return { kind: "ephemeral" };
}

export function dumpNode(path: string, data: Buffer | null, acl: readonly ACL[], stat: Stat): DumpNode {
  const kind = nodeKind(stat.ephemeralOwner);
  return {
    path,
    data: data === null ? null : data.toString("base64"),
    ...(data !== null && isUtf8(data) ? { utf8: data.toString("utf8") } : {}),
    acl: acl.map((a) => ({ scheme: a.id.scheme, id: a.id.id, perms: a.perms })),
    ephemeral: kind.kind === "ephemeral",
    ...(kind.kind === "container" ? { mode: "container" as const } : {}),
    ...(kind.kind === "ttl" ? { mode: "ttl" as const, ttlMs: kind.ttlMs } : {}),
    // As ZooKeeper shows it to clients: the owner of containers and TTL nodes reads 0 (`mode` says what they are).
    stat: statJson(kind.kind === "container" || kind.kind === "ttl" ? { ...stat, ephemeralOwner: 0n } : stat),
  };
}

export function dumpLine(node: DumpNode): string {
  return `${JSON.stringify(node)}\n`;
}

/** Parses and checks one line; `lineNumber` (1-based) is for the error message. */
export function parseDumpLine(line: string, lineNumber: number): DumpNode {
  const bad = (why: string) => new UsageError(`dump line ${lineNumber}: ${why}`);
  if (line.length > DUMP_LINE_CHARS_MAX) throw bad(`longer than ${DUMP_LINE_CHARS_MAX} characters`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null) throw bad("not a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.path !== "string" || !v.path.startsWith("/")) throw bad("path must be an absolute znode path");
  if (v.data !== null && typeof v.data !== "string") throw bad("data must be base64 text or null");
  if (!Array.isArray(v.acl) || !v.acl.every(isDumpAcl)) throw bad("acl must be a list of {scheme, id, perms}");
  if (v.mode !== undefined && v.mode !== "container" && v.mode !== "ttl") throw bad(`unknown mode ${JSON.stringify(v.mode)}`);
  if (v.mode === "ttl" && (typeof v.ttlMs !== "number" || !(v.ttlMs > 0))) throw bad("a ttl node needs a positive ttlMs");
  if (v.stat !== undefined && (typeof v.stat !== "object" || v.stat === null || Array.isArray(v.stat))) throw bad("stat must be an object");
  return {
    path: v.path,
    data: v.data as string | null,
    acl: v.acl as DumpAcl[],
    ephemeral: v.ephemeral === true,
    ...(v.mode !== undefined ? { mode: v.mode as "container" | "ttl" } : {}),
    ...(typeof v.ttlMs === "number" ? { ttlMs: v.ttlMs } : {}),
    ...(v.stat !== undefined ? { stat: v.stat as Partial<StatJson> } : {}),
  };
}

/**
 * The node's count of child creations ever, from its stat (cversion = 2 × creations − children, as ZooKeeper
 * shows it); null when the dump has no usable stat.
 */
export function dumpChildCreations(node: DumpNode): number | null {
  const cversion = node.stat?.cversion;
  const numChildren = node.stat?.numChildren;
  if (!Number.isInteger(cversion) || !Number.isInteger(numChildren) || numChildren! < 0) return null;
  const creations = (cversion! + numChildren!) / 2;
  return Number.isInteger(creations) && creations >= numChildren! ? creations : null;
}

function isDumpAcl(a: unknown): a is DumpAcl {
  if (typeof a !== "object" || a === null) return false;
  const x = a as Record<string, unknown>;
  return typeof x.scheme === "string" && typeof x.id === "string" && Number.isInteger(x.perms);
}

export function dumpData(node: DumpNode): Buffer | null {
  return node.data === null ? null : Buffer.from(node.data, "base64");
}

export function dumpAclToAcl(acl: readonly DumpAcl[]): ACL[] {
  return acl.map((a) => ({ perms: a.perms, id: { scheme: a.scheme, id: a.id } }));
}

/** True for the server's own subtree, which dumps leave out. */
export function isSystemPath(path: string): boolean {
  return path === "/zookeeper" || path.startsWith("/zookeeper/");
}
