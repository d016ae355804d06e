/**
 * Readers for Apache ZooKeeper's on-disk files (dataDir/version-2), for `herd import-zookeeper`. Formats, all
 * big-endian jute:
 *
 *   snapshot.<hex zxid>[.gz]   FileHeader{int magic "ZKSN", int version 2, long dbid}
 *                              int sessionCount, {long id, int timeoutMs}*
 *                              int aclCount, {long index, vector<ACL>}*        ACL = {int perms, ustring scheme, ustring id}
 *                              {ustring path, buffer data, long aclIndex, StatPersisted}*   pre-order, root as ""
 *                              ustring "/"                                     end of nodes
 *                              long adler32-of-everything-before, ustring "/"  the seal
 *                              (3.6+: a digest section and lastProcessedZxid, each sealed again; not needed here)
 *   StatPersisted = {long czxid, long mzxid, long ctime, long mtime, int version, int cversion, int aversion,
 *                    long ephemeralOwner, long pzxid}
 *
 *   log.<hex first zxid>       FileHeader{int magic "ZKLG", int version 2, long dbid}
 *                              {long adler32(payload), int payloadLength, payload, byte 'B'}*, then zero padding
 *   payload = TxnHeader{long clientId, int cxid, long zxid, long time, int type} + txn record (+ TxnDigest)
 *
 * Snapshot ACL index -1 means OPEN_ACL_UNSAFE. Txn records are decoded in tree.ts, by type.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { ByteReader, DecodeError } from "../../base/bytes.js";
import type { ACL } from "../../client/index.js";
import { adler32 } from "./adler32.js";

const SNAPSHOT_MAGIC = 0x5a4b534e; // "ZKSN"
const LOG_MAGIC = 0x5a4b4c47; // "ZKLG"
const END_OF_RECORD = 0x42; // 'B'
/** The end of every seal: ustring "/" (length 1, then '/'). */
const SEAL_END = Buffer.from([0, 0, 0, 1, 0x2f]);
/** long checksum + int length. */
const ENTRY_HEADER_BYTES = 12;
/** ACL index that stands for world:anyone:cdrwa without an entry in the ACL cache. */
const OPEN_ACL_INDEX = -1n;
/** Bounds against a corrupt length field: nodes, ACL lists, sessions. */
export const SNAPSHOT_NODES_MAX = 50_000_000;
const ACL_ENTRY_BYTES_MIN = 12;
const SESSIONS_MAX = 10_000_000;

export class ZooKeeperFileError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = "ZooKeeperFileError";
  }
}

export interface ZxidFile {
  zxid: bigint;
  file: string;
}

/** `prefix.<hex>` and `prefix.<hex>.<suffix>` files in dir, ascending by zxid. */
export function listZxidFiles(dir: string, prefix: "snapshot" | "log"): ZxidFile[] {
  const pattern = new RegExp(`^${prefix}\\.([0-9a-fA-F]{1,16})(\\.[a-z]+)?$`);
  const found: ZxidFile[] = [];
  for (const name of readdirSync(dir)) {
    const m = pattern.exec(name);
    if (m !== null) found.push({ zxid: BigInt(`0x${m[1]}`), file: path.join(dir, name) });
  }
  return found.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

export interface PersistedStat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
}

export interface SnapshotNode {
  /** "/" for the root (stored as ""). */
  path: string;
  data: Buffer | null;
  acl: ACL[];
  stat: PersistedStat;
}

export interface Snapshot {
  zxid: bigint;
  file: string;
  sessions: Map<bigint, number>;
  /** Pre-order: every parent before its children. */
  nodes: SnapshotNode[];
}

export function readACL(r: ByteReader): ACL {
  const perms = r.int32();
  const scheme = r.ustring() ?? "";
  const id = r.ustring() ?? "";
  return { perms, id: { scheme, id } };
}

export function readACLVector(r: ByteReader): ACL[] {
  return r.vector(readACL, ACL_ENTRY_BYTES_MIN) ?? [];
}

function readPersistedStat(r: ByteReader): PersistedStat {
  return {
    czxid: r.int64(),
    mzxid: r.int64(),
    ctime: r.int64(),
    mtime: r.int64(),
    version: r.int32(),
    cversion: r.int32(),
    aversion: r.int32(),
    ephemeralOwner: r.int64(),
    pzxid: r.int64(),
  };
}

function snapshotBytes(file: string): Buffer {
  const raw = readFileSync(file);
  if (file.endsWith(".gz")) return gunzipSync(raw);
  if (file.endsWith(".snappy")) throw new ZooKeeperFileError(file, "snappy-compressed snapshots are not supported; restart ZooKeeper with zookeeper.snapshot.compression.method=gz or none");
  return raw;
}

