/**
 * ZooKeeper's quorum metrics in Herd: EnsembleMetrics driven by a transcript of what the EnsembleDriver reports
 * (role changes, syncs, proposals, acks, commits, durability), and a real three-member TestingCluster whose
 * leader and follower report them through `mntr` after client writes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ServerMetrics } from "../../src/admin/metrics.js";
import { EnsembleMetrics, TXN_TIME_OFFSET, txnTimeMs } from "../../src/runtime/ensemble-metrics.js";
import { TestingCluster } from "../../src/testing/index.js";
import { encodeTxn } from "../../src/tree/txn.js";
import type { Entry, PeerStatus, Ready, RoleChange, ZabMessage } from "../../src/zab/index.js";
import { fourLetterWord, ok, RawClient } from "../helpers/raw-client.js";

function ready(parts: Partial<Ready>): Ready {
  return { persistEntries: [], messages: [], committed: [], needSnapshot: [], forwardedRequests: [], sessionTouches: [], syncsCompleted: [], ...parts };
}

function role(r: RoleChange["role"], synced: boolean): RoleChange {
  return { role: r, leader: 1, epoch: 1, synced, reason: "test" };
}

function entry(zxid: bigint, timeMs: number): Entry {
  return { zxid, payload: encodeTxn({ header: { sessionId: 5n, cxid: 1, zxid, timeMs }, body: { type: "setData", path: "/x", data: null, version: 1 } }) };
}

function statusWith(unsyncedLearners: number): () => PeerStatus {
  const learners = Array.from({ length: unsyncedLearners }, (_, i) => ({ id: i + 2, observer: false, stage: "syncing", synced: false, ackedZxid: null, silentTicks: 0 }));
  return () => ({ learners }) as unknown as PeerStatus;
}

const count = (m: ServerMetrics, name: Parameters<ServerMetrics["counter"]>[0]) => m.counter(name).value;
const samples = (m: ServerMetrics, name: Parameters<ServerMetrics["summary"]>[0]) => m.summary(name).count;

test("txnTimeMs reads the header time encodeTxn wrote, without decoding", () => {
  const timeMs = 1_796_073_300_123;
  const { payload } = entry(0x100000007n, timeMs);
  assert.equal(txnTimeMs(payload), timeMs);
  assert.equal(payload.readBigInt64BE(TXN_TIME_OFFSET), BigInt(timeMs));
  assert.ok(Number.isNaN(txnTimeMs(Buffer.alloc(10))));
});

test("a leader's transcript: election, syncs, proposals, acks and commits", () => {
  const m = new ServerMetrics();
  const e = new EnsembleMetrics(m, 1);
  e.started(statusWith(2));
  assert.equal(count(m, "looking_count"), 1);

  const diff: ZabMessage = { kind: "diff", epoch: 1, basis: 0n };
  const snap: ZabMessage = { kind: "snap", epoch: 1, basis: 0n, zxid: 5n, totalBytes: 10, offset: 0, chunk: Buffer.alloc(5) };
  const snapRest: ZabMessage = { ...snap, offset: 5 };
  e.ready(ready({ roleChanged: role("leading", false), messages: [{ to: 2, msg: diff }, { to: 3, msg: snap }, { to: 3, msg: snapRest }] }));
  assert.equal(samples(m, "election_time"), 1);
  assert.equal(count(m, "diff_count"), 1);
  assert.equal(count(m, "snap_count"), 1, "a snapshot sent in two chunks is one sync");
  assert.equal(m.summary("inflight_diff_count").max, 2);
  assert.equal(samples(m, "unavailable_time"), 0, "not serving until the epoch is established");

  e.ready(ready({ roleChanged: role("leading", true) }));
  assert.equal(samples(m, "unavailable_time"), 1);
  assert.equal(samples(m, "leader_unavailable_time"), 1);
  assert.equal(samples(m, "follower_sync_time"), 0);

  const zxid = 0x100000001n;
  const proposal = entry(zxid, Date.now());
  e.proposed(zxid, proposal.payload.length);
  assert.equal(count(m, "proposal_count"), 1);
  assert.equal(m.proposalSize.last, proposal.payload.length);
  e.ready(ready({ persistEntries: [proposal] }));
  e.received(2, { kind: "ack", epoch: 1, zxid });
  e.persisted(zxid);
  const acks = new Map([...m.summarySet("ack_latency").entries()].map(([sid, s]) => [sid, s.count]));
  assert.deepEqual(acks, new Map([["2", 1], ["1", 1]]), "a follower's ack and the leader's own");
  assert.equal(samples(m, "proposal_ack_creation_latency"), 1);

  e.ready(ready({ committed: [entry(0x100000000n, Date.now()), proposal] }));
  assert.equal(count(m, "commit_count"), 1, "only proposals this leader made count");
  assert.equal(samples(m, "quorum_ack_latency"), 1);
  assert.equal(count(m, "request_commit_queued"), 2);
  assert.equal(count(m, "learner_commit_received_count"), 0);
});

test("a follower's transcript: sync, proposals and commits received, then back to looking", () => {
  const m = new ServerMetrics();
  const e = new EnsembleMetrics(m, 2);
  e.started(statusWith(0));
  const early = entry(0x100000001n, Date.now() - 5);
  e.ready(ready({ roleChanged: role("following", false) }));
  e.received(1, { kind: "proposal", epoch: 1, prevZxid: 0n, zxid: early.zxid, payload: early.payload });
  assert.equal(count(m, "learner_proposal_received_count"), 0, "history replayed during a sync is not broadcast");
  e.ready(ready({ roleChanged: role("following", true) }));
  assert.deepEqual([samples(m, "election_time"), samples(m, "follower_sync_time"), samples(m, "unavailable_time")], [1, 1, 1]);
  assert.equal(samples(m, "leader_unavailable_time"), 0);

  const next = entry(0x100000002n, Date.now() - 5);
  e.received(1, { kind: "proposal", epoch: 1, prevZxid: early.zxid, zxid: next.zxid, payload: next.payload });
  e.received(1, { kind: "commit", epoch: 1, zxid: next.zxid });
  e.ready(ready({ committed: [next] }));
  assert.equal(count(m, "learner_proposal_received_count"), 1);
  assert.equal(count(m, "learner_commit_received_count"), 1);
  assert.ok(m.summary("proposal_latency").min >= 5);
  assert.equal(samples(m, "commit_propagation_latency"), 1);

  const skewed = entry(0x100000003n, Date.now() + 60_000); // the leader's clock runs ahead: not recorded
  e.ready(ready({ committed: [skewed] }));
  assert.equal(samples(m, "commit_propagation_latency"), 1);

  e.ready(ready({ roleChanged: role("looking", false) }));
  assert.equal(count(m, "looking_count"), 2);
  e.ready(ready({ roleChanged: role("following", false) }));
  e.ready(ready({ roleChanged: role("following", true) }));
  assert.deepEqual([samples(m, "election_time"), samples(m, "follower_sync_time"), samples(m, "unavailable_time")], [2, 2, 2]);
});

test("an observer records its sync time, not an election", () => {
  const m = new ServerMetrics();
  const e = new EnsembleMetrics(m, 4);
  e.started(statusWith(0));
  e.ready(ready({ roleChanged: role("observing", true) }));
  assert.deepEqual([samples(m, "election_time"), samples(m, "observer_sync_time"), samples(m, "follower_sync_time")], [0, 1, 0]);
  e.received(1, { kind: "inform", epoch: 1, prevZxid: 0n, zxid: 1n, payload: entry(1n, Date.now()).payload });
  assert.equal(count(m, "learner_commit_received_count"), 1);
});

describe("a real three-member ensemble", () => {
  let cluster: TestingCluster;
  before(async () => {
    cluster = await TestingCluster.start({ size: 3, startTimeoutMs: 60_000 });
  });
  after(() => cluster?.close());

  const mntr = async (port: number) => {
    const rows = new Map<string, number>();
    for (const line of (await fourLetterWord("127.0.0.1", port, "mntr")).split("\n")) {
      const [key, value] = line.split("\t");
      if (value !== undefined && value.trim() !== "" && Number.isFinite(Number(value))) rows.set(key.replace(/^zk_/, ""), Number(value));
    }
    return rows;
  };

  test("the leader counts proposals, commits and syncs; a follower what it received", async () => {
    const leaderId = await cluster.leader();
    const leader = cluster.servers.find((s) => s.id === leaderId)!;
    const follower = cluster.servers.find((s) => s.id !== leaderId)!;
    const writes = 3;
    const client = await RawClient.connect("127.0.0.1", leader.port, { timeoutMs: 30_000 });
    ok(await client.create("/ens", "0"));
    for (let i = 1; i < writes; i++) ok(await client.setData("/ens", String(i)));
    await client.close();
    // Once a sync through the follower returns, it has applied (so received the commits of) every write above.
    const reader = await RawClient.connect("127.0.0.1", follower.port, { timeoutMs: 30_000 });
    ok(await reader.sync("/"));
    ok(await reader.getData("/ens"));

    const lead = await mntr(leader.port);
    assert.ok(lead.get("proposal_count")! >= writes + 1, "the writes and the session's create and close");
    assert.ok(lead.get("commit_count")! >= writes);
    assert.ok(lead.get("cnt_quorum_ack_latency")! >= writes);
    assert.ok(lead.get("looking_count")! >= 1);
    assert.ok(lead.get("cnt_election_time")! >= 1);
    assert.ok(lead.get("cnt_leader_unavailable_time")! >= 1);
    assert.ok(lead.get("diff_count")! + lead.get("snap_count")! >= 2, "each follower was synced");
    assert.ok(lead.get("synced_followers")! >= 1, "a leader gauge");
    assert.ok(lead.get("max_proposal_size")! > 0);
    // A proposal commits on a quorum of acks (2 of 3), all timed before the commit; a later ack may not be.
    const acks = cluster.servers.reduce((sum, s) => sum + (lead.get(`cnt_${s.id}_ack_latency`) ?? 0), 0);
    assert.ok(acks >= 2 * writes, `${acks} acks timed`);

    const fol = await mntr(follower.port);
    assert.ok(fol.get("learner_proposal_received_count")! >= writes);
    assert.ok(fol.get("learner_commit_received_count")! >= writes);
    assert.ok(fol.get("cnt_follower_sync_time")! >= 1);
    assert.ok(fol.get("cnt_proposal_ack_creation_latency")! >= 1);
    assert.ok(fol.get("cnt_propagation_latency")! >= writes);
    assert.ok(fol.get("request_commit_queued")! >= writes);
    assert.equal(fol.get("proposal_count"), 0, "only the leader proposes");
    assert.equal(fol.get("cnt_ens_read_per_namespace"), 1);
    await reader.close();
  });
});
