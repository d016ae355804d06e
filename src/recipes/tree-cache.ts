/**
 * TreeCache: a local copy of a subtree (data and Stat of every node), kept current with one persistent
 * recursive watch on its root, like Curator's CuratorCache. It announces `created`, `changed` and `deleted`
 * for each node, and `initialized` once the first full read is done.
 *
 * Consistency without zxids on events: every event (and every refresh) makes the cache read the node again,
 * and reads are applied strictly in the order they were sent. One connection answers in order, so the cache
 * moves only forward through the server's history and ends at the state of its last read. After a
 * reconnection (events may have been missed) or in a new session (RenewingClient) it re-reads everything.
 */
import { EventEmitter } from "node:events";
import { ConnectionLossError, NoNodeError, NotConnectedError, RequestTimeoutError, SessionExpiredError, type Stat, type WatchEvent, type ZooKeeperClient } from "../client/index.js";
import { SessionBinding, type RecipeClient } from "./session.js";
import { checkPath, joinPath, parentOf } from "./support.js";

/** One cached node. */
export interface CachedNode {
  readonly path: string;
  readonly data: Buffer;
  readonly stat: Stat;
}

/** Events of a TreeCache. */
export interface TreeCacheEvents {
  created: [node: CachedNode];
  changed: [previous: CachedNode, node: CachedNode];
  deleted: [node: CachedNode];
  /** The first full read of the subtree is in the cache (emitted once). */
  initialized: [];
  /** A read failed for a reason a reconnection will not cure, or the cache is full. */
  error: [Error];
}

/** Options of a TreeCache. */
export interface TreeCacheOptions {
  /** Most nodes held; beyond it new nodes are left out and `error` is emitted. Default 100 000. */
  nodesMax?: number;
}

/** Default of TreeCacheOptions.nodesMax. */
export const TREE_CACHE_NODES_MAX_DEFAULT = 100_000;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A read in flight: applied when every read sent before it has been. */
interface PendingRead {
  path: string;
  data: Promise<Settled<{ data: Buffer; stat: Stat }>>;
  children: Promise<Settled<string[]>> | undefined;
}

/**
 * A cache of the subtree at `rootPath` (Curator's CuratorCache).
 *
 * ```ts
 * const cache = new TreeCache(zk, "/config");
 * cache.on("changed", (_old, node) => reload(node.path, node.data));
 * await cache.start();                 // resolves once initialized
 * cache.get("/config/db")?.data;       // Buffer
 * ```
 */
export class TreeCache extends EventEmitter<TreeCacheEvents> {
  private readonly nodes = new Map<string, CachedNode>();
  private readonly pending: PendingRead[] = [];
  private applying: Promise<void> | undefined;
  private state: "latent" | "started" | "closed" = "latent";
  private initialized = false;
  private readonly initializedWaiters: (() => void)[] = [];
  private readonly nodesMax: number;
  private readonly binding: SessionBinding;
  private watchedOn: ZooKeeperClient | undefined;
  private readonly watcher = (event: WatchEvent) => this.onEvent(event);

  constructor(source: RecipeClient, readonly rootPath: string, options: TreeCacheOptions = {}) {
    super();
    checkPath(rootPath, "cache root");
    this.nodesMax = options.nodesMax ?? TREE_CACHE_NODES_MAX_DEFAULT;
    this.binding = new SessionBinding(source, {
      reconnected: () => this.refreshAll(),
      renewed: (client) => void this.watchAndLoad(client).catch((err: unknown) => this.report(err)),
    });
  }

  /** Sets the watch and reads the subtree; resolves once `initialized` (the first full read is cached). */
  async start(): Promise<void> {
    if (this.state !== "latent") throw new Error("TreeCache can be started only once");
    this.state = "started";
    const initialized = new Promise<void>((resolve) => this.initializedWaiters.push(resolve));
    await this.watchAndLoad(this.binding.client);
    await initialized;
  }

  /** The cached node at `path`. */
  get(path: string): CachedNode | undefined {
    return this.nodes.get(path);
  }

  /** Names of the cached children of `path`, sorted. */
  childrenOf(path: string): string[] {
    const prefix = path === "/" ? "/" : `${path}/`;
    const names: string[] = [];
    for (const p of this.nodes.keys()) if (p !== path && parentOf(p) === path && p.startsWith(prefix)) names.push(p.slice(prefix.length));
    return names.sort();
  }

