/**
 * Serializes the tree and the session table into snapshot bytes, in slices so the caller can yield to the
 * event loop between them (a fuzzy snapshot: txns keep applying while it is taken; replaying the log from the
 * snapshot's zxid makes it exact, because txns are idempotent).
 *
 * Format 2 is built for a fast restart (issue #7): each distinct ACL list is written once and nodes refer to it
 * by number; a record's name (the path bytes after the last "/") and data bytes are copied straight from the
 * file into the tree's byte arena, its parent comes from the stack of pre-order ancestors and its path hash
 * from the parent's; the 64-bit fields go between the file and the NodeStore as 32-bit halves. So
 * loading a million znodes allocates no string, bigint, Buffer or ACL object per node. Writing builds each
 * path's bytes from its parent's (a pre-order walk keeps the current path in one buffer), not as strings.
 * Format 1 (every node with its own ACL list) is still read, for data directories written before.
 */
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { readACLList, writeACL, type ACL } from "../jute/records.js";
import type { DataTree } from "./data-tree.js";
import { EntryFields, HI, LO, NO_ROW, type NodeStore } from "./node-store.js";

const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
const NODES_PER_SLICE = 2000;

const TAG_END = 0;
const TAG_ACL = 1;
const TAG_NODE = 2;
const SLASH = 0x2f;
/** czxid, mzxid, ctime, mtime (8 each), version, createCount, aversion (4 each), owner, pzxid (8 each). */
const NODE_FIXED_BYTES = 60;
const TWO_32 = 4294967296;

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
  const fields = new EntryFields();
  const aclWritten: boolean[] = [];
  let w = new ByteWriter(256 * 1024);
  let inSlice = 0;
  const walk = new PreOrderWalk(tree);
  while (walk.next()) {
    const row = walk.row;
    const f = store.readFields(row, fields);
    if (aclWritten[f.aclId] !== true) {
      w.uint8(TAG_ACL).int32(f.aclId).vector(store.acls[f.aclId], writeACL);
      aclWritten[f.aclId] = true;
    }
    writeNode(w, store, f, row, walk.pathBytes());
    if (++inSlice >= NODES_PER_SLICE) {
      yield w.toBuffer();
      w = new ByteWriter(256 * 1024);
      inSlice = 0;
    }
  }
  w.uint8(TAG_END);
  yield w.toBuffer();
}

/**
 * The tree's nodes in the snapshot's order — a depth-first walk from the root with an explicit stack, children
 * pushed first to last (so visited last to first, the order snapshots have always had) — keeping the current
 * node's path as UTF-8 in one buffer. A pushed row is remembered with its czxid: the tree may change between
 * slices, and a row deleted (perhaps reused for another node) since it was pushed is skipped, as a deleted path
 * was before; replaying the log from the snapshot's zxid covers it either way.
 */
class PreOrderWalk {
  /** The current node. */
  row = NO_ROW;
  private pathLength = 0;
  private path = Buffer.allocUnsafe(1024);
  private readonly rows: number[] = [];
  /** Length of the pushed row's parent path in `path` (0 for the root's children: their parent adds no bytes). */
  private readonly parentLengths: number[] = [];
  private readonly czxids: bigint[] = [];
  private readonly store: NodeStore;

  constructor(tree: DataTree) {
    this.store = tree.nodeStore;
    const root = tree.rowOf("/");
    if (root !== NO_ROW) this.push(root, -1);
  }

  /** Moves to the next live node; false at the end. */
  next(): boolean {
    const s = this.store;
    while (this.rows.length > 0) {
      const row = this.rows.pop()!;
      const parentLength = this.parentLengths.pop()!;
      const czxid = this.czxids.pop()!;
      if (!s.isLive(row) || s.czxid[row] !== czxid) continue; // deleted while the snapshot was being taken
      this.row = row;
      this.setPath(row, parentLength);
      const childParentLength = parentLength < 0 ? 0 : this.pathLength;
      for (let c = s.firstChild(row); c !== NO_ROW; c = s.nextSibling[c]) this.push(c, childParentLength);
      return true;
    }
    return false;
  }

