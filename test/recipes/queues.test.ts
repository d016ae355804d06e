/**
 * DistributedQueue and PriorityQueue against Herd: FIFO and priority order, Curator's node names and item
 * envelope, multi-item nodes, waiting takes, every item taken exactly once by competing consumers, and
 * lock-safe processing that requeues on failure.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DistributedQueue, PriorityQueue, jsonSerializer, priorityTag, stringSerializer } from "../../src/recipes/index.js";
import { decodeQueueItems, encodeQueueItems } from "../../src/recipes/codec.js";
import { WAIT_MS, freshPath, useClients, useServer, withTimeout } from "./support.js";

describe("queue item envelope", () => {
  test("Curator's ItemSerializer bytes, both ways", () => {
    const bytes = encodeQueueItems([Buffer.from("ab"), Buffer.alloc(0)]);
    assert.equal(bytes.toString("hex"), "00010001" + "01" + "00000002" + "6162" + "01" + "00000000" + "02");
    assert.deepEqual(decodeQueueItems(bytes, "/q"), [Buffer.from("ab"), Buffer.alloc(0)]);
    assert.throws(() => decodeQueueItems(Buffer.from("0001000101000000ff02", "hex"), "/q"), /corrupt/);
  });

  test("priority tags sort as the numbers do", () => {
    const priorities = [-(2 ** 31), -5, -1, 0, 1, 7, 2 ** 31 - 1];
    const tags = priorities.map(priorityTag);
    assert.deepEqual([...tags].sort(), tags);
    assert.equal(priorityTag(1), "100000001");
    assert.equal(priorityTag(-1), "0FFFFFFFF");
  });
});

describe("DistributedQueue (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("FIFO through Curator's queue- nodes; poll on empty; take waits for a put", async () => {
    const zk = await clients.connect(server().connectString);
    const queuePath = freshPath("queue");
    const q = new DistributedQueue(zk, queuePath, { serializer: stringSerializer });
    assert.equal(await q.poll(), undefined);
    const itemPath = await q.put("one");
    assert.match(itemPath, /\/queue-\d{10}$/);
    await q.put("two");
    await q.putMulti(["three", "four"]);
    assert.equal(await q.nodeCount(), 3);
    assert.deepEqual([await q.take(WAIT_MS), await q.take(WAIT_MS), await q.take(WAIT_MS), await q.take(WAIT_MS)], ["one", "two", "three", "four"]);
    assert.equal(await q.nodeCount(), 0);
    const waiting = q.take(WAIT_MS);
    await new DistributedQueue(zk, queuePath, { serializer: stringSerializer }).put("late");
    assert.equal(await waiting, "late");
    assert.equal(await q.take(50), undefined, "take times out on an empty queue");
  });

  test("competing consumers take every item exactly once", async () => {
    const zks = await Promise.all([0, 1, 2].map(() => clients.connect(server().connectString)));
    const queuePath = freshPath("queue-consumers");
    const producer = new DistributedQueue(zks[0]!, queuePath, { serializer: jsonSerializer });
    const count = 60;
    for (let i = 0; i < count; i++) await producer.put(i);
    const taken: unknown[] = [];
    await Promise.all(zks.map(async (zk) => {
      const consumer = new DistributedQueue(zk, queuePath, { serializer: jsonSerializer });
      for (let item = await consumer.poll(); item !== undefined; item = await consumer.poll()) taken.push(item);
    }));
    assert.deepEqual([...taken].sort((a, b) => Number(a) - Number(b)), Array.from({ length: count }, (_, i) => i));
  });

  test("lock-safe processing: a failed handler requeues the item, a good one removes it", async () => {
    const zk = await clients.connect(server().connectString);
    const queuePath = freshPath("queue-safe");
    const q = new DistributedQueue(zk, queuePath, { serializer: stringSerializer, lockPath: `${queuePath}-locks` });
    await q.put("job");
    await assert.rejects(q.processNext(() => {
      throw new Error("handler failed");
    }, WAIT_MS), /handler failed/);
    assert.equal(await q.nodeCount(), 1, "requeued");
    const seen: string[] = [];
    assert.equal(await q.processNext((item) => void seen.push(item), WAIT_MS), true);
    assert.deepEqual(seen, ["job"]);
    assert.equal(await q.nodeCount(), 0);
    assert.deepEqual(await zk.getChildren(`${queuePath}-locks`), [], "claim released");
    assert.equal(await q.processNext(() => undefined, 50), false);
  });
});

describe("PriorityQueue (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("lower priorities first, FIFO within one priority, Curator's node names", async () => {
    const zk = await clients.connect(server().connectString);
    const q = new PriorityQueue(zk, freshPath("pq"), { serializer: stringSerializer });
    assert.match(await q.put("low", 10), /\/queue-10000000A\d{10}$/);
    await q.put("urgent", -3);
    await q.put("normal-1", 0);
    await q.put("normal-2", 0);
    await q.putMulti(["batch-a", "batch-b"], 5);
    const order: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) order.push(await withTimeout(q.take(WAIT_MS), "take"));
    assert.deepEqual(order, ["urgent", "normal-1", "normal-2", "batch-a", "batch-b", "low"]);
  });
});
