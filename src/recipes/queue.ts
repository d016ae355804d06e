/**
 * DistributedQueue: a FIFO of items in PERSISTENT_SEQUENTIAL nodes `<path>/queue-<seq>`, on the layout and
 * byte format of Curator's DistributedQueue (each node holds Curator's item envelope, so Java producers and
 * consumers interoperate). Consumers take the lowest node they can claim: read it, then delete it with the
 * version they read, so exactly one consumer gets each node.
 *
 * With `lockPath` a consumer can instead process an item before it leaves the queue (Curator's lock
 * safety): it claims the node with an ephemeral `<lockPath>/<node>`, runs the handler, and deletes the item
 * only when the handler succeeded; a crash leaves the item queued for another consumer.
 */
import { BadVersionError, NoNodeError, NodeExistsError, type ZooKeeperClient } from "../client/index.js";
import { decodeQueueItems, encodeQueueItems } from "./codec.js";
import { Deadline, Wakeup, abortError, checkPath, deleteQuietly, dropWatcher, ensurePersistent, joinPath, nodeNameOf, retryIdempotent } from "./support.js";

/** Curator's queue item node prefix. */
export const QUEUE_ITEM_PREFIX = "queue-";

/** Turns items into bytes and back (Curator's QueueSerializer). */
export interface QueueSerializer<T> {
  serialize(item: T): Buffer;
  deserialize(bytes: Buffer): T;
}

/** Items are Buffers, stored as they are. */
export const bufferSerializer: QueueSerializer<Buffer> = { serialize: (b) => b, deserialize: (b) => b };
/** Items are strings, stored as UTF-8. */
export const stringSerializer: QueueSerializer<string> = { serialize: (s) => Buffer.from(s, "utf8"), deserialize: (b) => b.toString("utf8") };
/** Items are JSON values. */
export const jsonSerializer: QueueSerializer<unknown> = {
  serialize: (v) => Buffer.from(JSON.stringify(v), "utf8"),
  deserialize: (b) => JSON.parse(b.toString("utf8")) as unknown,
};

/** Options of a DistributedQueue. */
export interface DistributedQueueOptions<T> {
  serializer: QueueSerializer<T>;
  /** Enables processNext(): where consumers claim items while they process them. */
  lockPath?: string;
  /** What processNext() does with an item whose handler failed: put it back at the end (default) or drop it. */
  errorMode?: "requeue" | "delete";
}

/** A claimed queue node: its name and items. */
interface ClaimedNode<T> {
  name: string;
  items: T[];
}

/**
 * A distributed FIFO queue (Curator's DistributedQueue).
 *
 * ```ts
 * const jobs = new DistributedQueue(zk, "/queues/jobs", { serializer: stringSerializer });
 * await jobs.put("resize:42");
 * const job = await jobs.take(10_000); // "resize:42", or undefined after 10 s
 * ```
 */
export class DistributedQueue<T> {
  protected readonly serializer: QueueSerializer<T>;
  private readonly lockPath: string | undefined;
  private readonly errorMode: "requeue" | "delete";
  /** Items of a multi-item node taken by this consumer and not yet handed out. */
  private readonly taken: T[] = [];
  private queueReady: Promise<void> | undefined;

  constructor(readonly client: ZooKeeperClient, readonly queuePath: string, options: DistributedQueueOptions<T>) {
    checkPath(queuePath, "queue path");
    if (options.lockPath !== undefined) checkPath(options.lockPath, "lock path");
    this.serializer = options.serializer;
    this.lockPath = options.lockPath;
    this.errorMode = options.errorMode ?? "requeue";
  }

  /** Adds one item; resolves with its node's path. */
  put(item: T): Promise<string> {
    return this.putNode(QUEUE_ITEM_PREFIX, [item]);
  }

  /** Adds several items as one node: they are taken together, in order. */
  putMulti(items: readonly T[]): Promise<string> {
    if (items.length === 0) throw new RangeError("putMulti needs at least one item");
    return this.putNode(QUEUE_ITEM_PREFIX, items);
  }

  /** The next item if there is one now, else undefined. */
  async poll(): Promise<T | undefined> {
    return this.take(0);
  }

  /** The next item; waits up to `timeoutMs` (none: as long as the session lives) for one to arrive. */
  async take(timeoutMs?: number, signal?: AbortSignal): Promise<T | undefined> {
    const deadline = new Deadline(timeoutMs);
    if (this.taken.length > 0) return this.taken.shift();
    await this.ensureQueue();
    for (;;) {
      const wakeup = new Wakeup();
      const names = await this.itemNames(wakeup);
      for (const name of names) {
        const claimed = await this.claim(name);
        if (claimed === undefined) continue;
        dropWatcher(this.client, this.queuePath, wakeup.watcher, "children");
        const [first, ...rest] = claimed.items;
        this.taken.push(...rest);
        if (first !== undefined) return first;
      }
      const how = await wakeup.wait(deadline, signal);
      if (how === "woken") continue;
      dropWatcher(this.client, this.queuePath, wakeup.watcher, "children");
      if (how === "aborted" && signal) throw abortError(signal);
      return undefined;
    }
  }

