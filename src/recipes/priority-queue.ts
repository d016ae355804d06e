/**
 * PriorityQueue: a DistributedQueue whose node names carry the priority before the sequence, as Curator's
 * DistributedPriorityQueue does: `queue-` + (`1` for priority ≥ 0, `0` below) + the priority as 8 hex digits
 * (two's complement) + the sequence. Names sort lowest priority value first, then FIFO within a priority.
 */
import type { ZooKeeperClient } from "../client/index.js";
import { DistributedQueue, QUEUE_ITEM_PREFIX, type DistributedQueueOptions } from "./queue.js";

/** Curator's priority encoding: sorts as the signed 32-bit number does. */
export function priorityTag(priority: number): string {
  if (!Number.isInteger(priority) || priority < -(2 ** 31) || priority >= 2 ** 31) throw new RangeError(`priority must be a 32-bit integer, got ${priority}`);
  const unsigned = priority >>> 0;
  return `${priority >= 0 ? "1" : "0"}${unsigned.toString(16).toUpperCase().padStart(8, "0")}`;
}

/**
 * A distributed priority queue (Curator's DistributedPriorityQueue): lower numbers are taken first.
 *
 * ```ts
 * const q = new PriorityQueue(zk, "/queues/alerts", { serializer: stringSerializer });
 * await q.put("disk full", 0);
 * await q.put("nightly report", 10);
 * await q.take(); // "disk full"
 * ```
 */
export class PriorityQueue<T> extends DistributedQueue<T> {
  constructor(client: ZooKeeperClient, queuePath: string, options: DistributedQueueOptions<T>) {
    super(client, queuePath, options);
  }

  /** Adds an item with priority 0. */
  override put(item: T): Promise<string>;
  /** Adds an item; lower `priority` values are taken first. */
  override put(item: T, priority: number): Promise<string>;
  override put(item: T, priority = 0): Promise<string> {
    return this.putNode(QUEUE_ITEM_PREFIX + priorityTag(priority), [item]);
  }

  /** Adds several items as one node with one priority. */
  override putMulti(items: readonly T[], priority = 0): Promise<string> {
    if (items.length === 0) throw new RangeError("putMulti needs at least one item");
    return this.putNode(QUEUE_ITEM_PREFIX + priorityTag(priority), items);
  }
}
