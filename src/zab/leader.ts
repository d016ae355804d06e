/**
 * The leader's discovery and synchronisation phases, its ticks and its message dispatch.
 * Discovery: collect FOLLOWERINFO (accepted epochs) from a quorum, pick max+1, promise it ourselves, send
 * LEADERINFO, and collect a quorum of ACKEPOCH promises from participants that are not ahead of us. A learner
 * that promised an epoch above the one we chose cannot join it: we start a new reign above that promise.
 * Synchronisation: sync every learner (leader-sync.ts); adopt the epoch as current once our own history is
 * durable; once a quorum acked NEWLEADER (ourselves included) the epoch is established: our whole log is
 * committed and broadcast begins (leader-broadcast.ts).
 */
import { assert } from "../base/assert.js";
import type { Core, Transition } from "./core.js";
import { acceptEpoch, adoptCurrentEpoch, raiseCommit } from "./core.js";
import { advanceCommit, acceptRequest, acceptSync, acceptTouches, pingLearners, sendLeaderAcks, settleSyncs } from "./leader-broadcast.js";
import { startLearnerSync } from "./leader-sync.js";
import type { ZabMessage } from "./messages.js";
import type { ServerId } from "./types.js";
import { EPOCH_MAX, epochOf, formatZxid } from "./zxid.js";

/** info: FOLLOWERINFO seen; ackWait: LEADERINFO sent; acked: ACKEPOCH seen; snapWait: runtime asked for a
 *  snapshot; forwarding: sync stream sent, proposals flow to it. */
export type HandleStage = "info" | "ackWait" | "acked" | "snapWait" | "forwarding";

/** The leader's record of one connected learner (ZooKeeper's LearnerHandler, minus the thread). */
export interface LearnerHandle {
  id: ServerId;
  observer: boolean;
  stage: HandleStage;
  /** From ACKEPOCH: the learner's last zxid and log base, which the sync plan is computed against. */
  lastZxid: bigint;
  baseZxid: bigint;
  /** The zxid the NEWLEADER of its sync stream carried; acking it means "synced". */
  newLeaderZxid: bigint | null;
  synced: boolean;
  /** Highest zxid it acknowledged as durably logged (participants' acks count towards commits). */
  ackedZxid: bigint | null;
  /** Last zxid sent to it (stream, proposals or informs): its log should reach it. */
  sentZxid: bigint;
  /**
   * Highest zxid it commits on our word alone: a COMMIT or UPTODATE we sent, or a LEADERACK (it commits that far
   * once its own log is durable that far). Nothing at or below it needs another COMMIT.
   */
  commitToldZxid: bigint;
  /** Highest ping round it echoed: it still followed us when that round went out. */
  echoedRound: number;
  heardTick: number;
}

export interface LeaderState {
  phase: "discovery" | "sync" | "broadcast";
  startTick: number;
  /** The epoch being established, once a quorum's accepted epochs are known. */
  epoch: number | null;
  acceptedEpochs: Map<ServerId, number>;
  /** The epoch must also exceed this: the accepted epochs of observers, which do not count towards the quorum. */
  epochFloor: number;
  epochAcks: Set<ServerId>;
  newLeaderAcks: Set<ServerId>;
  /** Our last zxid when synchronisation began: everything up to it is committed once established. */
  historyEnd: bigint;
  handles: Map<ServerId, LearnerHandle>;
  /** Zxid handed out by nextZxid() and not yet proposed. */
  reserved: bigint | null;
  /** The counter reached zxidCounterLimit: propose no more, step down once everything is committed. */
  exhausted: boolean;
  /** SYNCs waiting for commitZxid >= barrier and for a quorum to echo ping round `round` (sent after they came). */
  pendingSyncs: { from: ServerId; token: Buffer; barrier: bigint; round: number }[];
  /** Rounds of pings sent so far; a pending SYNC wants one more round sent now (see flushProbe). */
  pingRound: number;
  probeWanted: boolean;
  /** The learner whose REQUEST came last: its client most likely waits on the next proposal and commit. */
  lastForwarder: ServerId | null;
}

