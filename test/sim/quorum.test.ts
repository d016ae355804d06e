/** Quorum math, vote order and zxid arithmetic (src/zab/quorum.ts, election.ts, zxid.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AssertionError } from "../../src/base/assert.js";
import { counterOf, epochOf, formatZxid, isBetterVote, majority, makeZxid, QuorumConfig } from "../../src/zab/index.js";
import { kthLargest } from "../../src/zab/quorum.js";

test("a quorum is a strict majority of participants", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
  assert.throws(() => majority(0), AssertionError);
});

test("observers and strangers never count, duplicates count once", () => {
  const q = new QuorumConfig([
    { id: 1, role: "participant" }, { id: 2, role: "participant" }, { id: 3, role: "participant" },
    { id: 4, role: "observer" }, { id: 5, role: "observer" },
  ]);
  assert.equal(q.size, 2);
  assert.deepEqual(q.participants, [1, 2, 3]);
  assert.deepEqual(q.observers, [4, 5]);
  assert.equal(q.hasQuorum([1, 4, 5]), false);
  assert.equal(q.hasQuorum([1, 1, 1]), false);
  assert.equal(q.hasQuorum([1, 9, 3]), true);
  assert.equal(q.isParticipant(4), false);
  assert.equal(q.isMember(9), false);
});

test("the quorum-acknowledged zxid is the k-th largest participant ack", () => {
  const q = new QuorumConfig([1, 2, 3, 4, 5].map((id) => ({ id, role: "participant" as const })));
  const acks = new Map<number, bigint | null>([[1, 9n], [2, 4n], [3, 7n], [4, null], [5, 2n]]);
  assert.equal(q.quorumAcked((id) => acks.get(id) ?? null), 4n, "9, 7 and 4 are three of five");
  acks.set(2, null);
  acks.set(5, null);
  assert.equal(q.quorumAcked((id) => acks.get(id) ?? null), null, "only two acks at all");
  assert.equal(kthLargest([3n, 1n, 2n], 1), 3n);
  assert.equal(kthLargest([3n, 1n, 2n], 3), 1n);
});

test("bad member lists are rejected", () => {
  assert.throws(() => new QuorumConfig([{ id: 0, role: "participant" }]), AssertionError);
  assert.throws(() => new QuorumConfig([{ id: 255, role: "participant" }]), AssertionError);
  assert.throws(() => new QuorumConfig([{ id: 1, role: "observer" }]), AssertionError, "no participant");
  assert.throws(() => new QuorumConfig([{ id: 1, role: "participant" }, { id: 1, role: "participant" }]), AssertionError);
});

test("votes order by peerEpoch, then zxid, then server id", () => {
  const v = (leader: number, epoch: number, counter: number, peerEpoch: number) => ({ leader, zxid: makeZxid(epoch, counter), peerEpoch });
  assert.ok(isBetterVote(v(1, 1, 1, 2), v(9, 1, 99, 1)), "peerEpoch beats a longer log");
  assert.ok(isBetterVote(v(1, 1, 5, 1), v(9, 1, 4, 1)), "then the longer log");
  assert.ok(isBetterVote(v(3, 1, 5, 1), v(2, 1, 5, 1)), "then the higher id");
  assert.ok(!isBetterVote(v(3, 1, 5, 1), v(3, 1, 5, 1)), "a vote is not better than itself");
});

test("zxid = epoch << 32 | counter", () => {
  const z = makeZxid(0x12, 0xfffffffe);
  assert.equal(z, 0x12fffffffen);
  assert.equal(epochOf(z), 0x12);
  assert.equal(counterOf(z), 0xfffffffe);
  assert.equal(formatZxid(z), "0x12_fffffffe");
  assert.throws(() => makeZxid(0x80000000, 0), AssertionError, "the epoch keeps the zxid positive");
  assert.throws(() => makeZxid(1, 0x100000000), AssertionError);
});
