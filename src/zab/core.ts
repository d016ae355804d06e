/**
 * The state every role function works on (one mutable record, like etcd raft's `raft` struct), the outbox
 * effects accumulate in until the runtime takes a Ready, and the few helpers that change durable state.
 * Role modules never switch roles themselves: they return a Transition and peer.ts performs it.
 */
import { assert } from "../base/assert.js";
import type { ElectionState } from "./election.js";
import type { LeaderState } from "./leader.js";
import type { LearnerState } from "./learner.js";
import type { CoreLog } from "./log.js";
import type { ZabMessage } from "./messages.js";
import type { QuorumConfig } from "./quorum.js";
import type { OutboundMessage, PeerRole, RoleChange, ServerId } from "./types.js";
import { formatZxid } from "./zxid.js";

export interface Limits {
  initLimitTicks: number;
  syncLimitTicks: number;
  finalizeWaitTicks: number;
  zxidCounterLimit: number;
  diffEntriesMax: number;
  outstandingProposalsMax: number;
  committedPerReadyMax: number;
  snapshotChunkBytes: number;
}

/** Bounds on what callers may queue inside the core between two Readies. */
export const PENDING_SYNCS_MAX = 10_000;
export const QUEUED_TOUCHES_MAX = 64;
export const QUEUED_REQUESTS_MAX = 100_000;

export type RoleState =
  | { kind: "looking" }
  | { kind: "leading"; leader: LeaderState }
  | { kind: "learning"; learner: LearnerState };

export type Transition =
  | { to: "looking"; reason: string }
  | { to: "leading"; reason: string }
  | { to: "learning"; leader: ServerId; reason: string };

export interface Core {
  readonly id: ServerId;
  readonly quorum: QuorumConfig;
  readonly limits: Limits;
  readonly log: CoreLog;
  readonly out: Outbox;
  ticks: number;
  acceptedEpoch: number;
  currentEpoch: number;
  /** The leader we promised `acceptedEpoch` to, if that happened in this life. */
  promisedTo: ServerId | null;
  /** Every log entry <= this is durable (reported through persisted()). */
  persistedZxid: bigint;
  /** Known committed: entries of our log up to here are committed (only raised by a leader's word or quorum). */
  commitZxid: bigint;
  /** Where the runtime's state machine is: the last entry delivered in `committed` (or the start-up state). */
  appliedZxid: bigint;
  /** Highest zxid delivered in `committed` in this life: never truncated away. */
  reportedZxid: bigint;
  election: ElectionState;
  role: RoleState;
  /** sync(token) calls answered by the leader, waiting for the state machine to reach `zxid`. */
  localSyncs: { token: Buffer; zxid: bigint }[];
  /** Why the role or synced status last changed (reported in RoleChange). */
  statusReason: string;
  /**
   * Peers the runtime reported unreachable (its connection to them closed) and not yet reachable again. An
   * election round settles at once when every reachable participant agrees, instead of waiting finalizeWait.
   */
  unreachable: Set<ServerId>;
}

export class Outbox {
  messages: OutboundMessage[] = [];
  persistEpochs: { acceptedEpoch?: number; currentEpoch?: number } | null = null;
  roleChanged: RoleChange | null = null;
  needSnapshot: ServerId[] = [];
  forwardedRequests: { from: ServerId; bytes: Buffer }[] = [];
  sessionTouches: { from: ServerId; bytes: Buffer }[] = [];

  send(to: ServerId, msg: ZabMessage): void {
    this.messages.push({ to, msg });
  }

  isEmpty(): boolean {
    return this.messages.length === 0 && this.persistEpochs === null && this.roleChanged === null &&
      this.needSnapshot.length === 0 && this.forwardedRequests.length === 0 && this.sessionTouches.length === 0;
  }

  /** Empties the outbox, returning what it held. */
  take(): Outbox {
    const taken = Object.assign(new Outbox(), this);
    this.messages = [];
    this.persistEpochs = null;
    this.roleChanged = null;
    this.needSnapshot = [];
    this.forwardedRequests = [];
    this.sessionTouches = [];
    return taken;
  }
}

export function peerRole(core: Core): PeerRole {
  switch (core.role.kind) {
    case "looking":
      return "looking";
    case "leading":
      return "leading";
    case "learning":
      return core.role.learner.observer ? "observing" : "following";
  }
}

/** Promise `epoch` (durably, before any message of this Ready goes out). */
export function acceptEpoch(core: Core, epoch: number, leader: ServerId): void {
  assert(epoch > core.acceptedEpoch, `accepted epoch would go from ${core.acceptedEpoch} to ${epoch}`);
  core.acceptedEpoch = epoch;
  core.promisedTo = leader;
  core.out.persistEpochs = { ...core.out.persistEpochs, acceptedEpoch: epoch };
}

/** Adopt `epoch` as current (durably, before any message of this Ready goes out): our log is its history. */
export function adoptCurrentEpoch(core: Core, epoch: number): void {
  assert(epoch >= core.currentEpoch, `current epoch would go from ${core.currentEpoch} to ${epoch}`);
  assert(epoch <= core.acceptedEpoch, `current epoch ${epoch} above accepted epoch ${core.acceptedEpoch}`);
  if (epoch === core.currentEpoch) return;
  core.currentEpoch = epoch;
  core.out.persistEpochs = { ...core.out.persistEpochs, currentEpoch: epoch };
}

/** Drops log entries after `zxid` (a TRUNC from the leader). */
export function truncateLog(core: Core, zxid: bigint): void {
  assert(zxid >= core.reportedZxid,
    `truncation to ${formatZxid(zxid)} would drop ${formatZxid(core.reportedZxid)}, already delivered as committed`);
  core.log.truncate(zxid);
  if (core.persistedZxid > zxid) core.persistedZxid = zxid;
  if (core.appliedZxid > zxid) core.appliedZxid = zxid;
  if (core.commitZxid > zxid) core.commitZxid = zxid;
}

/**
 * Replaces log and state by a snapshot at `zxid` (a SNAP from the leader). The snapshot may be older than what
 * we applied (when our own log or snapshot held entries the leader's history lacks): the state machine then
 * goes back to it and committed entries after it are delivered again.
 */
export function installSnapshot(core: Core, zxid: bigint, bytes: Buffer): void {
  core.log.installSnapshot(zxid, bytes);
  core.persistedZxid = zxid;
  core.appliedZxid = zxid;
  if (core.reportedZxid > zxid) core.reportedZxid = zxid;
}

export function raiseCommit(core: Core, zxid: bigint): void {
  if (zxid > core.commitZxid) core.commitZxid = zxid;
}
