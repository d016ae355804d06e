/**
 * Where the znodes live: one row per node in typed-array columns (struct of arrays), not an object per node.
 *
 * Memory is the reason (issue #7: a million znodes in under 0.3× ZooKeeper's RSS). A JS object per znode with
 * bigint Stat fields, a Buffer for its data and a Set for its children costs well over a kilobyte. Here a row
 * is 44 bytes of columns, and everything else lives where it costs least:
 *
 * - Columns, for every row: czxid, ctime, previous/next sibling, the row's "family" (below), and a 16-byte
 *   record of what a path lookup reads — path hash, parent, and where its arena entry is — so that walking a
 *   path up its parent chain costs one cache line per level (plus the name), not four.
 * - The row's arena entry: its name (last path component, UTF-8), its data, and the fields that most nodes
 *   leave at their defaults, stored only when they are not (flags in the entry say which are there):
 *   ephemeralOwner (default 0); mzxid, mtime, version (default czxid, ctime, 0: a node never written since
 *   its creation); aclId, aversion (default 0 — aclId 0 is the first ACL interned, the open one — and 0).
 *   Changing these means writing a new entry, which setData does anyway and setACL is rare enough to afford.
 * - A family record, only for a node that has or had children (the inner 1% of a typical tree): first and
 *   last child, child count, createCount (child creations ever) and pzxid. A row without one has no children,
 *   createCount 0 and pzxid = czxid.
 *
 * No row holds a path: its path is its parent's path + "/" + its name, built only when a caller asks for it.
 * Children are a doubly linked list through the rows, so unlinking is O(1) and insertion order is kept.
 * Rows and families freed by deletes are reused. Columns grow by half again when full; the untouched tail of
 * a fresh column is zero pages the kernel has not handed out yet, so spare capacity costs little memory.
 */
import { endianness } from "node:os";
import type { ACL } from "../jute/records.js";
import { ByteArena, type ArenaOptions } from "./byte-arena.js";

/** No row: the end of a child list, or the root's parent. */
export const NO_ROW = -1;
/** A row without a family record. */
const NO_FAMILY = -1;

/** Where the low and high 32 bits of a 64-bit element sit in an Int32Array over the same memory. */
export const LO = endianness() === "LE" ? 0 : 1;
export const HI = 1 - LO;

/** The fields of a row's core record (row·CORE_STRIDE + field). */
export const CORE_STRIDE = 4;
export const CORE_HASH = 0;
export const CORE_PARENT = 1;
/** The arena's two fields: entry chunk, then entry offset. */
const CORE_ENTRY = 2;

const INITIAL_CAPACITY = 1024;
const INITIAL_FAMILIES = 64;

// Entry flags and the fields each adds (little-endian, in this order).
const HAS_OWNER = 1; // owner: int64
const MODIFIED = 2; // mzxid: int64, mtime: float64, version: int32
const HAS_ACL = 4; // aclId: int32, aversion: int32
const OWNER_BYTES = 8;
const MODIFIED_BYTES = 20;
const ACL_BYTES = 8;
const FIELD_BYTES = [0, 1, 2, 3, 4, 5, 6, 7].map(
  (f) => (f & HAS_OWNER ? OWNER_BYTES : 0) + (f & MODIFIED ? MODIFIED_BYTES : 0) + (f & HAS_ACL ? ACL_BYTES : 0),
);

/**
 * The entry fields of one row, as numbers (64-bit values as 32-bit halves, so copying them to and from bytes
 * makes no bigint). The NodeStore reads a row's into one of these, and writes a row's from one.
 */
export class EntryFields {
  ownerHi = 0;
  ownerLo = 0;
  mzxidHi = 0;
  mzxidLo = 0;
  mtime = 0;
  version = 0;
  aclId = 0;
  aversion = 0;

  setOwner(v: bigint): this {
    split64[0] = v;
    this.ownerHi = split32[HI];
    this.ownerLo = split32[LO];
    return this;
  }

  setMzxid(v: bigint): this {
    split64[0] = v;
    this.mzxidHi = split32[HI];
    this.mzxidLo = split32[LO];
    return this;
  }

