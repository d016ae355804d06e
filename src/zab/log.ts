/**
 * The core's view of its own log: the runtime's LogView plus what the core has decided but not yet handed out in
 * a Ready (appended entries, a truncation, a snapshot install), like etcd raft's `unstable`. Once a Ready is
 * taken the runtime reflects it in its LogView at once, so only not-yet-taken effects live here.
 */
import { assert } from "../base/assert.js";
import type { Entry, LogView } from "./types.js";
import { formatZxid } from "./zxid.js";

export interface LogEffects {
  installSnapshot?: { zxid: bigint; bytes: Buffer };
  truncateAfter?: bigint;
  persistEntries: Entry[];
}

export class CoreLog {
  private unstable: Entry[] = [];
  private pendingTruncate: bigint | null = null;
  private pendingSnapshot: { zxid: bigint; bytes: Buffer } | null = null;

  constructor(private readonly view: LogView) {
    assert(view.lastZxid() >= view.baseZxid(), "log view ends before its base");
  }

  /** Every entry after this zxid is readable; the zxid itself is in our history. */
  base(): bigint {
    return this.pendingSnapshot?.zxid ?? this.view.baseZxid();
  }

  last(): bigint {
    return this.unstable.at(-1)?.zxid ?? this.viewEnd();
  }

  append(entry: Entry): void {
    assert(entry.zxid > this.last(), `append of ${formatZxid(entry.zxid)} after ${formatZxid(this.last())}`);
    this.unstable.push(entry);
  }

  /** Up to `max` entries with zxid > after, ascending. */
  entriesAfter(after: bigint, max: number): Entry[] {
    assert(after >= this.base(), `read after ${formatZxid(after)} below log base ${formatZxid(this.base())}`);
    const out: Entry[] = [];
    const viewEnd = this.viewEnd();
    if (this.pendingSnapshot === null && after < viewEnd) {
      for (const e of this.view.entriesAfter(after, max)) {
        if (e.zxid > viewEnd) break;
        assert(e.zxid > (out.at(-1)?.zxid ?? after), "log view returned entries out of order");
        out.push(e);
      }
    }
    for (const e of this.unstable) {
      if (out.length >= max) break;
      if (e.zxid > after) out.push(e);
    }
    return out;
  }

  /** The largest zxid in the log that is <= zxid (the base counts). */
  floor(zxid: bigint): bigint {
    assert(zxid >= this.base(), `floor of ${formatZxid(zxid)} below log base ${formatZxid(this.base())}`);
    for (let i = this.unstable.length - 1; i >= 0; i--) if (this.unstable[i].zxid <= zxid) return this.unstable[i].zxid;
    if (this.pendingSnapshot !== null) return this.pendingSnapshot.zxid;
    const viewEnd = this.viewEnd();
    return this.view.floorZxid(zxid < viewEnd ? zxid : viewEnd);
  }

  /** Drops entries with zxid > after. */
  truncate(after: bigint): void {
    assert(after >= this.base(), `truncate to ${formatZxid(after)} below log base ${formatZxid(this.base())}`);
    this.unstable = this.unstable.filter((e) => e.zxid <= after);
    if (this.pendingSnapshot === null && after < this.viewEnd()) this.pendingTruncate = after;
  }

  /** Replaces the whole log by a snapshot at `zxid`. */
  installSnapshot(zxid: bigint, bytes: Buffer): void {
    this.pendingSnapshot = { zxid, bytes };
    this.pendingTruncate = null;
    this.unstable = [];
  }

  hasEffects(): boolean {
    return this.unstable.length > 0 || this.pendingTruncate !== null || this.pendingSnapshot !== null;
  }

  /** Hands the not-yet-taken effects to a Ready; the runtime reflects them in its LogView right away. */
  takeEffects(): LogEffects {
    const effects: LogEffects = { persistEntries: this.unstable };
    if (this.pendingSnapshot !== null) effects.installSnapshot = this.pendingSnapshot;
    if (this.pendingTruncate !== null) effects.truncateAfter = this.pendingTruncate;
    this.unstable = [];
    this.pendingSnapshot = null;
    this.pendingTruncate = null;
    return effects;
  }

  /** After takeEffects: checks the runtime did reflect them in its view. */
  checkReflected(effects: LogEffects): void {
    const expectedLast = effects.persistEntries.at(-1)?.zxid ?? effects.truncateAfter ?? effects.installSnapshot?.zxid;
    if (expectedLast === undefined) return;
    assert(this.view.lastZxid() === expectedLast,
      `log view ends at ${formatZxid(this.view.lastZxid())}, expected ${formatZxid(expectedLast)} after the Ready`);
  }

  private viewEnd(): bigint {
    if (this.pendingSnapshot !== null) return this.pendingSnapshot.zxid;
    const last = this.view.lastZxid();
    return this.pendingTruncate !== null && this.pendingTruncate < last ? this.pendingTruncate : last;
  }
}
