/**
 * ZooKeeper's quorum metrics, fed by what the EnsembleDriver sees of the consensus core: messages in and out,
 * each Ready, proposals and log durability. The core itself stays free of clocks and metrics; the driver makes
 * one call per event and this file turns those events into ZooKeeper's counters and latencies:
 *   looking_count, election_time, follower_sync_time, observer_sync_time, unavailable_time,
 *   leader_unavailable_time                            role changes (RoleChange in Ready)
 *   diff_count, snap_count, inflight_diff_count, inflight_snap_count   DIFF/TRUNC/SNAP the leader sends
 *   proposal_count, commit_count, quorum_ack_latency, ack_latency       the leader's proposals, acks, commits
 *   learner_proposal_received_count, learner_commit_received_count (COMMIT, INFORM or LEADERACK),
 *   proposal_latency                                   what a synced learner receives
 *   commit_propagation_latency                         committed entries a synced learner applies
 *   proposal_ack_creation_latency                      log durability (the ack that follows it)
 *   request_commit_queued                              committed entries handed to be applied
 * Cross-server latencies compare this server's clock with the txn header time the leader wrote, as ZooKeeper
 * does; a negative difference (clock skew) is not recorded.
 */
import { AssertionError } from "../base/assert.js";
import type { Counter, ServerMetrics, Summary } from "../admin/metrics.js";
import type { PeerRole, PeerStatus, Ready, RoleChange, ServerId, ZabMessage } from "../zab/index.js";

/** What the driver reports; every call is cheap and synchronous. */
export interface EnsembleEvents {
  /** The driver starts: the peer is LOOKING. `status` reads the peer (only on rare events). */
  started(status: () => PeerStatus): void;
  received(from: ServerId, msg: ZabMessage): void;
  /** A Ready about to be carried out. */
  ready(r: Ready): void;
  /** The leader proposed a txn of `payloadBytes` under `zxid`. */
  proposed(zxid: bigint, payloadBytes: number): void;
  /** Every logged entry up to `zxid` is durable. */
  persisted(zxid: bigint): void;
}

export const NO_ENSEMBLE_EVENTS: EnsembleEvents = {
  started: () => {},
  received: () => {},
  ready: () => {},
  proposed: () => {},
  persisted: () => {},
};

/** Byte offset of the header time in encodeTxn's output: sessionId int64, cxid int32, zxid int64, then time int64. */
export const TXN_TIME_OFFSET = 20;

/** The header time (ms since the epoch) of an encoded txn, read without decoding it or allocating a bigint. */
export function txnTimeMs(payload: Buffer): number {
  if (payload.length < TXN_TIME_OFFSET + 8) return Number.NaN;
  return payload.readUInt32BE(TXN_TIME_OFFSET) * 0x1_0000_0000 + payload.readUInt32BE(TXN_TIME_OFFSET + 4);
}

/** Proposals the leader timed, oldest first; bounded (the core bounds outstanding proposals far lower). */
const TIMED_PROPOSALS_MAX = 1 << 16;

/** When each outstanding proposal was made, by zxid (ascending), so acks and commits can be timed. */
class ProposalClock {
  private zxids: bigint[] = [];
  private times: number[] = [];
  private head = 0;

  push(zxid: bigint, timeMs: number): void {
    if (this.zxids.length - this.head >= TIMED_PROPOSALS_MAX) return;
    this.zxids.push(zxid);
    this.times.push(timeMs);
  }

  /** When `zxid` was proposed, or NaN if it is not an outstanding proposal of ours. */
  timeOf(zxid: bigint): number {
    let lo = this.head;
    let hi = this.zxids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const z = this.zxids[mid];
      if (z === zxid) return this.times[mid];
      if (z < zxid) lo = mid + 1;
      else hi = mid - 1;
    }
    return Number.NaN;
  }

  /** Forgets proposals up to `zxid` (committed); returns when `zxid` itself was proposed, or NaN. */
  takeThrough(zxid: bigint): number {
    let found = Number.NaN;
    while (this.head < this.zxids.length && this.zxids[this.head] <= zxid) {
      if (this.zxids[this.head] === zxid) found = this.times[this.head];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.zxids.length) this.compact();
    return found;
  }

  clear(): void {
    this.zxids = [];
    this.times = [];
    this.head = 0;
  }

  private compact(): void {
    this.zxids = this.zxids.slice(this.head);
    this.times = this.times.slice(this.head);
    this.head = 0;
  }
}

