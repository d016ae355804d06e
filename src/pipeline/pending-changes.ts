/**
 * The outstanding-changes overlay: what the tree will look like once every prepared-but-not-yet-applied txn is
 * applied. Prep validates each write against this view so pipelined writes see each other's effects
 * (ZooKeeper's ChangeRecords). Entries are dropped once the txn that wrote them is applied to the tree.
 */
import type { DataTree, PrepFields } from "../tree/data-tree.js";

/** The parts of a node that prep decisions depend on. */
export type NodeState = PrepFields;

/** A view prep reads and writes; the multi scratch view layers over the shared one. */
export interface NodeView {
  lookup(path: string): NodeState | null;
  record(path: string, zxid: bigint, state: NodeState | null): void;
}

interface ChangeRecord {
  zxid: bigint;
  state: NodeState | null;
}

export class PendingChanges implements NodeView {
  private readonly records = new Map<string, ChangeRecord>();
  /** Paths written per zxid, in zxid order, so applying a txn drops exactly its records. */
  private readonly byZxid: { zxid: bigint; paths: string[] }[] = [];
  /** Records ever added, and ever retired because their txn applied (ZooKeeper's outstanding_changes_* metrics). */
  queuedTotal = 0;
  removedTotal = 0;

  constructor(private readonly tree: DataTree) {}

  lookup(path: string): NodeState | null {
    const rec = this.records.get(path);
    if (rec !== undefined) return rec.state;
    return this.tree.prepFields(path);
  }

  record(path: string, zxid: bigint, state: NodeState | null): void {
    this.records.set(path, { zxid, state });
    this.queuedTotal++;
    const last = this.byZxid[this.byZxid.length - 1];
    if (last !== undefined && last.zxid === zxid) last.paths.push(path);
    else this.byZxid.push({ zxid, paths: [path] });
  }

  /** The txn with this zxid (and everything before it) is now in the tree. */
  applied(zxid: bigint): void {
    while (this.byZxid.length > 0 && this.byZxid[0].zxid <= zxid) {
      const entry = this.byZxid.shift()!;
      this.removedTotal += entry.paths.length;
      for (const path of entry.paths) {
        if (this.records.get(path)?.zxid === entry.zxid) this.records.delete(path);
      }
    }
  }

  /** Every pending record, for closeSession to find ephemerals created by not-yet-applied txns. */
  entries(): IterableIterator<[string, ChangeRecord]> {
    return this.records.entries();
  }

  /** Forgets every outstanding change (after a role change or a state reload: nothing pending survives). */
  clear(): void {
    this.records.clear();
    this.byZxid.length = 0;
  }

  size(): number {
    return this.records.size;
  }
}

/** A multi's private view: changes become visible to others only if every sub-op succeeds. */
export class ScratchView implements NodeView {
  readonly changes = new Map<string, NodeState | null>();

  constructor(private readonly base: NodeView) {}

  lookup(path: string): NodeState | null {
    return this.changes.has(path) ? this.changes.get(path)! : this.base.lookup(path);
  }

  record(path: string, _zxid: bigint, state: NodeState | null): void {
    this.changes.set(path, state);
  }

  commitTo(view: NodeView, zxid: bigint): void {
    for (const [path, state] of this.changes) view.record(path, zxid, state);
  }
}
