/**
 * ZAB broadcast on a hand-driven simulated cluster: ordering, the persist-before-ack rule, quorum commits,
 * silence limits on both sides, repair of lost proposals and commits, sync, forwarding and session touches.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeZxid, type ZabMessage } from "../../src/zab/index.js";
import { Cluster } from "./cluster.js";

type Msg<K extends ZabMessage["kind"]> = Extract<ZabMessage, { kind: K }>;

function elected(c: Cluster, leader: number): Cluster {
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, leader);
  return c;
}

test("writes taken at every server commit everywhere, in one zxid order", () => {
  const c = elected(new Cluster({ voters: 5 }), 5);
  const payloads = [1, 2, 3, 4, 5, 1, 2].map((id) => c.write(id));
  assert.ok(payloads.every((p) => p !== null));
  c.stabilize();
  assert.ok(c.converged());
  assert.equal(c.acked, payloads.length);
  const order = c.node(1).state.applied.map(([z]) => z);
  assert.deepEqual(order, payloads.map((_, i) => makeZxid(1, i + 1)));
  for (const id of c.ids) assert.deepEqual(c.node(id).state.applied, c.node(1).state.applied);
});

test("a follower acks only once its log is durable; the leader commits with a quorum meanwhile", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.setFsyncDelay(1, [40, 40]);
  const since = c.now;
  c.write(3);
  c.runUnits(5);
  assert.equal(c.node(1).disk.lastZxid(), makeZxid(1, 1), "server 1 logged the proposal");
  assert.equal(c.delivered({ kind: "ack", from: 1, since }).length, 0, "but does not ack before its fsync");
  assert.equal(c.node(3).state.zxid, makeZxid(1, 1), "3 and 2 are a quorum: committed");
  assert.equal(c.node(1).state.zxid, 0n, "1 applies nothing that is not durable locally");
  c.runUnits(40);
  const acks = c.delivered({ kind: "ack", from: 1, since });
  assert.equal(acks.length, 1);
  assert.ok(acks[0].at >= since + 40);
  assert.ok(c.converged());
});

test("an ack covers only what is durable, even when later entries are already logged", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.setFsyncDelay(1, [10, 10]);
  const since = c.now;
  c.write(3);
  c.runUnits(1);
  c.write(3); // reaches 1 while its first fsync is still running
  c.runUnits(30);
  const acks = c.delivered({ kind: "ack", from: 1, since }).map((d) => (d.msg as Msg<"ack">).zxid);
  assert.deepEqual(acks, [makeZxid(1, 1), makeZxid(1, 2)]);
  assert.ok(c.converged());
});

test("without a quorum nothing commits, and the leader steps down after syncLimit ticks", () => {
  const c = elected(new Cluster({ voters: 3 }), 3);
  c.crash(1);
  c.crash(2);
  assert.ok(c.write(3) !== null, "the leader does not know yet");
  c.stabilize();
  assert.equal(c.node(3).state.zxid, 0n);
  c.tickAndSettle(5);
  assert.equal(c.status(3)?.role, "leading");
  c.tickAndSettle(2);
  assert.equal(c.status(3)?.role, "looking", "lost the quorum of synced followers");
  c.start(1);
  c.start(2);
  c.tickAndSettle(4);
  assert.ok(c.converged());
  assert.equal(c.node(1).state.zxid, makeZxid(1, 1), "the proposal was in the new leader's log: it commits now");
});

test("a follower cut off from its leader goes looking after syncLimit ticks, and the leader drops it", () => {
  const c = elected(new Cluster({ voters: 3 }), 3);
  c.network.cut(1, 3);
  c.tickAndSettle(5);
  assert.equal(c.status(1)?.role, "following");
  c.tickAndSettle(2);
  assert.equal(c.status(1)?.role, "looking");
  assert.deepEqual(c.status(3)?.learners.map((l) => l.id), [2]);
  assert.equal(c.status(3)?.role, "leading", "2 and 3 are still a quorum");
  c.tickAndSettle(5);
  assert.equal(c.status(1)?.role, "looking", "1 hears 2 follow 3 but never hears 3 itself: it does not join blindly");
  c.heal();
  c.tickAndSettle(3);
  assert.ok(c.converged());
});

test("a lost proposal makes the follower rejoin and catch up", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.network.cutOneWay(3, 1);
  c.write(3);
  c.stabilize();
  c.heal();
  c.write(3);
  c.stabilize();
  assert.equal(c.counts.get("rejoin"), 1, "the second proposal's prevZxid shows the gap");
  c.tickAndSettle(2);
  assert.ok(c.converged());
  assert.equal(c.node(1).state.zxid, makeZxid(1, 2));
});

test("a lost commit is repaired by the leader's next ping", () => {
  const c = elected(new Cluster({ voters: 3 }), 3);
  c.setFsyncDelay(3, [5, 5]); // 1 and 2 ack before 3's own copy is durable: they learn of the commit by COMMIT
  c.write(3);
  c.runUnits(2); // proposal delivered, 1 and 2 acked
  c.network.cutOneWay(3, 1); // the COMMIT to 1 is lost (and the LEADERACK that would have stood in for it)
  c.stabilize();
  c.heal();
  assert.equal(c.node(1).state.zxid, 0n);
  assert.equal(c.node(2).state.zxid, makeZxid(1, 1));
  c.tickAndSettle(1);
  assert.equal(c.node(1).state.zxid, makeZxid(1, 1));
  assert.equal(c.counts.get("rejoin") ?? 0, 0);
});

test("sync on a lagging follower completes only after it applied what the leader had proposed", () => {
  const c = elected(new Cluster({ voters: 3 }), 3);
  c.setFsyncDelay(1, [60, 60]);
  c.write(3);
  c.write(2);
  c.runUnits(6);
  assert.equal(c.acked, 2, "acknowledged by 3 and 2");
  assert.ok(c.sync(1));
  c.runUnits(10);
  assert.equal(c.node(1).syncsDone.length, 0, "the leader answered, but 1 has not applied the writes yet");
  c.runUnits(60);
  assert.deepEqual(c.node(1).syncsDone, [{ token: "s1", appliedZxid: makeZxid(1, 2) }]);
  assert.ok(c.sync(3));
  assert.equal(c.node(3).syncsDone.length, 0, "even on the leader a sync waits for a quorum to answer a ping");
  c.stabilize();
  assert.equal(c.node(3).syncsDone.length, 1);
});

test("a stale leader cannot complete a sync: a newer epoch's followers do not answer its pings", () => {
  const c = elected(new Cluster({ voters: 3 }), 3);
  c.isolate(3);
  for (let i = 0; i < 8; i++) { // 3 is frozen (no ticks): it does not know it lost its followers
    c.tick([1, 2]);
    c.stabilize();
  }
  assert.equal(c.status(2)?.role, "leading");
  assert.equal(c.status(2)?.synced, true, "1 and 2 established epoch 2 while 3 still leads epoch 1 in its own mind");
  const acked = c.write(1);
  c.stabilize();
  assert.ok(acked !== null && c.checker.acked.has(acked));
  c.heal();
  assert.equal(c.status(3)?.role, "leading", "3 still believes it leads epoch 1");
  assert.ok(c.sync(3), "it accepts the sync ...");
  c.stabilize();
  assert.equal(c.node(3).syncsDone.length, 0, "... but can never confirm it: it would have missed the new write");
  c.tickAndSettle(5);
  assert.equal(c.node(3).syncsDone.length, 0);
  c.tickAndSettle(3);
  assert.equal(c.status(3)?.role, "following", "after syncLimit ticks of its own without answers, 3 joined epoch 2");
  assert.ok(c.converged());
  assert.equal(c.node(3).syncsDone.length, 0, "the sync died with its leader role (the runtime fails it)");
});

test("forward, sync and session touches need a synced learner; touches ride on its pings", () => {
  const c = new Cluster({ voters: 3 });
  c.start(1);
  assert.equal(c.node(1).peer?.forward(Buffer.from("x")), false);
  assert.equal(c.node(1).peer?.sync(Buffer.from("t")), false);
  assert.equal(c.node(1).peer?.queueSessionTouches(Buffer.from("t")), false);
  c.start(2);
  c.start(3);
  c.tickAndSettle(3);
  assert.ok(c.node(1).peer?.queueSessionTouches(Buffer.from("session 0x1 touched")));
  c.tickAndSettle(1);
  assert.deepEqual(c.node(3).touches, [{ from: 1, bytes: "session 0x1 touched" }]);
});

test("proposals go to followers before the leader's own fsync; its ack counts once durable", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.setFsyncDelay(3, [30, 30]);
  c.setFsyncDelay(2, [30, 30]);
  const since = c.now;
  c.write(3);
  c.runUnits(3);
  assert.equal(c.delivered({ kind: "proposal", since }).length, 2);
  assert.equal(c.node(3).state.zxid, 0n, "only 1 has it durably: not a quorum");
  c.runUnits(30);
  assert.equal(c.node(3).state.zxid, makeZxid(1, 1));
  const commit = c.delivered({ kind: "commit", to: 1, since })[0]?.msg as Msg<"commit"> | undefined;
  assert.equal(commit?.zxid, makeZxid(1, 1));
});
