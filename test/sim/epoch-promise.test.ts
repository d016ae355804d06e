/**
 * A member whose acceptedEpoch (its promise) is above the epoch its peers established meanwhile must get back in,
 * without breaking that promise. The randomized simulator found it (seed 5545, 3 voters, no observer): server 3,
 * elected twice with one other vote, chose an epoch on that voter's FOLLOWERINFO each time and promised it to
 * itself, and each time the voter crashed before its LEADERINFO arrived; the other two then established an epoch
 * below 3's promise. Server 3 rightly refuses that leader ("leader's epoch is below our accepted epoch", as
 * ZooKeeper's learner does) and used to stay out until the next election, rejoining and being refused forever.
 * Now the established leader starts a new reign above the promise, and the member joins it.
 * These tests build that situation by hand on FIFO links (no randomness), with crashes and seeded disks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeZxid, type Entry, type ServerId } from "../../src/zab/index.js";
import { Cluster } from "./cluster.js";

/** Units one settle may take before we call it a livelock. */
const SETTLE_UNITS_MAX = 10_000;

function idle(c: Cluster): boolean {
  return c.network.inFlight() === 0 && [...c.nodes.values()].every((n) => !n.alive || !n.disk.hasPendingFsync());
}

/** Delivers messages and fsyncs one unit at a time until `done()` holds (true) or nothing is left to do (false). */
function settleUntil(c: Cluster, done: () => boolean): boolean {
  for (let unit = 0; unit < SETTLE_UNITS_MAX; unit++) {
    if (done()) return true;
    if (idle(c)) return false;
    c.step();
  }
  throw new Error(`the cluster does not settle: ${c.roles()}`);
}

/** Ticks every server, settling in between, until `done()`; fails after `ticksMax` ticks. */
function tickUntil(c: Cluster, what: string, done: () => boolean, ticksMax: number): void {
  for (let tick = 0; tick <= ticksMax; tick++) {
    if (settleUntil(c, done)) return;
    c.tickAll();
  }
  assert.fail(`${what}: not within ${ticksMax} ticks (${c.roles()})`);
}


function history(count: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({ zxid: makeZxid(1, i + 1), payload: Buffer.from(`h${i + 1}@0`) }));
}

function allSynced(c: Cluster, ids: readonly ServerId[]): boolean {
  return ids.every((id) => c.status(id)?.synced === true);
}

function epochOfLeader(c: Cluster): number | undefined {
  return c.leader()?.peer?.status().currentEpoch;
}

/**
 * Server 3 is elected with server 1's vote alone, chooses the next epoch once 1's FOLLOWERINFO arrives (a quorum
 * of accepted epochs: its own and 1's), promises it to itself, and 1 crashes before the LEADERINFO reaches it.
 */
function standAndLoseTheVoter(c: Cluster, epoch: number): void {
  tickUntil(c, `server 3 promising epoch ${epoch} to itself`, () => c.status(3)?.acceptedEpoch === epoch, 30);
  assert.equal(c.status(3)?.role, "leading");
  assert.equal(c.network.inFlight(), 1, "only the LEADERINFO to server 1 is in flight");
  c.crash(1);
}

/**
 * Seed 5545's history in miniature: 3 leads epoch 1, then stands twice as above (promising itself epochs 2 and
 * 3; in the seed, 7 and 8) while servers 1 and 2 keep accepted epoch 1.
 */
function candidateWithUnackedPromises(c: Cluster): void {
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 3);
  c.writes(3, 3);
  c.crash(2);
  c.restart(3); // server 1 loses its leader: 1 and 3 elect 3 again (same log, higher id)
  standAndLoseTheVoter(c, 2);
  c.start(1); // 3 still leads epoch 2's discovery, alone: 1 cannot join it, and 3 gives up after initLimit
  standAndLoseTheVoter(c, 3);
  assert.deepEqual([1, 2, 3].map((id) => c.node(id).disk.acceptedEpoch), [1, 1, 3]);
  assert.deepEqual([1, 2, 3].map((id) => c.node(id).disk.currentEpoch), [1, 1, 1]);
}

