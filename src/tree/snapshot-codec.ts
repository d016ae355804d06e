/**
 * Serializes the tree and the session table into snapshot bytes, in slices so the caller can yield to the
 * event loop between them (a fuzzy snapshot: txns keep applying while it is taken; replaying the log from the
 * snapshot's zxid makes it exact, because txns are idempotent).
 *
 * Format 2 is built for a fast restart (issue #7): each distinct ACL list is written once and nodes refer to it
 * by number; data is copied straight into the tree's latin1 form; the 64-bit fields go between the file and the
 * NodeStore's columns as 32-bit halves, so loading a million znodes allocates no bigint, Buffer or ACL object
 * per node. Format 1 (every node with its own ACL list) is still read, for data directories written before.
 */
import { endianness } from "node:os";
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { readACLList, writeACL, type ACL } from "../jute/records.js";
import type { DataTree } from "./data-tree.js";
import { NO_ROW, type NodeStore } from "./node-store.js";

const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
const NODES_PER_SLICE = 2000;

const TAG_END = 0;
const TAG_ACL = 1;
const TAG_NODE = 2;
/** czxid, mzxid, ctime, mtime (8 each), version, createCount, aversion (4 each), owner, pzxid (8 each). */
const NODE_FIXED_BYTES = 60;
const TWO_32 = 4294967296;
/** Where the low and high 32 bits of a BigInt64Array element sit in an Int32Array over the same memory. */
const LO = endianness() === "LE" ? 0 : 1;
const HI = 1 - LO;

export interface SnapshotSession {
  id: bigint;
  timeoutMs: number;
}

/** Yields snapshot body slices: header + sessions, then ACLs and nodes in pre-order, then an end marker. */
export function* serializeSnapshot(tree: DataTree, sessions: readonly SnapshotSession[]): Generator<Buffer> {
  const head = new ByteWriter(64 + sessions.length * 12);
  head.int32(FORMAT_V2).int64(tree.lastProcessedZxid).int32(tree.nodeCount()).int32(sessions.length);
  for (const s of sessions) head.int64(s.id).int32(s.timeoutMs);
  yield head.toBuffer();

  const store = tree.nodeStore;
  let halves = int64Halves(store);
  const aclWritten: boolean[] = [];
  let w = new ByteWriter(256 * 1024);
  let inSlice = 0;
  const stack: string[] = ["/"];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const row = tree.rowOf(path);
    if (row === NO_ROW) continue; // deleted while the snapshot was being taken
    const aclId = store.aclId[row];
    if (aclWritten[aclId] !== true) {
      w.uint8(TAG_ACL).int32(aclId).vector(store.acls[aclId], writeACL);
      aclWritten[aclId] = true;
    }
    if (halves.czxid.buffer !== store.czxid.buffer) halves = int64Halves(store); // the columns grew between slices
    writeNode(w, store, halves, row, path);
    for (let c = store.firstChild[row]; c !== NO_ROW; c = store.nextSibling[c]) stack.push(store.paths[c]!);
    if (++inSlice >= NODES_PER_SLICE) {
      yield w.toBuffer();
      w = new ByteWriter(256 * 1024);
      inSlice = 0;
    }
  }
  w.uint8(TAG_END);
  yield w.toBuffer();
}

function writeNode(w: ByteWriter, s: NodeStore, halves: Int64Halves, row: number, path: string): void {
  w.uint8(TAG_NODE).ustring(path).latin1Bytes(s.data[row]).int32(s.aclId[row]);
  writeInt64(w, halves.czxid, row);
  writeInt64(w, halves.mzxid, row);
  writeTime(w, s.ctime[row]);
  writeTime(w, s.mtime[row]);
  w.int32(s.version[row]).int32(s.createCount[row]).int32(s.aversion[row]);
  writeInt64(w, halves.owner, row);
  writeInt64(w, halves.pzxid, row);
}