export function startLeading(core: Core): Transition | undefined {
  const ls = freshReign(core);
  core.role = { kind: "leading", leader: ls };
  return maybeChooseEpoch(core, ls);
}

/** A leader's state before discovery: nothing chosen, no learner known. */
function freshReign(core: Core): LeaderState {
  return {
    phase: "discovery", startTick: core.ticks, epoch: null, acceptedEpochs: new Map([[core.id, core.acceptedEpoch]]),
    epochFloor: 0, epochAcks: new Set(), newLeaderAcks: new Set(), historyEnd: core.log.last(), handles: new Map(),
    reserved: null, exhausted: false, pendingSyncs: [], pingRound: 0, probeWanted: false, lastForwarder: null,
  };
}

function newHandle(core: Core, id: ServerId, observer: boolean): LearnerHandle {
  return {
    id, observer, stage: "info", lastZxid: 0n, baseZxid: 0n, newLeaderZxid: null, synced: false,
    ackedZxid: null, sentZxid: 0n, commitToldZxid: 0n, echoedRound: 0, heardTick: core.ticks,
  };
}

export function leaderStep(core: Core, ls: LeaderState, from: ServerId, msg: ZabMessage): Transition | undefined {
  const handle = ls.handles.get(from);
  if (handle !== undefined) handle.heardTick = core.ticks;
  switch (msg.kind) {
    case "followerInfo":
    case "observerInfo":
      return onLearnerInfo(core, ls, from, msg.kind === "observerInfo", msg.acceptedEpoch);
    case "ackEpoch":
      return onAckEpoch(core, ls, from, msg);
    case "ack":
      return msg.epoch === ls.epoch ? onAck(core, ls, from, msg.zxid) : undefined;
    case "learnerPing":
      if (msg.epoch !== ls.epoch) return undefined;
      acceptTouches(core, ls, from, msg.touches);
      if (handle !== undefined && msg.round > handle.echoedRound && msg.round <= ls.pingRound) {
        handle.echoedRound = msg.round;
        settleSyncs(core, ls);
      }
      return msg.ackZxid === null ? undefined : onAck(core, ls, from, msg.ackZxid);
    case "request":
      if (msg.epoch === ls.epoch) acceptRequest(core, ls, from, msg.bytes);
      return undefined;
    case "sync":
      if (msg.epoch === ls.epoch) acceptSync(core, ls, from, msg.token);
      return undefined;
    default:
      return undefined; // learner-bound messages from a peer that still thinks it leads: ignore
  }
}

function onLearnerInfo(core: Core, ls: LeaderState, from: ServerId, observer: boolean, acceptedEpoch: number): Transition | undefined {
  if (observer !== core.quorum.isObserver(from)) return undefined; // its role disagrees with our configuration
  if (ls.epoch !== null && acceptedEpoch > ls.epoch) return startReignAbove(core, ls, from, observer, acceptedEpoch);
  const handle = newHandle(core, from, observer);
  ls.handles.set(from, handle); // a (re)join replaces whatever we knew of this learner
  if (ls.epoch !== null) {
    sendLeaderInfo(core, ls, handle);
    return undefined;
  }
  if (observer) ls.epochFloor = Math.max(ls.epochFloor, acceptedEpoch);
  else ls.acceptedEpochs.set(from, acceptedEpoch);
  return maybeChooseEpoch(core, ls);
}

function maybeChooseEpoch(core: Core, ls: LeaderState): Transition | undefined {
  if (ls.epoch !== null || !core.quorum.hasQuorum(ls.acceptedEpochs.keys())) return undefined;
  return chooseEpoch(core, ls, Math.max(ls.epochFloor, ...ls.acceptedEpochs.values()) + 1);
}

function chooseEpoch(core: Core, ls: LeaderState, epoch: number): Transition | undefined {
  if (epoch > EPOCH_MAX) return { to: "looking", reason: "epoch space exhausted" };
  ls.epoch = epoch;
  acceptEpoch(core, epoch, core.id);
  ls.epochAcks.add(core.id);
  for (const handle of ls.handles.values()) if (handle.stage === "info") sendLeaderInfo(core, ls, handle);
  return maybeStartSync(core, ls);
}

