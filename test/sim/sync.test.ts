/**
 * Transcript-style tests of ZAB synchronisation on a hand-driven simulated cluster: which of DIFF, TRUNC or
 * SNAP a returning learner gets, what the stream carries, and that every server ends in the same state.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatZxid, makeZxid, type Entry, type ZabMessage } from "../../src/zab/index.js";
import { Cluster } from "./cluster.js";
import { genesis, replay } from "./state-machine.js";

type Msg<K extends ZabMessage["kind"]> = Extract<ZabMessage, { kind: K }>;

function only<K extends ZabMessage["kind"]>(c: Cluster, kind: K, to: number, since: number): Msg<K> {
  const found = c.delivered({ kind, to, since });
  assert.equal(found.length, 1, `expected one ${kind} to ${to}, got ${found.length}`);
  return found[0].msg as Msg<K>;
}


function zx(epoch: number, counter: number): bigint {
  return makeZxid(epoch, counter);
}

function elected(c: Cluster, voters: number): Cluster {
  c.startAll();
  c.tickAndSettle(3);
  assert.equal(c.leader()?.id, voters);
  return c;
}

test("DIFF: a follower that missed writes gets exactly the missing entries", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.writes(3, 2);
  c.crash(1);
  c.writes(2, 3); // forwarded by 2, committed by 2 and 3
  const since = c.now;
  c.start(1);
  c.tickAndSettle(3);
  const diff = only(c, "diff", 1, since);
  assert.equal(diff.basis, zx(1, 2));
  const streamed = c.delivered({ kind: "proposal", to: 1, since }).map((d) => (d.msg as Msg<"proposal">).zxid);
  assert.deepEqual(streamed, [zx(1, 3), zx(1, 4), zx(1, 5)]);
  assert.equal(c.delivered({ kind: "trunc", to: 1, since }).length + c.delivered({ kind: "snap", to: 1, since }).length, 0);
  assert.ok(c.converged());
  assert.equal(c.node(1).state.zxid, zx(1, 5));
});

test("TRUNC: proposals a partitioned leader logged alone are dropped when it rejoins", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  const committed = c.writes(3, 2);
  c.isolate(3);
  const orphans = c.writes(3, 2); // logged by 3 only, never committed
  assert.equal(c.node(3).disk.lastZxid(), zx(1, 4));
  c.tickAndSettle(8);
  assert.equal(c.leader()?.id, 2, "1 and 2 elect 2 after syncLimit ticks of silence");
  assert.equal(c.status(3)?.role, "looking", "3 stepped down: no quorum");
  const fresh = c.writes(1, 2);
  c.heal();
  const since = c.now;
  c.tickAndSettle(4);
  const trunc = only(c, "trunc", 3, since);
  assert.equal(trunc.basis, zx(1, 4));
  assert.equal(trunc.truncateAfter, zx(1, 2), "the last zxid both histories share");
  const streamed = c.delivered({ kind: "proposal", to: 3, since }).map((d) => formatZxid((d.msg as Msg<"proposal">).zxid));
  assert.deepEqual(streamed, [formatZxid(zx(2, 1)), formatZxid(zx(2, 2))]);
  assert.ok(c.converged());
  assert.equal(c.node(3).disk.entryAt(zx(1, 3)), undefined);
  for (const p of orphans) assert.ok(!c.checker.acked.has(p), `${p} was never acknowledged`);
  for (const p of [...committed, ...fresh]) assert.ok(c.node(3).state.applied.some(([, q]) => q === p));
});

test("TRUNC below what a replaying server applied makes it rebuild its state", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.writes(3, 2);
  c.isolate(3);
  c.writes(3, 3);
  c.tickAndSettle(8);
  c.writes(2, 1);
  c.crash(3);
  c.heal();
  c.start(3, "replay"); // ZooKeeper-style recovery: the orphans are applied again at start-up
  assert.equal(c.node(3).state.zxid, zx(1, 5));
  c.tickAndSettle(4);
  assert.equal(c.counts.get("state rebuilt"), 1);
  assert.ok(c.converged());
  assert.deepEqual(c.node(3).state.applied.map(([z]) => z), [zx(1, 1), zx(1, 2), zx(2, 1)]);
});

test("SNAP: a follower behind the leader's compacted log gets a snapshot in chunks, then the rest", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true, snapshotEvery: 4, snapshotRetain: 0,
    tuning: { snapshotChunkBytes: 64 } }), 3);
  c.writes(3, 1);
  c.crash(1);
  c.writes(3, 9);
  assert.ok(c.node(3).disk.baseZxid() > zx(1, 1), "the leader compacted its log past server 1's position");
  const since = c.now;
  c.start(1);
  c.tickAndSettle(3);
  const chunks = c.delivered({ kind: "snap", to: 1, since }).map((d) => d.msg as Msg<"snap">);
  assert.ok(chunks.length > 1, "a snapshot bigger than snapshotChunkBytes comes in several messages");
  assert.deepEqual(chunks.map((m) => m.offset), chunks.map((_, i) => i * 64));
  assert.equal(chunks[0].basis, zx(1, 1));
  assert.equal(c.counts.get("snapshot installed"), 1);
  assert.ok(c.converged());
  assert.equal(c.node(1).state.digest, c.node(3).state.digest);
});

test("SNAP: a follower further behind than diffEntriesMax gets a snapshot even if the log has the entries", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true, tuning: { diffEntriesMax: 3 } }), 3);
  c.crash(1);
  c.writes(3, 5);
  const since = c.now;
  c.start(1);
  c.tickAndSettle(3);
  assert.ok(c.delivered({ kind: "snap", to: 1, since }).length >= 1);
  assert.equal(c.delivered({ kind: "diff", to: 1, since }).length, 0);
  assert.ok(c.converged());
  c.crash(2);
  c.writes(3, 2);
  const later = c.now;
  c.start(2);
  c.tickAndSettle(3);
  assert.equal(only(c, "diff", 2, later).basis, zx(1, 5), "two entries behind: a DIFF is enough");
  assert.ok(c.converged());
});

test("SNAP instead of TRUNC when the learner cannot truncate that far (its snapshot holds orphans)", () => {
  const c = new Cluster({ voters: 3, observers: 1, recordDeliveries: true });
  const history: Entry[] = [1, 2, 3, 4].map((n) => ({ zxid: zx(1, n), payload: Buffer.from(`h${n}@0`) }));
  for (const id of [1, 2, 3]) c.node(id).seedDisk(1, 1, history);
  // Server 4 (an observer) holds a snapshot at (1,6): (1,5) and (1,6) were never committed.
  const orphans: Entry[] = [5, 6].map((n) => ({ zxid: zx(1, n), payload: Buffer.from(`orphan${n}@0`) }));
  c.node(4).disk.installSnapshot(replay(genesis(), [...history, ...orphans]));
  c.node(4).seedDisk(1, 1, []);
  c.startAll();
  c.tickAndSettle(4);
  assert.equal(c.leader()?.id, 3);
  const ack = c.delivered({ kind: "ackEpoch", from: 4 }).at(-1)?.msg as Msg<"ackEpoch">;
  assert.equal(ack.baseZxid, zx(1, 6));
  assert.ok(c.delivered({ kind: "snap", to: 4 }).length >= 1);
  assert.equal(c.delivered({ kind: "trunc", to: 4 }).length, 0);
  assert.ok(c.converged());
  assert.equal(c.node(4).state.zxid, zx(1, 4));
});

test("a dead leader's proposal that a quorum logged is committed by the next leader", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.writes(3, 1);
  c.network.cutOneWay(1, 3);
  c.network.cutOneWay(2, 3); // 1 and 2 log the next proposal, but their acks never reach 3
  c.setFsyncDelay(3, [10_000, 10_000]); // and 3's own copy is not durable, so no LEADERACK tells them it is
  const pending = c.write(3)!;
  c.runUnits(50);
  assert.equal(c.node(1).disk.entryAt(zx(1, 2))?.payload.toString(), pending);
  assert.equal(c.node(3).state.zxid, zx(1, 1), "not committed: the leader never saw a quorum of acks");
  assert.equal(c.node(1).state.zxid, zx(1, 1));
  c.crash(3);
  c.tickAndSettle(8);
  assert.equal(c.leader()?.id, 2);
  for (const id of [1, 2]) assert.deepEqual(c.node(id).state.applied.at(-1), [zx(1, 2), pending]);
  c.heal();
  c.start(3);
  c.tickAndSettle(3);
  assert.ok(c.converged());
});

test("a learner that was offline during a whole epoch catches up across epochs", () => {
  const c = elected(new Cluster({ voters: 3, recordDeliveries: true }), 3);
  c.writes(3, 2);
  c.crash(1);
  c.crash(3);
  c.start(1); // 1 and 2 form epoch 2 without 3, once 2 notices its leader is gone
  c.tickAndSettle(10);
  assert.equal(c.leader()?.id, 2);
  c.writes(2, 3);
  c.start(3);
  c.tickAndSettle(3);
  assert.equal(c.status(3)?.leader, 2);
  assert.equal(c.status(3)?.currentEpoch, 2);
  assert.ok(c.converged());
  assert.equal(c.node(3).state.zxid, zx(2, 3));
});

test("a follower adopts the new epoch only once its synced log is durable (ZOOKEEPER-3911)", () => {
  const c = elected(new Cluster({ voters: 3 }), 3);
  c.crash(1);
  c.writes(3, 3); // committed by 2 and 3
  c.crash(3);
  c.setFsyncDelay(1, [1000, 1000]);
  c.start(1);
  for (let i = 0; i < 8; i++) { // 1 and 2 elect 2 (the longer log): 1 gets the DIFF but cannot make it durable
    c.tickAll();
    c.runUnits(20);
  }
  assert.equal(c.status(2)?.role, "leading");
  assert.equal(c.node(1).disk.lastZxid(), zx(1, 3), "logged ...");
  assert.equal(c.node(1).disk.durableZxid(), 0n, "... but not durable");
  assert.equal(c.node(1).disk.acceptedEpoch, 2, "1 promised epoch 2");
  assert.equal(c.node(1).disk.currentEpoch, 1, "but still votes with epoch 1: its log is not epoch 2's history yet");
  c.crash(1); // power loss: the DIFF is gone
  c.setFsyncDelay(1, [0, 0]);
  c.start(1);
  c.start(3);
  c.tickAndSettle(12);
  assert.ok(c.converged());
  assert.equal(c.node(1).state.zxid, zx(1, 3), "every committed write survived");
});
