/**
 * Where the znodes live: one row per node in typed-array columns (struct of arrays), not an object per node.
 *
 * Memory is the reason (issue #7: a million znodes in under 0.3× ZooKeeper's RSS). A JS object per znode with
 * bigint Stat fields, a Buffer for its data and a Set for its children costs well over a kilobyte; here a node
 * is ~92 bytes of columns, its data as a one-byte (latin1) string — the most compact byte container V8 offers
 * on its heap, 16 bytes of header — and its path string, which is also the key of the path → row index.
 * Children are a doubly linked list through the rows (first/last child, previous/next sibling), so a leaf costs
 * nothing for them and unlinking is O(1); insertion order is kept, as the Set it replaces did.
 *
 * Rows freed by deletes are reused. Columns grow by half again when full; the untouched tail of a fresh
 * column is zero pages the kernel has not handed out yet, so spare capacity costs little resident memory.
 */
import type { ACL } from "../jute/records.js";

/** No row: the end of a child list, or the root's parent. */
export const NO_ROW = -1;

const INITIAL_CAPACITY = 1024;

export class NodeStore {
  capacity = 0;
  /** Live rows. */
  size = 0;

  czxid: BigInt64Array = new BigInt64Array(0);
  mzxid: BigInt64Array = new BigInt64Array(0);
  pzxid: BigInt64Array = new BigInt64Array(0);
  owner: BigInt64Array = new BigInt64Array(0);
  ctime: Float64Array = new Float64Array(0);
  mtime: Float64Array = new Float64Array(0);
  version: Int32Array = new Int32Array(0);
  /** Internal cversion: child creations ever, never decremented (it also numbers sequential children). */
  createCount: Int32Array = new Int32Array(0);
  aversion: Int32Array = new Int32Array(0);
  aclId: Int32Array = new Int32Array(0);
  parent: Int32Array = new Int32Array(0);
  firstChild: Int32Array = new Int32Array(0);
  lastChild: Int32Array = new Int32Array(0);
  prevSibling: Int32Array = new Int32Array(0);
  nextSibling: Int32Array = new Int32Array(0);
  numChildren: Int32Array = new Int32Array(0);
  /** pathHash of the row's path, kept for the PathIndex. */
  hash: Int32Array = new Int32Array(0);

  /** Row → full path (the same string object as the index key, so it is stored once). */
  readonly paths: (string | undefined)[] = [];
  /** Row → data as latin1 (one char per byte); null is ZooKeeper's null data, "" its empty data. */
  readonly data: (string | null)[] = [];
  /** Interned ACL lists, by aclId. */
  readonly acls: (readonly ACL[])[] = [];

  private readonly freeRows: number[] = [];

  constructor() {
    this.grow(INITIAL_CAPACITY);
  }

  /** Makes room for `rows` rows in all, ahead of a bulk load. */
  reserve(rows: number): void {
    if (rows > this.capacity) this.grow(Math.ceil(rows));
  }

  /** Takes a free row and clears its links; the caller fills in every other column. */
  allocate(path: string): number {
    let row = this.freeRows.pop();
    if (row === undefined) {
      if (this.paths.length >= this.capacity) this.grow(Math.ceil(this.capacity * 1.5));
      row = this.paths.length;
      this.paths.push(path);
      this.data.push(null);
    } else {
      this.paths[row] = path;
    }
    this.parent[row] = NO_ROW;
    this.firstChild[row] = NO_ROW;
    this.lastChild[row] = NO_ROW;
    this.prevSibling[row] = NO_ROW;
    this.nextSibling[row] = NO_ROW;
    this.numChildren[row] = 0;
    this.size++;
    return row;
  }

  release(row: number): void {
    this.paths[row] = undefined;
    this.data[row] = null;
    this.freeRows.push(row);
    this.size--;
  }

  /** Appends child to parent's child list (insertion order, like the Set it replaces). */
  link(parentRow: number, child: number): void {
    this.parent[child] = parentRow;
    const tail = this.lastChild[parentRow];
    this.prevSibling[child] = tail;
    this.nextSibling[child] = NO_ROW;
    if (tail === NO_ROW) this.firstChild[parentRow] = child;
    else this.nextSibling[tail] = child;
    this.lastChild[parentRow] = child;
    this.numChildren[parentRow]++;
  }

  unlink(child: number): void {
    const parentRow = this.parent[child];
    if (parentRow === NO_ROW) return;
    const prev = this.prevSibling[child];
    const next = this.nextSibling[child];
    if (prev === NO_ROW) this.firstChild[parentRow] = next;
    else this.nextSibling[prev] = next;
    if (next === NO_ROW) this.lastChild[parentRow] = prev;
    else this.prevSibling[next] = prev;
    this.numChildren[parentRow]--;
    this.parent[child] = NO_ROW;
  }

  /** Names of row's children, in insertion order. */
  childNames(row: number): string[] {
    const names: string[] = new Array(this.numChildren[row]);
    let i = 0;
    for (let c = this.firstChild[row]; c !== NO_ROW; c = this.nextSibling[c]) {
      const path = this.paths[c]!;
      names[i++] = path.slice(path.lastIndexOf("/") + 1);
    }
    return names;
  }

  /** Every live row's path. */
  *livePaths(): IterableIterator<string> {
    for (const p of this.paths) if (p !== undefined) yield p;
  }

  /** Forgets every row (the columns keep their capacity). */
  clear(): void {
    this.paths.length = 0;
    this.data.length = 0;
    this.freeRows.length = 0;
    this.size = 0;
  }

  private grow(capacity: number): void {
    const bigints = (old: BigInt64Array): BigInt64Array => {
      const fresh = new BigInt64Array(capacity);
      fresh.set(old);
      return fresh;
    };
    const doubles = (old: Float64Array): Float64Array => {
      const fresh = new Float64Array(capacity);
      fresh.set(old);
      return fresh;
    };
    const ints = (old: Int32Array): Int32Array => {
      const fresh = new Int32Array(capacity);
      fresh.set(old);
      return fresh;
    };
    this.czxid = bigints(this.czxid);
    this.mzxid = bigints(this.mzxid);
    this.pzxid = bigints(this.pzxid);
    this.owner = bigints(this.owner);
    this.ctime = doubles(this.ctime);
    this.mtime = doubles(this.mtime);
    this.version = ints(this.version);
    this.createCount = ints(this.createCount);
    this.aversion = ints(this.aversion);
    this.aclId = ints(this.aclId);
    this.parent = ints(this.parent);
    this.firstChild = ints(this.firstChild);
    this.lastChild = ints(this.lastChild);
    this.prevSibling = ints(this.prevSibling);
    this.nextSibling = ints(this.nextSibling);
    this.numChildren = ints(this.numChildren);
    this.hash = ints(this.hash);
    this.capacity = capacity;
  }
}

/** Bytes → the latin1 string the store keeps (one char per byte, so any bytes round-trip). */
export function bytesToLatin1(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString("latin1");
}

export function latin1ToBytes(s: string | null): Buffer | null {
  return s === null ? null : Buffer.from(s, "latin1");
}
