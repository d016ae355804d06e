/**
 * The client's watch table. The server keeps at most one watch per (path, kind) per connection and sends one
 * event for it; this table fans that event out to every callback registered here, removes the one-shot ones,
 * and, after a reconnect, lists what must be re-registered with SetWatches (op 101) or SetWatches2 (op 105).
 *
 * Kinds follow the Java client: `data` (getData, or exists on an existing node), `exist` (exists on a missing
 * node, waiting for its creation), `child` (getChildren), and the persistent kinds set with addWatch.
 * Paths here are client paths (chroot stripped).
 */
import { EventType } from "../jute/codes.js";
import type { Request } from "../jute/records.js";

export type WatchEventType =
  | "NodeCreated"
  | "NodeDeleted"
  | "NodeDataChanged"
  | "NodeChildrenChanged"
  /** Client-generated: the watcher was removed by removeWatches / removeAllWatches. */
  | "DataWatchRemoved"
  | "ChildWatchRemoved"
  | "PersistentWatchRemoved"
  /** Client-generated: the session ended, so this watcher will never fire. */
  | "SessionExpired"
  | "Closed";

export interface WatchEvent {
  type: WatchEventType;
  path: string;
}

export type Watcher = (event: WatchEvent) => void;

export type WatchKind = "data" | "exist" | "child" | "persistent" | "persistentRecursive";
export const WATCH_KINDS: readonly WatchKind[] = ["data", "exist", "child", "persistent", "persistentRecursive"];

/** Java batches SetWatches so that one frame stays far below the server's 1 MiB limit. */
export const SET_WATCHES_BATCH_BYTES_MAX = 128 * 1024;

/** The server's event types (wire numbers) this table understands. */
export function serverEventType(type: number): WatchEventType | undefined {
  switch (type) {
    case EventType.NodeCreated:
      return "NodeCreated";
    case EventType.NodeDeleted:
      return "NodeDeleted";
    case EventType.NodeDataChanged:
      return "NodeDataChanged";
    case EventType.NodeChildrenChanged:
      return "NodeChildrenChanged";
    default:
      return undefined;
  }
}

/** Which one-shot kinds on the event's own path an event consumes. */
function oneShotKindsFor(type: WatchEventType): WatchKind[] {
  switch (type) {
    case "NodeCreated":
    case "NodeDataChanged":
      return ["data", "exist"];
    case "NodeDeleted":
      return ["data", "exist", "child"];
    case "NodeChildrenChanged":
      return ["child"];
    default:
      return [];
  }
}

export class WatchTable {
  private readonly tables = new Map<WatchKind, Map<string, Set<Watcher>>>(WATCH_KINDS.map((k) => [k, new Map()]));

  add(kind: WatchKind, path: string, watcher: Watcher): void {
    const table = this.table(kind);
    let watchers = table.get(path);
    if (!watchers) table.set(path, (watchers = new Set()));
    watchers.add(watcher);
  }

  has(kind: WatchKind, path: string): boolean {
    return (this.table(kind).get(path)?.size ?? 0) > 0;
  }

  contains(kind: WatchKind, path: string, watcher: Watcher): boolean {
    return this.table(kind).get(path)?.has(watcher) ?? false;
  }

  remove(kind: WatchKind, path: string, watcher: Watcher): boolean {
    const watchers = this.table(kind).get(path);
    if (!watchers?.delete(watcher)) return false;
    if (watchers.size === 0) this.table(kind).delete(path);
    return true;
  }

  removeAll(kind: WatchKind, path: string): Watcher[] {
    const watchers = this.table(kind).get(path);
    this.table(kind).delete(path);
    return watchers ? [...watchers] : [];
  }

  /**
   * The distinct watchers a server event goes to, in registration order; one-shot watchers are removed.
   * Persistent watches on the path get everything; recursive ones on the path or an ancestor get everything
   * except NodeChildrenChanged, which ZooKeeper never sends to them.
   */
  take(type: WatchEventType, path: string): Watcher[] {
    const out = new Set<Watcher>();
    for (const kind of oneShotKindsFor(type)) for (const w of this.removeAll(kind, path)) out.add(w);
    for (const w of this.table("persistent").get(path) ?? []) out.add(w);
    if (type !== "NodeChildrenChanged") {
      for (const ancestor of selfAndAncestors(path)) {
        for (const w of this.table("persistentRecursive").get(ancestor) ?? []) out.add(w);
      }
    }
    return [...out];
  }

  /** Empties the table, returning each distinct watcher once (to tell it the session ended). */
  drain(): Watcher[] {
    const out = new Set<Watcher>();
    for (const table of this.tables.values()) {
      for (const watchers of table.values()) for (const w of watchers) out.add(w);
      table.clear();
    }
    return [...out];
  }

  paths(kind: WatchKind): string[] {
    return [...this.table(kind).keys()];
  }

  /**
   * SetWatches requests re-registering every watch, each under `batchBytesMax` of path bytes; a batch with
   * persistent watches uses SetWatches2 (op 105), others the older op 101 that every server knows.
   */
  restoreRequests(relativeZxid: bigint, toServerPath: (p: string) => string, batchBytesMax = SET_WATCHES_BATCH_BYTES_MAX): Request[] {
    const batches: Record<WatchKind, string[]>[] = [];
    let batch = emptyBatch();
    let batchBytes = 0;
    for (const kind of WATCH_KINDS) {
      for (const path of this.paths(kind)) {
        const serverPath = toServerPath(path);
        const bytes = 4 + Buffer.byteLength(serverPath, "utf8");
        if (batchBytes > 0 && batchBytes + bytes > batchBytesMax) {
          batches.push(batch);
          batch = emptyBatch();
          batchBytes = 0;
        }
        batch[kind].push(serverPath);
        batchBytes += bytes;
      }
    }
    if (batchBytes > 0) batches.push(batch);
    return batches.map((b) => ({
      op: "setWatches",
      relativeZxid,
      data: b.data,
      exist: b.exist,
      child: b.child,
      persistent: b.persistent,
      persistentRecursive: b.persistentRecursive,
      v2: b.persistent.length > 0 || b.persistentRecursive.length > 0,
    }));
  }

  private table(kind: WatchKind): Map<string, Set<Watcher>> {
    const table = this.tables.get(kind);
    if (!table) throw new Error(`unknown watch kind ${kind}`);
    return table;
  }
}

function emptyBatch(): Record<WatchKind, string[]> {
  return { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] };
}

/** "/a/b" → ["/a/b", "/a", "/"]. */
export function selfAndAncestors(path: string): string[] {
  const out = [path];
  let p = path;
  while (p !== "/") {
    const cut = p.lastIndexOf("/");
    p = cut <= 0 ? "/" : p.slice(0, cut);
    out.push(p);
  }
  return out;
}
