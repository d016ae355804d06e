/**
 * The leader's broadcast phase: assign zxids, send PROPOSALs, count durable acks, COMMIT strictly in zxid
 * order once a quorum of participants (ourselves included, after our own persist) has an entry, INFORM
 * observers of what committed, tell followers how far our own log is durable (LEADERACK, where one follower and
 * we are a quorum: it then needs no COMMIT), ping learners, and answer SYNCs.
 *
 * A SYNC is answered once everything proposed before it arrived is committed AND a quorum echoed a ping
 * round sent after it arrived (like Raft's ReadIndex). ZooKeeper skips the second condition, so a leader that
 * was paused or partitioned and does not know yet that a newer epoch took over answers syncs with stale
 * data; a server that promised a newer epoch never echoes us, so here such a leader cannot confirm.
 */
import { assert } from "../base/assert.js";
import type { Core } from "./core.js";
import { PENDING_SYNCS_MAX, QUEUED_REQUESTS_MAX, QUEUED_TOUCHES_MAX } from "./core.js";
import type { LeaderState, LearnerHandle } from "./leader.js";
import type { ServerId } from "./types.js";
import { counterOf, epochOf, formatZxid, makeZxid } from "./zxid.js";

/** Proposals in flight: every zxid of this epoch after the commit point. */
export function outstandingProposals(core: Core, ls: LeaderState): number {
  const last = core.log.last();
  if (ls.epoch === null || epochOf(last) !== ls.epoch) return 0;
  const committed = epochOf(core.commitZxid) === ls.epoch ? counterOf(core.commitZxid) : 0;
  return counterOf(last) - committed;
}

export function canPropose(core: Core, ls: LeaderState): boolean {
  return ls.phase === "broadcast" && ls.reserved === null && !ls.exhausted &&
    outstandingProposals(core, ls) < core.limits.outstandingProposalsMax;
}

export function nextZxid(core: Core, ls: LeaderState): bigint {
  assert(canPropose(core, ls), "nextZxid() while this peer cannot propose (check canPropose())");
  assert(ls.epoch !== null, "broadcast without an epoch");
  const last = core.log.last();
  const counter = epochOf(last) === ls.epoch ? counterOf(last) + 1 : 1;
  assert(counter <= core.limits.zxidCounterLimit, `zxid counter ${counter} beyond the limit`);
  ls.reserved = makeZxid(ls.epoch, counter);
  return ls.reserved;
}

export function propose(core: Core, ls: LeaderState, zxid: bigint, payload: Buffer): void {
  assert(ls.phase === "broadcast" && ls.epoch !== null, "propose() outside broadcast");
  assert(ls.reserved === zxid, `propose(${formatZxid(zxid)}) but nextZxid() gave ${ls.reserved === null ? "nothing" : formatZxid(ls.reserved)}`);
  ls.reserved = null;
  const prevZxid = core.log.last();
  core.log.append({ zxid, payload });
  const epoch = ls.epoch;
  forEachInSendOrder(ls, (handle) => {
    if (handle.stage !== "forwarding" || handle.observer) return;
    core.out.send(handle.id, { kind: "proposal", epoch, prevZxid, zxid, payload });
    handle.sentZxid = zxid;
  });
  if (counterOf(zxid) >= core.limits.zxidCounterLimit) ls.exhausted = true;
}

/**
 * Visits learners in the order to send them a PROPOSAL or COMMIT: the last one that forwarded a request first
 * (without building a list: this runs for every write). The
 * runtime writes to its peers one after another, and on a busy host each write can hand the CPU to the woken
 * peer for its whole turn, so the learner whose client waits on this write should not queue behind the others.
 */
function forEachInSendOrder(ls: LeaderState, visit: (handle: LearnerHandle) => void): void {
  const first = ls.lastForwarder === null ? undefined : ls.handles.get(ls.lastForwarder);
  if (first !== undefined) visit(first);
  for (const handle of ls.handles.values()) if (handle !== first) visit(handle);
}

/** Commit whatever a quorum of participants now has durably; strictly in zxid order. */
export function advanceCommit(core: Core, ls: LeaderState): void {
  assert(ls.phase === "broadcast" && ls.epoch !== null, "commit outside broadcast");
  const selfAck = core.persistedZxid < core.log.last() ? core.persistedZxid : core.log.last();
  const acked = core.quorum.quorumAcked((id) => {
    if (id === core.id) return selfAck;
    const handle = ls.handles.get(id);
    return handle !== undefined && handle.synced ? handle.ackedZxid : null;
  });
  if (acked === null || acked <= core.commitZxid) return;
  const previous = core.commitZxid;
  core.commitZxid = acked;
  const epoch = ls.epoch;
  forEachInSendOrder(ls, (handle) => {
    if (handle.stage !== "forwarding") return;
    // An observer gets committed entries as INFORMs; entries its sync stream already carried just need a COMMIT.
    const alreadySent = handle.sentZxid > previous;
    if (handle.observer) informObserver(core, ls, handle.id, previous, acked);
    if ((!handle.observer || alreadySent) && acked > handle.commitToldZxid) {
      core.out.send(handle.id, { kind: "commit", epoch, zxid: acked });
      handle.commitToldZxid = acked;
    }
  });
  settleSyncs(core, ls);
}