/** Parses and verifies a snapshot file; throws ZooKeeperFileError when it is torn or corrupt. */
export function readSnapshot(file: string, zxid: bigint): Snapshot {
  const bytes = snapshotBytes(file);
  // ZooKeeper's own validity test: a complete snapshot ends with a seal, whose last bytes are the string "/".
  if (bytes.length < 10 || !bytes.subarray(bytes.length - 5).equals(SEAL_END)) {
    throw new ZooKeeperFileError(file, "incomplete snapshot (no end seal)");
  }
  const r = new ByteReader(bytes);
  try {
    if (r.int32() !== SNAPSHOT_MAGIC) throw new ZooKeeperFileError(file, "not a ZooKeeper snapshot (bad magic)");
    r.int32(); // version
    r.int64(); // dbid
    const sessions = readSessions(r, file);
    const acls = readAclCache(r);
    const nodes = readNodes(r, acls, file);
    const expected = adler32(bytes, 0, r.position);
    const sealed = r.int64();
    if (sealed !== BigInt(expected)) throw new ZooKeeperFileError(file, "checksum mismatch (corrupt or incomplete snapshot)");
    return { zxid, file, sessions, nodes };
  } catch (err) {
    if (err instanceof DecodeError) throw new ZooKeeperFileError(file, `truncated or corrupt: ${err.message}`);
    throw err;
  }
}

function readSessions(r: ByteReader, file: string): Map<bigint, number> {
  const count = r.int32();
  if (count < 0 || count > SESSIONS_MAX) throw new ZooKeeperFileError(file, `bad session count ${count}`);
  const sessions = new Map<bigint, number>();
  for (let i = 0; i < count; i++) sessions.set(r.int64(), r.int32());
  return sessions;
}

function readAclCache(r: ByteReader): Map<bigint, ACL[]> {
  const count = r.int32();
  const acls = new Map<bigint, ACL[]>();
  for (let i = 0; i < count; i++) {
    const index = r.int64();
    acls.set(index, readACLVector(r));
  }
  return acls;
}

function readNodes(r: ByteReader, acls: Map<bigint, ACL[]>, file: string): SnapshotNode[] {
  const nodes: SnapshotNode[] = [];
  for (;;) {
    const storedPath = r.ustring() ?? "";
    if (storedPath === "/") return nodes;
    if (nodes.length >= SNAPSHOT_NODES_MAX) throw new ZooKeeperFileError(file, `more than ${SNAPSHOT_NODES_MAX} nodes`);
    const data = r.buffer();
    const aclIndex = r.int64();
    const stat = readPersistedStat(r);
    const acl = aclIndex === OPEN_ACL_INDEX ? openAcl() : acls.get(aclIndex);
    if (acl === undefined) throw new ZooKeeperFileError(file, `node ${storedPath} names ACL ${aclIndex}, which is not in the snapshot`);
    nodes.push({ path: storedPath === "" ? "/" : storedPath, data, acl: acl.map((a) => ({ perms: a.perms, id: { ...a.id } })), stat });
  }
}

export function openAcl(): ACL[] {
  return [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
}

export interface TxnHeader {
  clientId: bigint;
  cxid: number;
  zxid: bigint;
  time: bigint;
  type: number;
}

export interface LoggedTxn {
  header: TxnHeader;
  /** The txn record (and any digest after it), decoded by type in tree.ts. */
  body: Buffer;
}

export interface LogReadResult {
  txns: LoggedTxn[];
  /** Why reading stopped before the end of the file, if it did (a torn or corrupt tail). */
  stoppedEarly: string | null;
}

/**
 * Reads every complete, checksummed entry of a txn log. The first zero-length entry is the preallocated
 * padding (the end); a short or mismatching entry ends the file too, as ZooKeeper treats a torn tail.
 */
export function readTxnLog(file: string): LogReadResult {
  const bytes = readFileSync(file);
  const r = new ByteReader(bytes);
  try {
    if (r.int32() !== LOG_MAGIC) throw new ZooKeeperFileError(file, "not a ZooKeeper txn log (bad magic)");
    r.int32();
    r.int64();
  } catch (err) {
    if (err instanceof DecodeError) throw new ZooKeeperFileError(file, "shorter than a txn log header");
    throw err;
  }
  const txns: LoggedTxn[] = [];
  let offset = r.position;
  while (offset + ENTRY_HEADER_BYTES <= bytes.length) {
    const entry = new ByteReader(bytes, offset);
    const checksum = entry.int64();
    const length = entry.int32();
    if (length === 0) break;
    const payloadStart = offset + ENTRY_HEADER_BYTES;
    const payloadEnd = payloadStart + length;
    if (length < 0 || payloadEnd + 1 > bytes.length) return { txns, stoppedEarly: `entry at offset ${offset} is incomplete` };
    if (BigInt(adler32(bytes, payloadStart, payloadEnd)) !== checksum) return { txns, stoppedEarly: `checksum mismatch at offset ${offset}` };
    if (bytes[payloadEnd] !== END_OF_RECORD) return { txns, stoppedEarly: `entry at offset ${offset} lacks its end marker` };
    const payload = new ByteReader(bytes, payloadStart, payloadEnd);
    try {
      const header: TxnHeader = { clientId: payload.int64(), cxid: payload.int32(), zxid: payload.int64(), time: payload.int64(), type: payload.int32() };
      txns.push({ header, body: payload.rest() });
    } catch (err) {
      if (err instanceof DecodeError) throw new ZooKeeperFileError(file, `entry at offset ${offset} is shorter than a txn header`);
      throw err;
    }
    offset = payloadEnd + 1;
  }
  return { txns, stoppedEarly: null };
}
