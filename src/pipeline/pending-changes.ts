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
  /**
   * Every record ever added and not yet retired, in zxid order, as a queue in two parallel arrays (from `head`)
   * so that applying a txn drops exactly its records, and a write allocates no queue entry of its own.
   */
  private queuePaths: string[] = [];
  private queueZxids: bigint[] = [];
  private head = 0;
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
    this.queuePaths.push(path);
    this.queueZxids.push(zxid);
  }

  /** The txn with this zxid (and everything before it) is now in the tree. */
  applied(zxid: bigint): void {
    const paths = this.queuePaths;
    const zxids = this.queueZxids;
    let head = this.head;
    while (head < paths.length && zxids[head] <= zxid) {
      const path = paths[head];
      if (this.records.get(path)?.zxid === zxids[head]) this.records.delete(path);
      this.removedTotal++;
      head++;
    }
    this.head = head;
    if (head === paths.length) this.clearQueue();
    else if (head >= 1024 && head * 2 >= paths.length) this.compactQueue();
  }

  /** Every pending record, for closeSession to find ephemerals created by not-yet-applied txns. */
  entries(): IterableIterator<[string, ChangeRecord]> {
    return this.records.entries();
  }

  /** Forgets every outstanding change (after a role change or a state reload: nothing pending survives). */
  clear(): void {
    this.records.clear();
    this.clearQueue();
  }

  size(): number {
    return this.records.size;
  }

  private clearQueue(): void {
    this.queuePaths.length = 0;
    this.queueZxids.length = 0;
    this.head = 0;
  }

  private compactQueue(): void {
    this.queuePaths = this.queuePaths.slice(this.head);
    this.queueZxids = this.queueZxids.slice(this.head);
    this.head = 0;
  }
}

/** A multi's private view: changes become visible to others only if every sub-op succeeds. */
export class ScratchView implements NodeView {
  /** Each changed path's index in paths/states (a multi's few paths, kept in arrays so commitTo allocates nothing). */
  private readonly index = new Map<string, number>();
  private readonly paths: string[] = [];
  private readonly states: (NodeState | null)[] = [];

  constructor(private readonly base: NodeView) {}

  lookup(path: string): NodeState | null {
    const i = this.index.get(path);
    return i === undefined ? this.base.lookup(path) : this.states[i];
  }

  record(path: string, _zxid: bigint, state: NodeState | null): void {
    const i = this.index.get(path);
    if (i !== undefined) {
      this.states[i] = state;
      return;
    }
    this.index.set(path, this.paths.length);
    this.paths.push(path);
    this.states.push(state);
  }

  commitTo(view: NodeView, zxid: bigint): void {
    for (let i = 0; i < this.paths.length; i++) view.record(this.paths[i], zxid, this.states[i]);
  }
}