/**
 * Learner `from` promised an epoch above ours to a candidate that never established it (often to itself, as a
 * candidate whose only voter crashed before its LEADERINFO arrived). It must refuse our epoch, as ZooKeeper's
 * learner does ("leader epoch is less than accepted epoch"); ZooKeeper then leaves it out until the next
 * election, which only a failure or an exhausted zxid counter brings. Instead we start our leadership over under
 * an epoch above that promise, inviting every learner we know (a follower takes our LEADERINFO of a later epoch
 * as a new reign and syncs again): no election, and no promise broken. It is a discovery like any other, and as
 * safe: the epoch is established only by a quorum of fresh promises from participants not ahead of us, and our
 * whole log, everything committed so far included, is its initial history. It needs no quorum of FOLLOWERINFOs
 * first: our followers accepted exactly our old epoch, and a learner above the new one starts another reign.
 * Each reign is above every promise reported so far, so a repeated or late FOLLOWERINFO starts none.
 */
function startReignAbove(core: Core, ls: LeaderState, from: ServerId, observer: boolean, promised: number): Transition | undefined {
  const invited = new Map([...ls.handles.values()].map((h) => [h.id, h.observer]));
  invited.set(from, observer);
  Object.assign(ls, freshReign(core)); // pending syncs and forwarded work end with the old reign (roleChanged says so)
  for (const [id, isObserver] of invited) ls.handles.set(id, newHandle(core, id, isObserver));
  core.statusReason = `learner ${from} promised epoch ${promised}: a new reign above it`;
  return chooseEpoch(core, ls, Math.max(core.acceptedEpoch, promised) + 1);
}

function sendLeaderInfo(core: Core, ls: LeaderState, handle: LearnerHandle): void {
  assert(ls.epoch !== null, "LEADERINFO before the epoch is chosen");
  core.out.send(handle.id, { kind: "leaderInfo", epoch: ls.epoch, currentEpoch: core.currentEpoch, lastZxid: core.log.last() });
  handle.stage = "ackWait";
}

function onAckEpoch(core: Core, ls: LeaderState, from: ServerId, msg: Extract<ZabMessage, { kind: "ackEpoch" }>): Transition | undefined {
  const handle = ls.handles.get(from);
  if (handle === undefined || msg.epoch !== ls.epoch || handle.stage !== "ackWait") return undefined; // stale or repeated
  handle.lastZxid = msg.lastZxid;
  handle.baseZxid = msg.baseZxid;
  handle.stage = "acked";
  if (ls.phase !== "discovery") return startLearnerSync(core, ls, handle);
  const ahead = msg.currentEpoch > core.currentEpoch || (msg.currentEpoch === core.currentEpoch && msg.lastZxid > core.log.last());
  if (!handle.observer && msg.promised && !ahead) ls.epochAcks.add(from);
  return maybeStartSync(core, ls);
}

function maybeStartSync(core: Core, ls: LeaderState): Transition | undefined {
  if (ls.phase !== "discovery" || ls.epoch === null || !core.quorum.hasQuorum(ls.epochAcks)) return undefined;
  ls.phase = "sync";
  ls.historyEnd = core.log.last();
  assert(epochOf(ls.historyEnd) < ls.epoch, `history ends at ${formatZxid(ls.historyEnd)}, inside new epoch ${ls.epoch}`);
  for (const handle of ls.handles.values()) if (handle.stage === "acked") startLearnerSync(core, ls, handle);
  return maybeEstablish(core, ls);
}

/** The epoch is established once a quorum acked NEWLEADER, ourselves included once our history is durable. */
export function maybeEstablish(core: Core, ls: LeaderState): Transition | undefined {
  if (ls.phase !== "sync" || ls.epoch === null) return undefined;
  const acks = [...ls.newLeaderAcks];
  if (maybeAdoptEpoch(core, ls)) acks.push(core.id);
  if (!core.quorum.hasQuorum(acks)) return undefined;
  ls.phase = "broadcast";
  raiseCommit(core, ls.historyEnd);
  for (const handle of ls.handles.values()) if (handle.synced) sendUpToDate(core, ls, handle);
  return undefined;
}