  owner(): bigint {
    return join64(this.ownerHi, this.ownerLo);
  }

  mzxid(): bigint {
    return join64(this.mzxidHi, this.mzxidLo);
  }
}

const split64 = new BigInt64Array(1);
const split32 = new Int32Array(split64.buffer);

function join64(hi: number, lo: number): bigint {
  split32[HI] = hi;
  split32[LO] = lo;
  return split64[0];
}

export class NodeStore {
  capacity = 0;
  /** Live rows. */
  size = 0;

  czxid: BigInt64Array = new BigInt64Array(0);
  /** czxid as 32-bit halves (2·row + LO is the low half). */
  czxidHalves: Int32Array = new Int32Array(0);
  ctime: Float64Array = new Float64Array(0);
  /** Per row: CORE_HASH (the PathHasher hash of its path), CORE_PARENT, and the arena's entry location. */
  core: Int32Array = new Int32Array(0);
  prevSibling: Int32Array = new Int32Array(0);
  nextSibling: Int32Array = new Int32Array(0);
  /** Row → its family record, or NO_FAMILY. */
  family: Int32Array = new Int32Array(0);

  // Family records, by family number.
  private familyCapacity = 0;
  private familiesUsed = 0;
  private readonly freeFamilies: number[] = [];
  private firstChildOf: Int32Array = new Int32Array(0);
  private lastChildOf: Int32Array = new Int32Array(0);
  private childCountOf: Int32Array = new Int32Array(0);
  private createCountOf: Int32Array = new Int32Array(0);
  private pzxidOf: BigInt64Array = new BigInt64Array(0);
  private pzxidHalvesOf: Int32Array = new Int32Array(0);

  /** Each row's name, data and non-default fields. */
  readonly arena: ByteArena;
  /** Interned ACL lists, by aclId. */
  readonly acls: (readonly ACL[])[] = [];

  private readonly freeRows: number[] = [];
  /** Rows ever handed out (live + free): the next never-used row. */
  private rowsUsed = 0;
  /** Where a row's entry fields are encoded before they are written. */
  private readonly fieldBytes = Buffer.alloc(OWNER_BYTES + MODIFIED_BYTES + ACL_BYTES);
  private readonly scratch = new EntryFields();

  constructor(arenaOptions: ArenaOptions = {}) {
    this.arena = new ByteArena({ ...arenaOptions, fieldBytes: FIELD_BYTES });
    this.grow(INITIAL_CAPACITY);
    this.growFamilies(INITIAL_FAMILIES);
  }

  /** Makes room for `rows` rows in all, ahead of a bulk load. */
  reserve(rows: number): void {
    if (rows > this.capacity) this.grow(Math.ceil(rows));
  }

  /** Takes a free row: no entry, no family, no links. The caller sets czxid and ctime, then gives it an entry. */
  allocate(): number {
    let row = this.freeRows.pop();
    if (row === undefined) {
      if (this.rowsUsed >= this.capacity) this.grow(Math.ceil(this.capacity * 1.5));
      row = this.rowsUsed++;
    }
    this.arena.initRow(row);
    this.core[row * CORE_STRIDE + CORE_PARENT] = NO_ROW;
    this.prevSibling[row] = NO_ROW;
    this.nextSibling[row] = NO_ROW;
    this.family[row] = NO_FAMILY;
    this.size++;
    return row;
  }

  release(row: number): void {
    this.arena.free(row);
    const f = this.family[row];
    if (f !== NO_FAMILY) this.freeFamilies.push(f);
    this.family[row] = NO_FAMILY;
    this.freeRows.push(row);
    this.size--;
  }

  /** Whether row is in use (allocated, given an entry, not released). */
  isLive(row: number): boolean {
    return row >= 0 && row < this.rowsUsed && this.arena.hasEntry(row);
  }

  /** The parent row, NO_ROW for the root (or an unlinked row). */
  parentOf(row: number): number {
    return this.core[row * CORE_STRIDE + CORE_PARENT];
  }

  hashOf(row: number): number {
    return this.core[row * CORE_STRIDE + CORE_HASH];
  }

