/**
 * A simulated server disk: epoch files, a snapshot, and a txn log whose tail may not be durable yet.
 * Appends become durable in order when their (simulated) fsync completes; a crash loses whatever was not.
 * Snapshot installs, truncations and epoch writes are durable at once (the runtime's barriers).
 * The disk is also the LogView the ZabPeer reads (durable and not-yet-durable entries alike).
 */
import type { Entry, LogView } from "../../src/zab/index.js";
import { formatZxid } from "../../src/zab/index.js";
import { genesis, type SmState, copyState } from "./state-machine.js";

export class SimDisk implements LogView {
  acceptedEpoch = 0;
  currentEpoch = 0;
  /** The last local snapshot (state machine at snapshot.zxid); genesis if none was taken. */
  snapshot: SmState = genesis();
  /** Entries after `base`: [0, durableCount) are durable, the rest wait for their fsync. */
  private entries: Entry[] = [];
  private durableAt: number[] = [];
  private durableCount = 0;
  private base = 0n;

  // ---- LogView ----

  baseZxid(): bigint {
    return this.base;
  }

  lastZxid(): bigint {
    return this.entries.at(-1)?.zxid ?? this.base;
  }

  entriesAfter(after: bigint, max: number): Entry[] {
    if (after < this.base) throw new Error(`disk: read after ${formatZxid(after)} below base ${formatZxid(this.base)}`);
    const start = this.indexAfter(after);
    return this.entries.slice(start, start + max);
  }

  floorZxid(zxid: bigint): bigint {
    const i = this.indexAfter(zxid) - 1;
    return i >= 0 ? this.entries[i].zxid : this.base;
  }

  // ---- writes ----

  append(entry: Entry, durableAt: number): void {
    if (entry.zxid <= this.lastZxid()) throw new Error(`disk: append ${formatZxid(entry.zxid)} after ${formatZxid(this.lastZxid())}`);
    const previous = this.durableAt.at(-1) ?? 0;
    this.entries.push(entry);
    this.durableAt.push(Math.max(durableAt, previous)); // fsyncs complete in order
  }

  /** Completes the fsyncs due by `now`; returns the last durable zxid if it moved. */
  flush(now: number): bigint | null {
    const before = this.durableCount;
    while (this.durableCount < this.entries.length && this.durableAt[this.durableCount] <= now) this.durableCount++;
    return this.durableCount > before ? this.entries[this.durableCount - 1].zxid : null;
  }

  hasPendingFsync(): boolean {
    return this.durableCount < this.entries.length;
  }

  truncate(after: bigint): void {
    if (after < this.base) throw new Error(`disk: truncate to ${formatZxid(after)} below base ${formatZxid(this.base)}`);
    const keep = this.indexAfter(after);
    this.entries.length = keep;
    this.durableAt.length = keep;
    this.durableCount = Math.min(this.durableCount, keep);
  }

  installSnapshot(state: SmState): void {
    this.snapshot = copyState(state);
    this.entries = [];
    this.durableAt = [];
    this.durableCount = 0;
    this.base = state.zxid;
  }

  /** A local snapshot of applied (committed) state; the log keeps `retain` entries before it. */
  takeSnapshot(state: SmState, retain: number): void {
    if (state.zxid > this.durableZxid()) throw new Error("disk: snapshot ahead of the durable log");
    this.snapshot = copyState(state);
    const cut = Math.max(0, this.indexAfter(state.zxid) - retain);
    if (cut === 0) return;
    this.base = this.entries[cut - 1].zxid;
    this.entries = this.entries.slice(cut);
    this.durableAt = this.durableAt.slice(cut);
    this.durableCount -= cut;
  }

  /** Power loss: whatever was not fsynced is gone. */
  crash(): void {
    this.entries.length = this.durableCount;
    this.durableAt.length = this.durableCount;
  }

  durableZxid(): bigint {
    return this.durableCount > 0 ? this.entries[this.durableCount - 1].zxid : this.base;
  }

  /** The logged entry at zxid, if the log holds it. */
  entryAt(zxid: bigint): Entry | undefined {
    const i = this.indexAfter(zxid) - 1;
    return i >= 0 && this.entries[i].zxid === zxid ? this.entries[i] : undefined;
  }

  durableEntriesAfter(after: bigint): Entry[] {
    return this.entries.slice(this.indexAfter(after), this.durableCount);
  }

  /** Index of the first entry with zxid > `zxid`. */
  private indexAfter(zxid: bigint): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].zxid <= zxid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
