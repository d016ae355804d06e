/**
 * Server-side watch registry (shared/reference §7): one-shot data and child watches, persistent and
 * persistent-recursive watches, per (path, watcher). A watcher is one client connection; firing a change
 * hands each affected watcher at most one event per (type, path).
 */
import { EventType, WatcherType, type EventTypeCode } from "../jute/codes.js";
import type { TreeChange } from "../tree/data-tree.js";

export interface Watcher {
  /** Queues a notification; called synchronously while the txn is applied, before any later reply. */
  notify(type: EventTypeCode, path: string, zxid: bigint): void;
}

type Table = Map<string, Set<Watcher>>;

/** Up to this many recursive watches, a change tests each as a path prefix instead of walking its ancestors. */
const RECURSIVE_SCAN_MAX = 16;

/** Decides whether a watcher may receive an event about a node with this ACL (READ, as ZooKeeper 3.9.2+). */
export type DeliveryFilter = (watcher: Watcher, acl: TreeChange["acl"]) => boolean;

export class WatchManager {
  constructor(private readonly mayDeliver: DeliveryFilter = () => true) {}

  private readonly data: Table = new Map();
  private readonly child: Table = new Map();
  private readonly persistent: Table = new Map();
  private readonly recursive: Table = new Map();

  addData(path: string, w: Watcher): void {
    add(this.data, path, w);
  }
  addChild(path: string, w: Watcher): void {
    add(this.child, path, w);
  }
  addPersistent(path: string, w: Watcher): void {
    add(this.persistent, path, w);
  }
  addRecursive(path: string, w: Watcher): void {
    add(this.recursive, path, w);
  }

  /** Fires the watches one tree change triggers; one-shot watches are consumed. Returns how many watchers fired. */
  trigger(change: TreeChange, zxid: bigint): number {
    // One set reused for every change (most fire no watch at all): delivering does not re-enter trigger.
    const targets = this.targets;
    const { path } = change;
    let type: EventTypeCode;
    switch (change.kind) {
      case "created":
        type = EventType.NodeCreated;
        take(this.data, path, targets);
        break;
      case "deleted":
        type = EventType.NodeDeleted;
        take(this.data, path, targets);
        take(this.child, path, targets);
        break;
      case "dataChanged":
        type = EventType.NodeDataChanged;
        take(this.data, path, targets);
        break;
      case "childrenChanged":
        type = EventType.NodeChildrenChanged;
        take(this.child, path, targets);
        break;
    }
    addAll(this.persistent.get(path), targets);
    if (change.kind !== "childrenChanged" && this.recursive.size > 0) this.addRecursiveWatchers(path, targets);
    const fired = targets.size;
    if (fired === 0) return 0;
    try {
      for (const w of targets) if (this.mayDeliver(w, change.acl)) w.notify(type, path, zxid);
    } finally {
      targets.clear();
    }
    return fired;
  }

  private readonly targets = new Set<Watcher>();

  /**
   * Recursive watches on path or any ancestor. With few recursive watches (the usual case) test each one as a
   * prefix; otherwise look up each ancestor. Either way a deep path costs no more than O(depth + watches).
   */
  private addRecursiveWatchers(path: string, into: Set<Watcher>): void {
    if (this.recursive.size <= RECURSIVE_SCAN_MAX) {
      for (const [watched, set] of this.recursive) {
        if (watched === "/" || path === watched || (path.startsWith(watched) && path.charCodeAt(watched.length) === 0x2f)) addAll(set, into);
      }
      return;
    }
    addAll(this.recursive.get("/"), into);
    for (let i = path.indexOf("/", 1); ; i = path.indexOf("/", i + 1)) {
      addAll(this.recursive.get(i < 0 ? path : path.slice(0, i)), into);
      if (i < 0) return;
    }
  }

  /** Does this watcher have a watch of the given WatcherType on path? (checkWatches) */
  has(path: string, w: Watcher, type: number): boolean {
    return this.tablesFor(type).some((t) => t.get(path)?.has(w) === true);
  }

  /** Removes this watcher's watches of the given type on path; false if there were none (removeWatches). */
  remove(path: string, w: Watcher, type: number): boolean {
    let removed = false;
    for (const t of this.tablesFor(type)) removed = drop(t, path, w) || removed;
    return removed;
  }

  private tablesFor(type: number): Table[] {
    switch (type) {
      case WatcherType.Children:
        return [this.child];
      case WatcherType.Data:
        return [this.data];
      case WatcherType.Any:
        return [this.data, this.child, this.persistent, this.recursive];
      case WatcherType.Persistent:
        return [this.persistent];
      case WatcherType.PersistentRecursive:
        return [this.recursive];
      default:
        return [];
    }
  }

  /** Drops every watch of a connection that went away; returns how many there were. */
  removeWatcher(w: Watcher): number {
    let removed = 0;
    for (const t of [this.data, this.child, this.persistent, this.recursive]) {
      for (const [path, set] of t) {
        if (!set.delete(w)) continue;
        removed++;
        if (set.size === 0) t.delete(path);
      }
    }
    return removed;
  }

  /** Watches per connection and path, for the wchc/wchp/wchs four-letter words and mntr. */
  summary(): { count: number; paths: Map<string, Set<Watcher>> } {
    const paths = new Map<string, Set<Watcher>>();
    let count = 0;
    for (const t of [this.data, this.child, this.persistent, this.recursive]) {
      for (const [path, set] of t) {
        count += set.size;
        let s = paths.get(path);
        if (s === undefined) paths.set(path, (s = new Set()));
        for (const w of set) s.add(w);
      }
    }
    return { count, paths };
  }
}

function add(t: Table, path: string, w: Watcher): void {
  let set = t.get(path);
  if (set === undefined) t.set(path, (set = new Set()));
  set.add(w);
}

function take(t: Table, path: string, into: Set<Watcher>): void {
  const set = t.get(path);
  if (set === undefined) return;
  t.delete(path);
  for (const w of set) into.add(w);
}

function addAll(set: Set<Watcher> | undefined, into: Set<Watcher>): void {
  if (set !== undefined) for (const w of set) into.add(w);
}

function drop(t: Table, path: string, w: Watcher): boolean {
  const set = t.get(path);
  if (!set?.delete(w)) return false;
  if (set.size === 0) t.delete(path);
  return true;
}
