/**
 * A learner (follower or observer) joining its leader: FOLLOWERINFO/OBSERVERINFO → LEADERINFO (promise the
 * epoch durably; a participant more recent than the leader refuses and asks again later; a learner that promised
 * a later epoch refuses too, and its leader starts a new reign above that promise) → ACKEPOCH → DIFF, TRUNC
 * or SNAP computed against the last zxid we reported → chained PROPOSALs → NEWLEADER → once the log is
 * durable up to it: adopt the epoch as current (durably) and ACK → UPTODATE → broadcast (learner-broadcast.ts).
 * In broadcast, a LEADERINFO of a later epoch from our leader is its new reign: we go through it all again.
 * Messages may be lost, repeated or reordered: anything that does not fit our phase is ignored, a gap in the
 * stream makes us rejoin (start over with the same leader), silence makes us look for a leader again.
 */
import { assert } from "../base/assert.js";
import type { Core, Transition } from "./core.js";
import { acceptEpoch, adoptCurrentEpoch, installSnapshot, raiseCommit, truncateLog } from "./core.js";
import { onCommit, onEntry, onLeaderAck, onLeaderPing, onSyncReply, sendAck } from "./learner-broadcast.js";
import type { ZabMessage } from "./messages.js";
import type { ServerId } from "./types.js";
import { formatZxid } from "./zxid.js";

/** discovery: info sent; syncWait: ACKEPOCH sent, waiting for DIFF/TRUNC/SNAP; syncing: log matches the
 *  leader's, stream flowing; broadcast: UPTODATE received, serving. */
export type LearnerPhase = "discovery" | "syncWait" | "syncing" | "broadcast";

/** A learner that cannot get synced after this many fresh starts goes back to election. */
const REJOINS_MAX = 3;

export interface LearnerState {
  leader: ServerId;
  observer: boolean;
  phase: LearnerPhase;
  /** The epoch the leader announced in LEADERINFO. */
  epoch: number | null;
  /** Our last zxid as reported in ACKEPOCH: the sync header must be computed against it. */
  basis: bigint;
  snap: { zxid: bigint; parts: Buffer[]; received: number; total: number } | null;
  newLeaderZxid: bigint | null;
  newLeaderAcked: boolean;
  /** Highest zxid we acknowledged. */
  ackedZxid: bigint | null;
  /** From LEADERACK: the leader's own log is durable up to here in this epoch (0: no word yet). */
  leaderDurableZxid: bigint;
  heardTick: number;
  joinTick: number;
  rejoins: number;
  /** Session touches for the next ping. */
  touches: Buffer[];
}

export function startLearning(core: Core, leader: ServerId): void {
  const ls: LearnerState = {
    leader, observer: core.quorum.isObserver(core.id), phase: "discovery", epoch: null, basis: 0n, snap: null,
    newLeaderZxid: null, newLeaderAcked: false, ackedZxid: null, leaderDurableZxid: 0n, heardTick: core.ticks, joinTick: core.ticks,
    rejoins: 0, touches: [],
  };
  core.role = { kind: "learning", learner: ls };
  sendInfo(core, ls);
}

function sendInfo(core: Core, ls: LearnerState): void {
  core.out.send(ls.leader, { kind: ls.observer ? "observerInfo" : "followerInfo", acceptedEpoch: core.acceptedEpoch });
}

/** Start the handshake over with the same leader (our log keeps what it has). */
export function rejoin(core: Core, ls: LearnerState, reason: string): Transition | undefined {
  if (ls.rejoins >= REJOINS_MAX) return { to: "looking", reason: `gave up syncing: ${reason}` };
  Object.assign(ls, {
    phase: "discovery", epoch: null, snap: null, newLeaderZxid: null, newLeaderAcked: false, ackedZxid: null,
    leaderDurableZxid: 0n, joinTick: core.ticks, rejoins: ls.rejoins + 1, touches: [],
  } satisfies Partial<LearnerState>);
  core.statusReason = `rejoining: ${reason}`;
  sendInfo(core, ls);
  return undefined;
}

