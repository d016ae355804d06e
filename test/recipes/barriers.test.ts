/** Barrier and DoubleBarrier against Herd: waiting, release, timeouts, entering and leaving together. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Barrier, DoubleBarrier } from "../../src/recipes/index.js";
import { WAIT_MS, freshPath, useClients, useServer, waitForChildren, withTimeout } from "./support.js";

describe("Barrier (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("waiters pass only once the barrier is removed; a missing barrier does not hold anyone", async () => {
    const [coordinator, worker] = await Promise.all([clients.connect(server().connectString), clients.connect(server().connectString)]);
    const barrierPath = freshPath("barrier");
    const mine = new Barrier(coordinator, `${barrierPath}/gate`);
    assert.equal(await new Barrier(worker, `${barrierPath}/gate`).waitOnBarrier(0), true, "no barrier: pass");
    await mine.setBarrier();
    await mine.setBarrier(); // idempotent
    assert.equal(await new Barrier(worker, `${barrierPath}/gate`).waitOnBarrier(0), false, "held");
    const waiters = [0, 1, 2].map(() => new Barrier(worker, `${barrierPath}/gate`).waitOnBarrier(WAIT_MS));
    await mine.removeBarrier();
    assert.deepEqual(await withTimeout(Promise.all(waiters), "waiters released"), [true, true, true]);
    await mine.removeBarrier(); // idempotent
  });
});

describe("DoubleBarrier (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("members enter only when all are there, and leave only when all have left", async () => {
    const zks = await Promise.all([0, 1, 2].map(() => clients.connect(server().connectString)));
    const barrierPath = freshPath("double");
    const barriers = zks.map((zk) => new DoubleBarrier(zk, barrierPath, 3));
    const entered: number[] = [];
    const entering = barriers.slice(0, 2).map((b, i) => b.enter(WAIT_MS).then((ok) => {
      assert.equal(ok, true);
      entered.push(i);
    }));
    await waitForChildren(zks[0]!, barrierPath, (c) => c.length === 2, "two members in");
    assert.deepEqual(entered, [], "nobody passes with 2 of 3");
    assert.equal(await barriers[2]!.enter(WAIT_MS), true);
    await withTimeout(Promise.all(entering), "everyone entered");
    assert.ok((await zks[0]!.getChildren(barrierPath)).includes("ready"));

    const left: number[] = [];
    const leaving = barriers.slice(0, 2).map((b, i) => b.leave(WAIT_MS).then((ok) => {
      assert.equal(ok, true);
      left.push(i);
    }));
    // The lowest-named member keeps its node until last; any other member removes its own at once.
    await waitForChildren(zks[0]!, barrierPath, (c) => c.filter((n) => n !== "ready").length < 3, "a member started leaving");
    assert.deepEqual(left, [], "nobody is done while a member is still inside");
    assert.equal(await barriers[2]!.leave(WAIT_MS), true);
    await withTimeout(Promise.all(leaving), "everyone left");
    assert.deepEqual((await zks[0]!.getChildren(barrierPath).catch(() => [])).filter((n) => n !== "ready"), []);
  });

  test("enter times out when too few members come, and takes its node back", async () => {
    const zk = await clients.connect(server().connectString);
    const barrierPath = freshPath("double-timeout");
    assert.equal(await new DoubleBarrier(zk, barrierPath, 2).enter(200), false);
    assert.deepEqual(await zk.getChildren(barrierPath), []);
  });
});
