/** SharedCounter and AtomicLong against Herd: Curator's byte formats, watches, CAS, contention. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AtomicLong, SharedCounter } from "../../src/recipes/index.js";
import { freshPath, useClients, useServer, withTimeout } from "./support.js";

describe("SharedCounter (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("seeded once, 4-byte big-endian, changes seen by every participant, CAS on the version", async () => {
    const [a, b] = await Promise.all([clients.connect(server().connectString), clients.connect(server().connectString)]);
    const counterPath = freshPath("shared");
    const mine = new SharedCounter(a, counterPath, 7);
    const theirs = new SharedCounter(b, counterPath, 99);
    await mine.start();
    await theirs.start();
    assert.equal(theirs.count, 7, "the seed of whoever created it");
    assert.equal((await a.getData(counterPath)).data.toString("hex"), "00000007");

    const seen = new Promise<number>((resolve) => theirs.once("changed", resolve));
    await mine.setCount(-2);
    assert.equal(await withTimeout(seen, "change seen"), -2);
    assert.equal((await a.getData(counterPath)).data.toString("hex"), "fffffffe");

    const stale = mine.versioned;
    assert.equal(await theirs.trySetCount(theirs.versioned, 10), true);
    assert.equal(await mine.trySetCount(stale, 11), false, "someone changed it since");
    const fresh = await withTimeout(new Promise<number>((resolve) => (mine.count === 10 ? resolve(10) : mine.once("changed", resolve))), "refreshed");
    assert.equal(fresh, 10);
    assert.equal(await mine.trySetCount(mine.versioned, 11), true);
    mine.close();
    theirs.close();
  });
});

describe("AtomicLong (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("a missing node reads 0; 8-byte big-endian; CAS; forceSet; initialize", async () => {
    const zk = await clients.connect(server().connectString);
    const counterPath = freshPath("atomic");
    const n = new AtomicLong(zk, counterPath);
    assert.equal(await n.get(), 0n);
    assert.deepEqual(await n.increment(), { succeeded: true, preValue: 0n, postValue: 1n, attempts: 1 });
    assert.equal((await zk.getData(counterPath)).data.toString("hex"), "0000000000000001");
    assert.equal((await n.add(2n ** 40n)).postValue, 2n ** 40n + 1n);
    assert.equal((await n.compareAndSet(5n, 6n)).succeeded, false);
    assert.equal((await n.compareAndSet(2n ** 40n + 1n, -1n)).succeeded, true);
    assert.equal((await zk.getData(counterPath)).data.toString("hex"), "ffffffffffffffff");
    await n.forceSet(42n);
    assert.equal(await n.get(), 42n);
    assert.equal(await n.initialize(0n), false);
    assert.equal(await new AtomicLong(zk, `${counterPath}-fresh/deep`).initialize(9n), true);
  });

  test("concurrent increments from several sessions: every reported success is counted, nothing more", async () => {
    const zks = await Promise.all([0, 1, 2, 3].map(() => clients.connect(server().connectString)));
    const counterPath = freshPath("atomic-load");
    const perClient = 25;
    let failed = 0;
    await Promise.all(zks.map(async (zk) => {
      const n = new AtomicLong(zk, counterPath, { retries: 5, promotedLock: { path: `${counterPath}-lock`, timeoutMs: 10_000 } });
      for (let i = 0; i < perClient; i++) if (!(await n.increment()).succeeded) failed += 1;
    }));
    assert.equal(await new AtomicLong(zks[0]!, counterPath).get(), BigInt(zks.length * perClient - failed));
    // Under the lock, writers still racing optimistically can beat an attempt: failures are reported, never lost.
    assert.ok(failed < zks.length * perClient, "most increments land");
  });
});
