/**
 * The Ready contract of one ZabPeer, fed messages by hand: which effects come together in one Ready (epoch
 * writes are barriers for the messages that depend on them), that acks never precede persisted(), that
 * commits only deliver durable entries, and that API misuse is an AssertionError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AssertionError } from "../../src/base/assert.js";
import { makeZxid, ZabPeer, type Ready, type ServerId, type ZabMessage, type ZabOptions } from "../../src/zab/index.js";
import { SimDisk } from "./sim-disk.js";

const MEMBERS = [1, 2, 3].map((id) => ({ id, role: "participant" as const }));

function peer(id: ServerId, disk = new SimDisk(), extra: Partial<ZabOptions> = {}): { p: ZabPeer; disk: SimDisk } {
  const p = new ZabPeer({ id, members: MEMBERS, log: disk, initLimitTicks: 10, syncLimitTicks: 5,
    state: { acceptedEpoch: disk.acceptedEpoch, currentEpoch: disk.currentEpoch, lastAppliedZxid: 0n }, ...extra });
  return { p, disk };
}

/** Takes one Ready, reflects its log effects in the disk as a runtime must, and advances. */
function take(p: ZabPeer, disk: SimDisk): Ready {
  const r = p.ready();
  if (r.truncateAfter !== undefined) disk.truncate(r.truncateAfter);
  for (const e of r.persistEntries) disk.append(e, 0);
  p.advance(r);
  return r;
}

function sent(r: Ready, kind: ZabMessage["kind"]): ZabMessage[] {
  return r.messages.filter((m) => m.msg.kind === kind).map((m) => m.msg);
}

function notification(state: "following" | "leading" | "looking", leader: ServerId): ZabMessage {
  return { kind: "notification", state, leader, zxid: 0n, electionEpoch: 1, peerEpoch: 0 };
}

const z = makeZxid;

test("a follower's promise, acks and epoch adoption each go out with the durable writes they depend on", () => {
  const { p, disk } = peer(2);
  take(p, disk);
  p.step(3, notification("leading", 3));
  p.step(1, notification("following", 3));
  let r = take(p, disk);
  assert.equal(r.roleChanged?.role, "following");
  assert.deepEqual(sent(r, "followerInfo"), [{ kind: "followerInfo", acceptedEpoch: 0 }]);

  p.step(3, { kind: "leaderInfo", epoch: 1, currentEpoch: 0, lastZxid: z(0, 0) });
  r = take(p, disk);
  assert.deepEqual(r.persistEpochs, { acceptedEpoch: 1 }, "the promise is written ...");
  assert.equal(sent(r, "ackEpoch").length, 1, "... in the Ready whose messages carry ACKEPOCH (a barrier)");

  p.step(3, { kind: "diff", epoch: 1, basis: 0n });
  p.step(3, { kind: "proposal", epoch: 1, prevZxid: 0n, zxid: z(0, 7), payload: Buffer.from("old") });
  p.step(3, { kind: "newLeader", epoch: 1, zxid: z(0, 7) });
  r = take(p, disk);
  assert.deepEqual(r.persistEntries.map((e) => e.zxid), [z(0, 7)]);
  assert.equal(r.persistEpochs, undefined, "currentEpoch waits until the synced log is durable");
  assert.equal(sent(r, "ack").length, 0, "no ack before persisted()");

  disk.flush(0);
  p.persisted(z(0, 7));
  r = take(p, disk);
  assert.deepEqual(r.persistEpochs, { currentEpoch: 1 });
  assert.deepEqual(sent(r, "ack"), [{ kind: "ack", epoch: 1, zxid: z(0, 7) }]);
  assert.equal(r.committed.length, 0, "nothing is known committed yet");

  p.step(3, { kind: "upToDate", epoch: 1, commitZxid: z(0, 7) });
  r = take(p, disk);
  assert.deepEqual(r.committed.map((e) => e.zxid), [z(0, 7)]);
  assert.equal(r.roleChanged?.synced, true);

  p.step(3, { kind: "proposal", epoch: 1, prevZxid: z(0, 7), zxid: z(1, 1), payload: Buffer.from("a") });
  p.step(3, { kind: "commit", epoch: 1, zxid: z(1, 1) });
  r = take(p, disk);
  assert.equal(r.committed.length, 0, "committed but not durable here: not applied yet");
  assert.equal(sent(r, "ack").length, 0);
  disk.flush(0);
  p.persisted(z(1, 1));
  r = take(p, disk);
  assert.deepEqual(sent(r, "ack"), [{ kind: "ack", epoch: 1, zxid: z(1, 1) }]);
  assert.deepEqual(r.committed.map((e) => e.payload.toString()), ["a"]);

  p.step(3, { kind: "proposal", epoch: 1, prevZxid: z(1, 5), zxid: z(1, 6), payload: Buffer.from("gap") });
  r = take(p, disk);
  assert.equal(r.roleChanged?.synced, false, "a gap in the stream: start over with the same leader");
  assert.equal(sent(r, "followerInfo").length, 1);
  assert.equal(r.persistEntries.length, 0);
});

