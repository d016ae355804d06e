/**
 * One simulated server: a ZabPeer driven exactly as index.ts tells a runtime to drive it, over a SimDisk and
 * the simulated network, applying committed entries to the digest state machine. Crashes lose what was not
 * fsynced; restarts recover either from the last snapshot alone or by replaying the whole log (ZooKeeper's way).
 */
import { ZabPeer, formatZxid, type Entry, type Member, type Ready, type RoleChange, type ServerId, type ZabMessage,
  type ZabOptions } from "../../src/zab/index.js";
import type { Checker } from "./checker.js";
import type { SimNetwork } from "./network.js";
import { SimDisk } from "./sim-disk.js";
import { applyEntry, copyState, decodeState, encodeState, genesis, replay, type SmState } from "./state-machine.js";

export type Recovery = "snapshot" | "replay";
export type PeerTuning = Omit<ZabOptions, "id" | "members" | "state" | "log">;

/** What a node needs from the simulation around it. */
export interface SimContext {
  now(): number;
  network: SimNetwork;
  checker: Checker;
  record(line: string): void;
  count(what: string): void;
  fsyncDelay(id: ServerId): number;
  onApplied(node: SimNode, entry: Entry): void;
  onForwarded(node: SimNode, from: ServerId, bytes: Buffer): void;
  onSyncCompleted(node: SimNode, token: Buffer, zxid: bigint): void;
}

/** Readies one input may produce before we call it a livelock. */
const READIES_PER_INPUT_MAX = 10_000;

export class SimNode {
  readonly disk = new SimDisk();
  peer: ZabPeer | null = null;
  state: SmState = genesis();
  life = 0;
  lastRole: RoleChange | null = null;
  /** Leader: session touches learners piggy-backed on pings. */
  readonly touches: { from: ServerId; bytes: string }[] = [];
  /** Syncs completed here: token and the zxid the state machine had reached. */
  readonly syncsDone: { token: string; appliedZxid: bigint }[] = [];
  private appliedSinceSnapshot = 0;

  constructor(
    readonly id: ServerId,
    private readonly ctx: SimContext,
    private readonly members: readonly Member[],
    private readonly tuning: PeerTuning,
    private readonly snapshotEvery: number | null = null,
    private readonly snapshotRetain = 0,
  ) {}

  get alive(): boolean {
    return this.peer !== null;
  }

  start(recovery: Recovery = "snapshot"): void {
    if (this.peer !== null) throw new Error(`server ${this.id} is already running`);
    this.life++;
    this.state = copyState(this.disk.snapshot);
    if (recovery === "replay") for (const e of this.disk.durableEntriesAfter(this.state.zxid)) applyEntry(this.state, e);
    this.lastRole = null;
    this.ctx.record(`server ${this.id} starts (life ${this.life}, ${recovery}, log ${formatZxid(this.disk.baseZxid())}..` +
      `${formatZxid(this.disk.lastZxid())}, applied ${formatZxid(this.state.zxid)}, epochs ${this.disk.acceptedEpoch}/${this.disk.currentEpoch})`);
    this.peer = new ZabPeer({
      ...this.tuning, id: this.id, members: this.members, log: this.disk,
      state: { acceptedEpoch: this.disk.acceptedEpoch, currentEpoch: this.disk.currentEpoch, lastAppliedZxid: this.state.zxid },
    });
    this.drain();
  }

  /** Test set-up: give a stopped server a durable history (epochs and entries) before it starts. */
  seedDisk(acceptedEpoch: number, currentEpoch: number, entries: readonly Entry[]): void {
    if (this.peer !== null) throw new Error("seedDisk on a running server");
    this.disk.acceptedEpoch = acceptedEpoch;
    this.disk.currentEpoch = currentEpoch;
    for (const e of entries) this.disk.append(e, 0);
    this.disk.flush(0);
  }

  crash(): void {
    if (this.peer === null) return;
    this.peer = null;
    this.disk.crash();
    this.ctx.record(`server ${this.id} crashes (durable log to ${formatZxid(this.disk.lastZxid())})`);
  }

  deliver(from: ServerId, msg: ZabMessage): void {
    if (this.peer === null) return;
    this.peer.step(from, msg);
    this.drain();
  }

  /** The runtime's transport saw its connection to `id` close (or come back). */
  reachability(id: ServerId, reachable: boolean): void {
    if (this.peer === null) return;
    if (reachable) this.peer.peerReachable(id);
    else this.peer.peerUnreachable(id);
    this.drain();
  }

  tick(): void {
    if (this.peer === null) return;
    this.peer.tick();
    this.drain();
  }

  /** Completes due fsyncs and tells the peer. */
  flush(now: number): void {
    const durable = this.disk.flush(now);
    if (durable === null || this.peer === null) return;
    this.peer.persisted(durable);
    this.drain();
  }