export function learnerStep(core: Core, ls: LearnerState, from: ServerId, msg: ZabMessage): Transition | undefined {
  if (from !== ls.leader || msg.kind === "notification") return undefined;
  if (msg.kind === "leaderInfo") {
    ls.heardTick = core.ticks;
    return onLeaderInfo(core, ls, msg);
  }
  if (!("epoch" in msg) || msg.epoch !== ls.epoch) return undefined; // another reign's message
  ls.heardTick = core.ticks;
  switch (msg.kind) {
    case "diff":
    case "trunc":
      return onSyncHeader(core, ls, msg);
    case "snap":
      return onSnapChunk(core, ls, msg);
    case "proposal":
    case "inform":
      return onEntry(core, ls, msg);
    case "commit":
      onCommit(core, ls, msg.zxid);
      return undefined;
    case "leaderAck":
      onLeaderAck(core, ls, msg.zxid);
      return undefined;
    case "newLeader":
      onNewLeader(core, ls, msg.zxid);
      return undefined;
    case "upToDate":
      onUpToDate(core, ls, msg.commitZxid);
      return undefined;
    case "leaderPing":
      return onLeaderPing(core, ls, msg);
    case "syncReply":
      onSyncReply(core, ls, msg.token, msg.zxid);
      return undefined;
    default:
      return undefined;
  }
}

function onLeaderInfo(core: Core, ls: LearnerState, msg: Extract<ZabMessage, { kind: "leaderInfo" }>): Transition | undefined {
  if (ls.phase === "broadcast") {
    if (ls.epoch !== null && msg.epoch <= ls.epoch) return undefined; // a stale repeat
    // Our leader started a new reign (leader.ts, startReignAbove): join it like a fresh leader, within initLimit.
    Object.assign(ls, { joinTick: core.ticks, ackedZxid: null, leaderDurableZxid: 0n, touches: [] } satisfies Partial<LearnerState>);
    core.statusReason = `leader ${ls.leader} starts epoch ${msg.epoch}`;
  }
  const refusal = refuseLeader(core, ls, msg);
  if (refusal !== null) {
    // Wait in discovery and ask again next tick (joinTick bounds it): our FOLLOWERINFO tells the leader our
    // accepted epoch, and one below it starts a new reign above it; going back to election at once would only
    // make us rejoin this same leader through its followers' answers, as fast as messages fly.
    Object.assign(ls, { phase: "discovery", epoch: null } satisfies Partial<LearnerState>);
    core.statusReason = refusal;
    return undefined;
  }
  let promised = core.promisedTo === ls.leader && msg.epoch === core.acceptedEpoch;
  if (msg.epoch > core.acceptedEpoch) {
    acceptEpoch(core, msg.epoch, ls.leader);
    promised = true;
  }
  Object.assign(ls, { phase: "syncWait", epoch: msg.epoch, basis: core.log.last(), snap: null, newLeaderZxid: null,
    newLeaderAcked: false } satisfies Partial<LearnerState>);
  core.out.send(ls.leader, { kind: "ackEpoch", epoch: msg.epoch, currentEpoch: core.currentEpoch, lastZxid: ls.basis,
    baseZxid: core.log.base(), promised });
  return undefined;
}

/**
 * Why we cannot accept this leader's epoch now, or null: we promised a later epoch to someone else, or (a
 * participant) our history is more recent than the leader's, which the leader must not overwrite.
 */
function refuseLeader(core: Core, ls: LearnerState, msg: Extract<ZabMessage, { kind: "leaderInfo" }>): string | null {
  if (msg.epoch < core.acceptedEpoch) return `leader's epoch ${msg.epoch} is below our accepted epoch ${core.acceptedEpoch}`;
  if (ls.observer) return null; // an observer's history never counts: the leader truncates or snapshots it
  const ahead = core.currentEpoch > msg.currentEpoch || (core.currentEpoch === msg.currentEpoch && core.log.last() > msg.lastZxid);
  return ahead ? "our history is ahead of the leader's" : null;
}