  /** The current node's path bytes (a view, valid until next()). */
  pathBytes(): Buffer {
    return this.path.subarray(0, this.pathLength);
  }

  private push(row: number, parentLength: number): void {
    this.rows.push(row);
    this.parentLengths.push(parentLength);
    this.czxids.push(this.store.czxid[row]);
  }

  /** Path of row = the parent's path (already the first parentLength bytes, in pre-order) + "/" + name. */
  private setPath(row: number, parentLength: number): void {
    if (parentLength < 0) {
      this.path[0] = SLASH;
      this.pathLength = 1;
      return;
    }
    const length = parentLength + 1 + this.store.arena.nameLength(row);
    if (length > this.path.length) {
      const bigger = Buffer.allocUnsafe(Math.max(length, this.path.length * 2));
      this.path.copy(bigger, 0, 0, parentLength);
      this.path = bigger;
    }
    this.path[parentLength] = SLASH;
    this.pathLength = this.store.arena.copyName(row, this.path, parentLength + 1);
  }
}

function writeNode(w: ByteWriter, s: NodeStore, f: EntryFields, row: number, path: Buffer): void {
  w.uint8(TAG_NODE).buffer(path);
  w.buffer(s.arena.dataView(row)).int32(f.aclId);
  w.int32(s.czxidHalves[2 * row + HI]).int32(s.czxidHalves[2 * row + LO]);
  w.int32(f.mzxidHi).int32(f.mzxidLo);
  writeTime(w, s.ctime[row]);
  writeTime(w, f.mtime);
  w.int32(f.version).int32(s.createCount(row)).int32(f.aversion);
  w.int32(f.ownerHi).int32(f.ownerLo);
  w.int32(s.pzxidHi(row)).int32(s.pzxidLo(row));
}

