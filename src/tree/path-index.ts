/**
 * Path → row of the NodeStore: an open-addressing hash table (linear probing) in one Int32Array.
 *
 * A JS Map would do the job, but at a million znodes it costs ~30 bytes an entry, doubles its memory at each
 * power of two, and wants a key string per node. Here an entry is 4 bytes of table at most two-thirds full,
 * plus the 4-byte hash the NodeStore keeps per row (so growing never re-reads a path). Rows store only their
 * name (src/tree/byte-arena.ts), so there is no key string: a candidate row is verified by walking up its
 * parent chain, comparing each name with the path's segments from the right.
 *
 * The hash is a fold over segments — FNV-1a over "/" and each name's UTF-8 bytes — so it is computed equally
 * from a path string or from the parent's hash plus the name's bytes (snapshot loading never builds a path).
 * Deletion shifts later entries of the probe run back (no tombstones), so lookups never slow down with churn.
 */
import { fnvByte, fnvBytes, fnvUtf8 } from "./utf8-range.js";
import { CORE_HASH, CORE_PARENT, CORE_STRIDE, NO_ROW, type NodeStore } from "./node-store.js";

const EMPTY = -1;
const MIN_SLOTS = 1024;
const SLASH = 0x2f;
const FNV_SEED = 0x811c9dc5 | 0;

/**
 * The path hash. `mask` keeps only some bits of each segment's fold: tests pass a small one to force
 * collisions, so verification by the name chain is what tells paths apart. Production uses all 32 bits.
 */
export class PathHasher {
  constructor(readonly mask: number = -1) {}

  root(): number {
    return FNV_SEED & this.mask;
  }

  /** Hash of the child named s[nameStart, nameEnd) of a node whose hash is parentHash. */
  child(parentHash: number, s: string, nameStart: number, nameEnd: number): number {
    return fnvUtf8(fnvByte(parentHash, SLASH), s, nameStart, nameEnd) & this.mask;
  }

  /** Hash of the child named bytes[nameStart, nameEnd). */
  childOfBytes(parentHash: number, bytes: Buffer, nameStart: number, nameEnd: number): number {
    return fnvBytes(fnvByte(parentHash, SLASH), bytes, nameStart, nameEnd) & this.mask;
  }

  /** Hash of a whole path ("/" is the root; otherwise "/" + segments joined by "/"). */
  ofPath(path: string): number {
    let h = this.root();
    if (path === "/") return h;
    if (path.charCodeAt(0) !== SLASH) return this.ofSegments(path);
    // One pass for an ASCII path: each char is its byte, each "/" ends a segment (the fold of child()).
    const mask = this.mask;
    for (let i = 0; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if (c >= 0x80) return this.ofSegments(path);
      if (c === SLASH && i > 0) h &= mask;
      h = Math.imul(h ^ c, 0x01000193);
    }
    return h & mask;
  }

  /** ofPath segment by segment (any characters). */
  private ofSegments(path: string): number {
    let h = this.root();
    let start = 1;
    for (;;) {
      const slash = path.indexOf("/", start);
      const end = slash < 0 ? path.length : slash;
      h = this.child(h, path, start, end);
      if (slash < 0) return h;
      start = slash + 1;
    }
  }
}

