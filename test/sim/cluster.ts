/**
 * A simulated ensemble: SimNodes on a SimNetwork with one clock, a client workload and the invariant
 * checker. Tests drive it by hand (tick, stabilize, crash, cut: transcript style); the randomized simulator
 * drives the same object from a seed. Everything random comes from the cluster's Prng.
 */
import assert from "node:assert/strict";
import { formatMessage, type Entry, type Member, type PeerStatus, type ServerId, type ZabMessage } from "../../src/zab/index.js";
import { Checker } from "./checker.js";
import { NO_FAULTS, SimNetwork } from "./network.js";
import { Prng } from "./prng.js";
import { SimNode, type PeerTuning, type Recovery, type SimContext } from "./sim-node.js";

export interface ClusterConfig {
  voters: number;
  observers?: number;
  seed?: number;
  tuning?: Partial<PeerTuning>;
  /** Simulated time units per tick (message delays and fsyncs are in units). */
  unitsPerTick?: number;
  /** Ticks happen on their own every unitsPerTick units (randomized runs); otherwise tests call tick(). */
  autoTick?: boolean;
  /** fsync latency range in units, per server (default: immediate). */
  fsyncDelay?: [number, number];
  snapshotEvery?: number | null;
  snapshotRetain?: number;
  /** Keep every delivered message for assertions (transcript tests). */
  recordDeliveries?: boolean;
  transcriptLines?: number;
}

export interface Delivery {
  at: number;
  from: ServerId;
  to: ServerId;
  msg: ZabMessage;
}

/** Units stabilize() may run before it declares the cluster will not settle. */
const STABILIZE_UNITS_MAX = 100_000;

export class Cluster {
  readonly prng: Prng;
  readonly network: SimNetwork;
  readonly checker = new Checker();
  readonly nodes = new Map<ServerId, SimNode>();
  readonly members: Member[];
  readonly unitsPerTick: number;
  readonly deliveries: Delivery[] = [];
  now = 0;
  acked = 0;
  /** How often each message kind was delivered and each notable server event happened. */
  readonly counts = new Map<string, number>();
  private readonly transcript: string[] = [];
  private readonly fsyncRanges = new Map<ServerId, [number, number]>();
  /** Each server's tick phase: ticks of different servers do not line up (autoTick). */
  private readonly tickOffsets = new Map<ServerId, number>();
  /** Paused servers (a GC or VM freeze): until when, and the messages that arrived meanwhile. */
  private readonly paused = new Map<ServerId, { until: number; backlog: { from: ServerId; msg: ZabMessage }[] }>();
  private writeSeq = 0;
  private syncSeq = 0;
  private readonly syncsRequired = new Map<string, bigint>();
  private readonly syncsDone = new Set<string>();
  /** Payloads proposed so far: the simulated network may deliver a forwarded REQUEST twice (TCP would not). */
  private readonly proposed = new Set<string>();

  constructor(readonly config: ClusterConfig) {
    this.prng = new Prng(config.seed ?? 1);
    this.network = new SimNetwork(this.prng.fork());
    this.unitsPerTick = config.unitsPerTick ?? 10;
    const observers = config.observers ?? 0;
    this.members = [];
    for (let id = 1; id <= config.voters; id++) this.members.push({ id, role: "participant" });
    for (let id = config.voters + 1; id <= config.voters + observers; id++) this.members.push({ id, role: "observer" });
    const tuning: PeerTuning = { initLimitTicks: 10, syncLimitTicks: 5, ...config.tuning };
    const ctx = this.context();
    for (const m of this.members) {
      this.nodes.set(m.id, new SimNode(m.id, ctx, this.members, tuning, config.snapshotEvery ?? null, config.snapshotRetain ?? 0));
      this.fsyncRanges.set(m.id, config.fsyncDelay ?? [0, 0]);
      this.tickOffsets.set(m.id, config.autoTick ? this.prng.int(this.unitsPerTick) : 0);
    }
  }

  get ids(): ServerId[] {
    return this.members.map((m) => m.id);
  }