/** Servers 1 and 2 come back and establish the next epoch of theirs, 2, below server 3's promise. */
function peersEstablishBelowThePromise(c: Cluster): void {
  c.start(2);
  c.start(1);
  tickUntil(c, "servers 1 and 2 establishing epoch 2", () => c.leader()?.id === 2 && allSynced(c, [1]), 30);
  assert.equal(epochOfLeader(c), 2);
  c.writes(1, 2);
}

/** One leader, everyone synced with it, and every acknowledged write everywhere; then nothing changes for a while. */
function assertConvergedAndStable(c: Cluster, leader: ServerId, epoch: number): void {
  assert.equal(c.leader()?.id, leader, "the established leader kept leading: no election");
  assert.equal(epochOfLeader(c), epoch);
  c.checker.checkFinal([...c.nodes.values()].map((n) => ({ id: n.id, state: n.state })));
  const establishments = c.checker.establishments;
  const roles = c.roles();
  for (let round = 0; round < 20; round++) {
    c.writes(c.ids[round % c.ids.length], 1);
    c.tickAndSettle();
  }
  assert.equal(c.roles(), roles, "no flapping once the member joined");
  assert.equal(c.checker.establishments, establishments);
  assert.ok(c.converged());
}

test("a candidate's unacknowledged promise of a later epoch does not keep it out of its peers' lower epoch", () => {
  const c = new Cluster({ voters: 3, recordDeliveries: true });
  candidateWithUnackedPromises(c);
  peersEstablishBelowThePromise(c);
  const since = c.now;
  const establishedBefore = c.checker.establishments;
  // 3's discovery of epoch 3 times out; it joins the established leader 2, whose epoch it must not accept.
  tickUntil(c, "server 3 joining", () => c.converged(), 40);
  const epochAcks = c.delivered({ kind: "ackEpoch", from: 3, since }).map((d) => d.msg);
  assert.ok(epochAcks.length > 0);
  for (const m of epochAcks) assert.ok(m.kind === "ackEpoch" && m.epoch > 3, "3 never acknowledged an epoch below its promise");
  assert.equal(c.status(3)?.acceptedEpoch, 4, "2's new reign is just above 3's promise");
  assert.equal(c.checker.establishments, establishedBefore + 1, "one new reign, no election");
  assertConvergedAndStable(c, 2, 4);
});

test("the same promise, known only from the disk after a restart, is handled the same way", () => {
  const c = new Cluster({ voters: 3 });
  candidateWithUnackedPromises(c);
  c.crash(3);
  peersEstablishBelowThePromise(c);
  c.start(3);
  tickUntil(c, "server 3 joining after its restart", () => c.converged(), 40);
  assertConvergedAndStable(c, 2, 4);
});

test("a follower's promise to a leader that is gone (five voters) gets an epoch above it", () => {
  const c = new Cluster({ voters: 5 });
  for (const id of [1, 2, 3, 4]) c.node(id).seedDisk(1, 1, history(3));
  c.node(5).seedDisk(6, 1, history(2)); // it acked epoch 6 to a candidate that never established it
  for (const id of [1, 2, 3, 4]) c.start(id);
  tickUntil(c, "servers 1-4 establishing epoch 2", () => epochOfLeader(c) === 2 && allSynced(c, [1, 2, 3, 4]), 30);
  assert.equal(c.leader()?.id, 4);
  const acked = c.writes(2, 2);
  c.start(5);
  tickUntil(c, "server 5 joining", () => c.converged(), 40);
  assert.equal(c.status(5)?.acceptedEpoch, 7);
  for (const payload of acked) assert.ok(c.node(5).state.applied.some(([, p]) => p === payload));
  assertConvergedAndStable(c, 4, 7);
});

test("an observer with a promise above the established epoch is brought in too", () => {
  const c = new Cluster({ voters: 3, observers: 1 });
  for (const id of [1, 2, 3]) c.node(id).seedDisk(1, 1, history(3));
  c.node(4).seedDisk(5, 5, history(1)); // it synced with a leader of epoch 5 that never got a quorum
  for (const id of [1, 2, 3]) c.start(id);
  tickUntil(c, "the voters establishing epoch 2", () => epochOfLeader(c) === 2 && allSynced(c, [1, 2, 3]), 30);
  assert.equal(c.leader()?.id, 3);
  c.start(4);
  tickUntil(c, "the observer joining", () => c.converged(), 40);
  assert.equal(c.status(4)?.role, "observing");
  assertConvergedAndStable(c, 3, 6);
});
