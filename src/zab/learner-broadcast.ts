/**
 * A synced learner: log PROPOSALs (followers ack them once durable), apply COMMITs, log-and-commit INFORMs
 * (observers), commit on a LEADERACK what the leader's log and ours both hold durably (where the two of us are a
 * quorum), keep up with the leader's pings, and relay forwarded requests and syncs.
 * Entries are chained by prevZxid: a duplicate is ignored, a gap makes us rejoin.
 */
import { assert } from "../base/assert.js";
import type { Core, Transition } from "./core.js";
import { PENDING_SYNCS_MAX, QUEUED_TOUCHES_MAX, raiseCommit } from "./core.js";
import { durableEnd, maybeAckNewLeader, onUpToDate, rejoin, type LearnerState } from "./learner.js";
import type { ZabMessage } from "./messages.js";
import { epochOf, formatZxid } from "./zxid.js";

function inSync(ls: LearnerState): boolean {
  return ls.phase === "syncing" || ls.phase === "broadcast";
}

export function onEntry(core: Core, ls: LearnerState, msg: Extract<ZabMessage, { kind: "proposal" | "inform" }>): Transition | undefined {
  if (!inSync(ls)) return undefined;
  assert(epochOf(msg.zxid) <= msg.epoch, `entry ${formatZxid(msg.zxid)} from the future of epoch ${msg.epoch}`);
  const last = core.log.last();
  if (msg.zxid > last) {
    if (msg.prevZxid !== last) return rejoin(core, ls, `gap: got ${formatZxid(msg.zxid)} after ${formatZxid(msg.prevZxid)}, have ${formatZxid(last)}`);
    core.log.append({ zxid: msg.zxid, payload: msg.payload });
  }
  if (msg.kind === "inform") raiseCommit(core, msg.zxid);
  return undefined;
}

export function onCommit(core: Core, ls: LearnerState, zxid: bigint): void {
  if (inSync(ls)) raiseCommit(core, zxid);
}

/**
 * LEADERACK: the leader's log is durable up to zxid. Where the leader and we are a quorum (two or three
 * participants), what both logs hold durably is committed: it is the pair of durable copies the leader itself
 * would count on our ACK, and every later leader must hold it. Our log is the leader's up to where it ends (the
 * sync made it so, and we append only its proposals, chained), so the smaller of the two durable ends is safe.
 */
export function onLeaderAck(core: Core, ls: LearnerState, zxid: bigint): void {
  if (ls.phase !== "broadcast" || ls.observer || !core.quorum.pairIsQuorum) return;
  if (zxid > ls.leaderDurableZxid) ls.leaderDurableZxid = zxid;
  commitDurablePair(core, ls);
}

/** Raise the commit point to what both the leader's log and ours hold durably (the leader's word is 0 before any). */
function commitDurablePair(core: Core, ls: LearnerState): void {
  const own = durableEnd(core);
  raiseCommit(core, own < ls.leaderDurableZxid ? own : ls.leaderDurableZxid);
}

/**
 * Every leader ping is answered at once with ours: it echoes the round (what confirms a SYNC), carries our
 * durable ack (repairing lost ACKs) and the session touches queued since the last one.
 */
export function onLeaderPing(core: Core, ls: LearnerState, msg: Extract<ZabMessage, { kind: "leaderPing" }>): Transition | undefined {
  if (ls.epoch === null) return undefined;
  const ackZxid = ls.newLeaderAcked ? durableEnd(core) : null;
  core.out.send(ls.leader, { kind: "learnerPing", epoch: ls.epoch, round: msg.round, ackZxid, touches: ls.touches });
  ls.touches = [];
  if (!msg.established || !inSync(ls)) return undefined;
  if (ls.phase === "syncing") {
    if (ls.newLeaderAcked && msg.forwarding) onUpToDate(core, ls, msg.commitZxid); // our UPTODATE was lost
    return undefined;
  }
  if (!msg.forwarding) return rejoin(core, ls, "the leader no longer forwards to us");
  raiseCommit(core, msg.commitZxid);
  if (msg.lastZxid > core.log.last()) return rejoin(core, ls, `missed proposals up to ${formatZxid(msg.lastZxid)}`);
  return undefined;
}

export function onSyncReply(core: Core, ls: LearnerState, token: Buffer, zxid: bigint): void {
  if (ls.phase === "broadcast" && core.localSyncs.length < PENDING_SYNCS_MAX) core.localSyncs.push({ token, zxid });
}

/** Our log became durable further: followers acknowledge (cumulatively), and NEWLEADER may now be acked. */
export function learnerPersisted(core: Core, ls: LearnerState): void {
  if (!inSync(ls)) return;
  if (!ls.newLeaderAcked) {
    maybeAckNewLeader(core, ls);
    return;
  }
  if (!ls.observer && (ls.ackedZxid === null || durableEnd(core) > ls.ackedZxid)) sendAck(core, ls);
  if (ls.phase === "broadcast" && ls.leaderDurableZxid > 0n) commitDurablePair(core, ls);
}

export function sendAck(core: Core, ls: LearnerState): void {
  assert(ls.epoch !== null && ls.epoch === core.currentEpoch, "ack before adopting the leader's epoch");
  const zxid = durableEnd(core);
  core.out.send(ls.leader, { kind: "ack", epoch: ls.epoch, zxid });
  ls.ackedZxid = zxid;
}

export function forward(core: Core, ls: LearnerState, bytes: Buffer): boolean {
  if (ls.phase !== "broadcast" || ls.epoch === null) return false;
  core.out.send(ls.leader, { kind: "request", epoch: ls.epoch, bytes });
  return true;
}

export function forwardSync(core: Core, ls: LearnerState, token: Buffer): boolean {
  if (ls.phase !== "broadcast" || ls.epoch === null) return false;
  core.out.send(ls.leader, { kind: "sync", epoch: ls.epoch, token });
  return true;
}

export function queueTouches(ls: LearnerState, bytes: Buffer): boolean {
  if (ls.phase !== "broadcast" || ls.touches.length >= QUEUED_TOUCHES_MAX) return false;
  ls.touches.push(bytes);
  return true;
}
