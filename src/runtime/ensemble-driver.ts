/**
 * Runs the consensus core (src/zab) for one ensemble member: feeds it ticks and peer messages, and carries out
 * its Ready effects in the order the core's contract requires — reflect log effects, make snapshot installs,
 * truncations and epochs durable, queue entries to the txn log (persisted() once fsynced), send messages, apply
 * committed txns, then hand forwarded requests, session touches, snapshot requests and role changes to the
 * server. The only asynchronous steps are the durable barriers, so one drive loop runs at a time.
 */
import * as path from "node:path";
import type { Logger } from "../base/logger.js";
import type { ServerConfig } from "../config/server-config.js";
import { decodeTxn, type Txn } from "../tree/txn.js";
import { ZabPeer, type Member, type PeerStatus, type Ready, type RoleChange } from "../zab/index.js";
import { EpochFiles } from "./epoch-files.js";
import { LogWindow } from "./log-window.js";
import { PeerTransport, type PeerAddress } from "./peer-transport.js";
import type { Persistence } from "./persistence.js";
import { NO_ENSEMBLE_EVENTS, type EnsembleEvents } from "./ensemble-metrics.js";

/** What the driver needs from the server whose state it replicates. */
export interface ReplicaHost {
  /** Apply one committed txn (any role). */
  applyCommitted(txn: Txn): void;
  /** Leader: a learner forwarded client work. */
  handleForwarded(bytes: Buffer): void;
  /** Leader: session ids learners saw traffic from. */
  touchSessions(bytes: Buffer): void;
  /** The state machine as snapshot bytes, and the zxid it is at. */
  snapshotBytes(): { zxid: bigint; bytes: Buffer };
  /** Replace the state machine with a leader's snapshot. */
  installSnapshot(zxid: bigint, bytes: Buffer): void;
  /** Rebuild the state machine from disk at exactly this zxid (after a truncation below what was applied). */
  rebuildAt(zxid: bigint): void;
  onRoleChanged(change: RoleChange): void;
  appliedZxid(): bigint;
}

const LOG_WINDOW_ENTRIES = 20_000;

export class EnsembleDriver {
  readonly peer: ZabPeer;
  private readonly transport: PeerTransport;
  private readonly window: LogWindow;
  private readonly epochs: EpochFiles;
  private tickTimer: NodeJS.Timeout | null = null;
  private driving = false;
  private again = false;
  private readonly syncCallbacks = new Map<string, () => void>();
  private nextSyncToken = 1;
  private closed = false;

  constructor(
    private readonly config: ServerConfig,
    readonly myId: number,
    private readonly host: ReplicaHost,
    private readonly persistence: Persistence,
    private readonly logger: Logger,
    private readonly events: EnsembleEvents = NO_ENSEMBLE_EVENTS,
  ) {
    this.epochs = new EpochFiles(path.join(config.dataDir, "version-2"));
    const applied = host.appliedZxid();
    // How many recent txns the leader keeps to DIFF a lagging learner; further behind gets a SNAP.
    const windowEntries = Number(config.raw.get("herd.syncWindowEntries") ?? LOG_WINDOW_ENTRIES);
    const recent = persistence.recentEntries(windowEntries);
    this.window = new LogWindow(recent.base, recent.entries, windowEntries);
    const members: Member[] = [...config.servers].map(([id, s]) => ({ id, role: s.role }));
    this.peer = new ZabPeer({
      id: myId,
      members,
      state: { acceptedEpoch: this.epochs.read("acceptedEpoch"), currentEpoch: this.epochs.read("currentEpoch"), lastAppliedZxid: applied },
      log: this.window,
      initLimitTicks: config.initLimit ?? 10,
      syncLimitTicks: config.syncLimit ?? 5,
      diffEntriesMax: windowEntries,
    });
    const me = config.servers.get(myId)!;
    const peers = new Map<number, PeerAddress>([...config.servers].map(([id, s]) => [id, { host: s.host, port: s.quorumPort }]));
    const reachability = (id: number, reachable: boolean) => {
      if (reachable) this.peer.peerReachable(id);
      else this.peer.peerUnreachable(id);
      this.kick();
    };
    this.transport = new PeerTransport(myId, { host: me.host, port: me.quorumPort }, peers, (from, msg) => {
      this.events.received(from, msg);
      this.peer.step(from, msg);
      this.kick();
    }, logger, reachability);
  }

  async start(): Promise<void> {
    this.events.started(() => this.peer.status());
    await this.transport.start();
    this.tickTimer = setInterval(() => {
      this.peer.tick();
      this.kick();
    }, this.config.tickTimeMs);
    this.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    await this.transport.close();
  }

  status(): PeerStatus {
    return this.peer.status();
  }

  // ---- what the server calls ---------------------------------------------------------------------------

  canPropose(): boolean {
    return this.peer.canPropose();
  }