/** Big-endian int64 from the column's two little-endian 32-bit halves. */
function writeInt64(w: ByteWriter, halves: Int32Array, row: number): void {
  w.int32(halves[2 * row + HI]).int32(halves[2 * row + LO]);
}

function writeTime(w: ByteWriter, ms: number): void {
  const hi = Math.floor(ms / TWO_32);
  w.int32(hi).int32(ms - hi * TWO_32);
}

/** Int32 views of the store's 64-bit columns (2·row + LO is an element's low half). */
interface Int64Halves {
  czxid: Int32Array;
  mzxid: Int32Array;
  pzxid: Int32Array;
  owner: Int32Array;
}

const halvesCache = new WeakMap<BigInt64Array, Int32Array>();

function int64Halves(s: NodeStore): Int64Halves {
  return { czxid: halvesOf(s.czxid), mzxid: halvesOf(s.mzxid), pzxid: halvesOf(s.pzxid), owner: halvesOf(s.owner) };
}

function halvesOf(col: BigInt64Array): Int32Array {
  let view = halvesCache.get(col);
  if (view === undefined) halvesCache.set(col, (view = new Int32Array(col.buffer, col.byteOffset, col.length * 2)));
  return view;
}

export interface RestoredSnapshot {
  zxid: bigint;
  sessions: SnapshotSession[];
}

/** Loads a snapshot body into an empty tree (built-ins are overwritten by their saved state). */
export function restoreSnapshot(bytes: Buffer, tree: DataTree): RestoredSnapshot {
  const r = new ByteReader(bytes);
  const version = r.int32();
  if (version !== FORMAT_V1 && version !== FORMAT_V2) throw new DecodeError(`unknown snapshot format ${version}`);
  const zxid = r.int64();
  const nodeCountHint = version === FORMAT_V2 ? r.int32() : 0;
  const count = r.int32();
  if (count < 0 || count * 12 > r.remaining()) throw new DecodeError(`bad session count ${count}`);
  const sessions: SnapshotSession[] = [];
  for (let i = 0; i < count; i++) sessions.push({ id: r.int64(), timeoutMs: r.int32() });
  if (version === FORMAT_V1) restoreNodesV1(r, tree);
  else new NodeRestorer(bytes, r.position, tree, nodeCountHint).run();
  tree.lastProcessedZxid = zxid;
  return { zxid, sessions };
}

function restoreNodesV1(r: ByteReader, tree: DataTree): void {
  for (;;) {
    const path = r.ustring();
    if (path === null) break;
    const data = r.buffer();
    const acl = readACLList(r) ?? [];
    const czxid = r.int64();
    const mzxid = r.int64();
    const ctime = Number(r.int64());
    const mtime = Number(r.int64());
    const version = r.int32();
    const createCount = r.int32();
    const aversion = r.int32();
    const ephemeralOwner = r.int64();
    const pzxid = r.int64();
    tree.restoreNode(path, { data, acl, czxid, mzxid, ctime, mtime, version, createCount, aversion, ephemeralOwner, pzxid });
  }
}

/** Format 2's record loop, reading straight from the bytes into the NodeStore's columns. */
class NodeRestorer {
  private offset: number;
  /** Snapshot ACL number → the tree's aclId. */
  private readonly aclIds: number[] = [];
  /** Rows of the path being restored and its ancestors (records come in pre-order). */
  private readonly ancestors: number[] = [];
  private halves: Int64Halves;
  private halvesCapacity: number;

  constructor(
    private readonly bytes: Buffer,
    start: number,
    private readonly tree: DataTree,
    nodeCountHint: number,
  ) {
    this.offset = start;
    tree.nodeStore.reserve(Math.min(Math.max(nodeCountHint, 0), bytes.length / NODE_FIXED_BYTES));
    this.halves = int64Halves(tree.nodeStore);
    this.halvesCapacity = tree.nodeStore.capacity;
  }

