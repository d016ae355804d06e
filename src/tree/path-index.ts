/**
 * Path → row of the NodeStore: an open-addressing hash table (linear probing) in one Int32Array.
 *
 * A JS Map would do the job, but at a million znodes it costs ~30 bytes an entry, doubles its memory at each
 * power of two, and re-hashes through the engine on every growth. Here an entry is 4 bytes of table at most
 * two-thirds full, plus the 4-byte hash the NodeStore keeps per row (so growing never re-reads a path). The key
 * strings are the NodeStore's own `paths`; the table holds only row numbers.
 * Deletion shifts later entries of the probe run back (no tombstones), so lookups never slow down with churn.
 */
import type { NodeStore } from "./node-store.js";

const EMPTY = -1;
const MIN_SLOTS = 1024;

/** FNV-1a over UTF-16 code units: cheap, and good enough for paths that share long prefixes. */
export function pathHash(path: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return h ^ (h >>> 16);
}

export class PathIndex {
  private slots = new Int32Array(MIN_SLOTS).fill(EMPTY);
  private mask = MIN_SLOTS - 1;
  private count = 0;

  constructor(private readonly store: NodeStore) {}

  get size(): number {
    return this.count;
  }

  /** The row of path, or -1. */
  get(path: string): number {
    return this.getHashed(path, pathHash(path));
  }

  /** get() for a caller that already has pathHash(path) (it is about to add the path if absent). */
  getHashed(path: string, h: number): number {
    const slots = this.slots;
    const paths = this.store.paths;
    const hashes = this.store.hash;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const row = slots[i];
      if (row === EMPTY) return -1;
      if (hashes[row] === h && paths[row] === path) return row;
    }
  }

  has(path: string): boolean {
    return this.get(path) !== -1;
  }

  /** Adds row under its path (store.paths[row]); the path must not be in the index yet. */
  add(row: number): void {
    this.addHashed(row, pathHash(this.store.paths[row]!));
  }

  addHashed(row: number, h: number): void {
    if ((this.count + 1) * 3 > this.slots.length * 2) this.resize(this.slots.length * 2);
    this.store.hash[row] = h;
    this.place(row, h);
    this.count++;
  }

  /** Removes path's entry; returns its row, or -1 if it was not there. */
  remove(path: string): number {
    const slots = this.slots;
    const mask = this.mask;
    const h = pathHash(path);
    let i = h & mask;
    for (;; i = (i + 1) & mask) {
      const row = slots[i];
      if (row === EMPTY) return -1;
      if (this.store.hash[row] === h && this.store.paths[row] === path) break;
    }
    const removed = slots[i];
    // Backward-shift: move each later entry of the run into the hole if its home slot allows it.
    for (let j = (i + 1) & mask; slots[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.store.hash[slots[j]] & mask;
      const between = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!between) {
        slots[i] = slots[j];
        i = j;
      }
    }
    slots[i] = EMPTY;
    this.count--;
    return removed;
  }

  clear(): void {
    this.slots = new Int32Array(MIN_SLOTS).fill(EMPTY);
    this.mask = MIN_SLOTS - 1;
    this.count = 0;
  }

  private place(row: number, h: number): void {
    const slots = this.slots;
    let i = h & this.mask;
    while (slots[i] !== EMPTY) i = (i + 1) & this.mask;
    slots[i] = row;
  }

  private resize(slotCount: number): void {
    const old = this.slots;
    this.slots = new Int32Array(slotCount).fill(EMPTY);
    this.mask = slotCount - 1;
    for (let i = 0; i < old.length; i++) if (old[i] !== EMPTY) this.place(old[i], this.store.hash[old[i]]);
  }
}