/**
 * Tells each synced follower how far our own log is durable (LEADERACK) where it and we are a quorum: an entry
 * durable in both logs is committed (the very pair of durable copies our own commit would count), so the
 * follower may commit it without our COMMIT (learner-broadcast.ts, onLeaderAck). In the
 * usual order — our fsync finishes before a follower's ACK reaches us — the follower then commits once its own
 * fsync is done instead of a round trip later (its ACK, our COMMIT), and advanceCommit sends no COMMIT for what
 * a LEADERACK already covered. The follower still acks: we commit (and apply, and answer syncs) on its acks.
 */
export function sendLeaderAcks(core: Core, ls: LeaderState): void {
  if (!core.quorum.pairIsQuorum || ls.epoch === null) return;
  const durable = core.persistedZxid < core.log.last() ? core.persistedZxid : core.log.last();
  const epoch = ls.epoch;
  forEachInSendOrder(ls, (handle) => {
    if (handle.stage !== "forwarding" || !handle.synced || handle.observer || durable <= handle.commitToldZxid) return;
    core.out.send(handle.id, { kind: "leaderAck", epoch, zxid: durable });
    handle.commitToldZxid = durable;
  });
}

function informObserver(core: Core, ls: LeaderState, to: ServerId, from: bigint, upTo: bigint): void {
  assert(ls.epoch !== null, "inform without an epoch");
  const handle = ls.handles.get(to);
  assert(handle !== undefined, "inform to an unknown observer");
  let prev = from;
  while (prev < upTo) {
    const batch = core.log.entriesAfter(prev, 1024);
    assert(batch.length > 0, `committed entries after ${formatZxid(prev)} are missing from the log`);
    for (const e of batch) {
      if (e.zxid > upTo) return;
      if (e.zxid > handle.sentZxid) {
        core.out.send(to, { kind: "inform", epoch: ls.epoch, prevZxid: prev, zxid: e.zxid, payload: e.payload });
        handle.sentZxid = e.zxid;
      }
      prev = e.zxid;
    }
  }
}

/** A SYNC is answered once everything proposed before it arrived is committed. */
export function acceptSync(core: Core, ls: LeaderState, from: ServerId, token: Buffer): boolean {
  if (ls.phase !== "broadcast" || ls.pendingSyncs.length >= PENDING_SYNCS_MAX) return false;
  if (from !== core.id && ls.handles.get(from)?.stage !== "forwarding") return false;
  ls.pendingSyncs.push({ from, token, barrier: core.log.last(), round: ls.pingRound + 1 });
  ls.probeWanted = true;
  settleSyncs(core, ls);
  return true;
}

/** The highest ping round a quorum of participants (ourselves included) has echoed. */
function confirmedRound(core: Core, ls: LeaderState): number {
  const round = core.quorum.quorumAcked((id) => {
    if (id === core.id) return BigInt(ls.pingRound);
    const handle = ls.handles.get(id);
    return handle !== undefined && handle.synced ? BigInt(handle.echoedRound) : null;
  });
  return round === null ? 0 : Number(round);
}

export function settleSyncs(core: Core, ls: LeaderState): void {
  if (ls.pendingSyncs.length === 0) return;
  assert(ls.epoch !== null, "syncs without an epoch");
  const confirmed = confirmedRound(core, ls);
  const waiting: typeof ls.pendingSyncs = [];
  for (const s of ls.pendingSyncs) {
    if (s.barrier > core.commitZxid || s.round > confirmed) waiting.push(s);
    else if (s.from === core.id) core.localSyncs.push({ token: s.token, zxid: s.barrier });
    else core.out.send(s.from, { kind: "syncReply", epoch: ls.epoch, token: s.token, zxid: s.barrier });
  }
  ls.pendingSyncs = waiting;
}

/** A new ping round to every learner: each tick, and at once (per Ready) when a SYNC waits for one. */
export function pingLearners(core: Core, ls: LeaderState): void {
  if (ls.epoch === null) return;
  ls.pingRound++;
  ls.probeWanted = false;
  const established = ls.phase === "broadcast";
  for (const handle of ls.handles.values()) {
    if (handle.stage === "info") continue;
    const forwarding = handle.stage === "forwarding";
    core.out.send(handle.id, {
      kind: "leaderPing", epoch: ls.epoch, round: ls.pingRound, commitZxid: established ? core.commitZxid : 0n,
      lastZxid: forwarding ? handle.sentZxid : 0n, established, forwarding,
    });
  }
  settleSyncs(core, ls); // with no other participant, our own round is the quorum
}

/** Sends the ping round a pending SYNC asked for, once per Ready however many SYNCs arrived. */
export function flushProbe(core: Core, ls: LeaderState): void {
  if (ls.probeWanted) pingLearners(core, ls);
}

export function acceptRequest(core: Core, ls: LeaderState, from: ServerId, bytes: Buffer): void {
  if (ls.phase !== "broadcast" || ls.handles.get(from)?.stage !== "forwarding") return;
  if (core.out.forwardedRequests.length >= QUEUED_REQUESTS_MAX) return; // the learner's client times out and retries
  core.out.forwardedRequests.push({ from, bytes });
  ls.lastForwarder = from;
}

export function acceptTouches(core: Core, ls: LeaderState, from: ServerId, touches: Buffer[]): void {
  if (ls.phase !== "broadcast") return;
  for (const bytes of touches.slice(0, QUEUED_TOUCHES_MAX)) core.out.sessionTouches.push({ from, bytes });
}
