/**
 * ZabPeer: one server's election and ZAB as a deterministic state machine (etcd raft's RawNode). Inputs are
 * ticks, messages, durability reports and leader-side proposals; every effect comes out of ready().
 * This file only validates inputs, dispatches to the role modules and assembles Ready.
 */
import { assert } from "../base/assert.js";
import type { Core, Limits, Transition } from "./core.js";
import { Outbox, peerRole } from "./core.js";
import { lookingRecheck, lookingStep, lookingTick, newElectionState, settledStep, startLooking } from "./election.js";
import { leaderPersisted, leaderStep, leaderTick, startLeading } from "./leader.js";
import * as broadcast from "./leader-broadcast.js";
import { provideSnapshot } from "./leader-sync.js";
import { learnerStep, learnerTick, startLearning } from "./learner.js";
import { forward, forwardSync, learnerPersisted, queueTouches } from "./learner-broadcast.js";
import { CoreLog, type LogEffects } from "./log.js";
import { ENTRY_PAYLOAD_BYTES_MAX, PING_TOUCH_BYTES_MAX, SNAPSHOT_CHUNK_BYTES_MAX, SYNC_TOKEN_BYTES_MAX, type ZabMessage } from "./messages.js";
import { QuorumConfig } from "./quorum.js";
import type { PeerRole, PeerStatus, Ready, RoleChange, ServerId, ZabOptions } from "./types.js";
import { COUNTER_LIMIT_DEFAULT, COUNTER_MAX, EPOCH_MAX, formatZxid } from "./zxid.js";

/** Role changes one input may cause (e.g. looking → leading → looking); more means a loop. */
const TRANSITIONS_PER_INPUT_MAX = 8;

export class ZabPeer {
  private readonly core: Core;
  private inFlight: { ready: Ready; effects: LogEffects } | null = null;
  private reported: Pick<RoleChange, "role" | "leader" | "synced"> | null = null;

  constructor(options: ZabOptions) {
    const limits = resolveLimits(options);
    const quorum = new QuorumConfig(options.members);
    assert(quorum.isMember(options.id), `server ${options.id} is not in the member list`);
    const { acceptedEpoch, currentEpoch, lastAppliedZxid } = options.state;
    assert(isEpoch(acceptedEpoch) && isEpoch(currentEpoch), "epochs out of range");
    assert(currentEpoch <= acceptedEpoch, `currentEpoch ${currentEpoch} above acceptedEpoch ${acceptedEpoch}`);
    const log = new CoreLog(options.log);
    assert(lastAppliedZxid >= log.base() && lastAppliedZxid <= log.last(),
      `applied zxid ${formatZxid(lastAppliedZxid)} outside the log [${formatZxid(log.base())}, ${formatZxid(log.last())}]`);
    this.core = {
      id: options.id, quorum, limits, log, out: new Outbox(), ticks: 0, acceptedEpoch, currentEpoch, promisedTo: null,
      persistedZxid: log.last(), commitZxid: lastAppliedZxid, appliedZxid: lastAppliedZxid, reportedZxid: 0n,
      election: newElectionState({ leader: options.id, zxid: log.last(), peerEpoch: currentEpoch }),
      role: { kind: "looking" }, localSyncs: [], statusReason: "started", unreachable: new Set(),
    };
    this.after({ to: "looking", reason: "started" });
  }

  /** One tickTime elapsed. */
  tick(): void {
    const core = this.core;
    core.ticks++;
    switch (core.role.kind) {
      case "looking":
        return this.after(lookingTick(core));
      case "leading":
        return this.after(leaderTick(core, core.role.leader));
      case "learning":
        return this.after(learnerTick(core, core.role.learner));
    }
  }

  /** A message arrived from `from` (already decoded; messages from non-members are ignored). */
  step(from: ServerId, msg: ZabMessage): void {
    const core = this.core;
    if (from === core.id || !core.quorum.isMember(from)) return;
    if (msg.kind === "notification") {
      if (core.role.kind === "looking") return this.after(lookingStep(core, from, msg));
      settledStep(core, from, msg);
      return this.after(undefined);
    }
    switch (core.role.kind) {
      case "looking":
        return;
      case "leading":
        return this.after(leaderStep(core, core.role.leader, from, msg));
      case "learning":
        return this.after(learnerStep(core, core.role.learner, from, msg));
    }
  }

