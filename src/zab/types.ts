/**
 * The public types of the consensus core: what the runtime hands in (members, persistent state, a view of its
 * log) and what it gets back (Ready). The contract a runtime must follow is spelled out in index.ts.
 */
import type { ZabMessage } from "./messages.js";

/** A server id as in zoo.cfg `server.N` (1..254, so it fits the top byte of a session id). */
export type ServerId = number;
export const SERVER_ID_MIN = 1;
export const SERVER_ID_MAX = 254;

export interface Member {
  id: ServerId;
  role: "participant" | "observer";
}

/** One logged txn: the zxid the leader assigned and the opaque bytes (the runtime's encodeTxn output). */
export interface Entry {
  zxid: bigint;
  payload: Buffer;
}

/** What survives a restart, as recovered by the runtime before constructing the peer. */
export interface PersistentState {
  /** Epoch last promised to a leader (ZooKeeper's `acceptedEpoch` file). */
  acceptedEpoch: number;
  /** Epoch whose NEWLEADER this server acknowledged (ZooKeeper's `currentEpoch` file); votes carry it. */
  currentEpoch: number;
  /**
   * The zxid the runtime's state machine holds at start-up. Either the zxid of the snapshot it loaded (then
   * the core re-delivers later logged entries in `committed` once it knows they are committed), or the last
   * logged zxid if the runtime replayed its whole log, as ZooKeeper does (then a later `truncateAfter` below it
   * means: rebuild the state machine at exactly that zxid).
   */
  lastAppliedZxid: bigint;
}

/**
 * A synchronous read view of the runtime's txn log. It must reflect every log effect of a Ready
 * (installSnapshot, truncateAfter, persistEntries) as soon as the runtime has taken that Ready, before the
 * runtime calls into the peer again; durability may lag (see `ZabPeer.persisted`).
 */
export interface LogView {
  /**
   * A zxid in this server's history (0, a snapshot's zxid or a logged entry's zxid) such that every logged
   * entry after it is available. Must never exceed the zxid of the last entry the core delivered in
   * `committed`: the core reads unapplied entries back from the log.
   */
  baseZxid(): bigint;
  /** Zxid of the last appended entry (durable or not), or baseZxid() if there is none after it. */
  lastZxid(): bigint;
  /** Up to `max` entries with zxid > `after`, ascending. The core only asks with `after >= baseZxid()`. */
  entriesAfter(after: bigint, max: number): Entry[];
  /** The largest logged zxid <= `zxid`, or baseZxid() if none. The core only asks with `zxid >= baseZxid()`. */
  floorZxid(zxid: bigint): bigint;
}

export type PeerRole = "looking" | "leading" | "following" | "observing";

export interface RoleChange {
  role: PeerRole;
  leader: ServerId | null;
  /** The epoch being established (leader, learner) or currentEpoch while looking. */
  epoch: number;
  /** True once this server may serve: a leader whose epoch is established, a learner after UPTODATE. */
  synced: boolean;
  /** Why the change happened, for logs. */
  reason: string;
}

export interface OutboundMessage {
  to: ServerId;
  msg: ZabMessage;
}

/** Effects to carry out, in the order of the fields (see index.ts for the full contract). */
export interface Ready {
  /**
   * SNAP from the leader: replace the state machine with `bytes` (state at `zxid`) and reset the log to start
   * after it. It can be older than what was applied (rare): `committed` then re-delivers entries after it.
   */
  installSnapshot?: { zxid: bigint; bytes: Buffer };
  /** Drop logged entries with zxid > this. If the state machine applied beyond it, rebuild it at exactly this zxid. */
  truncateAfter?: bigint;
  /** Write durably before sending `messages` (ACKEPOCH and NEWLEADER acks depend on them). */
  persistEpochs?: { acceptedEpoch?: number; currentEpoch?: number };
  /** Append in order; report durability later with `persisted(zxid)`. Messages do not wait for these. */
  persistEntries: Entry[];
  messages: OutboundMessage[];
  /** Apply in this order (zxid order, no gaps); every entry is already durable in the local log. */
  committed: Entry[];
  /** Role, leader or synced status at the end of this batch differ from the previous Ready's. */
  roleChanged?: RoleChange;
  /** Leader: these learners need a snapshot; answer with provideSnapshot(id, zxid, bytes). */
  needSnapshot: ServerId[];
  /** Leader: client work forwarded by learners (REQUEST), to be prepared and proposed by the runtime. */
  forwardedRequests: { from: ServerId; bytes: Buffer }[];
  /** Leader: session touches learners piggy-backed on their pings. */
  sessionTouches: { from: ServerId; bytes: Buffer }[];
  /** sync(token) calls that are satisfied once `committed` of this Ready has been applied. */
  syncsCompleted: { token: Buffer; zxid: bigint }[];
}

export interface ZabOptions {
  id: ServerId;
  members: readonly Member[];
  state: PersistentState;
  log: LogView;
  /** Ticks a learner may take to connect and sync (zoo.cfg initLimit). */
  initLimitTicks: number;
  /** Ticks of silence after which a learner or a leader's quorum is considered lost (zoo.cfg syncLimit). */
  syncLimitTicks: number;
  /** Ticks a looking peer waits, once a quorum agrees, for a better vote (ZooKeeper's finalizeWait). Default 1. */
  finalizeWaitTicks?: number;
  /** Highest zxid counter a leader assigns before stepping down to force a new epoch. Default 0xfffffffe. */
  zxidCounterLimit?: number;
  /** A learner further behind than this many entries gets a SNAP instead of a DIFF. Default 10000. */
  diffEntriesMax?: number;
  /** Leader: proposals outstanding (proposed, not committed) before canPropose() says no. Default 10000. */
  outstandingProposalsMax?: number;
  /** Entries delivered per Ready in `committed`; the rest follow in the next Ready. Default 1000. */
  committedPerReadyMax?: number;
  /** Bytes per SNAP message. Default 1 MiB. */
  snapshotChunkBytes?: number;
}

export interface LearnerStatus {
  id: ServerId;
  observer: boolean;
  stage: string;
  synced: boolean;
  ackedZxid: bigint | null;
  silentTicks: number;
}

/** A snapshot of the peer's state for four-letter words, metrics and tests. */
export interface PeerStatus {
  id: ServerId;
  role: PeerRole;
  phase: string;
  leader: ServerId | null;
  synced: boolean;
  acceptedEpoch: number;
  currentEpoch: number;
  electionEpoch: number;
  lastLoggedZxid: bigint;
  persistedZxid: bigint;
  commitZxid: bigint;
  appliedZxid: bigint;
  /** Leader only: its learners. */
  learners: LearnerStatus[];
  /** Leader only: proposals not yet committed. */
  outstandingProposals: number;
}