function onSyncHeader(core: Core, ls: LearnerState, msg: Extract<ZabMessage, { kind: "diff" | "trunc" }>): Transition | undefined {
  if (ls.phase !== "syncWait" || ls.snap !== null || msg.basis !== ls.basis) return undefined; // stale
  assert(core.log.last() === ls.basis, "log changed while waiting for the sync header");
  if (msg.kind === "trunc") {
    const to = msg.truncateAfter;
    assert(to < ls.basis && to >= core.log.base(), `TRUNC to ${formatZxid(to)} outside our log`);
    assert(core.log.floor(to) === to, `TRUNC to ${formatZxid(to)}, which is not in our log: histories diverge`);
    truncateLog(core, to);
  }
  ls.phase = "syncing";
  return undefined;
}

function onSnapChunk(core: Core, ls: LearnerState, msg: Extract<ZabMessage, { kind: "snap" }>): Transition | undefined {
  if (ls.phase !== "syncWait" || msg.basis !== ls.basis) return undefined;
  if (msg.offset === 0 && (ls.snap === null || ls.snap.zxid !== msg.zxid)) {
    ls.snap = { zxid: msg.zxid, parts: [], received: 0, total: msg.totalBytes };
  }
  const snap = ls.snap;
  if (snap === null || msg.zxid !== snap.zxid || msg.totalBytes !== snap.total) return undefined;
  if (msg.offset < snap.received) return undefined; // a repeated chunk
  if (msg.offset > snap.received) return rejoin(core, ls, "a snapshot chunk went missing");
  snap.parts.push(msg.chunk);
  snap.received += msg.chunk.length;
  if (snap.received < snap.total) return undefined;
  installSnapshot(core, snap.zxid, Buffer.concat(snap.parts, snap.total));
  ls.snap = null;
  ls.phase = "syncing";
  return undefined;
}

function onNewLeader(core: Core, ls: LearnerState, zxid: bigint): void {
  if (ls.phase !== "syncing" || ls.newLeaderZxid !== null) return;
  ls.newLeaderZxid = zxid;
  maybeAckNewLeader(core, ls);
}

/**
 * Once our log durably reaches NEWLEADER's zxid: adopt the epoch as current, then ack. Never adopt it earlier:
 * a crash would leave currentEpoch = e over a log missing part of e's history, and the peerEpoch in our
 * votes would then let that short log win an election (ZOOKEEPER-3911 is this bug). The currentEpoch write
 * is a Ready barrier, so it is durable before the ack is sent.
 */
export function maybeAckNewLeader(core: Core, ls: LearnerState): void {
  if (ls.newLeaderZxid === null || ls.newLeaderAcked || ls.epoch === null) return;
  if (core.log.last() < ls.newLeaderZxid || core.persistedZxid < ls.newLeaderZxid) return;
  adoptCurrentEpoch(core, ls.epoch);
  ls.newLeaderAcked = true;
  sendAck(core, ls);
}

/** UPTODATE (or an established leader's ping standing in for a lost one): synced, serve. */
export function onUpToDate(core: Core, ls: LearnerState, commitZxid: bigint): void {
  if (ls.phase !== "syncing" || !ls.newLeaderAcked) return;
  raiseCommit(core, commitZxid);
  ls.phase = "broadcast";
  ls.rejoins = 0;
  core.statusReason = "synced with the leader";
}

export function learnerTick(core: Core, ls: LearnerState): Transition | undefined {
  const silent = core.ticks - ls.heardTick;
  const limit = ls.phase === "broadcast" ? core.limits.syncLimitTicks : core.limits.initLimitTicks;
  if (silent > limit) return { to: "looking", reason: `leader ${ls.leader} silent for ${silent} ticks` };
  if (ls.phase !== "broadcast" && core.ticks - ls.joinTick > core.limits.initLimitTicks) {
    return rejoin(core, ls, "not synced within initLimit");
  }
  if (ls.phase === "discovery") sendInfo(core, ls);
  return undefined;
}

/** The end of our durable log (what an ack may claim). */
export function durableEnd(core: Core): bigint {
  const last = core.log.last();
  return core.persistedZxid < last ? core.persistedZxid : last;
}