  setHash(row: number, h: number): void {
    this.core[row * CORE_STRIDE + CORE_HASH] = h;
  }

  // ------------------------------------------------------------------ children and family fields

  firstChild(row: number): number {
    const f = this.family[row];
    return f === NO_FAMILY ? NO_ROW : this.firstChildOf[f];
  }

  numChildren(row: number): number {
    const f = this.family[row];
    return f === NO_FAMILY ? 0 : this.childCountOf[f];
  }

  /** Internal cversion: child creations ever, never decremented (it also numbers sequential children). */
  createCount(row: number): number {
    const f = this.family[row];
    return f === NO_FAMILY ? 0 : this.createCountOf[f];
  }

  setCreateCount(row: number, count: number): void {
    if (count === 0 && this.family[row] === NO_FAMILY) return;
    const f = this.familyOf(row); // first: it may grow (replace) the family columns
    this.createCountOf[f] = count;
  }

  pzxid(row: number): bigint {
    const f = this.family[row];
    return f === NO_FAMILY ? this.czxid[row] : this.pzxidOf[f];
  }

  setPzxid(row: number, zxid: bigint): void {
    if (this.family[row] === NO_FAMILY && zxid === this.czxid[row]) return;
    const f = this.familyOf(row); // first: it may grow (replace) the family columns
    this.pzxidOf[f] = zxid;
  }

  /** pzxid's 32-bit halves (for the snapshot codec: no bigint). */
  pzxidHi(row: number): number {
    const f = this.family[row];
    return f === NO_FAMILY ? this.czxidHalves[2 * row + HI] : this.pzxidHalvesOf[2 * f + HI];
  }

  pzxidLo(row: number): number {
    const f = this.family[row];
    return f === NO_FAMILY ? this.czxidHalves[2 * row + LO] : this.pzxidHalvesOf[2 * f + LO];
  }

  /** Sets pzxid from halves (the snapshot loader), keeping the default implicit. */
  setPzxidHalves(row: number, hi: number, lo: number): void {
    if (this.family[row] === NO_FAMILY && hi === this.czxidHalves[2 * row + HI] && lo === this.czxidHalves[2 * row + LO]) return;
    const f = this.familyOf(row);
    this.pzxidHalvesOf[2 * f + HI] = hi;
    this.pzxidHalvesOf[2 * f + LO] = lo;
  }

  /** Appends child to parent's child list (insertion order, like the Set it replaces). */
  link(parentRow: number, child: number): void {
    const f = this.familyOf(parentRow);
    this.core[child * CORE_STRIDE + CORE_PARENT] = parentRow;
    const tail = this.lastChildOf[f];
    this.prevSibling[child] = tail;
    this.nextSibling[child] = NO_ROW;
    if (tail === NO_ROW) this.firstChildOf[f] = child;
    else this.nextSibling[tail] = child;
    this.lastChildOf[f] = child;
    this.childCountOf[f]++;
  }

  /**
   * Puts child first in parent's child list: snapshots list a node's children last to first, so loading them
   * this way gives back the order they were written from.
   */
  linkFirst(parentRow: number, child: number): void {
    const f = this.familyOf(parentRow);
    this.core[child * CORE_STRIDE + CORE_PARENT] = parentRow;
    const head = this.firstChildOf[f];
    this.prevSibling[child] = NO_ROW;
    this.nextSibling[child] = head;
    if (head === NO_ROW) this.lastChildOf[f] = child;
    else this.prevSibling[head] = child;
    this.firstChildOf[f] = child;
    this.childCountOf[f]++;
  }

  unlink(child: number): void {
    const parentRow = this.parentOf(child);
    if (parentRow === NO_ROW) return;
    const f = this.family[parentRow];
    const prev = this.prevSibling[child];
    const next = this.nextSibling[child];
    if (prev === NO_ROW) this.firstChildOf[f] = next;
    else this.nextSibling[prev] = next;
    if (next === NO_ROW) this.lastChildOf[f] = prev;
    else this.prevSibling[next] = prev;
    this.childCountOf[f]--;
    this.core[child * CORE_STRIDE + CORE_PARENT] = NO_ROW;
  }