  /**
   * The runtime lost its connection with `id` (closed or reset: typically the process died). A learner whose
   * leader that is goes looking at once, as ZooKeeper's follower does when its leader socket fails, instead of
   * waiting syncLimit ticks of silence; a looking peer stops waiting for `id`'s vote. Neither affects safety
   * (going looking is always allowed; the elected vote is still the best of an agreeing quorum), only how fast
   * a dead leader is replaced. A spurious report costs at most an extra election.
   */
  peerUnreachable(id: ServerId): void {
    const core = this.core;
    if (id === core.id || !core.quorum.isMember(id)) return;
    core.unreachable.add(id);
    switch (core.role.kind) {
      case "learning":
        if (core.role.learner.leader === id) return this.after({ to: "looking", reason: `lost the connection to leader ${id}` });
        return;
      case "looking":
        return this.after(lookingRecheck(core));
      case "leading":
        return;
    }
  }

  /** The runtime (re)connected to `id`: wait for its vote again in elections. */
  peerReachable(id: ServerId): void {
    this.core.unreachable.delete(id);
  }

  /**
   * Entries up to `upToZxid` that the core asked to persist are durable (and so is every earlier snapshot
   * install or truncation). Reports about entries later truncated away are harmless.
   */
  persisted(upToZxid: bigint): void {
    const core = this.core;
    if (upToZxid < core.log.base()) return;
    const last = core.log.last();
    const durable = core.log.floor(upToZxid < last ? upToZxid : last);
    if (durable <= core.persistedZxid) return;
    core.persistedZxid = durable;
    switch (core.role.kind) {
      case "leading":
        return this.after(leaderPersisted(core, core.role.leader));
      case "learning":
        learnerPersisted(core, core.role.learner);
        return this.after(undefined);
      case "looking":
        return;
    }
  }

  // ---- leader side -------------------------------------------------------------------------------------

  /** True when this peer is an established leader that may assign another zxid now. */
  canPropose(): boolean {
    return this.core.role.kind === "leading" && broadcast.canPropose(this.core, this.core.role.leader);
  }

  /** Reserve the next zxid (epoch << 32 | counter); propose() it before any other call into the peer. */
  nextZxid(): bigint {
    assert(this.core.role.kind === "leading", "nextZxid() on a peer that does not lead");
    return broadcast.nextZxid(this.core, this.core.role.leader);
  }

  /** Replicate a txn under the zxid nextZxid() returned. */
  propose(zxid: bigint, payload: Buffer): void {
    assert(this.core.role.kind === "leading", "propose() on a peer that does not lead");
    assert(payload.length <= ENTRY_PAYLOAD_BYTES_MAX, `payload of ${payload.length} bytes exceeds ${ENTRY_PAYLOAD_BYTES_MAX}`);
    broadcast.propose(this.core, this.core.role.leader, zxid, Buffer.from(payload));
    this.after(undefined);
  }

  /**
   * Answer a needSnapshot: `bytes` is the state machine at `zxid` (log base <= zxid <= what was applied; a fuzzy
   * snapshot is fine if replaying later entries is idempotent). Ignored if that learner moved on meanwhile.
   */
  provideSnapshot(to: ServerId, zxid: bigint, bytes: Buffer): void {
    if (this.core.role.kind !== "leading") return;
    provideSnapshot(this.core, this.core.role.leader, to, zxid, bytes);
    this.after(undefined);
  }

  // ---- any synced role ----------------------------------------------------------------------------------

  /**
   * Client sync: completes (Ready.syncsCompleted) once this server has applied everything the leader had
   * proposed when the sync reached it, and a quorum confirmed that leader is still current (it echoed a ping
   * sent after the sync arrived: a stale leader can never answer). False if there is no synced leader now.
   */
  sync(token: Buffer): boolean {
    const core = this.core;
    assert(token.length <= SYNC_TOKEN_BYTES_MAX, `sync token of ${token.length} bytes exceeds ${SYNC_TOKEN_BYTES_MAX}`);
    let accepted = false;
    if (core.role.kind === "leading") accepted = broadcast.acceptSync(core, core.role.leader, core.id, Buffer.from(token));
    if (core.role.kind === "learning") accepted = forwardSync(core, core.role.learner, Buffer.from(token));
    this.after(undefined);
    return accepted;
  }

