/**
 * Serializes the tree and the session table into snapshot bytes, in slices so the caller can yield to the
 * event loop between them (a fuzzy snapshot: txns keep applying while it is taken; replaying the log from the
 * snapshot's zxid makes it exact, because txns are idempotent).
 */
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { readACLList, writeACL } from "../jute/records.js";
import { DataTree, ZNode } from "./data-tree.js";
import { joinPath } from "./paths.js";

const FORMAT_VERSION = 1;
const NODES_PER_SLICE = 2000;

export interface SnapshotSession {
  id: bigint;
  timeoutMs: number;
}

/** Yields snapshot body slices: header + sessions, then nodes in pre-order, then an end marker. */
export function* serializeSnapshot(tree: DataTree, sessions: readonly SnapshotSession[]): Generator<Buffer> {
  const head = new ByteWriter(64 + sessions.length * 12);
  head.int32(FORMAT_VERSION).int64(tree.lastProcessedZxid).int32(sessions.length);
  for (const s of sessions) head.int64(s.id).int32(s.timeoutMs);
  yield head.toBuffer();

  let w = new ByteWriter(64 * 1024);
  let inSlice = 0;
  const stack: string[] = ["/"];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const node = tree.get(path);
    if (node === undefined) continue; // deleted while the snapshot was being taken
    writeNode(w, path, node);
    if (node.children !== null) for (const name of node.children) stack.push(joinPath(path, name));
    if (++inSlice >= NODES_PER_SLICE) {
      yield w.toBuffer();
      w = new ByteWriter(64 * 1024);
      inSlice = 0;
    }
  }
  w.ustring(null);
  yield w.toBuffer();
}

function writeNode(w: ByteWriter, path: string, n: ZNode): void {
  w.ustring(path).buffer(n.data).vector(n.acl, writeACL);
  w.int64(n.czxid).int64(n.mzxid).int64(BigInt(n.ctime)).int64(BigInt(n.mtime));
  w.int32(n.version).int32(n.createCount).int32(n.aversion).int64(n.ephemeralOwner).int64(n.pzxid);
}

export interface RestoredSnapshot {
  zxid: bigint;
  sessions: SnapshotSession[];
}

/** Loads a snapshot body into an empty tree (built-ins are overwritten by their saved state). */
export function restoreSnapshot(bytes: Buffer, tree: DataTree): RestoredSnapshot {
  const r = new ByteReader(bytes);
  const version = r.int32();
  if (version !== FORMAT_VERSION) throw new DecodeError(`unknown snapshot format ${version}`);
  const zxid = r.int64();
  const count = r.int32();
  if (count < 0 || count * 12 > r.remaining()) throw new DecodeError(`bad session count ${count}`);
  const sessions: SnapshotSession[] = [];
  for (let i = 0; i < count; i++) sessions.push({ id: r.int64(), timeoutMs: r.int32() });
  for (;;) {
    const path = r.ustring();
    if (path === null) break;
    const data = r.buffer();
    const acl = readACLList(r) ?? [];
    const czxid = r.int64();
    const mzxid = r.int64();
    const ctime = Number(r.int64());
    const mtime = Number(r.int64());
    const node = new ZNode(data, acl, czxid, mzxid, ctime, mtime, r.int32(), r.int32(), r.int32(), r.int64(), r.int64());
    tree.restoreNode(path, node);
  }
  tree.lastProcessedZxid = zxid;
  return { zxid, sessions };
}