  node(id: ServerId): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no server ${id}`);
    return node;
  }

  setFsyncDelay(id: ServerId, range: [number, number]): void {
    this.fsyncRanges.set(id, range);
  }

  // ---- lifecycle ----

  start(id: ServerId, recovery: Recovery = "snapshot"): void {
    this.node(id).start(recovery);
    for (const other of this.ids) if (other !== id) this.node(other).reachability(id, true); // peers redial it
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  crash(id: ServerId): void {
    this.paused.delete(id);
    this.node(id).crash();
    this.network.dropTo(id);
    // A dead process's connections reset: its peers' transports notice at once (the runtime reports it).
    for (const other of this.ids) if (other !== id) this.node(other).reachability(id, false);
  }

  /** A connection reset between live servers (a flaky link): `at` hears that `peer` is unreachable, then back. */
  spuriousDisconnect(at: ServerId, peer: ServerId): void {
    this.record(`server ${at} loses its connection to ${peer} (both alive)`);
    this.node(at).reachability(peer, false);
    this.node(at).reachability(peer, true);
  }

  restart(id: ServerId, recovery: Recovery = "snapshot"): void {
    this.crash(id);
    this.start(id, recovery);
  }

  // ---- time ----

  /** One time unit: resumed servers, due messages, due fsyncs, and ticks that are due (autoTick). */
  step(): void {
    this.now++;
    this.resumeDue();
    for (const d of this.network.takeDue(this.now)) this.deliver(d.from, d.to, d.msg);
    for (const node of this.nodes.values()) if (!this.paused.has(node.id)) node.flush(this.now);
    if (!this.config.autoTick) return;
    for (const id of this.prng.shuffle(this.ids)) {
      if (!this.paused.has(id) && (this.now + (this.tickOffsets.get(id) ?? 0)) % this.unitsPerTick === 0) this.node(id).tick();
    }
  }

  /** Freeze server `id` for `units`: no ticks, no message handling; what arrives waits for it. */
  pause(id: ServerId, units: number): void {
    if (this.paused.has(id) || !this.node(id).alive) return;
    this.paused.set(id, { until: this.now + units, backlog: [] });
    this.record(`server ${id} pauses for ${units} units`);
  }

  private resumeDue(): void {
    for (const [id, p] of [...this.paused]) {
      if (p.until > this.now) continue;
      this.paused.delete(id);
      this.record(`server ${id} resumes (${p.backlog.length} messages waiting)`);
      const node = this.node(id);
      node.flush(this.now);
      for (const m of p.backlog) this.deliver(m.from, id, m.msg);
    }
  }

  tick(ids: readonly ServerId[] = this.ids): void {
    for (const id of ids) this.node(id).tick();
  }

  tickAll(): void {
    for (const id of this.ids) this.node(id).tick();
  }

  runUnits(units: number): void {
    for (let i = 0; i < units; i++) this.step();
  }

  runTicks(ticks: number): void {
    this.runUnits(ticks * this.unitsPerTick);
  }

  /** Runs until `done()` or `ticks` have passed; true if done. */
  runUntil(done: () => boolean, ticks: number): boolean {
    for (let i = 0; i < ticks * this.unitsPerTick; i++) {
      if (done()) return true;
      this.step();
    }
    return done();
  }

  /** Without ticks: deliver messages and complete fsyncs until nothing is in flight. */
  stabilize(): void {
    for (let i = 0; this.busy(); i++) {
      if (i >= STABILIZE_UNITS_MAX) throw new Error("cluster does not stabilize");
      this.step();
    }
  }

  private busy(): boolean {
    if (this.network.inFlight() > 0 || this.paused.size > 0) return true;
    for (const node of this.nodes.values()) if (node.alive && node.disk.hasPendingFsync()) return true;
    return false;
  }

  /** Ticks every server once, then stabilizes; `rounds` times. */
  tickAndSettle(rounds = 1): void {
    for (let i = 0; i < rounds; i++) {
      this.tickAll();
      this.stabilize();
    }
  }

  private deliver(from: ServerId, to: ServerId, msg: ZabMessage): void {
    const node = this.node(to);
    if (!node.alive) return;
    const pause = this.paused.get(to);
    if (pause !== undefined) {
      pause.backlog.push({ from, msg });
      return;
    }
    if (this.config.recordDeliveries) this.deliveries.push({ at: this.now, from, to, msg });
    this.count(msg.kind);
    if (msg.kind !== "notification" && msg.kind !== "leaderPing" && msg.kind !== "learnerPing") {
      this.record(`${from}→${to} ${formatMessage(msg)}`);
    }
    node.deliver(from, msg);
  }

  // ---- network faults ----

  isolate(id: ServerId): void {
    this.network.isolate(id, this.ids);
    this.record(`server ${id} isolated`);
  }

  partition(a: readonly ServerId[], b: readonly ServerId[]): void {
    this.network.partition(a, b);
    this.record(`partition ${a.join(",")} | ${b.join(",")}`);
  }

  heal(): void {
    this.network.heal();
    this.network.faults = { ...NO_FAULTS, delayMin: this.network.faults.delayMin, delayMax: this.network.faults.delayMax };
    this.record("network healed");
  }

  // ---- queries ----

  /** The established leader, if exactly one server is leading and synced. */
  leader(): SimNode | undefined {
    const leaders = [...this.nodes.values()].filter((n) => n.alive && n.peer?.role() === "leading" && n.peer.isSynced());
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  status(id: ServerId): PeerStatus | null {
    return this.node(id).peer?.status() ?? null;
  }

  /** Delivered messages (recordDeliveries) matching the filter. */
  delivered(filter: { kind?: ZabMessage["kind"]; from?: ServerId; to?: ServerId; since?: number }): Delivery[] {
    return this.deliveries.filter((d) => (filter.kind === undefined || d.msg.kind === filter.kind) &&
      (filter.from === undefined || d.from === filter.from) && (filter.to === undefined || d.to === filter.to) &&
      (filter.since === undefined || d.at >= filter.since));
  }

  roles(): string {
    return [...this.nodes.values()].map((n) => {
      if (!n.peer) return `${n.id}:down`;
      const s = n.peer.status();
      return `${n.id}:${s.role}${s.synced ? "*" : ""}(${s.leader ?? "-"})`;
    }).join(" ");
  }

  /** One established leader; every live server synced with it and applied everything it committed. */
  converged(): boolean {
    const leader = this.leader();
    if (leader?.peer == null) return false;
    const status = leader.peer.status();
    if (status.commitZxid !== status.lastLoggedZxid || leader.state.zxid !== status.commitZxid) return false;
    for (const node of this.nodes.values()) {
      if (node.peer === null) continue;
      if (!node.peer.isSynced() || node.peer.leaderId() !== leader.id || node.state.zxid !== leader.state.zxid) return false;
    }
    return true;
  }

  // ---- workload ----

  /** A client write submitted at server `id`; returns its payload, or null if that server cannot take writes now. */
  write(id: ServerId): string | null {
    const peer = this.node(id).peer;
    if (peer === null) return null;
    const payload = `w${++this.writeSeq}@${id}`;
    if (peer.canPropose()) {
      this.proposeOnce(id, Buffer.from(payload));
    } else if (peer.role() === "leading" || !peer.forward(Buffer.from(payload))) {
      return null;
    }
    this.node(id).drain();
    return payload;
  }

  /** `count` writes at server `id`, each of which it must accept, then stabilize(); returns their payloads. */
  writes(id: ServerId, count: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const payload = this.write(id);
      assert.ok(payload !== null, `server ${id} refused a write`);
      out.push(payload);
    }
    this.stabilize();
    return out;
  }

  /** A client sync at server `id`: completes once it applied every write acknowledged before now. */
  sync(id: ServerId): boolean {
    const node = this.node(id);
    if (node.peer === null) return false;
    const token = `s${++this.syncSeq}`;
    if (!node.peer.sync(Buffer.from(token))) return false;
    this.syncsRequired.set(token, this.checker.maxAckedZxid);
    node.drain();
    return true;
  }

  count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  // ---- transcript ----

  record(line: string): void {
    this.transcript.push(`[${this.now}] ${line}`);
    const max = this.config.transcriptLines ?? 300;
    if (this.transcript.length > max * 2) this.transcript.splice(0, this.transcript.length - max);
  }

  transcriptTail(lines = 80): string {
    return this.transcript.slice(-lines).join("\n");
  }

  private context(): SimContext {
    return {
      now: () => this.now,
      network: this.network,
      checker: this.checker,
      record: (line) => this.record(line),
      count: (what) => this.count(what),
      fsyncDelay: (id) => {
        const [lo, hi] = this.fsyncRanges.get(id) ?? [0, 0];
        return this.prng.range(lo, hi);
      },
      onApplied: (node, entry) => this.onApplied(node, entry),
      onForwarded: (node, _from, bytes) => this.proposeOnce(node.id, bytes),
      onSyncCompleted: (node, token, zxid) => {
        const key = token.toString("utf8");
        if (this.syncsDone.has(key)) return; // a repeated reply (the simulated network duplicates)
        const required = this.syncsRequired.get(key);
        if (required === undefined) throw new Error(`sync ${key} completed but never issued`);
        this.syncsRequired.delete(key);
        this.syncsDone.add(key);
        this.checker.onSyncCompleted(node.id, node.state.zxid, required > zxid ? required : zxid);
      },
    };
  }

  private proposeOnce(id: ServerId, bytes: Buffer): void {
    const peer = this.node(id).peer;
    const payload = bytes.toString("utf8");
    if (peer === null || !peer.canPropose() || this.proposed.has(payload)) return;
    this.proposed.add(payload);
    peer.propose(peer.nextZxid(), bytes);
  }

  private onApplied(node: SimNode, entry: Entry): void {
    const payload = entry.payload.toString("utf8");
    const origin = Number(payload.slice(payload.indexOf("@") + 1));
    if (origin !== node.id) return;
    this.acked++;
    this.checker.onAck(payload, entry.zxid);
  }
}