  run(): void {
    for (;;) {
      const tag = this.uint8();
      if (tag === TAG_END) return;
      if (tag === TAG_ACL) this.readAcl();
      else if (tag === TAG_NODE) this.readNode();
      else throw new DecodeError(`unknown snapshot record ${tag} at offset ${this.offset - 1}`);
    }
  }

  private readAcl(): void {
    const r = new ByteReader(this.bytes, this.offset);
    const ref = r.int32();
    const acl: ACL[] = readACLList(r) ?? [];
    this.offset = r.position;
    this.aclIds[ref] = this.tree.aclId(acl);
  }

  private readNode(): void {
    const path = this.string();
    const data = this.latin1();
    const aclRef = this.int32();
    const aclId = this.aclIds[aclRef];
    if (aclId === undefined) throw new DecodeError(`node ${path} refers to undefined ACL ${aclRef}`);
    this.need(NODE_FIXED_BYTES, "node fields");
    const row = this.tree.restoreRow(path, this.parentRow(path));
    const s = this.tree.nodeStore;
    if (s.capacity !== this.halvesCapacity) {
      this.halves = int64Halves(s);
      this.halvesCapacity = s.capacity;
    }
    const b = this.bytes;
    let o = this.offset;
    s.data[row] = data;
    s.aclId[row] = aclId;
    this.copyInt64(this.halves.czxid, row, o);
    this.copyInt64(this.halves.mzxid, row, o + 8);
    s.ctime[row] = b.readInt32BE(o + 16) * TWO_32 + b.readUInt32BE(o + 20);
    s.mtime[row] = b.readInt32BE(o + 24) * TWO_32 + b.readUInt32BE(o + 28);
    s.version[row] = b.readInt32BE(o + 32);
    s.createCount[row] = b.readInt32BE(o + 36);
    s.aversion[row] = b.readInt32BE(o + 40);
    this.copyInt64(this.halves.owner, row, o + 44);
    this.copyInt64(this.halves.pzxid, row, o + 52);
    o += NODE_FIXED_BYTES;
    this.offset = o;
    const owner = this.halves.owner;
    if ((owner[2 * row] | owner[2 * row + 1]) !== 0) this.tree.indexRestoredOwner(row);
    this.ancestors.push(row);
  }

  /**
   * The parent's row if it is on the ancestor stack (always, for a snapshot written in pre-order), found by
   * comparing path prefixes, not by building the parent path and hashing it; NO_ROW lets the tree look it up.
   */
  private parentRow(path: string): number {
    const paths = this.tree.nodeStore.paths;
    const slash = path.lastIndexOf("/");
    const parentLength = slash === 0 ? 1 : slash;
    while (this.ancestors.length > 0) {
      const top = this.ancestors[this.ancestors.length - 1];
      const candidate = paths[top];
      if (candidate !== undefined && candidate.length === parentLength && path.startsWith(candidate)) return top;
      this.ancestors.pop();
    }
    return NO_ROW;
  }

  private copyInt64(halves: Int32Array, row: number, at: number): void {
    halves[2 * row + HI] = this.bytes.readInt32BE(at);
    halves[2 * row + LO] = this.bytes.readInt32BE(at + 4);
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.bytes.length) {
      throw new DecodeError(`${what}: need ${n} bytes at offset ${this.offset}, have ${this.bytes.length - this.offset}`);
    }
  }

  private uint8(): number {
    this.need(1, "record tag");
    return this.bytes[this.offset++];
  }

  private int32(): number {
    this.need(4, "int");
    const v = this.bytes.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  private string(): string {
    const len = this.int32();
    if (len < 0) throw new DecodeError(`bad path length ${len}`);
    this.need(len, "path");
    const s = this.bytes.toString("utf8", this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  private latin1(): string | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new DecodeError(`negative data length ${len}`);
    this.need(len, "data");
    const s = this.bytes.toString("latin1", this.offset, this.offset + len);
    this.offset += len;
    return s;
  }
}