/**
 * Like a learner, we adopt the epoch as current once our history is durable, never earlier (see maybeAckNewLeader
 * in learner.ts for why); true once done. Followers alone may establish the epoch before our fsync finishes: then
 * this happens in broadcast. Otherwise our currentEpoch would lag behind our history all reign long, and a
 * follower that adopted the epoch would look ahead of us in LEADERINFO: it would refuse us on every rejoin.
 */
function maybeAdoptEpoch(core: Core, ls: LeaderState): boolean {
  if (ls.epoch === null || ls.phase === "discovery" || core.persistedZxid < ls.historyEnd) return false;
  adoptCurrentEpoch(core, ls.epoch);
  return true;
}

function sendUpToDate(core: Core, ls: LeaderState, handle: LearnerHandle): void {
  assert(ls.epoch !== null && ls.phase === "broadcast", "UPTODATE before the epoch is established");
  core.out.send(handle.id, { kind: "upToDate", epoch: ls.epoch, commitZxid: core.commitZxid });
  if (core.commitZxid > handle.commitToldZxid) handle.commitToldZxid = core.commitZxid;
}

/** An acknowledgement (ACK, or the ack carried by a learner ping): "durably logged up to zxid, in your epoch". */
function onAck(core: Core, ls: LeaderState, from: ServerId, zxid: bigint): Transition | undefined {
  const handle = ls.handles.get(from);
  if (handle === undefined || handle.stage !== "forwarding") return undefined;
  assert(zxid <= core.log.last(), `learner ${from} acked ${formatZxid(zxid)} beyond our log ${formatZxid(core.log.last())}`);
  if (handle.ackedZxid === null || zxid > handle.ackedZxid) handle.ackedZxid = zxid;
  if (!handle.synced && handle.newLeaderZxid !== null && zxid >= handle.newLeaderZxid) {
    handle.synced = true;
    if (ls.phase === "broadcast") sendUpToDate(core, ls, handle);
    if (ls.phase === "sync" && !handle.observer) ls.newLeaderAcks.add(from);
  }
  if (ls.phase === "sync") return maybeEstablish(core, ls);
  if (ls.phase === "broadcast") advanceCommit(core, ls);
  return undefined;
}

/** Our own log became durable further. */
export function leaderPersisted(core: Core, ls: LeaderState): Transition | undefined {
  if (ls.phase === "sync") return maybeEstablish(core, ls);
  if (ls.phase === "broadcast") {
    maybeAdoptEpoch(core, ls);
    advanceCommit(core, ls);
    sendLeaderAcks(core, ls);
  }
  return undefined;
}

export function leaderTick(core: Core, ls: LeaderState): Transition | undefined {
  dropSilentLearners(core, ls);
  if (ls.phase !== "broadcast") {
    if (core.ticks - ls.startTick > core.limits.initLimitTicks) {
      return { to: "looking", reason: `no quorum synced within initLimit (${ls.phase})` };
    }
  } else {
    const synced = [core.id, ...[...ls.handles.values()].filter((h) => h.synced).map((h) => h.id)];
    if (!core.quorum.hasQuorum(synced)) return { to: "looking", reason: "lost the quorum of synced followers" };
    if (ls.exhausted && core.commitZxid >= core.log.last()) {
      return { to: "looking", reason: "zxid counter exhausted: forcing a new epoch" };
    }
  }
  pingLearners(core, ls);
  return undefined;
}

function dropSilentLearners(core: Core, ls: LeaderState): void {
  for (const handle of [...ls.handles.values()]) {
    const limit = handle.synced ? core.limits.syncLimitTicks : core.limits.initLimitTicks;
    if (core.ticks - handle.heardTick > limit) ls.handles.delete(handle.id);
  }
}