/** Logged batches waiting for durability: the last zxid of each and its txn time, oldest first. */
class PersistClock {
  private readonly zxids: bigint[] = [];
  private readonly txnTimes: number[] = [];

  push(zxid: bigint, txnTimeMs: number): void {
    if (this.zxids.length >= TIMED_PROPOSALS_MAX) return;
    this.zxids.push(zxid);
    this.txnTimes.push(txnTimeMs);
  }

  /** Drops batches up to `zxid`; returns the txn time of the batch ending at `zxid`, or NaN. */
  takeThrough(zxid: bigint): number {
    let found = Number.NaN;
    let n = 0;
    while (n < this.zxids.length && this.zxids[n] <= zxid) {
      if (this.zxids[n] === zxid) found = this.txnTimes[n];
      n++;
    }
    this.zxids.splice(0, n);
    this.txnTimes.splice(0, n);
    return found;
  }
}

export class EnsembleMetrics implements EnsembleEvents {
  private role: PeerRole = "looking";
  private synced = false;
  private lookingSinceMs = 0;
  private unavailableSinceMs = 0;
  private syncStartedMs = 0;
  private status: () => PeerStatus = () => {
    throw new AssertionError("EnsembleMetrics used before started()");
  };
  private readonly proposals = new ProposalClock();
  private readonly persisting = new PersistClock();
  private readonly ackLatencyBySid: (Summary | undefined)[] = [];

  private readonly lookingCount: Counter;
  private readonly electionTime: Summary;
  private readonly followerSyncTime: Summary;
  private readonly observerSyncTime: Summary;
  private readonly unavailableTime: Summary;
  private readonly leaderUnavailableTime: Summary;
  private readonly diffCount: Counter;
  private readonly snapCount: Counter;
  private readonly inflightDiff: Summary;
  private readonly inflightSnap: Summary;
  private readonly proposalCount: Counter;
  private readonly commitCount: Counter;
  private readonly quorumAckLatency: Summary;
  private readonly proposalReceived: Counter;
  private readonly commitReceived: Counter;
  private readonly proposalLatency: Summary;
  private readonly commitPropagationLatency: Summary;
  private readonly ackCreationLatency: Summary;
  private readonly requestCommitQueued: Counter;

  constructor(private readonly metrics: ServerMetrics, private readonly myId: ServerId) {
    this.lookingCount = metrics.counter("looking_count");
    this.electionTime = metrics.summary("election_time");
    this.followerSyncTime = metrics.summary("follower_sync_time");
    this.observerSyncTime = metrics.summary("observer_sync_time");
    this.unavailableTime = metrics.summary("unavailable_time");
    this.leaderUnavailableTime = metrics.summary("leader_unavailable_time");
    this.diffCount = metrics.counter("diff_count");
    this.snapCount = metrics.counter("snap_count");
    this.inflightDiff = metrics.summary("inflight_diff_count");
    this.inflightSnap = metrics.summary("inflight_snap_count");
    this.proposalCount = metrics.counter("proposal_count");
    this.commitCount = metrics.counter("commit_count");
    this.quorumAckLatency = metrics.summary("quorum_ack_latency");
    this.proposalReceived = metrics.counter("learner_proposal_received_count");
    this.commitReceived = metrics.counter("learner_commit_received_count");
    this.proposalLatency = metrics.summary("proposal_latency");
    this.commitPropagationLatency = metrics.summary("commit_propagation_latency");
    this.ackCreationLatency = metrics.summary("proposal_ack_creation_latency");
    this.requestCommitQueued = metrics.counter("request_commit_queued");
  }

  started(status: () => PeerStatus): void {
    this.status = status;
    this.enterLooking(performance.now());
  }

  received(from: ServerId, msg: ZabMessage): void {
    switch (msg.kind) {
      case "ack":
        if (this.role === "leading") this.recordAck(from, msg.zxid);
        return;
      case "proposal":
        // During a sync the leader replays history; ZooKeeper counts only broadcast proposals.
        if (!this.synced) return;
        this.proposalReceived.inc();
        recordSince(this.proposalLatency, txnTimeMs(msg.payload));
        return;
      case "commit":
      case "inform":
      case "leaderAck": // in a 3-member ensemble it takes COMMIT's place (docs/ARCHITECTURE.md)
        if (this.synced) this.commitReceived.inc();
        return;
      default:
        return;
    }
  }