  /** Every cached node. */
  entries(): IterableIterator<CachedNode> {
    return this.nodes.values();
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Stops watching and empties the cache. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.binding.stop();
    this.nodes.clear();
    const client = this.watchedOn;
    this.watchedOn = undefined;
    await client?.removeWatches(this.rootPath, this.watcher, "persistentRecursive").catch(() => undefined);
  }

  private async watchAndLoad(client: ZooKeeperClient): Promise<void> {
    if (this.state !== "started") return;
    await client.addWatch(this.rootPath, this.watcher, "persistentRecursive");
    this.watchedOn = client;
    this.refreshAll();
  }

  private onEvent(event: WatchEvent): void {
    switch (event.type) {
      case "NodeCreated":
      case "NodeDataChanged":
      case "NodeDeleted":
        this.read(event.path, false);
        return;
      default:
        return; // session ends are handled through the binding; recursive watches get no child events
    }
  }

  /** Re-reads the root and every cached node, with their children (finds what changed while away). */
  private refreshAll(): void {
    if (this.state !== "started") return;
    this.read(this.rootPath, true);
    for (const path of [...this.nodes.keys()]) if (path !== this.rootPath) this.read(path, true);
  }

  /** Sends the reads for `path` now (so they are ordered after everything sent before) and queues them. */
  private read(path: string, withChildren: boolean): void {
    if (this.state !== "started") return;
    const client = this.binding.client;
    this.pending.push({
      path,
      data: settle(client.getData(path)),
      children: withChildren ? settle(client.getChildren(path)) : undefined,
    });
    this.applying ??= this.applyAll();
  }

  private async applyAll(): Promise<void> {
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
        const data = await next.data;
        const children = await next.children;
        if (this.state !== "started") return;
        this.apply(next.path, data, children);
      }
    } finally {
      this.applying = undefined;
    }
    if (!this.initialized && this.state === "started") {
      this.initialized = true;
      this.emit("initialized");
      for (const resolve of this.initializedWaiters.splice(0)) resolve();
    }
  }

  private apply(path: string, data: Settled<{ data: Buffer; stat: Stat }>, children: Settled<string[]> | undefined): void {
    if (!data.ok) {
      if (data.error instanceof NoNodeError) this.removeSubtree(path);
      else this.report(data.error); // connection trouble is reported only if it is not curable
      return;
    }
    this.store({ path, data: data.value.data, stat: data.value.stat });
    if (children?.ok) {
      for (const name of children.value) {
        const childPath = joinPath(path, name);
        if (!this.nodes.has(childPath)) this.read(childPath, true);
      }
    }
  }

  private store(node: CachedNode): void {
    const previous = this.nodes.get(node.path);
    if (previous === undefined) {
      if (this.nodes.size >= this.nodesMax) {
        this.report(new Error(`TreeCache ${this.rootPath}: more than ${this.nodesMax} nodes; ${node.path} left out`));
        return;
      }
      this.nodes.set(node.path, node);
      this.emit("created", node);
      return;
    }
    const same = previous.stat.czxid === node.stat.czxid && previous.stat.mzxid === node.stat.mzxid && previous.stat.version === node.stat.version;
    this.nodes.set(node.path, node);
    if (!same) this.emit("changed", previous, node);
  }

  /** A node is gone, and so is everything below it; deepest first. */
  private removeSubtree(path: string): void {
    const prefix = path === "/" ? "/" : `${path}/`;
    const gone = [...this.nodes.keys()].filter((p) => p === path || p.startsWith(prefix)).sort((a, b) => b.length - a.length);
    for (const p of gone) {
      const node = this.nodes.get(p) as CachedNode;
      this.nodes.delete(p);
      this.emit("deleted", node);
    }
  }

  private report(err: unknown): void {
    const client = this.binding.client;
    // Connection trouble and session loss cure themselves: a reconnection or a new session re-reads all.
    if (this.state !== "started" || client.state !== "connected" || isCurable(err)) return;
    if (this.listenerCount("error") > 0) this.emit("error", err instanceof Error ? err : new Error(String(err)));
  }
}

function isCurable(err: unknown): boolean {
  return err instanceof ConnectionLossError || err instanceof NotConnectedError || err instanceof RequestTimeoutError || err instanceof SessionExpiredError;
}

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