test("a leader sends proposals before its own fsync and commits once a quorum, itself included, is durable", () => {
  const { p, disk } = peer(3);
  take(p, disk);
  p.step(1, { kind: "notification", state: "looking", leader: 3, zxid: 0n, electionEpoch: 1, peerEpoch: 0 });
  p.tick(); // finalize wait: a quorum (1 and 3) agrees and nothing better arrived
  let r = take(p, disk);
  assert.equal(r.roleChanged?.role, "leading");
  p.step(1, { kind: "followerInfo", acceptedEpoch: 0 });
  r = take(p, disk);
  assert.deepEqual(r.persistEpochs, { acceptedEpoch: 1 });
  assert.deepEqual(sent(r, "leaderInfo"), [{ kind: "leaderInfo", epoch: 1, currentEpoch: 0, lastZxid: 0n }]);
  p.step(1, { kind: "ackEpoch", epoch: 1, currentEpoch: 0, lastZxid: 0n, baseZxid: 0n, promised: true });
  r = take(p, disk);
  assert.deepEqual(r.messages.map((m) => m.msg.kind), ["diff", "newLeader"]);
  assert.deepEqual(r.persistEpochs, { currentEpoch: 1 }, "its (empty) history is durable: adopt the epoch");
  p.step(1, { kind: "ack", epoch: 1, zxid: 0n });
  r = take(p, disk);
  assert.equal(r.roleChanged?.synced, true);
  assert.deepEqual(sent(r, "upToDate"), [{ kind: "upToDate", epoch: 1, commitZxid: 0n }]);

  assert.ok(p.canPropose());
  const zxid = p.nextZxid();
  assert.equal(zxid, z(1, 1));
  p.propose(zxid, Buffer.from("w"));
  r = take(p, disk);
  assert.deepEqual(r.persistEntries.map((e) => e.zxid), [zxid]);
  assert.deepEqual(sent(r, "proposal"), [{ kind: "proposal", epoch: 1, prevZxid: 0n, zxid, payload: Buffer.from("w") }]);
  p.step(1, { kind: "ack", epoch: 1, zxid });
  r = take(p, disk);
  assert.equal(r.committed.length, 0, "one follower's ack without our own durable copy is not a quorum of three");
  disk.flush(0);
  p.persisted(zxid);
  r = take(p, disk);
  assert.deepEqual(r.committed.map((e) => e.zxid), [zxid]);
  assert.deepEqual(sent(r, "commit"), [{ kind: "commit", epoch: 1, zxid }]);
  assert.equal(p.status().outstandingProposals, 0);
});