  ready(r: Ready): void {
    this.countSyncs(r); // only a leader sends DIFF/TRUNC/SNAP (in the Ready that makes it leader, too)
    if (r.committed.length > 0) this.countCommitted(r);
    const last = r.persistEntries.at(-1);
    if (last !== undefined) this.persisting.push(last.zxid, txnTimeMs(last.payload));
    if (r.roleChanged !== undefined) this.roleChanged(r.roleChanged);
  }

  proposed(zxid: bigint, payloadBytes: number): void {
    this.proposalCount.inc();
    this.metrics.proposalSize.record(payloadBytes);
    this.proposals.push(zxid, performance.now());
  }

  /** Durable locally: this server acks, so time the ack from the txn's creation (and the leader's self-ack). */
  persisted(zxid: bigint): void {
    recordSince(this.ackCreationLatency, this.persisting.takeThrough(zxid));
    if (this.role === "leading") this.recordAck(this.myId, zxid);
  }

  private recordAck(from: ServerId, zxid: bigint): void {
    const proposedMs = this.proposals.timeOf(zxid);
    if (Number.isNaN(proposedMs)) return;
    let summary = this.ackLatencyBySid[from];
    if (summary === undefined) this.ackLatencyBySid[from] = summary = this.metrics.summarySet("ack_latency").get(String(from));
    summary.record(performance.now() - proposedMs);
  }

  /** ZooKeeper counts a sync when the leader starts it, with how many learners are syncing then. */
  private countSyncs(r: Ready): void {
    for (const { msg } of r.messages) {
      const isDiff = msg.kind === "diff" || msg.kind === "trunc";
      const isSnapStart = msg.kind === "snap" && msg.offset === 0;
      if (!isDiff && !isSnapStart) continue;
      const syncing = this.status().learners.filter((l) => !l.synced).length;
      if (isDiff) {
        this.diffCount.inc();
        this.inflightDiff.record(syncing);
      } else {
        this.snapCount.inc();
        this.inflightSnap.record(syncing);
      }
    }
  }

  private countCommitted(r: Ready): void {
    this.requestCommitQueued.inc(r.committed.length);
    if (this.role === "leading") {
      const now = performance.now();
      for (const e of r.committed) {
        const proposedMs = this.proposals.takeThrough(e.zxid);
        if (Number.isNaN(proposedMs)) continue; // not proposed by this leader (history re-delivered at start-up)
        this.commitCount.inc();
        this.quorumAckLatency.record(now - proposedMs);
      }
    } else if (this.synced) {
      for (const e of r.committed) recordSince(this.commitPropagationLatency, txnTimeMs(e.payload));
    }
  }

  private roleChanged(change: RoleChange): void {
    const now = performance.now();
    if (change.role !== this.role) {
      this.proposals.clear();
      if (change.role === "looking") this.enterLooking(now);
      else if (this.role === "looking" && change.role !== "observing") this.electionTime.record(now - this.lookingSinceMs);
      if (change.role !== "looking") this.syncStartedMs = now;
    }
    if (change.synced && !this.synced) this.becameSynced(change.role, now);
    if (!change.synced && this.synced && this.unavailableSinceMs === 0) this.unavailableSinceMs = now;
    this.role = change.role;
    this.synced = change.synced;
  }

  private enterLooking(now: number): void {
    this.lookingCount.inc();
    this.lookingSinceMs = now;
    if (this.unavailableSinceMs === 0) this.unavailableSinceMs = now;
  }

  private becameSynced(role: PeerRole, now: number): void {
    if (role === "following") this.followerSyncTime.record(now - this.syncStartedMs);
    if (role === "observing") this.observerSyncTime.record(now - this.syncStartedMs);
    if (this.unavailableSinceMs === 0) return;
    this.unavailableTime.record(now - this.unavailableSinceMs);
    if (role === "leading") this.leaderUnavailableTime.record(now - this.unavailableSinceMs);
    this.unavailableSinceMs = 0;
  }
}

/** Records wall-clock ms since `timeMs` (a txn header time); skips unknown times and clock skew. */
function recordSince(summary: Summary, timeMs: number): void {
  const ms = Date.now() - timeMs;
  if (ms >= 0) summary.record(ms); // NaN fails the test too
}
