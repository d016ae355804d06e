/**
 * zxid counter exhaustion: before the counter would overflow the leader stops taking writes, lets what it
 * proposed commit, and steps down so a new election starts a new epoch (counter back to 1).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { COUNTER_LIMIT_DEFAULT, COUNTER_MAX, epochOf, makeZxid } from "../../src/zab/index.js";
import { Cluster } from "./cluster.js";

test("the leader steps down at the zxid counter limit and the next epoch continues", () => {
  const c = new Cluster({ voters: 3, tuning: { zxidCounterLimit: 4 } });
  c.startAll();
  c.tickAndSettle(3);
  const leader = c.leader();
  assert.equal(leader?.id, 3);
  const accepted = [1, 2, 3, 4].map(() => c.write(3));
  assert.ok(accepted.every((p) => p !== null));
  assert.equal(leader?.peer?.canPropose(), false, "counter 4 is the last one this epoch may use");
  assert.equal(c.write(3), null);
  const forwarded = c.write(1); // the follower forwards it; the leader drops it (a real client would retry)
  c.stabilize();
  assert.ok(forwarded !== null && !c.checker.acked.has(forwarded));
  assert.equal(c.node(3).state.zxid, makeZxid(1, 4), "what was proposed commits before the step-down");
  c.tickAndSettle(1);
  assert.notEqual(c.status(3)?.role, "leading");
  c.tickAndSettle(8);
  const next = c.leader();
  assert.ok(next !== undefined);
  assert.equal(next.peer?.status().currentEpoch, 2);
  assert.ok(c.write(next.id) !== null);
  c.stabilize();
  assert.ok(c.converged());
  assert.equal(c.node(1).state.zxid, makeZxid(2, 1));
  assert.equal(epochOf(c.node(1).state.zxid), 2);
});

test("the default limit keeps the last counter value unused", () => {
  assert.equal(COUNTER_LIMIT_DEFAULT, COUNTER_MAX - 1);
  assert.throws(() => new Cluster({ voters: 1, tuning: { zxidCounterLimit: COUNTER_MAX } }).startAll(), /zxidCounterLimit/);
});
