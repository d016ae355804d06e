/**
 * Fast Leader Election scenarios on a simulated cluster driven by hand (no randomness, FIFO links):
 * the classic five-server start-up, vote ordering by (peerEpoch, zxid, sid), re-election after a leader
 * crash, joining an established leader, observers, and minorities that must not elect anyone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeZxid, type Entry } from "../../src/zab/index.js";
import { Cluster } from "./cluster.js";

function entry(epoch: number, counter: number): Entry {
  return { zxid: makeZxid(epoch, counter), payload: Buffer.from(`seed-${epoch}-${counter}@0`) };
}

function entries(epoch: number, count: number): Entry[] {
  return Array.from({ length: count }, (_, i) => entry(epoch, i + 1));
}

test("five fresh servers started in id order elect server 3; 4 and 5 follow it", () => {
  const c = new Cluster({ voters: 5, recordDeliveries: true });
  c.start(1);
  c.tickAndSettle(3);
  assert.equal(c.status(1)?.role, "looking", "server 1 alone is not a quorum");
  c.start(2);
  c.tickAndSettle(3);
  assert.equal(c.status(1)?.role, "looking");
  assert.equal(c.status(2)?.role, "looking", "1 and 2 both vote for 2, but two votes are not a quorum of five");
  assert.equal(c.node(1).peer?.status().electionEpoch, 1, "server 1 stayed in its first round");
  c.start(3);
  c.tickAndSettle(3);
  assert.equal(c.status(3)?.role, "leading");
  assert.equal(c.status(1)?.leader, 3);
  assert.equal(c.status(2)?.leader, 3);
  assert.ok(c.leader()?.id === 3 && c.status(1)?.synced && c.status(2)?.synced);
  for (const id of [4, 5]) {
    c.start(id);
    c.tickAndSettle(2);
    assert.equal(c.status(id)?.role, "following");
    assert.equal(c.status(id)?.leader, 3);
    assert.equal(c.status(id)?.synced, true);
  }
  assert.equal(c.status(3)?.role, "leading", "late starters do not disturb the leader");
  assert.equal(c.status(3)?.currentEpoch, 1);
  // Server 4 joined through the established leader's FOLLOWING/LEADING answers, not a new round.
  const toFour = c.delivered({ kind: "notification", to: 4 }).map((d) => d.msg);
  assert.ok(toFour.some((m) => m.kind === "notification" && m.state === "leading" && m.leader === 3));
});

test("three servers started together elect the highest id when histories are equal", () => {
  const c = new Cluster({ voters: 3 });
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 3);
  assert.ok(c.converged());
});

test("votes compare peerEpoch first, then zxid, then server id", () => {
  const c = new Cluster({ voters: 3 });
  c.node(1).seedDisk(2, 2, [...entries(1, 3), ...entries(2, 1)]); // epoch 2, short history
  c.node(2).seedDisk(1, 1, entries(1, 9)); // longer history in an older epoch
  c.node(3).seedDisk(2, 1, entries(1, 9)); // accepted 2 but never adopted it: peerEpoch 1
  c.startAll();
  c.tickAndSettle(4);
  assert.equal(c.leader()?.id, 1, "the highest currentEpoch wins over a longer log");
  assert.equal(c.status(1)?.currentEpoch, 3, "the new epoch is max(accepted) + 1");
  assert.ok(c.converged());
  // 2 and 3 had (1,4..9), which the leader never had: they were truncated to its history.
  assert.equal(c.node(2).disk.lastZxid(), makeZxid(2, 1));
  assert.equal(c.node(3).disk.lastZxid(), makeZxid(2, 1));
});

test("with equal epochs the longest log wins, then the highest id", () => {
  const c = new Cluster({ voters: 5 });
  c.node(2).seedDisk(1, 1, entries(1, 7));
  c.node(4).seedDisk(1, 1, entries(1, 7));
  for (const id of [1, 3, 5]) c.node(id).seedDisk(1, 1, entries(1, 5));
  c.startAll();
  c.tickAndSettle(4);
  assert.equal(c.leader()?.id, 4);
  assert.ok(c.converged());
  for (const id of c.ids) assert.equal(c.node(id).state.zxid, makeZxid(1, 7), `server ${id} has the whole history`);
});

test("after the leader crashes the best remaining server is elected in a new epoch", () => {
  const c = new Cluster({ voters: 5 });
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 5);
  for (let i = 0; i < 4; i++) c.write(1 + i);
  c.stabilize();
  c.crash(5);
  c.tickAndSettle(8); // followers notice the silence after syncLimit ticks
  assert.equal(c.leader()?.id, 4);
  assert.equal(c.status(4)?.currentEpoch, 2);
  assert.ok(c.converged());
  c.start(5);
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 4, "the old leader comes back as a follower");
  assert.equal(c.status(5)?.role, "following");
  assert.ok(c.converged());
});

test("a minority cannot elect a leader; the majority keeps or elects one", () => {
  const c = new Cluster({ voters: 5 });
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 5);
  c.partition([1, 2], [3, 4, 5]);
  c.tickAndSettle(10);
  assert.equal(c.status(1)?.role, "looking");
  assert.equal(c.status(2)?.role, "looking");
  assert.equal(c.leader()?.id, 5, "3, 4 and 5 are a quorum: the leader stays");
  c.crash(5);
  c.tickAndSettle(10);
  assert.equal(c.leader(), undefined, "two of five cannot elect, on either side");
  for (const id of [1, 2, 3, 4]) assert.equal(c.status(id)?.role, "looking");
  c.heal();
  c.tickAndSettle(4);
  assert.equal(c.leader()?.id, 4);
  assert.ok(c.converged());
});

test("observers never lead or vote, and follow whoever the participants elected", () => {
  const c = new Cluster({ voters: 3, observers: 2 }); // servers 4 and 5 observe
  for (const id of [1, 2, 3, 4]) c.node(id).seedDisk(1, 1, entries(1, 5));
  c.node(5).seedDisk(1, 1, entries(1, 9)); // the best history of all, but an observer's
  c.startAll();
  c.tickAndSettle(4);
  assert.equal(c.leader()?.id, 3);
  assert.equal(c.status(4)?.role, "observing");
  assert.equal(c.status(5)?.role, "observing");
  assert.equal(c.status(5)?.leader, 3);
  assert.ok(c.converged(), "the observer's longer history was truncated to the leader's");
  assert.equal(c.node(5).disk.lastZxid(), makeZxid(1, 5));
  c.crash(1);
  c.crash(2);
  c.tickAndSettle(10);
  assert.equal(c.leader(), undefined, "one participant and two observers are not a quorum");
});

test("a single participant elects itself and commits alone", () => {
  const c = new Cluster({ voters: 1, observers: 1 });
  c.startAll();
  c.tickAndSettle(2);
  assert.equal(c.leader()?.id, 1);
  assert.ok(c.write(2) !== null && c.write(1) !== null);
  c.stabilize();
  assert.ok(c.converged());
  assert.equal(c.acked, 2);
});