/** Spreads a path hash's bits into the table's low bits (FNV's low bits alone cluster). */
export function slotHash(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class PathIndex {
  private slots = new Int32Array(MIN_SLOTS).fill(EMPTY);
  private mask = MIN_SLOTS - 1;
  private count = 0;

  constructor(
    private readonly store: NodeStore,
    readonly hasher: PathHasher = new PathHasher(),
  ) {}

  get size(): number {
    return this.count;
  }

  /** The row of path, or -1. */
  get(path: string): number {
    if (path.charCodeAt(0) !== SLASH) return -1;
    return this.getHashed(path, this.hasher.ofPath(path));
  }

  /** get() for a caller that already has hasher.ofPath(path). */
  getHashed(path: string, h: number): number {
    const slots = this.slots;
    const core = this.store.core;
    for (let i = slotHash(h) & this.mask; ; i = (i + 1) & this.mask) {
      const row = slots[i];
      if (row === EMPTY) return -1;
      if (core[row * CORE_STRIDE + CORE_HASH] === h && this.rowHasPath(row, path)) return row;
    }
  }

  /** The row of parentRow's child named s[nameStart, nameEnd), whose hash is h; or -1. */
  getChild(parentRow: number, h: number, s: string, nameStart: number, nameEnd: number): number {
    const slots = this.slots;
    const { core, arena } = this.store;
    for (let i = slotHash(h) & this.mask; ; i = (i + 1) & this.mask) {
      const row = slots[i];
      if (row === EMPTY) return -1;
      const c = row * CORE_STRIDE;
      if (core[c + CORE_HASH] === h && core[c + CORE_PARENT] === parentRow && arena.nameEquals(row, s, nameStart, nameEnd)) return row;
    }
  }

  /** getChild for a name given as bytes[nameStart, nameEnd). */
  getChildOfBytes(parentRow: number, h: number, bytes: Buffer, nameStart: number, nameEnd: number): number {
    const slots = this.slots;
    const { core, arena } = this.store;
    for (let i = slotHash(h) & this.mask; ; i = (i + 1) & this.mask) {
      const row = slots[i];
      if (row === EMPTY) return -1;
      const c = row * CORE_STRIDE;
      if (core[c + CORE_HASH] === h && core[c + CORE_PARENT] === parentRow && arena.nameEqualsBytes(row, bytes, nameStart, nameEnd)) return row;
    }
  }

  has(path: string): boolean {
    return this.get(path) !== -1;
  }

  /** Adds row with path hash h (the row is linked under its parent and named; its path is not indexed yet). */
  add(row: number, h: number): void {
    if ((this.count + 1) * 3 > this.slots.length * 2) this.resize(this.slots.length * 2);
    this.store.setHash(row, h);
    this.place(row, h);
    this.count++;
  }

  /** Removes path's entry; returns its row, or -1 if it was not there. */
  remove(path: string): number {
    const row = this.get(path);
    if (row !== -1) this.removeRow(row);
    return row;
  }

  /** Removes an indexed row's entry (found by its stored hash: no names compared). */
  removeRow(row: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const store = this.store;
    let i = slotHash(store.hashOf(row)) & mask;
    while (slots[i] !== row) {
      if (slots[i] === EMPTY) throw new Error(`row ${row} is not in the path index`);
      i = (i + 1) & mask;
    }

    // Backward-shift: move each later entry of the run into the hole if its home slot allows it.
    for (let j = (i + 1) & mask; slots[j] !== EMPTY; j = (j + 1) & mask) {
      const home = slotHash(store.hashOf(slots[j])) & mask;
      const between = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!between) {
        slots[i] = slots[j];
        i = j;
      }
    }
    slots[i] = EMPTY;
    this.count--;
  }

  /** Makes room for `entries` entries in all without growing again (ahead of a bulk load). */
  reserve(entries: number): void {
    let slots = this.slots.length;
    while (entries * 3 > slots * 2) slots *= 2;
    if (slots > this.slots.length) this.resize(slots);
  }

  clear(): void {
    this.slots = new Int32Array(MIN_SLOTS).fill(EMPTY);
    this.mask = MIN_SLOTS - 1;
    this.count = 0;
  }

  /** Whether row's name chain up to the root spells path, segment by segment from the right. */
  private rowHasPath(row: number, path: string): boolean {
    const { core, arena } = this.store;
    let r = row;
    if (path.length > 1) {
      for (let end = path.length; end > 0; ) {
        const parent = core[r * CORE_STRIDE + CORE_PARENT];
        if (parent === NO_ROW) return false;
        end = arena.nameEndsAt(r, path, end);
        if (end < 0) return false;
        r = parent;
      }
    }
    return core[r * CORE_STRIDE + CORE_PARENT] === NO_ROW;
  }

  private place(row: number, h: number): void {
    const slots = this.slots;
    let i = slotHash(h) & this.mask;
    while (slots[i] !== EMPTY) i = (i + 1) & this.mask;
    slots[i] = row;
  }

  private resize(slotCount: number): void {
    const old = this.slots;
    const store = this.store;
    this.slots = new Int32Array(slotCount).fill(EMPTY);
    this.mask = slotCount - 1;
    for (let i = 0; i < old.length; i++) if (old[i] !== EMPTY) this.place(old[i], store.hashOf(old[i]));
  }
}