  /**
   * Lock-safe consumption (needs `lockPath`): claims the next node, runs `handler` on each of its items,
   * and only then removes it. A failed handler requeues the node (or drops it, with errorMode "delete") and
   * rejects with the handler's error. Resolves true once a node was processed, false after `timeoutMs`.
   */
  async processNext(handler: (item: T) => Promise<void> | void, timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    const lockPath = this.lockPath;
    if (lockPath === undefined) throw new Error("processNext() needs the lockPath option");
    const deadline = new Deadline(timeoutMs);
    await this.ensureQueue();
    await ensurePersistent(this.client, lockPath);
    for (;;) {
      const wakeup = new Wakeup();
      for (const name of await this.itemNames(wakeup)) {
        if (await this.processLocked(lockPath, name, handler)) {
          dropWatcher(this.client, this.queuePath, wakeup.watcher, "children");
          return true;
        }
      }
      const how = await wakeup.wait(deadline, signal);
      if (how === "woken") continue;
      dropWatcher(this.client, this.queuePath, wakeup.watcher, "children");
      if (how === "aborted" && signal) throw abortError(signal);
      return false;
    }
  }

  /** How many nodes are queued (a multi-item node counts once). */
  async nodeCount(): Promise<number> {
    return (await this.itemNames()).length;
  }

  protected async putNode(namePrefix: string, items: readonly T[]): Promise<string> {
    const bytes = encodeQueueItems(items.map((item) => this.serializer.serialize(item)));
    await this.ensureQueue();
    // Not retried on connection loss: a second create would queue the items twice.
    return this.client.create(joinPath(this.queuePath, namePrefix), bytes, { mode: "persistentSequential" });
  }

  /** Item nodes in queue order (names sort by priority, then sequence); with a wakeup, watches for more. */
  private async itemNames(wakeup?: Wakeup): Promise<string[]> {
    const children = await retryIdempotent(() => this.client.getChildren(this.queuePath, wakeup ? { watch: wakeup.watcher } : {})).catch(
      async (err: unknown) => {
        if (!(err instanceof NoNodeError)) throw err;
        this.queueReady = undefined; // deleted under us: make it again next time
        wakeup?.fire();
        return [] as string[];
      },
    );
    return children.filter((name) => name.startsWith(QUEUE_ITEM_PREFIX)).sort();
  }

  /** Reads and deletes one node; undefined when another consumer got it first. */
  private async claim(name: string): Promise<ClaimedNode<T> | undefined> {
    const path = joinPath(this.queuePath, name);
    try {
      const { data, stat } = await retryIdempotent(() => this.client.getData(path));
      await this.client.delete(path, stat.version);
      return { name, items: decodeQueueItems(data, path).map((bytes) => this.serializer.deserialize(bytes)) };
    } catch (err) {
      if (err instanceof NoNodeError || err instanceof BadVersionError) return undefined;
      throw err;
    }
  }

  private async processLocked(lockPath: string, name: string, handler: (item: T) => Promise<void> | void): Promise<boolean> {
    const lockNode = joinPath(lockPath, name);
    try {
      await this.client.create(lockNode, null, { mode: "ephemeral" });
    } catch (err) {
      if (err instanceof NodeExistsError) return false; // another consumer is on it
      throw err;
    }
    const itemPath = joinPath(this.queuePath, name);
    try {
      let data: Buffer;
      try {
        data = (await retryIdempotent(() => this.client.getData(itemPath))).data;
      } catch (err) {
        if (err instanceof NoNodeError) return false; // processed just before we locked it
        throw err;
      }
      try {
        for (const bytes of decodeQueueItems(data, itemPath)) await handler(this.serializer.deserialize(bytes));
      } catch (err) {
        await this.afterFailure(itemPath, data);
        throw err;
      }
      await deleteQuietly(this.client, itemPath);
      return true;
    } finally {
      await deleteQuietly(this.client, lockNode).catch(() => undefined);
    }
  }

  /** Requeue = delete and re-add behind the others of its priority, atomically; or just delete. */
  private async afterFailure(itemPath: string, data: Buffer): Promise<void> {
    if (this.errorMode === "delete") return deleteQuietly(this.client, itemPath);
    const namePrefix = nodeNameOf(itemPath).replace(/\d{10}$/, "");
    await this.client
      .transaction()
      .delete(itemPath)
      .create(joinPath(this.queuePath, namePrefix), data, { mode: "persistentSequential" })
      .commit();
  }

  private ensureQueue(): Promise<void> {
    this.queueReady ??= ensurePersistent(this.client, this.queuePath).catch((err: unknown) => {
      this.queueReady = undefined;
      throw err;
    });
    return this.queueReady;
  }
}
