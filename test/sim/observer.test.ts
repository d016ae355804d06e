/**
 * Observers on a hand-driven simulated cluster: they learn committed entries through INFORM, never vote,
 * never count towards a commit, forward their clients' writes, and follow whichever leader is elected.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeZxid } from "../../src/zab/index.js";
import { Cluster } from "./cluster.js";

function observed(c: Cluster): Cluster {
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 3);
  return c;
}

test("observers learn committed entries as INFORM, never as PROPOSAL, and never ack them", () => {
  const c = observed(new Cluster({ voters: 3, observers: 1, recordDeliveries: true }));
  const since = c.now;
  for (let i = 0; i < 4; i++) c.write(1 + (i % 3));
  c.stabilize();
  assert.equal(c.delivered({ kind: "inform", to: 4, since }).length, 4);
  assert.equal(c.delivered({ kind: "proposal", to: 4, since }).length, 0);
  assert.equal(c.delivered({ kind: "ack", from: 4, since }).length, 0);
  assert.ok(c.converged());
  assert.deepEqual(c.node(4).state.applied, c.node(3).state.applied);
});

test("observers do not count towards a commit quorum", () => {
  const c = observed(new Cluster({ voters: 3, observers: 2 }));
  c.crash(1);
  c.crash(2);
  c.write(3);
  c.stabilize();
  assert.equal(c.node(3).state.zxid, 0n, "one participant and two observers: nothing commits");
  assert.equal(c.node(4).state.zxid, 0n);
  c.tickAndSettle(7);
  assert.equal(c.status(3)?.role, "looking", "the leader lost its quorum");
  c.tickAndSettle(6);
  assert.equal(c.status(4)?.role, "looking", "the observer noticed its leader went quiet");
  assert.equal(c.leader(), undefined);
});

test("a write taken by an observer is forwarded to the leader and acknowledged once the observer applies it", () => {
  const c = observed(new Cluster({ voters: 3, observers: 1 }));
  const payload = c.write(4);
  assert.ok(payload !== null);
  c.stabilize();
  assert.equal(c.checker.acked.get(payload), makeZxid(1, 1));
});

test("after a leader change observers observe the new leader and catch up", () => {
  const c = observed(new Cluster({ voters: 3, observers: 1 }));
  c.write(1);
  c.stabilize();
  c.crash(3);
  c.tickAndSettle(8);
  assert.equal(c.leader()?.id, 2);
  assert.equal(c.status(4)?.role, "observing");
  assert.equal(c.status(4)?.leader, 2);
  c.write(4);
  c.stabilize();
  assert.ok(c.converged());
  assert.equal(c.node(4).state.zxid, makeZxid(2, 1));
});
