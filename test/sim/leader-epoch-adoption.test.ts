/**
 * A leader adopts its epoch as current (the currentEpoch file, and the peerEpoch of its votes) only once its own
 * history is durable. Its followers can establish the epoch before the leader's own fsync finishes; the leader then
 * used to keep its old currentEpoch for the whole reign. Found by the randomized simulator while chasing seed 5545:
 * - liveness (5 voters, seeds 5108, 5352, 6154, 6232, 7110): a follower that had adopted the new epoch and
 *   restarted looked ahead of the leader in LEADERINFO, and refused it on every rejoin;
 * - safety (3 voters, seed 14756): the leader's votes understated its history, so a server that had adopted the
 *   epoch but missed its writes won the next election and truncated a committed, acknowledged write from it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "./cluster.js";

/** Far more units than the elections and syncs below take: the slow server's log stays undurable meanwhile. */
const SLOW_FSYNC_UNITS = 1000;

function epochOfLeader(c: Cluster): number | undefined {
  return c.leader()?.peer?.status().currentEpoch;
}

function tickUntil(c: Cluster, what: string, done: () => boolean, ticksMax: number): void {
  for (let tick = 0; tick < ticksMax; tick++) {
    if (c.runUntil(done, 2)) return;
    c.tickAll();
  }
  assert.fail(`${what}: not within ${ticksMax} ticks (${c.roles()})`);
}

/** Server 2 holds a committed write in memory only, then leads epoch 2, established by 1 and 3 alone. */
function leaderEstablishedBeforeItsFsync(c: Cluster): void {
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 3);
  c.setFsyncDelay(2, [SLOW_FSYNC_UNITS, SLOW_FSYNC_UNITS]);
  assert.ok(c.write(3) !== null);
  c.runUnits(10); // committed by 3 and 1
  c.crash(3); // 1 and 2 elect 2 (same last zxid, higher id); 2 cannot ack its own NEWLEADER yet
  tickUntil(c, "server 2 leading", () => c.status(2)?.role === "leading" && c.status(1)?.phase === "syncing", 10);
  c.start(3);
  tickUntil(c, "1 and 3 establishing epoch 2", () => c.leader()?.id === 2, 10);
  assert.ok(c.node(2).disk.hasPendingFsync());
  assert.equal(c.status(2)?.currentEpoch, 1, "its history is not durable yet");
}

test("a leader's committed write survives the election after its reign (votes carry the epoch it adopted)", () => {
  const c = new Cluster({ voters: 3 });
  leaderEstablishedBeforeItsFsync(c);
  c.crash(1); // its log ends where epoch 2 began, and its currentEpoch is 2
  c.stabilize();
  assert.equal(c.status(2)?.currentEpoch, 2);
  const write = c.write(2);
  assert.ok(write !== null);
  c.stabilize();
  assert.ok(c.checker.acked.has(write), "committed by 2 and 3, acknowledged");
  c.crash(3);
  tickUntil(c, "server 2 losing its quorum", () => c.status(2)?.role === "looking", 20);
  c.start(1); // 1 has currentEpoch 2 and a shorter log: 2 must win on its longer log in the same epoch
  tickUntil(c, "1 and 2 establishing epoch 3", () => c.converged() && epochOfLeader(c) === 3, 20);
  assert.equal(c.leader()?.id, 2);
  c.start(3);
  tickUntil(c, "everyone synced", () => c.converged(), 20);
  c.checker.checkFinal([...c.nodes.values()].map((n) => ({ id: n.id, state: n.state })));
});

test("a leader established before its own fsync adopts its epoch once durable; a restarted follower rejoins it", () => {
  const c = new Cluster({ voters: 5 });
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, 5);
  c.setFsyncDelay(4, [SLOW_FSYNC_UNITS, SLOW_FSYNC_UNITS]);
  for (let i = 0; i < 3; i++) assert.ok(c.write(5) !== null);
  c.runUnits(10); // 1, 2 and 3 ack and the writes commit; 4 holds them in memory only
  assert.ok(c.node(4).disk.hasPendingFsync());
  c.crash(5);
  tickUntil(c, "server 4 establishing epoch 2", () => c.leader()?.id === 4, 10);
  assert.ok(c.node(4).disk.hasPendingFsync(), "established by 1, 2 and 3 before its own history was durable");
  assert.equal(c.status(4)?.currentEpoch, 1, "not adopted yet: its history is not durable");
  assert.equal(c.status(3)?.currentEpoch, 2);
  c.stabilize(); // 4's fsync completes
  assert.equal(c.status(4)?.currentEpoch, 2, "adopted once durable, in broadcast");
  assert.equal(c.node(4).disk.currentEpoch, 2);
  c.restart(3);
  tickUntil(c, "server 3 rejoining", () => c.status(3)?.synced === true, 20);
  c.start(5);
  tickUntil(c, "everyone synced", () => c.converged(), 20);
  assert.equal(c.leader()?.id, 4);
  c.checker.checkFinal([...c.nodes.values()].map((n) => ({ id: n.id, state: n.state })));
});