  /** Leader: reserve a zxid and replicate the txn built under it (synchronously, nothing in between). */
  propose(build: (zxid: bigint) => Buffer): void {
    const zxid = this.peer.nextZxid();
    const payload = build(zxid);
    this.events.proposed(zxid, payload.length);
    this.peer.propose(zxid, payload);
    this.kick();
  }

  forward(bytes: Buffer): boolean {
    const sent = this.peer.forward(bytes);
    this.kick();
    return sent;
  }

  /** Calls done once this server has applied everything the leader had proposed when the sync reached it. */
  sync(done: () => void): boolean {
    const token = Buffer.from(String(this.nextSyncToken++));
    if (!this.peer.sync(token)) return false;
    this.syncCallbacks.set(token.toString(), done);
    this.kick();
    return true;
  }

  queueSessionTouches(bytes: Buffer): void {
    this.peer.queueSessionTouches(bytes);
  }

  // ---- the Ready loop ----------------------------------------------------------------------------------

  private kick(): void {
    if (this.closed) return;
    if (this.driving) {
      this.again = true;
      return;
    }
    this.driving = true;
    queueMicrotask(() => void this.drive());
  }

  private async drive(): Promise<void> {
    try {
      while (!this.closed && this.peer.hasReady()) await this.carryOut(this.peer.ready());
    } catch (e) {
      this.logger.error(`ensemble driver failed: ${(e as Error).stack ?? e}`);
      process.exit(3); // a replica that cannot follow the protocol must not keep serving
    } finally {
      this.driving = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    }
  }

  private async carryOut(r: Ready): Promise<void> {
    // (a) the log view reflects every log effect before anything else calls into the peer
    if (r.installSnapshot) this.window.resetTo(r.installSnapshot.zxid);
    if (r.truncateAfter !== undefined) this.window.truncateAfter(r.truncateAfter);
    this.window.append(r.persistEntries);
    this.events.ready(r); // metrics; may read the peer's status, so after (a)
    // (b) durable barriers
    if (r.installSnapshot) {
      this.host.installSnapshot(r.installSnapshot.zxid, r.installSnapshot.bytes);
      await this.persistence.installSnapshot(r.installSnapshot.zxid, r.installSnapshot.bytes);
      this.logger.info(`installed the leader's snapshot at 0x${r.installSnapshot.zxid.toString(16)} (${r.installSnapshot.bytes.length} bytes)`);
    }
    if (r.truncateAfter !== undefined) {
      await this.persistence.truncateLogAfter(r.truncateAfter);
      this.logger.info(`truncated the log after 0x${r.truncateAfter.toString(16)} (proposals that never committed)`);
      if (this.host.appliedZxid() > r.truncateAfter) this.host.rebuildAt(r.truncateAfter);
    }
    if (r.persistEpochs?.acceptedEpoch !== undefined) this.epochs.write("acceptedEpoch", r.persistEpochs.acceptedEpoch);
    if (r.persistEpochs?.currentEpoch !== undefined) this.epochs.write("currentEpoch", r.persistEpochs.currentEpoch);
    // (c) entries to the txn log; the core hears of durability later
    const last = r.persistEntries.at(-1);
    for (const e of r.persistEntries) {
      const done = this.persistence.appendEntry(e.zxid, e.payload);
      if (e === last) done.then(() => this.onPersisted(e.zxid), (err: Error) => this.fatal(`txn log: ${err.message}`));
    }
    // (d) messages: one write per peer
    if (r.messages.length > 0) this.transport.sendAll(r.messages);
    // (e) committed txns, then syncs they satisfy
    for (const e of r.committed) this.host.applyCommitted(decodeTxn(e.payload));
    this.window.trim(this.host.appliedZxid());
    for (const s of r.syncsCompleted) {
      const key = s.token.toString();
      this.syncCallbacks.get(key)?.();
      this.syncCallbacks.delete(key);
    }
    // (f) work for the server
    for (const f of r.forwardedRequests) this.host.handleForwarded(f.bytes);
    for (const t of r.sessionTouches) this.host.touchSessions(t.bytes);
    for (const id of r.needSnapshot) {
      const snap = this.host.snapshotBytes();
      this.peer.provideSnapshot(id, snap.zxid, snap.bytes);
    }
    if (r.roleChanged) {
      this.logger.info(`role ${r.roleChanged.role}${r.roleChanged.synced ? " (synced)" : ""}, leader ${r.roleChanged.leader ?? "none"}, epoch ${r.roleChanged.epoch}: ${r.roleChanged.reason}`);
      if (!r.roleChanged.synced) this.syncCallbacks.clear();
      this.host.onRoleChanged(r.roleChanged);
    }
    // (g)
    this.peer.advance(r);
  }

  private onPersisted(zxid: bigint): void {
    if (this.closed) return;
    this.events.persisted(zxid);
    this.peer.persisted(zxid);
    this.kick();
  }

  private fatal(message: string): void {
    this.logger.error(`${message}; stopping so no unsaved write is acknowledged`);
    process.exit(2);
  }
}