  /** Runs the Ready loop until the peer has nothing more to say. */
  drain(): void {
    for (let i = 0; this.peer !== null && this.peer.hasReady(); i++) {
      if (i >= READIES_PER_INPUT_MAX) throw new Error(`server ${this.id}: Ready loop does not settle`);
      const peer = this.peer;
      const ready = peer.ready();
      this.carryOut(peer, ready);
      peer.advance(ready);
    }
    this.maybeSnapshot();
  }

  private carryOut(peer: ZabPeer, r: Ready): void {
    if (r.installSnapshot !== undefined) {
      this.state = decodeState(r.installSnapshot.bytes);
      if (this.state.zxid !== r.installSnapshot.zxid) throw new Error("snapshot bytes disagree with its zxid");
      this.disk.installSnapshot(this.state);
      this.ctx.record(`server ${this.id} installs snapshot at ${formatZxid(this.state.zxid)}`);
      this.ctx.count("snapshot installed");
    }
    if (r.truncateAfter !== undefined) this.truncate(r.truncateAfter);
    if (r.persistEpochs?.acceptedEpoch !== undefined) this.disk.acceptedEpoch = r.persistEpochs.acceptedEpoch;
    if (r.persistEpochs?.currentEpoch !== undefined) this.disk.currentEpoch = r.persistEpochs.currentEpoch;
    for (const e of r.persistEntries) this.disk.append(e, this.ctx.now() + this.ctx.fsyncDelay(this.id));
    for (const m of r.messages) {
      if (m.msg.kind === "ack") this.ctx.checker.onAckSent(this.id, m.msg.zxid, this.disk.durableZxid());
      if (m.msg.kind === "learnerPing" && m.msg.ackZxid !== null) this.ctx.checker.onAckSent(this.id, m.msg.ackZxid, this.disk.durableZxid());
      this.ctx.network.send(this.id, m.to, m.msg, this.ctx.now());
    }
    for (const e of r.committed) this.apply(e);
    for (const s of r.syncsCompleted) {
      this.syncsDone.push({ token: s.token.toString("utf8"), appliedZxid: this.state.zxid });
      this.ctx.onSyncCompleted(this, s.token, s.zxid);
    }
    for (const f of r.forwardedRequests) this.ctx.onForwarded(this, f.from, f.bytes);
    for (const t of r.sessionTouches) this.touches.push({ from: t.from, bytes: t.bytes.toString("utf8") });
    for (const to of r.needSnapshot) peer.provideSnapshot(to, this.state.zxid, encodeState(this.state));
    if (r.roleChanged !== undefined) this.onRoleChanged(r.roleChanged);
  }

  private truncate(after: bigint): void {
    this.disk.truncate(after);
    this.ctx.record(`server ${this.id} truncates its log after ${formatZxid(after)}`);
    this.ctx.count("log truncated");
    if (this.state.zxid <= after) return;
    this.ctx.count("state rebuilt");
    const snapshot = this.disk.snapshot;
    if (snapshot.zxid > after) throw new Error(`server ${this.id}: cannot rebuild at ${formatZxid(after)}, snapshot is at ${formatZxid(snapshot.zxid)}`);
    this.state = replay(snapshot, this.disk.entriesAfter(snapshot.zxid, Number.MAX_SAFE_INTEGER));
    this.ctx.record(`server ${this.id} rebuilds its state at ${formatZxid(this.state.zxid)}`);
  }

  private apply(e: Entry): void {
    applyEntry(this.state, e);
    this.appliedSinceSnapshot++;
    this.ctx.checker.onApply(this.id, e.zxid, e.payload.toString("utf8"), this.state.digest);
    this.ctx.onApplied(this, e);
  }

  private onRoleChanged(rc: RoleChange): void {
    this.lastRole = rc;
    this.ctx.count(`role ${rc.role}${rc.synced ? " synced" : ""}`);
    if (rc.reason.startsWith("rejoining")) this.ctx.count("rejoin");
    if (rc.reason.includes("exhausted")) this.ctx.count("counter exhausted");
    this.ctx.record(`server ${this.id} is ${rc.role}${rc.leader !== null ? ` (leader ${rc.leader})` : ""} epoch ${rc.epoch}` +
      `${rc.synced ? " synced" : ""}: ${rc.reason}`);
    if (rc.role === "leading" && rc.synced) this.ctx.checker.onEstablished(this.id, rc.epoch, (z) => this.holds(z));
  }

  /** The payload this server's log or snapshot holds at zxid. */
  holds(zxid: bigint): string | undefined {
    const logged = this.disk.entryAt(zxid);
    if (logged !== undefined) return logged.payload.toString("utf8");
    return this.disk.snapshot.applied.find(([z]) => z === zxid)?.[1];
  }

  /** Snapshots only while synced, so a snapshot never holds an uncommitted entry. */
  private maybeSnapshot(): void {
    if (this.snapshotEvery === null || this.peer === null || !this.peer.isSynced()) return;
    if (this.appliedSinceSnapshot < this.snapshotEvery) return;
    this.appliedSinceSnapshot = 0;
    this.disk.takeSnapshot(this.state, this.snapshotRetain);
  }
}