  /** Names of row's children, in insertion order. */
  childNames(row: number): string[] {
    const names: string[] = new Array(this.numChildren(row));
    let i = 0;
    for (let c = this.firstChild(row); c !== NO_ROW; c = this.nextSibling[c]) names[i++] = this.arena.name(c);
    return names;
  }

  /** The full path of a live row, built from the names up its parent chain. */
  pathOf(row: number): string {
    if (this.parentOf(row) === NO_ROW) return "/";
    const names: string[] = [];
    for (let r = row; this.parentOf(r) !== NO_ROW; r = this.parentOf(r)) names.push(this.arena.name(r));
    names.reverse();
    return "/" + names.join("/");
  }

  // ------------------------------------------------------------------ entry fields

  /** Reads row's entry fields into `into` (defaults filled in) and returns it. */
  readFields(row: number, into: EntryFields): EntryFields {
    const a = this.arena;
    a.locate(row);
    const b = a.entryBuf;
    const flags = a.entryFlags;
    let o = a.fieldsAt;
    if (flags & HAS_OWNER) {
      into.ownerLo = b.readInt32LE(o);
      into.ownerHi = b.readInt32LE(o + 4);
      o += OWNER_BYTES;
    } else {
      into.ownerLo = 0;
      into.ownerHi = 0;
    }
    if (flags & MODIFIED) {
      into.mzxidLo = b.readInt32LE(o);
      into.mzxidHi = b.readInt32LE(o + 4);
      into.mtime = b.readDoubleLE(o + 8);
      into.version = b.readInt32LE(o + 16);
      o += MODIFIED_BYTES;
    } else {
      into.mzxidLo = this.czxidHalves[2 * row + LO];
      into.mzxidHi = this.czxidHalves[2 * row + HI];
      into.mtime = this.ctime[row];
      into.version = 0;
    }
    if (flags & HAS_ACL) {
      into.aclId = b.readInt32LE(o);
      into.aversion = b.readInt32LE(o + 4);
    } else {
      into.aclId = 0;
      into.aversion = 0;
    }
    return into;
  }

  /** The row's fields in a shared scratch object: valid until the next call. */
  fields(row: number): EntryFields {
    return this.readFields(row, this.scratch);
  }

  owner(row: number): bigint {
    this.arena.locate(row);
    if ((this.arena.entryFlags & HAS_OWNER) === 0) return 0n;
    return this.arena.entryBuf.readBigInt64LE(this.arena.fieldsAt);
  }

  hasOwner(row: number): boolean {
    this.arena.locate(row);
    return (this.arena.entryFlags & HAS_OWNER) !== 0;
  }

  aclId(row: number): number {
    return this.fields(row).aclId;
  }

  /**
   * Gives a fresh row (czxid and ctime set) its entry: named s[nameStart, nameEnd), with data and fields `f`.
   */
  putEntry(row: number, s: string, nameStart: number, nameEnd: number, data: Buffer | null, f: EntryFields): void {
    const flags = this.encodeFields(row, f);
    this.arena.putFromString(row, flags, this.fieldBytes, s, nameStart, nameEnd, data);
  }

  /** putEntry from bytes: name src[nameStart, nameEnd), data src[dataStart, +dataLength) or null for -1. */
  putEntryFromBytes(row: number, src: Buffer, nameStart: number, nameEnd: number, dataStart: number, dataLength: number, f: EntryFields): void {
    const flags = this.encodeFields(row, f);
    this.arena.putFromBytes(row, flags, this.fieldBytes, src, nameStart, nameEnd, dataStart, dataLength);
  }

  /** Replaces row's data and fields, keeping its name: data src[dataStart, +dataLength), or null for -1. */
  replaceEntry(row: number, src: Buffer | null, dataStart: number, dataLength: number, f: EntryFields): void {
    const flags = this.encodeFields(row, f);
    this.arena.replace(row, flags, this.fieldBytes, src, dataStart, dataLength);
  }

  /** Replaces row's data, keeping its name and fields f. */
  replaceData(row: number, data: Buffer | null, f: EntryFields): void {
    this.replaceEntry(row, data, 0, data === null ? -1 : data.length, f);
  }