  /** Learner: send client work (opaque bytes) to the leader; it surfaces in the leader's forwardedRequests. */
  forward(bytes: Buffer): boolean {
    if (this.core.role.kind !== "learning") return false;
    assert(bytes.length <= ENTRY_PAYLOAD_BYTES_MAX, `request of ${bytes.length} bytes exceeds ${ENTRY_PAYLOAD_BYTES_MAX}`);
    const sent = forward(this.core, this.core.role.learner, Buffer.from(bytes));
    this.after(undefined);
    return sent;
  }

  /** Learner: session touches to piggy-back on the next ping (leader: sessionTouches). */
  queueSessionTouches(bytes: Buffer): boolean {
    if (this.core.role.kind !== "learning") return false;
    assert(bytes.length <= PING_TOUCH_BYTES_MAX, `touches of ${bytes.length} bytes exceed ${PING_TOUCH_BYTES_MAX}`);
    return queueTouches(this.core.role.learner, Buffer.from(bytes));
  }

  // ---- effects ------------------------------------------------------------------------------------------

  hasReady(): boolean {
    const core = this.core;
    return !core.out.isEmpty() || core.log.hasEffects() || this.committableZxid() > core.appliedZxid ||
      core.localSyncs.some((s) => s.zxid <= core.appliedZxid) || (core.role.kind === "leading" && core.role.leader.probeWanted);
  }

  /** Take the pending effects; call advance() with it before the next ready(). */
  ready(): Ready {
    assert(this.inFlight === null, "ready() before advance() of the previous Ready");
    const core = this.core;
    if (core.role.kind === "leading") broadcast.flushProbe(core, core.role.leader);
    const effects = core.log.takeEffects();
    const committed = this.takeCommitted();
    const syncsCompleted = core.localSyncs.filter((s) => s.zxid <= core.appliedZxid);
    core.localSyncs = core.localSyncs.filter((s) => s.zxid > core.appliedZxid);
    const out = core.out.take();
    const ready: Ready = {
      persistEntries: effects.persistEntries, messages: out.messages, committed, needSnapshot: out.needSnapshot,
      forwardedRequests: out.forwardedRequests, sessionTouches: out.sessionTouches, syncsCompleted,
    };
    if (effects.installSnapshot !== undefined) ready.installSnapshot = effects.installSnapshot;
    if (effects.truncateAfter !== undefined) ready.truncateAfter = effects.truncateAfter;
    if (out.persistEpochs !== null) ready.persistEpochs = out.persistEpochs;
    if (out.roleChanged !== null) ready.roleChanged = out.roleChanged;
    this.inFlight = { ready, effects };
    return ready;
  }

  /** The Ready was carried out (see index.ts for what that means). */
  advance(ready: Ready): void {
    assert(this.inFlight !== null && this.inFlight.ready === ready, "advance() of a Ready that is not in flight");
    this.core.log.checkReflected(this.inFlight.effects);
    this.inFlight = null;
  }

  // ---- queries ------------------------------------------------------------------------------------------

  role(): PeerRole {
    return peerRole(this.core);
  }

  leaderId(): ServerId | null {
    const role = this.core.role;
    if (role.kind === "leading") return this.core.id;
    return role.kind === "learning" ? role.learner.leader : null;
  }

  /** True when this server may serve clients: an established leader, or a learner after UPTODATE. */
  isSynced(): boolean {
    const role = this.core.role;
    if (role.kind === "leading") return role.leader.phase === "broadcast";
    return role.kind === "learning" && role.learner.phase === "broadcast";
  }

  epoch(): number {
    return this.core.currentEpoch;
  }

  lastCommittedZxid(): bigint {
    return this.core.commitZxid;
  }

