/**
 * The consensus core's synchronous view of this server's log (zab LogView): an in-memory window of the most
 * recent entries, reflecting appends, truncation and snapshot installs at once (durability follows later).
 * The window only forgets entries the state machine has applied, so the core can always read back what it has
 * not delivered yet; lagging learners further back than the window get a snapshot instead of a DIFF.
 */
import type { Entry, LogView } from "../zab/index.js";

export class LogWindow implements LogView {
  private entries: Entry[] = [];
  private base: bigint;
  private readonly trimBatch: number;

  constructor(
    base: bigint,
    initial: Iterable<Entry>,
    private readonly entriesMax: number,
  ) {
    this.trimBatch = Math.max(1, Math.floor(entriesMax / 8));
    this.base = base;
    for (const e of initial) this.entries.push(e);
  }

  baseZxid(): bigint {
    return this.base;
  }

  lastZxid(): bigint {
    return this.entries.at(-1)?.zxid ?? this.base;
  }

  entriesAfter(after: bigint, max: number): Entry[] {
    const start = this.indexAfter(after);
    return this.entries.slice(start, start + max);
  }

  floorZxid(zxid: bigint): bigint {
    const i = this.indexAfter(zxid);
    return i === 0 ? this.base : this.entries[i - 1].zxid;
  }

  /** First index whose zxid is > after (binary search: zxids ascend). */
  private indexAfter(after: bigint): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].zxid <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  append(entries: readonly Entry[]): void {
    for (const e of entries) this.entries.push(e);
  }

  truncateAfter(zxid: bigint): void {
    this.entries.length = this.indexAfter(zxid);
    if (this.base > zxid) this.base = zxid;
  }

  resetTo(zxid: bigint): void {
    this.entries = [];
    this.base = zxid;
  }

  /**
   * Forgets old applied entries beyond entriesMax. It waits until a batch of them (an eighth of the window) can
   * go: dropping one entry per write copied the whole window on every write once it was full (20,000 entries by
   * default), which doubled a member's CPU per write for a client with one write in flight.
   */
  trim(appliedZxid: bigint): void {
    if (this.entries.length < this.entriesMax + this.trimBatch) return;
    let drop = 0;
    while (this.entries.length - drop > this.entriesMax && this.entries[drop].zxid <= appliedZxid) drop++;
    if (drop < this.trimBatch) return;
    this.base = this.entries[drop - 1].zxid;
    this.entries = this.entries.slice(drop);
  }
}