  /** Replaces row's fields, keeping its name and data. */
  replaceFields(row: number, f: EntryFields): void {
    const flags = this.encodeFields(row, f);
    this.arena.replaceFields(row, flags, this.fieldBytes);
  }

  /** Writes f's non-default fields into fieldBytes and returns the flags saying which they are. */
  private encodeFields(row: number, f: EntryFields): number {
    const b = this.fieldBytes;
    let flags = 0;
    let o = 0;
    if ((f.ownerHi | f.ownerLo) !== 0) {
      flags |= HAS_OWNER;
      b.writeInt32LE(f.ownerLo, o);
      b.writeInt32LE(f.ownerHi, o + 4);
      o += OWNER_BYTES;
    }
    const unmodified =
      f.version === 0 &&
      f.mtime === this.ctime[row] &&
      f.mzxidLo === this.czxidHalves[2 * row + LO] &&
      f.mzxidHi === this.czxidHalves[2 * row + HI];
    if (!unmodified) {
      flags |= MODIFIED;
      b.writeInt32LE(f.mzxidLo, o);
      b.writeInt32LE(f.mzxidHi, o + 4);
      b.writeDoubleLE(f.mtime, o + 8);
      b.writeInt32LE(f.version, o + 16);
      o += MODIFIED_BYTES;
    }
    if ((f.aclId | f.aversion) !== 0) {
      flags |= HAS_ACL;
      b.writeInt32LE(f.aclId, o);
      b.writeInt32LE(f.aversion, o + 4);
    }
    return flags;
  }

  // ------------------------------------------------------------------ storage

  /** Forgets every row (the columns keep their capacity). */
  clear(): void {
    this.arena.clear();
    this.freeRows.length = 0;
    this.rowsUsed = 0;
    this.size = 0;
    this.freeFamilies.length = 0;
    this.familiesUsed = 0;
  }

  /** The row's family record, made if it has none (a row without one has the defaults written into it). */
  private familyOf(row: number): number {
    let f = this.family[row];
    if (f !== NO_FAMILY) return f;
    f = this.freeFamilies.pop() ?? NO_FAMILY;
    if (f === NO_FAMILY) {
      if (this.familiesUsed >= this.familyCapacity) this.growFamilies(Math.ceil(this.familyCapacity * 1.5));
      f = this.familiesUsed++;
    }
    this.firstChildOf[f] = NO_ROW;
    this.lastChildOf[f] = NO_ROW;
    this.childCountOf[f] = 0;
    this.createCountOf[f] = 0;
    this.pzxidOf[f] = this.czxid[row];
    this.family[row] = f;
    return f;
  }

  private grow(capacity: number): void {
    this.czxid = grown(this.czxid, new BigInt64Array(capacity));
    this.czxidHalves = new Int32Array(this.czxid.buffer);
    this.ctime = grown(this.ctime, new Float64Array(capacity));
    this.core = grown(this.core, new Int32Array(capacity * CORE_STRIDE));
    this.prevSibling = grown(this.prevSibling, new Int32Array(capacity));
    this.nextSibling = grown(this.nextSibling, new Int32Array(capacity));
    this.family = grown(this.family, new Int32Array(capacity));
    this.arena.attachRows(this.core, CORE_STRIDE, CORE_ENTRY);
    this.capacity = capacity;
  }

  private growFamilies(capacity: number): void {
    this.firstChildOf = grown(this.firstChildOf, new Int32Array(capacity));
    this.lastChildOf = grown(this.lastChildOf, new Int32Array(capacity));
    this.childCountOf = grown(this.childCountOf, new Int32Array(capacity));
    this.createCountOf = grown(this.createCountOf, new Int32Array(capacity));
    this.pzxidOf = grown(this.pzxidOf, new BigInt64Array(capacity));
    this.pzxidHalvesOf = new Int32Array(this.pzxidOf.buffer);
    this.familyCapacity = capacity;
  }
}

function grown<T extends { set(from: T): void }>(old: T, fresh: T): T {
  fresh.set(old);
  return fresh;
}
