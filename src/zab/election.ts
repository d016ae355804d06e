/**
 * Fast Leader Election as plain functions over the core (shared/reference §14). A looking participant votes
 * (proposedLeader, zxid, peerEpoch = its currentEpoch), adopts any better vote, compared by
 * (peerEpoch, zxid, sid), and settles once a quorum of this round's votes agrees and no better vote arrived
 * within finalizeWaitTicks (at once if every participant agrees). A looking peer that hears a quorum of
 * participants following the same leader, and that leader saying it leads, joins it. Observers never vote:
 * they only ever join an established leader.
 */
import { peerRole, type Core, type Transition } from "./core.js";
import type { NotificationState, ZabMessage } from "./messages.js";
import type { ServerId } from "./types.js";

export interface Vote {
  leader: ServerId;
  zxid: bigint;
  peerEpoch: number;
}

/** What a following/leading peer reported: they are settled on `vote` since round `electionEpoch`. */
interface SettledReport {
  vote: Vote;
  electionEpoch: number;
  state: NotificationState;
}

export interface ElectionState {
  /** The round (ZooKeeper's logicalclock); a higher round from anyone restarts ours. */
  logicalClock: number;
  /** While looking: what we propose. Otherwise: the vote we settled on, which we answer lookers with. */
  vote: Vote;
  /** This round's votes from looking participants (ourselves included). */
  recv: Map<ServerId, Vote>;
  /** Reports from participants that are following or leading. */
  settled: Map<ServerId, SettledReport>;
  /** Tick at which a quorum first agreed with our vote (finalize wait), null if none does. */
  quorumSinceTick: number | null;
}

type Notification = Extract<ZabMessage, { kind: "notification" }>;

export function newElectionState(vote: Vote): ElectionState {
  return { logicalClock: 0, vote, recv: new Map(), settled: new Map(), quorumSinceTick: null };
}

export function isBetterVote(a: Vote, b: Vote): boolean {
  if (a.peerEpoch !== b.peerEpoch) return a.peerEpoch > b.peerEpoch;
  if (a.zxid !== b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

export function sameVote(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.zxid === b.zxid && a.peerEpoch === b.peerEpoch;
}

function ownVote(core: Core): Vote {
  return { leader: core.id, zxid: core.log.last(), peerEpoch: core.currentEpoch };
}

function voteOf(n: Notification): Vote {
  return { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch };
}

/** A notification announces the sender's role; the two enums spell the same four states. */
function stateOf(core: Core): NotificationState {
  return peerRole(core);
}

export function notificationOf(core: Core): Notification {
  const { vote, logicalClock } = core.election;
  return { kind: "notification", state: stateOf(core), leader: vote.leader, zxid: vote.zxid,
    electionEpoch: logicalClock, peerEpoch: vote.peerEpoch };
}

function sendToParticipants(core: Core): void {
  for (const id of core.quorum.participants) if (id !== core.id) core.out.send(id, notificationOf(core));
}

/** Enter a new round as a looking peer (the caller has set core.role to looking). */
export function startLooking(core: Core): Transition | undefined {
  const e = core.election;
  e.logicalClock++;
  e.vote = ownVote(core);
  e.recv.clear();
  e.settled.clear();
  e.quorumSinceTick = null;
  if (core.quorum.isParticipant(core.id)) e.recv.set(core.id, e.vote);
  sendToParticipants(core);
  return checkRound(core);
}

export function lookingStep(core: Core, from: ServerId, n: Notification): Transition | undefined {
  if (!core.quorum.isParticipant(from)) return undefined; // an observer's notification carries no vote
  const e = core.election;
  if (n.state === "looking") {
    e.settled.delete(from);
    return core.quorum.isParticipant(core.id) ? onLookingVote(core, from, n) : undefined;
  }
  if (n.state === "observing") return undefined;
  e.settled.set(from, { vote: voteOf(n), electionEpoch: n.electionEpoch, state: n.state });
  return checkJoin(core, n.leader);
}

function onLookingVote(core: Core, from: ServerId, n: Notification): Transition | undefined {
  const e = core.election;
  const theirs = voteOf(n);
  const eligible = core.quorum.isParticipant(theirs.leader);
  if (n.electionEpoch > e.logicalClock) {
    e.logicalClock = n.electionEpoch;
    e.recv.clear();
    const mine = ownVote(core);
    adopt(core, eligible && isBetterVote(theirs, mine) ? theirs : mine);
  } else if (n.electionEpoch < e.logicalClock) {
    core.out.send(from, notificationOf(core)); // help it catch up with our round
    return undefined;
  } else if (eligible && isBetterVote(theirs, e.vote)) {
    adopt(core, theirs);
  }
  e.recv.set(from, theirs);
  return checkRound(core);
}

function adopt(core: Core, vote: Vote): void {
  const e = core.election;
  e.vote = vote;
  e.quorumSinceTick = null;
  e.recv.set(core.id, vote);
  sendToParticipants(core);
}

function checkRound(core: Core): Transition | undefined {
  const e = core.election;
  const agreeing = [...e.recv].filter(([, v]) => sameVote(v, e.vote)).map(([id]) => id);
  if (!core.quorum.hasQuorum(agreeing)) {
    e.quorumSinceTick = null;
    return undefined;
  }
  if (agreeing.length === core.quorum.participants.length) return settle(core, "every participant agrees");
  // Nobody else can vote: those missing are unreachable (their connections closed), so waiting buys nothing.
  const silent = core.quorum.participants.filter((id) => !e.recv.has(id));
  if (silent.length > 0 && silent.every((id) => core.unreachable.has(id)) && agreeing.length === e.recv.size) {
    return settle(core, "every reachable participant agrees");
  }
  if (e.quorumSinceTick === null) e.quorumSinceTick = core.ticks;
  return undefined;
}

function settle(core: Core, reason: string): Transition {
  const leader = core.election.vote.leader;
  return leader === core.id ? { to: "leading", reason } : { to: "learning", leader, reason };
}

/** Join `leader` if a quorum of participants follows it and it says it leads. */
function checkJoin(core: Core, leader: ServerId): Transition | undefined {
  if (leader === core.id || !core.quorum.isParticipant(leader)) return undefined;
  const e = core.election;
  const leaderReport = e.settled.get(leader);
  if (leaderReport === undefined || leaderReport.state !== "leading") return undefined;
  const backers = [...e.settled].filter(([, r]) => r.vote.leader === leader).map(([id]) => id);
  if (!core.quorum.hasQuorum(backers)) return undefined;
  e.logicalClock = leaderReport.electionEpoch;
  e.vote = leaderReport.vote;
  return { to: "learning", leader, reason: `joined established leader ${leader}` };
}

/** Re-evaluates the round after the set of reachable peers changed. */
export function lookingRecheck(core: Core): Transition | undefined {
  return checkRound(core);
}

export function lookingTick(core: Core): Transition | undefined {
  const since = core.election.quorumSinceTick;
  if (since !== null && core.ticks - since >= core.limits.finalizeWaitTicks) {
    return settle(core, "a quorum agreed and no better vote arrived");
  }
  sendToParticipants(core); // notifications may have been lost: say it again
  return undefined;
}

/** A following/leading/observing peer answers a looking peer with the vote it settled on. */
export function settledStep(core: Core, from: ServerId, n: Notification): void {
  if (n.state === "looking") core.out.send(from, notificationOf(core));
}