  status(): PeerStatus {
    const core = this.core;
    const role = core.role;
    const learners = role.kind !== "leading" ? [] : [...role.leader.handles.values()].map((h) => ({
      id: h.id, observer: h.observer, stage: h.stage, synced: h.synced, ackedZxid: h.ackedZxid,
      silentTicks: core.ticks - h.heardTick,
    }));
    return {
      id: core.id, role: this.role(), leader: this.leaderId(), synced: this.isSynced(),
      phase: role.kind === "leading" ? role.leader.phase : role.kind === "learning" ? role.learner.phase : "election",
      acceptedEpoch: core.acceptedEpoch, currentEpoch: core.currentEpoch, electionEpoch: core.election.logicalClock,
      lastLoggedZxid: core.log.last(), persistedZxid: core.persistedZxid, commitZxid: core.commitZxid,
      appliedZxid: core.appliedZxid, learners,
      outstandingProposals: role.kind === "leading" ? broadcast.outstandingProposals(core, role.leader) : 0,
    };
  }

  // ---- internals ----------------------------------------------------------------------------------------

  /** Perform the transitions an input caused, then note a role/synced change for the next Ready. */
  private after(first: Transition | undefined): void {
    let next = first;
    for (let i = 0; next !== undefined; i++) {
      assert(i < TRANSITIONS_PER_INPUT_MAX, "role transitions do not settle");
      next = this.enter(next);
    }
    this.noteRoleChange();
  }

  private enter(t: Transition): Transition | undefined {
    const core = this.core;
    core.statusReason = t.reason;
    switch (t.to) {
      case "looking":
        core.role = { kind: "looking" };
        return startLooking(core);
      case "leading":
        return startLeading(core);
      case "learning":
        startLearning(core, t.leader);
        return undefined;
    }
  }

  private noteRoleChange(): void {
    const now = { role: this.role(), leader: this.leaderId(), synced: this.isSynced() };
    const last = this.reported;
    if (last !== null && last.role === now.role && last.leader === now.leader && last.synced === now.synced) return;
    this.reported = now;
    const epoch = this.currentTermEpoch();
    this.core.out.roleChanged = { ...now, epoch, reason: this.core.statusReason };
  }

  private currentTermEpoch(): number {
    const role = this.core.role;
    if (role.kind === "leading") return role.leader.epoch ?? this.core.currentEpoch;
    if (role.kind === "learning") return role.learner.epoch ?? this.core.currentEpoch;
    return this.core.currentEpoch;
  }

  private committableZxid(): bigint {
    const core = this.core;
    let upTo = core.commitZxid;
    if (core.persistedZxid < upTo) upTo = core.persistedZxid;
    const last = core.log.last();
    return last < upTo ? last : upTo;
  }

  private takeCommitted(): Ready["committed"] {
    const core = this.core;
    const upTo = this.committableZxid();
    if (upTo <= core.appliedZxid) return [];
    const entries = core.log.entriesAfter(core.appliedZxid, core.limits.committedPerReadyMax).filter((e) => e.zxid <= upTo);
    assert(entries.length > 0, `committed entries after ${formatZxid(core.appliedZxid)} are missing from the log`);
    core.appliedZxid = entries[entries.length - 1].zxid;
    if (core.appliedZxid > core.reportedZxid) core.reportedZxid = core.appliedZxid;
    return entries;
  }
}

function isEpoch(epoch: number): boolean {
  return Number.isInteger(epoch) && epoch >= 0 && epoch <= EPOCH_MAX;
}

function resolveLimits(o: ZabOptions): Limits {
  const limits: Limits = {
    initLimitTicks: o.initLimitTicks, syncLimitTicks: o.syncLimitTicks, finalizeWaitTicks: o.finalizeWaitTicks ?? 1,
    zxidCounterLimit: o.zxidCounterLimit ?? COUNTER_LIMIT_DEFAULT, diffEntriesMax: o.diffEntriesMax ?? 10_000,
    outstandingProposalsMax: o.outstandingProposalsMax ?? 10_000, committedPerReadyMax: o.committedPerReadyMax ?? 1000,
    snapshotChunkBytes: o.snapshotChunkBytes ?? 1024 * 1024,
  };
  for (const [name, value] of Object.entries(limits)) assert(Number.isInteger(value) && value >= 1, `${name} must be a positive integer`);
  assert(limits.zxidCounterLimit < COUNTER_MAX, `zxidCounterLimit must stay below ${COUNTER_MAX}`);
  assert(limits.snapshotChunkBytes <= SNAPSHOT_CHUNK_BYTES_MAX, `snapshotChunkBytes above ${SNAPSHOT_CHUNK_BYTES_MAX}`);
  return limits;
}