function writeTime(w: ByteWriter, ms: number): void {
  const hi = Math.floor(ms / TWO_32);
  w.int32(hi).int32(ms - hi * TWO_32);
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

/** Format 2's record loop, reading straight from the bytes into the NodeStore. */
class NodeRestorer {
  private offset: number;
  /** Big-endian reads without Buffer's per-call checks (bounds are checked by need()). */
  private readonly view: DataView;
  /** Snapshot ACL number → the tree's aclId. */
  private readonly aclIds: number[] = [];
  /** The node last restored and its ancestors (records come in pre-order): rows... */
  private readonly ancestors: number[] = [];
  /** ...where their path bytes are in `bytes`... */
  private readonly ancestorPathStarts: number[] = [];
  private readonly ancestorPathLengths: number[] = [];
  /** ...and whether this load made them (then their children are new too). */
  private readonly ancestorIsNew: boolean[] = [];
  /** Whether the parent parentRow() last found was made by this load. */
  private parentIsNew = false;
  /** Whether restoreRow() last made a new row (rather than finding a built-in). */
  private lastRowWasNew = false;
  private readonly fields = new EntryFields();

  constructor(
    private readonly bytes: Buffer,
    start: number,
    private readonly tree: DataTree,
    nodeCountHint: number,
  ) {
    this.offset = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    tree.reserve(Math.min(Math.max(nodeCountHint, 0), bytes.length / NODE_FIXED_BYTES));
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
    const pathLength = this.int32();
    if (pathLength < 1) throw new DecodeError(`bad path length ${pathLength}`);
    this.need(pathLength, "path");
    const pathStart = this.offset;
    this.offset += pathLength;
    const dataLength = this.int32();
    if (dataLength < -1) throw new DecodeError(`negative data length ${dataLength}`);
    const dataStart = this.offset;
    if (dataLength > 0) {
      this.need(dataLength, "data");
      this.offset += dataLength;
    }
    const aclRef = this.int32();
    const aclId = this.aclIds[aclRef];
    if (aclId === undefined) throw new DecodeError(`node ${this.pathString(pathStart, pathLength)} refers to undefined ACL ${aclRef}`);
    this.need(NODE_FIXED_BYTES, "node fields");
    // czxid, mzxid, ctime, mtime (8 each), version, createCount, aversion (4 each), owner, pzxid (8 each).
    const v = this.view;
    const o = this.offset;
    const f = this.fields;
    f.mzxidHi = v.getInt32(o + 8);
    f.mzxidLo = v.getInt32(o + 12);
    f.mtime = v.getInt32(o + 24) * TWO_32 + v.getUint32(o + 28);
    f.version = v.getInt32(o + 32);
    f.aversion = v.getInt32(o + 40);
    f.ownerHi = v.getInt32(o + 44);
    f.ownerLo = v.getInt32(o + 48);
    f.aclId = aclId;
    const ctime = v.getInt32(o + 16) * TWO_32 + v.getUint32(o + 20);
    const row = this.restoreRow(pathStart, pathLength, dataStart, dataLength, v.getInt32(o), v.getInt32(o + 4), ctime);
    const s = this.tree.nodeStore;
    s.setCreateCount(row, v.getInt32(o + 36));
    s.setPzxidHalves(row, v.getInt32(o + 52), v.getInt32(o + 56));
    this.offset = o + NODE_FIXED_BYTES;
    if ((f.ownerHi | f.ownerLo) !== 0) this.tree.indexRestoredOwner(row);
    this.ancestors.push(row);
    this.ancestorPathStarts.push(pathStart);
    this.ancestorPathLengths.push(pathLength);
    this.ancestorIsNew.push(this.lastRowWasNew);
  }

  /**
   * The row for the record whose path is bytes[pathStart, +pathLength): czxid, ctime, this.fields, its name and
   * data written.
   */
  private restoreRow(pathStart: number, pathLength: number, dataStart: number, dataLength: number, czxidHi: number, czxidLo: number, ctime: number): number {
    const b = this.bytes;
    const pathEnd = pathStart + pathLength;
    if (b[pathStart] !== SLASH) throw new DecodeError(`snapshot path ${this.pathString(pathStart, pathLength)} is not absolute`);
    let parent = NO_ROW;
    let nameStart = pathEnd;
    this.parentIsNew = false;
    if (pathLength > 1) {
      let slash = pathEnd - 1;
      while (b[slash] !== SLASH) slash--;
      parent = this.parentRow(pathStart, slash === pathStart ? 1 : slash - pathStart);
      nameStart = slash + 1;
    }
    const s = this.tree.nodeStore;
    const rowsBefore = s.size; // the tree makes a row only for a node it does not have
    const row = this.tree.restoreRow(parent, this.parentIsNew, b, nameStart, pathEnd, dataStart, dataLength, czxidHi, czxidLo, ctime, this.fields);
    this.lastRowWasNew = s.size > rowsBefore;
    return row;
  }

  /**
   * The row of the parent path bytes[pathStart, +parentLength), and whether this load made it (in parentIsNew):
   * from the ancestor stack (always there, for a snapshot written in pre-order: the entries above it are its
   * descendants, with longer paths), compared as bytes; else looked up by its path (built: the rare case).
   */
  private parentRow(pathStart: number, parentLength: number): number {
    const b = this.bytes;
    while (this.ancestors.length > 0) {
      const top = this.ancestors.length - 1;
      if (this.ancestorPathLengths[top] === parentLength && sameBytes(b, this.ancestorPathStarts[top], pathStart, parentLength)) {
        this.parentIsNew = this.ancestorIsNew[top];
        return this.ancestors[top];
      }
      this.ancestors.pop();
      this.ancestorPathStarts.pop();
      this.ancestorPathLengths.pop();
      this.ancestorIsNew.pop();
    }
    const parentPath = this.pathString(pathStart, parentLength);
    const row = this.tree.rowOf(parentPath);
    if (row === NO_ROW) throw new DecodeError(`snapshot node under ${parentPath} comes before its parent`);
    this.parentIsNew = false;
    return row;
  }

  private pathString(start: number, length: number): string {
    return this.bytes.toString("utf8", start, start + length);
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
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }
}

/** Whether b[a, a + length) and b[c, c + length) hold the same bytes (compared from the end, where paths differ). */
function sameBytes(b: Buffer, a: number, c: number, length: number): boolean {
  for (let i = length - 1; i >= 0; i--) if (b[a + i] !== b[c + i]) return false;
  return true;
}