test("only real promises count towards the epoch: a learner promises an epoch to one leader", () => {
  const members = [1, 2, 3, 4, 5].map((id) => ({ id, role: "participant" as const }));
  const disk = new SimDisk();
  const leader = new ZabPeer({ id: 5, members, log: disk, initLimitTicks: 10, syncLimitTicks: 5,
    state: { acceptedEpoch: 0, currentEpoch: 0, lastAppliedZxid: 0n } });
  take(leader, disk);
  for (const from of [1, 2]) leader.step(from, { kind: "notification", state: "looking", leader: 5, zxid: 0n, electionEpoch: 1, peerEpoch: 0 });
  leader.tick();
  take(leader, disk);
  leader.step(1, { kind: "followerInfo", acceptedEpoch: 0 });
  leader.step(2, { kind: "followerInfo", acceptedEpoch: 0 });
  assert.equal(sent(take(leader, disk), "leaderInfo").length, 2, "epoch 1 chosen with a quorum of 5, 1 and 2");
  leader.step(1, { kind: "ackEpoch", epoch: 1, currentEpoch: 0, lastZxid: 0n, baseZxid: 0n, promised: false });
  leader.step(2, { kind: "ackEpoch", epoch: 1, currentEpoch: 0, lastZxid: 0n, baseZxid: 0n, promised: true });
  assert.equal(sent(take(leader, disk), "diff").length, 0, "1 promised epoch 1 to someone else: 5 and 2 are not a quorum");
  leader.step(3, { kind: "followerInfo", acceptedEpoch: 0 });
  take(leader, disk);
  leader.step(3, { kind: "ackEpoch", epoch: 1, currentEpoch: 0, lastZxid: 0n, baseZxid: 0n, promised: true });
  assert.equal(sent(take(leader, disk), "diff").length, 3, "5, 2 and 3 promised: every learner gets synced");

  // The learner side: having promised epoch 1 to server 3, server 2 does not promise it again to server 1.
  const { p, disk: learnerDisk } = peer(2);
  take(p, learnerDisk);
  p.step(3, notification("leading", 3));
  p.step(1, notification("following", 3));
  p.step(3, { kind: "leaderInfo", epoch: 1, currentEpoch: 0, lastZxid: 0n });
  assert.equal((sent(take(p, learnerDisk), "ackEpoch")[0] as Extract<ZabMessage, { kind: "ackEpoch" }>).promised, true);
  p.step(1, { kind: "notification", state: "leading", leader: 1, zxid: 0n, electionEpoch: 2, peerEpoch: 0 });
  for (let i = 0; i < 12; i++) p.tick(); // server 3 goes quiet: back to election
  p.step(1, { kind: "notification", state: "leading", leader: 1, zxid: 0n, electionEpoch: 3, peerEpoch: 0 });
  p.step(3, { kind: "notification", state: "following", leader: 1, zxid: 0n, electionEpoch: 3, peerEpoch: 0 });
  take(p, learnerDisk);
  assert.equal(p.leaderId(), 1);
  p.step(1, { kind: "leaderInfo", epoch: 1, currentEpoch: 0, lastZxid: 0n });
  const ack = sent(take(p, learnerDisk), "ackEpoch")[0] as Extract<ZabMessage, { kind: "ackEpoch" }>;
  assert.equal(ack.promised, false);
});

test("a learner refuses a leader whose epoch is below the one it promised, and asks again later", () => {
  const disk = new SimDisk();
  disk.acceptedEpoch = 2;
  disk.currentEpoch = 1;
  const { p } = peer(2, disk);
  take(p, disk);
  p.step(3, notification("leading", 3));
  p.step(1, notification("following", 3));
  take(p, disk);
  p.step(3, { kind: "leaderInfo", epoch: 1, currentEpoch: 1, lastZxid: 0n });
  let r = take(p, disk);
  assert.equal(sent(r, "ackEpoch").length, 0, "no ACKEPOCH: epoch 1 < accepted epoch 2");
  assert.equal(r.persistEpochs, undefined);
  p.tick();
  r = take(p, disk);
  assert.deepEqual(sent(r, "followerInfo"), [{ kind: "followerInfo", acceptedEpoch: 2 }], "once per tick, not in a storm");
  p.step(3, { kind: "leaderInfo", epoch: 3, currentEpoch: 1, lastZxid: 0n });
  r = take(p, disk);
  assert.deepEqual(r.persistEpochs, { acceptedEpoch: 3 });
  assert.equal(sent(r, "ackEpoch").length, 1);
});

test("API misuse and impossible state are assertion errors", () => {
  assert.throws(() => peer(4), AssertionError, "not a member");
  const tooNew = new SimDisk();
  tooNew.currentEpoch = 2;
  assert.throws(() => peer(1, tooNew), AssertionError, "currentEpoch above acceptedEpoch");
  assert.throws(() => peer(1, new SimDisk(), { syncLimitTicks: 0 }), AssertionError);
  assert.throws(() => new ZabPeer({ id: 1, members: [...MEMBERS, { id: 1, role: "observer" }], log: new SimDisk(),
    initLimitTicks: 10, syncLimitTicks: 5, state: { acceptedEpoch: 0, currentEpoch: 0, lastAppliedZxid: 0n } }), AssertionError);
  const { p, disk } = peer(1);
  assert.throws(() => p.nextZxid(), AssertionError, "only a broadcasting leader assigns zxids");
  p.ready();
  assert.throws(() => p.ready(), AssertionError, "ready() twice without advance()");
  assert.equal(disk.lastZxid(), 0n);
});

test("messages from non-members and from ourselves are ignored", () => {
  const { p, disk } = peer(2);
  take(p, disk);
  p.step(9, notification("leading", 9));
  p.step(2, notification("leading", 2));
  p.step(9, { kind: "leaderInfo", epoch: 5, currentEpoch: 4, lastZxid: 0n });
  assert.equal(p.hasReady(), false);
  assert.equal(p.role(), "looking");
});
