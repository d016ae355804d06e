/**
 * A Herd server, standalone or an ensemble member. It owns the client connections (handshake, framing,
 * per-connection reply order), serves reads from the applied tree, and routes writes as intents: prepared here
 * against the outstanding changes on a standalone server (logged with group commit, applied in zxid order once
 * durable) or on the leader (proposed through the EnsembleDriver), and forwarded to the leader from a follower or
 * observer. Every role applies committed txns the same way: the tree, watches (fired before any later reply),
 * the session table, quota stats, and the reply to the local client whose (session, cxid) the txn carries.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { X509Certificate } from "node:crypto";
import * as path from "node:path";
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import type { Logger } from "../base/logger.js";
import { Err, OpCode, Perm, Xid, ZkError, opName } from "../jute/codes.js";
import { FrameTooLargeError } from "../jute/frame.js";
import { readConnectRequest, readRequest, writeConnectResponse, UnknownOpError, type ConnectRequest, type Request } from "../jute/records.js";
import { isWriteRequest, MultiFailure, Preparer, type WriteRequest } from "../pipeline/prep.js";
import { PendingChanges } from "../pipeline/pending-changes.js";
import { ReadProcessor, type ReadRequest } from "../pipeline/reads.js";
import { replyFrame } from "../pipeline/replies.js";
import { digestId, hasPermission, normalizeClientAddress } from "../tree/acl.js";
import { DataTree, ttlOf } from "../tree/data-tree.js";
import { NO_ROW } from "../tree/node-store.js";
import type { Txn, TxnBody } from "../tree/txn.js";
import { SessionTracker, sessionPassword } from "../sessions/session-tracker.js";
import { WatchManager } from "../watches/watch-manager.js";
import type { ServerConfig } from "../config/server-config.js";
import { readTlsSettings } from "../config/tls-config.js";
import { Connection } from "./connection.js";
import { Persistence } from "./persistence.js";
import { applyTxn, buildWriteReply, type AppliedOp, type WriteOrigin } from "./write-replies.js";
import { decodeIntent, encodeIntent, type WriteIntent } from "./write-intent.js";
import { EnsembleDriver } from "./ensemble-driver.js";
import type { RoleChange } from "../zab/index.js";
import { restoreSnapshot, serializeSnapshot } from "../tree/snapshot-codec.js";
import * as fs from "node:fs";
import { DigestMd5Server } from "../auth/sasl-digest-md5.js";
import { QuotaTracker, type QuotaStatsWrite } from "../tree/quotas.js";
import { digestUsers, parseJaas } from "../auth/jaas.js";
import { encodeTxn } from "../tree/txn.js";
import { FOUR_LETTER_WORDS, runFourLetterWord } from "../admin/four-letter-words.js";
import { startAdminServer } from "../admin/admin-server.js";
import { ServerMetrics } from "../admin/metrics.js";
import { ServerStats } from "./server-stats.js";
import { EnsembleMetrics } from "./ensemble-metrics.js";
import { recordReadSizes, recordWriteSizes } from "./request-metrics.js";

/** Standalone: a write on its way to the tree, applied in zxid order once durable. */
interface InflightWrite {
  txn: Txn | null; // null: a sync barrier, nothing to log
  durable: boolean;
  onApplied?: () => void;
}

/** A write of a client connected here, waiting for its txn to be applied (matched by session and cxid). */
interface LocalWrite {
  conn: Connection;
  cxid: number;
  /** The request, for the reply's shape; null for createSession and undecodable writes. */
  req: WriteOrigin["req"] | null;
  startedMs: number;
  reply: ((frame: Buffer) => void) | null;
  onApplied?: () => void;
}

export const SERVER_ID = 1n;

export class HerdServer {
  readonly tree = new DataTree();
  readonly watches: WatchManager;
  readonly sessions: SessionTracker;
  readonly stats = new ServerStats();
  readonly connections = new Set<Connection>();
  private readonly sessionConnections = new Map<bigint, Connection>();
  private readonly pending = new PendingChanges(this.tree);
  private readonly preparer: Preparer;
  private readonly reads: ReadProcessor;
  private readonly inflight: InflightWrite[] = [];
  private readonly localWrites = new Map<bigint, LocalWrite[]>();
  /** Leader: intents waiting until the core accepts proposals (and, before this term's first, the history is applied). */
  private backlog: WriteIntent[] = [];
  /**
   * Leader: set once this term's first write is prepared. Before it, committed txns of earlier terms may still be
   * unapplied, and prep would not see them (the outstanding changes start empty each term). After it, every txn
   * committed but not yet applied was prepared here, so the outstanding changes already hold its effects.
   */
  private preparedThisTerm = false;
  /**
   * Leader: sessions whose createSession this leader prepared and has not applied yet. Another member can apply
   * it first (it only needs a quorum's acks, the leader waits for its own disk) and answer the client, whose
   * next write then reaches prep here before the session is in our table. The value: a closeSession was prepared
   * for it meanwhile (its writes get SessionExpired, as for any closing session).
   */
  private readonly sessionsOpening = new Map<bigint, boolean>();
  /** Follower/observer: sessions with traffic since the last tick, reported to the leader. */
  private readonly touched = new Set<bigint>();
  private ensemble: EnsembleDriver | null = null;
  /** ZooKeeper's server_state: standalone, or the ensemble role. */
  role: "standalone" | "leader" | "follower" | "observer" | "looking" = "standalone";
  private lastAssignedZxid = 0n;
  private nextConnectionId = 1;
  private netServer: net.Server | null = null;
  private secureServer: tls.Server | null = null;
  private timers: NodeJS.Timeout[] = [];
  private expiryTimer: NodeJS.Timeout | null = null;
  private persistence!: Persistence;
  private stopping = false;
  private throttled = false;
  private admin: { port: number; close(): Promise<void> } | null = null;
  /** True while client requests are answered (AdminServer /readyz). */
  serving = false;
  readonly metrics = new ServerMetrics();
  readonly quotas: QuotaTracker;
  readonly startedMs = Date.now();

  private constructor(readonly config: ServerConfig, readonly logger: Logger, readonly serverId: bigint) {
    this.sessions = new SessionTracker(config.tickTimeMs, serverId, Date.now());
    // CVE-2024-23944: a watcher learns of a change only if it may READ the node (the parent for child events).
    this.watches = new WatchManager((w, acl) => config.skipACL || hasPermission(acl, Perm.READ, w as Connection));
    this.quotas = new QuotaTracker(this.tree, { enforceQuota: config.enforceQuota });
    this.preparer = new Preparer({
      extendedTypesEnabled: config.extendedTypesEnabled,
      skipACL: config.skipACL,
      quota: (kind, path, newLen) => this.checkQuota(kind, path, newLen),
    });
    this.reads = new ReadProcessor(this.tree, this.watches);
    this.metrics.bindOutstandingChanges(this.pending);
  }

  static async start(config: ServerConfig, logger: Logger): Promise<HerdServer> {
    const myId = isEnsemble(config) ? readMyId(config) : Number(SERVER_ID);
    const server = new HerdServer(config, logger, BigInt(myId));
    server.persistence = await Persistence.open(config, logger, server.metrics);
    if (!isEnsemble(config)) {
      server.persistence.onDurable = (zxid) => server.logDurable(zxid);
      server.persistence.onFailure = (e) => server.fatal(`transaction log failed: ${e.message}`);
    }
    server.resetSessions(server.persistence.recover(server.tree));
    server.storeQuotaStats(server.quotas.rebuild());
    server.lastAssignedZxid = server.tree.lastProcessedZxid;
    server.saslUsers(); // a bad JAAS file is a start-up error, not a failure on the first SASL request
    await server.listen();
    server.startTimers();
    if (isEnsemble(config)) {
      server.publishEnsembleConfig();
      server.role = "looking";
      server.ensemble = new EnsembleDriver(config, myId, server, server.persistence, logger, new EnsembleMetrics(server.metrics, myId));
      await server.ensemble.start();
    } else {
      server.adoptOrphanEphemerals();
      server.serving = true;
    }
    await server.startAdmin();
    return server;
  }

  private resetSessions(restored: { id: bigint; timeoutMs: number }[]): void {
    for (const id of [...this.sessions.sessions.keys()]) this.sessions.remove(id);
    for (const s of restored) this.sessions.add(s.id, s.timeoutMs, Date.now());
  }

  /** /zookeeper/config holds the membership, as ZooKeeper publishes it (clients such as Curator read it). */
  private publishEnsembleConfig(): void {
    const lines = [...this.config.servers].map(([id, s]) => `server.${id}=${s.host}:${s.quorumPort}:${s.electionPort}:${s.role}` + (s.clientPort !== undefined ? `;${s.clientHost ?? s.host}:${s.clientPort}` : ""));
    this.tree.overwriteData("/zookeeper/config", Buffer.from(lines.concat("version=0").join("\n")));
  }

  // ---------------------------------------------------------------- ReplicaHost: what the ensemble driver calls

  handleForwarded(bytes: Buffer): void {
    let intent: WriteIntent;
    try {
      intent = decodeIntent(bytes);
    } catch (e) {
      this.logger.warn(`dropping an undecodable forwarded request: ${(e as Error).message}`);
      return;
    }
    this.route(intent);
  }

  touchSessions(bytes: Buffer): void {
    const now = Date.now();
    for (let i = 0; i + 8 <= bytes.length; i += 8) this.sessions.touch(bytes.readBigInt64BE(i), now);
  }

  snapshotBytes(): { zxid: bigint; bytes: Buffer } {
    return { zxid: this.tree.lastProcessedZxid, bytes: Buffer.concat([...serializeSnapshot(this.tree, this.snapshotSessions())]) };
  }

  installSnapshot(_zxid: bigint, bytes: Buffer): void {
    this.tree.reset();
    this.pending.clear();
    this.resetSessions(restoreSnapshot(bytes, this.tree).sessions);
    this.storeQuotaStats(this.quotas.rebuild());
    this.publishEnsembleConfig();
  }

  rebuildAt(zxid: bigint): void {
    this.tree.reset();
    this.pending.clear();
    this.resetSessions(this.persistence.recover(this.tree));
    this.storeQuotaStats(this.quotas.rebuild());
    this.publishEnsembleConfig();
    this.logger.info(`rebuilt the tree at 0x${this.tree.lastProcessedZxid.toString(16)} after truncating to 0x${zxid.toString(16)}`);
  }

  /** ZooKeeper's server_state for srvr/mntr/admin. */
  get serverState(): "standalone" | "leader" | "follower" | "observer" {
    return this.role === "looking" ? "standalone" : this.role;
  }

  learnerCounts(): { followers: number; syncedFollowers: number; syncedObservers: number; pendingSyncs: number } | null {
    if (this.ensemble === null || this.role !== "leader") return null;
    const learners = this.ensemble.status().learners;
    return {
      followers: learners.filter((l) => !l.observer).length,
      syncedFollowers: learners.filter((l) => !l.observer && l.synced).length,
      syncedObservers: learners.filter((l) => l.observer && l.synced).length,
      pendingSyncs: 0,
    };
  }

  /** The ensemble's members as this server sees them (the leader knows each learner's progress). */
  ensembleMembers(): { serverId: bigint; address: string; role: "leader" | "follower" | "observer" | "standalone" | "looking" | "unreachable"; lastZxid: bigint | null; self: boolean }[] | null {
    if (this.ensemble === null) return null;
    const status = this.ensemble.status();
    return [...this.config.servers].map(([id, spec]) => {
      const self = BigInt(id) === this.serverId;
      const learner = status.learners.find((l) => l.id === id);
      const role = self ? this.role : id === status.leader ? "leader" : learner !== undefined ? (learner.observer ? "observer" : "follower") : status.role === "leading" ? "unreachable" : spec.role === "observer" ? "observer" : "follower";
      return {
        serverId: BigInt(id),
        address: `${spec.clientHost ?? spec.host}:${spec.clientPort ?? "?"}`,
        role,
        lastZxid: self ? this.tree.lastProcessedZxid : (learner?.ackedZxid ?? null),
        self,
      };
    });
  }

  appliedZxid(): bigint {
    return this.tree.lastProcessedZxid;
  }

  /**
   * Serve clients only while synced with a leader (or leading an established epoch). Leaving that state drops
   * every client connection: their sessions live on in the ensemble and clients re-attach elsewhere or later.
   */
  onRoleChanged(change: RoleChange): void {
    const role = change.role === "leading" ? "leader" : change.role === "following" ? "follower" : change.role === "observing" ? "observer" : "looking";
    const wasServing = this.serving;
    this.role = role;
    this.serving = change.synced && role !== "looking";
    if (wasServing && !this.serving) {
      for (const c of [...this.connections]) if (c.sessionId !== 0n || c.state !== "new") c.destroy();
      this.localWrites.clear();
    }
    this.backlog = [];
    this.metrics.prepQueueCleared();
    this.pending.clear();
    this.preparedThisTerm = false;
    this.sessionsOpening.clear();
    if (role === "leader" && this.serving) {
      // The new leader owns expiry: every session gets a full timeout from now to reach it.
      const now = Date.now();
      for (const id of this.sessions.sessions.keys()) this.sessions.touch(id, now);
    }
  }

  /** The AdminServer (HTTP on admin.serverPort) when enabled; a port in use is logged, not fatal, as in ZooKeeper. */
  private async startAdmin(): Promise<void> {
    if (!this.config.adminEnableServer) return;
    try {
      // admin.console = readwrite (default) | readonly | off: the console writes through the client port as 127.0.0.1.
      const mode = (this.config.raw.get("admin.console") ?? "readwrite").toLowerCase();
      const console = mode === "off" ? false : { readOnly: mode === "readonly" };
      this.admin = await startAdminServer(this, { host: this.config.adminServerAddress, port: this.config.adminServerPort, logger: this.logger, console });
    } catch (e) {
      this.logger.error(`admin server not started: ${(e as Error).message}`);
    }
  }

  /** The bound admin HTTP port, or null when the admin server is off. */
  get adminPort(): number | null {
    return this.admin?.port ?? null;
  }

  lastSnapshot(): { zxid: bigint; timestampMs: number } | null {
    return this.persistence.lastSnapshot();
  }

  /**
   * Ephemerals whose session is unknown after recovery (e.g. a crash before that session's close was logged)
   * get a session with the minimum timeout, so they expire through a normal closeSession txn.
   */
  private adoptOrphanEphemerals(): void {
    for (const owner of this.tree.ephemerals.keys()) {
      if (this.sessions.get(owner) !== undefined) continue;
      this.logger.warn(`ephemerals of unknown session 0x${owner.toString(16)}: expiring them`);
      this.sessions.add(owner, this.config.minSessionTimeoutMs, Date.now());
    }
  }

  get port(): number {
    const addr = this.netServer?.address();
    return typeof addr === "object" && addr !== null ? addr.port : this.config.clientPort;
  }

  get lastZxid(): bigint {
    return this.tree.lastProcessedZxid;
  }

  get outstandingRequests(): number {
    return this.inflight.length;
  }

  private async listen(): Promise<void> {
    const plain = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.netServer = plain;
    await listenOn(plain, this.config.clientPort, this.config.clientPortAddress, this.logger, "client port");
    const tlsSettings = readTlsSettings(this.config);
    if (tlsSettings === null) return;
    const secure = tls.createServer(
      {
        key: tlsSettings.keyPem,
        cert: tlsSettings.certPem,
        passphrase: tlsSettings.passphrase,
        ca: tlsSettings.caPem,
        requestCert: tlsSettings.clientAuth !== "none",
        rejectUnauthorized: tlsSettings.clientAuth === "need",
      },
      (socket) => this.accept(socket, tlsSettings.superUser),
    );
    // A plain-TCP client on this port fails the TLS handshake and is dropped here.
    secure.on("tlsClientError", (e) => {
      this.metrics.unsuccessfulHandshakes.inc();
      this.logger.debug(`TLS handshake failed: ${e.message}`);
    });
    this.secureServer = secure;
    await listenOn(secure, tlsSettings.port, tlsSettings.host, this.logger, "secure client port");
  }

  /** The bound secure client port, or null when TLS is not configured. */
  get securePort(): number | null {
    const addr = this.secureServer?.address();
    return typeof addr === "object" && addr !== null ? addr.port : null;
  }

  private startTimers(): void {
    this.scheduleExpiryCheck();
    this.timers.push(setInterval(() => this.reapContainers(), this.config.containerCheckIntervalMs));
    const purgeHours = this.config.autopurgePurgeIntervalHours;
    if (purgeHours > 0) {
      // Like ZooKeeper's purge task: once at start-up, then every purgeInterval hours.
      this.persistence.purge();
      this.timers.push(setInterval(() => this.persistence.purge(), purgeHours * 3600_000));
    }
  }

  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.serving = false;
    await this.admin?.close();
    await this.ensemble?.close();
    for (const t of this.timers) clearInterval(t);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => (this.netServer ? this.netServer.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.secureServer ? this.secureServer.close(() => resolve()) : resolve()));
    await this.persistence.close();
  }

  // ---------------------------------------------------------------- connections

  private accept(socket: net.Socket, x509SuperUser?: string | null): void {
    const address = normalizeClientAddress(socket.remoteAddress);
    if (this.config.maxClientCnxns > 0 && this.connectionsFrom(address) >= this.config.maxClientCnxns) {
      this.logger.warn(`too many connections from ${address} (max ${this.config.maxClientCnxns})`);
      this.metrics.connectionRejected.inc();
      socket.destroy();
      return;
    }
    const conn = new Connection(this.nextConnectionId++, socket, this.config.juteMaxBufferBytes, address);
    if (socket instanceof tls.TLSSocket) addX509Identity(conn, socket, x509SuperUser ?? null);
    conn.onSlowReader = () => this.logger.warn(`disconnecting ${address}: it does not read its replies`);
    conn.onNotificationSent = this.metrics.recordWatchBytes;
    if (this.throttled) conn.setGlobalPause(true);
    this.connections.add(conn);
    socket.on("data", (chunk) => this.onData(conn, chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.onClose(conn));
  }

  private connectionsFrom(address: string): number {
    let n = 0;
    for (const c of this.connections) if (c.remoteAddress === address) n++;
    return n;
  }

  private onClose(conn: Connection): void {
    if (conn.state !== "closed") this.metrics.connectionDrops.inc(); // the client hung up, not the server
    conn.state = "closed";
    this.connections.delete(conn);
    this.metrics.recordDeadWatchers(performance.now(), this.watches.removeWatcher(conn));
    if (conn.sessionId !== 0n && this.sessionConnections.get(conn.sessionId) === conn) {
      this.sessionConnections.delete(conn.sessionId);
    }
    // Its unanswered writes may still commit, but nobody is left to answer: keep the queue for newer connections only.
    const queue = this.localWrites.get(conn.sessionId);
    if (queue !== undefined) {
      const rest = queue.filter((w) => w.conn !== conn);
      this.metrics.staleReplies.inc(queue.length - rest.length);
      if (rest.length > 0) this.localWrites.set(conn.sessionId, rest);
      else this.localWrites.delete(conn.sessionId);
    }
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.state === "closed") return;
    this.metrics.bytesReceived.inc(chunk.length);
    conn.decoder.push(chunk);
    if (conn.state === "new" && this.tryFourLetterWord(conn)) return;
    this.processFrames(conn);
  }

  /** A brand-new connection whose first 4 bytes spell a known command is a four-letter word, not a session. */
  private tryFourLetterWord(conn: Connection): boolean {
    const head = conn.decoder.peek(4);
    if (head === null) return false;
    const word = head.toString("latin1");
    if (!FOUR_LETTER_WORDS.has(word)) return false;
    conn.state = "closed";
    const text = runFourLetterWord(word, this);
    conn.socket.end(text, () => conn.socket.destroy());
    return true;
  }

  private processFrames(conn: Connection): void {
    try {
      while (conn.state === "new" || conn.state === "open") {
        const frame = conn.decoder.next();
        if (frame === null) return;
        conn.packetsReceived++;
        this.stats.packetsReceived++;
        if (conn.state === "new") this.handleConnect(conn, frame);
        else this.handleRequest(conn, frame);
      }
    } catch (e) {
      if (e instanceof FrameTooLargeError) {
        this.metrics.largeRequestsRejected.inc();
        this.logger.warn(`closing connection from ${conn.remoteAddress}: ${e.message}`);
        conn.destroy();
        return;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- handshake

  private handleConnect(conn: Connection, frame: Buffer): void {
    let req: ConnectRequest;
    try {
      req = readConnectRequest(new ByteReader(frame));
    } catch {
      conn.destroy();
      return;
    }
    if (!this.serving) {
      this.metrics.closedWhileNotServing.inc();
      // Not in a quorum right now: the client must try another server, as ZooKeeper makes it.
      conn.destroy();
      return;
    }
    if (req.lastZxidSeen > this.tree.lastProcessedZxid) {
      this.logger.warn(`refusing session from ${conn.remoteAddress}: it has seen zxid 0x${req.lastZxidSeen.toString(16)}, ours is 0x${this.tree.lastProcessedZxid.toString(16)}`);
      conn.destroy();
      return;
    }
    this.metrics.connectionRequests.inc();
    const timeoutMs = Math.min(Math.max(req.timeOutMs, this.config.minSessionTimeoutMs), this.config.maxSessionTimeoutMs);
    conn.state = "handshaking";
    if (req.sessionId === 0n) this.createSession(conn, req, timeoutMs);
    else this.reattachSession(conn, req, timeoutMs);
  }

  private createSession(conn: Connection, req: ConnectRequest, timeoutMs: number): void {
    const sessionId = this.sessions.allocateId();
    // The session exists once its createSession txn is applied (applyCommitted adds it); then we answer.
    this.registerLocalWrite(sessionId, { conn, cxid: 0, req: null, startedMs: Date.now(), reply: null, onApplied: () => this.openSession(conn, req, sessionId, timeoutMs) });
    this.route({ kind: "createSession", sessionId, timeoutMs });
  }

  private reattachSession(conn: Connection, req: ConnectRequest, timeoutMs: number, revalidated = false): void {
    const previous = this.sessionConnections.get(req.sessionId);
    if (previous !== undefined && previous !== conn) {
      this.sessionConnections.delete(req.sessionId);
      previous.destroy();
    }
    const session = this.sessions.get(req.sessionId);
    if (session === undefined && !revalidated && this.ensemble !== null && this.role !== "leader") {
      // A follower may lag: a session created moments ago through another member may not be applied here yet.
      // Catch up with the leader first (ZooKeeper revalidates with the leader), then decide.
      this.metrics.revalidations.inc();
      if (this.ensemble.sync(() => this.reattachSession(conn, req, timeoutMs, true))) return;
    }
    if (conn.state === "closed") return;
    if (!this.sessionValid(req)) {
      const w = new ByteWriter(48);
      const at = w.beginFrame();
      writeConnectResponse(w, { protocolVersion: 0, timeOutMs: 0, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: req.readOnly === undefined ? undefined : false });
      w.endFrame(at);
      conn.sendNow(w.toBuffer());
      conn.closeAfterFlush();
      return;
    }
    this.sessions.setTimeout(req.sessionId, timeoutMs, Date.now());
    this.metrics.connectionRevalidations.inc();
    this.openSession(conn, req, req.sessionId, timeoutMs);
  }

  private sessionValid(req: ConnectRequest): boolean {
    const session = this.sessions.get(req.sessionId);
    return session !== undefined && !session.closing && sessionPassword(req.sessionId).equals(req.passwd);
  }

  private openSession(conn: Connection, req: ConnectRequest, sessionId: bigint, timeoutMs: number): void {
    if (conn.state === "closed") return;
    conn.sessionId = sessionId;
    conn.timeoutMs = timeoutMs;
    this.sessionConnections.set(sessionId, conn);
    const w = new ByteWriter(48);
    const at = w.beginFrame();
    writeConnectResponse(w, {
      protocolVersion: 0,
      timeOutMs: timeoutMs,
      sessionId,
      passwd: sessionPassword(sessionId),
      readOnly: req.readOnly === undefined ? undefined : false,
    });
    w.endFrame(at);
    conn.sendNow(w.toBuffer());
    conn.state = "open";
    this.processFrames(conn); // requests pipelined behind the ConnectRequest
  }

  // ---------------------------------------------------------------- requests

  private handleRequest(conn: Connection, frame: Buffer): void {
    const r = new ByteReader(frame);
    let xid: number;
    let type: number;
    try {
      xid = r.int32();
      type = r.int32();
    } catch {
      conn.destroy();
      return;
    }
    this.sessions.touch(conn.sessionId, Date.now());
    if (this.ensemble !== null && this.role !== "leader") this.touched.add(conn.sessionId);
    conn.lastCxid = xid;
    let req: Request;
    try {
      req = readRequest(type, r);
      if (req.op === "multiRead") validateMultiReadOps(req.ops);
    } catch (e) {
      if (e instanceof UnknownOpError || type === OpCode.notification) return this.unimplemented(conn, xid);
      if (e instanceof DecodeError || e instanceof ZkError) {
        const code = e instanceof ZkError ? e.code : Err.MarshallingError;
        // An undecodable write still becomes an error txn and consumes a zxid, as in ZooKeeper.
        if (WRITE_OPCODES.has(type)) this.submitErrorTxn(conn, xid, code);
        else conn.enqueueRead(() => replyFrame(xid, this.lastZxid, code));
        return;
      }
      throw e;
    }
    conn.lastOp = shortOpName(type);
    this.dispatch(conn, xid, req);
  }

  private unimplemented(conn: Connection, xid: number): void {
    conn.enqueueRead(() => replyFrame(xid, -1n, Err.Unimplemented), () => conn.closeAfterFlush());
  }

  private dispatch(conn: Connection, xid: number, req: Request): void {
    const started = Date.now();
    switch (req.op) {
      case "ping":
        conn.enqueueRead(() => replyFrame(Xid.ping, this.lastZxid, 0));
        return;
      case "auth":
        this.handleAuth(conn, xid, req);
        return;
      case "closeSession":
        this.clientCloseSession(conn, xid, started);
        return;
      case "sync":
        this.sync(conn, xid, req.path);
        return;
      case "check":
        return this.unimplemented(conn, xid);
      case "sasl":
        this.handleSasl(conn, xid, req.token);
        return;
      case "reconfig":
        conn.enqueueRead(() => replyFrame(xid, this.lastZxid, Err.ReconfigDisabled));
        return;
      case "whoAmI":
        conn.enqueueRead(() =>
          replyFrame(xid, this.lastZxid, 0, (w) => {
            // A digest identity is reported by user name only, as ZooKeeper's provider does.
            const user = (id: { scheme: string; id: string }) => (id.scheme === "digest" ? id.id.split(":", 1)[0] : id.id);
            const ids = conn.isSuper ? [{ scheme: "super", id: "" }, ...conn.ids] : conn.ids;
            w.vector(ids, (x, id) => void x.ustring(id.scheme).ustring(user(id)));
          }),
        );
        return;
      default:
        break;
    }
    if (isWriteRequest(req)) {
      this.submitClientWrite(conn, xid, req, started);
      return;
    }
    const readReq = req as ReadRequest;
    conn.enqueueRead(() => this.executeRead(conn, xid, readReq, started));
  }

  private executeRead(conn: Connection, xid: number, req: ReadRequest, startedMs: number): Buffer {
    let frame: Buffer;
    try {
      const body = this.reads.execute(req, { sessionId: conn.sessionId, auth: conn, watcher: conn, skipACL: this.config.skipACL });
      recordReadSizes(this.metrics, this.tree, req);
      frame = replyFrame(xid, this.lastZxid, 0, body);
      if (frame.length - 4 > this.config.juteMaxBufferBytes) {
        // Clients refuse frames over jute.maxbuffer and would reconnect in a loop; answer with an error instead.
        this.logger.warn(`reply of ${frame.length} bytes to ${req.op} exceeds jute.maxbuffer`);
        frame = replyFrame(xid, this.lastZxid, Err.MarshallingError);
      }
    } catch (e) {
      if (!(e instanceof ZkError)) throw e;
      frame = replyFrame(xid, this.lastZxid, e.code);
    }
    this.recordLatency(conn, startedMs, req.op, false, frame.length);
    return frame;
  }

  private recordLatency(conn: Connection, startedMs: number, op: string, isWrite: boolean, replyBytes: number): void {
    const ms = Date.now() - startedMs;
    conn.lastLatencyMs = ms;
    conn.lastZxid = this.lastZxid;
    this.stats.recordLatency(ms);
    this.metrics.recordRequest(op, isWrite, ms, replyBytes);
  }

  private handleAuth(conn: Connection, xid: number, req: Extract<Request, { op: "auth" }>): void {
    let ok = true;
    if (req.scheme === "digest") {
      const id = digestId(req.auth.toString("utf8"));
      if (!conn.ids.some((x) => x.scheme === "digest" && x.id === id)) conn.addId({ scheme: "digest", id });
      if (this.config.superDigest !== null && id === this.config.superDigest) conn.isSuper = true;
    } else if (req.scheme !== "ip") {
      ok = false;
    }
    if (ok) {
      conn.enqueueRead(() => replyFrame(Xid.auth, 0n, 0));
    } else {
      this.logger.warn(`auth with unknown scheme '${req.scheme}' from ${conn.remoteAddress}`);
      this.metrics.authFailed.inc();
      conn.enqueueRead(() => replyFrame(Xid.auth, 0n, Err.AuthFailed), () => conn.closeAfterFlush());
    }
    void xid;
  }

  /**
   * SASL (op 102) with DIGEST-MD5, users from the JAAS file named by jaasLoginConfig: each token is one step
   * of the exchange; success gives the connection the identity sasl:<user>. A failed step (or SASL without a
   * JAAS Server section) answers AuthFailed and closes the connection, as ZooKeeper does.
   */
  private handleSasl(conn: Connection, xid: number, token: Buffer): void {
    const users = this.saslUsers();
    if (users === null) {
      this.metrics.authFailed.inc();
      conn.enqueueRead(() => replyFrame(xid, this.lastZxid, Err.AuthFailed), () => conn.closeAfterFlush());
      return;
    }
    conn.sasl ??= new DigestMd5Server({ lookupPassword: (user) => users.get(user) ?? null });
    const step = conn.sasl.step(token);
    if ("error" in step) {
      this.logger.warn(`SASL authentication from ${conn.remoteAddress} failed: ${step.error}`);
      this.metrics.authFailed.inc();
      conn.enqueueRead(() => replyFrame(xid, this.lastZxid, Err.AuthFailed), () => conn.closeAfterFlush());
      return;
    }
    if (step.done && step.authorizationId !== undefined) conn.addId({ scheme: "sasl", id: step.authorizationId });
    conn.enqueueRead(() => replyFrame(xid, this.lastZxid, 0, (w) => void w.buffer(step.token)));
  }

  private saslUsersCache: Map<string, string> | null | undefined;

  /** Users of the JAAS file's Server section, loaded once (null without a jaasLoginConfig). */
  private saslUsers(): Map<string, string> | null {
    if (this.saslUsersCache !== undefined) return this.saslUsersCache;
    const file = this.config.raw.get("jaasLoginConfig") ?? this.config.raw.get("zookeeper.jaasLoginConfig");
    this.saslUsersCache = file === undefined ? null : digestUsers(parseJaas(fs.readFileSync(file, "utf8")), "Server");
    return this.saslUsersCache;
  }

  // ---------------------------------------------------------------- the write path

  private submitClientWrite(conn: Connection, xid: number, req: WriteRequest, startedMs: number): void {
    const reply = conn.enqueueWrite();
    this.registerLocalWrite(conn.sessionId, { conn, cxid: xid, req, startedMs, reply });
    this.route({ kind: "request", sessionId: conn.sessionId, cxid: xid, req, ids: conn.ids, isSuper: conn.isSuper });
  }

  /** An undecodable write still becomes an error txn and consumes a zxid, as in ZooKeeper. */
  private submitErrorTxn(conn: Connection, xid: number, err: number): void {
    const reply = conn.enqueueWrite();
    this.registerLocalWrite(conn.sessionId, { conn, cxid: xid, req: null, startedMs: Date.now(), reply });
    this.route({ kind: "error", sessionId: conn.sessionId, cxid: xid, err });
  }

  private registerLocalWrite(sessionId: bigint, write: LocalWrite): void {
    let queue = this.localWrites.get(sessionId);
    if (queue === undefined) this.localWrites.set(sessionId, (queue = []));
    queue.push(write);
  }

  /** The local write a committed txn answers: the head of its session's queue, if the cxid matches. */
  private takeLocalWrite(sessionId: bigint, cxid: number): LocalWrite | undefined {
    const queue = this.localWrites.get(sessionId);
    if (queue === undefined || queue[0].cxid !== cxid) return undefined;
    const write = queue.shift()!;
    if (queue.length === 0) this.localWrites.delete(sessionId);
    return write;
  }

  /**
   * Where a write goes: prepared here on a standalone server or the leader; forwarded to the leader from a
   * follower or observer. A write that cannot be forwarded (no leader right now) drops its connection, which
   * the client sees as a connection loss: the outcome is unknown to it, never silently lost.
   */
  private route(intent: WriteIntent): void {
    if (this.ensemble === null) return this.replicateStandalone(intent);
    if (this.role === "leader") {
      this.metrics.prepQueued();
      this.backlog.push(intent);
      return this.drainBacklog();
    }
    if (!this.ensemble.forward(encodeIntent(intent))) this.dropSession(intent.sessionId);
  }

  /**
   * Leader: prepare queued intents while the core accepts proposals. Prep reads the outstanding changes, which
   * hold the effects of every txn this leader prepared in this term, committed or not: so only this term's first
   * write waits until the history it inherited is applied; later ones go out at once, as ZooKeeper's leader does.
   */
  private drainBacklog(): void {
    const ensemble = this.ensemble!;
    while (this.backlog.length > 0 && this.role === "leader" && this.serving && ensemble.canPropose() && this.historyApplied(ensemble)) {
      const intent = this.backlog.shift()!;
      this.preparedThisTerm = true;
      ensemble.propose((zxid) => encodeTxn(this.prepareIntent(intent, zxid)));
    }
  }

  /** Leader: every committed txn that prep cannot see through the outstanding changes is applied. */
  private historyApplied(ensemble: EnsembleDriver): boolean {
    return this.preparedThisTerm || this.tree.lastProcessedZxid >= ensemble.peer.lastCommittedZxid();
  }

  private replicateStandalone(intent: WriteIntent): void {
    this.metrics.prepQueued();
    const zxid = ++this.lastAssignedZxid;
    this.enqueueTxn(this.prepareIntent(intent, zxid));
  }

  /** Turns an intent into the txn with this zxid, validated against the outstanding changes. */
  private prepareIntent(intent: WriteIntent, zxid: bigint): Txn {
    const prepStartedMs = performance.now();
    const header = { sessionId: intent.sessionId, cxid: intent.kind === "createSession" || intent.kind === "reap" ? 0 : intent.cxid, zxid, timeMs: Date.now() };
    const txn = { header, body: this.prepareBody(intent, zxid) };
    this.metrics.recordPrep(intent.kind === "closeSession", prepStartedMs);
    return txn;
  }

  private prepareBody(intent: WriteIntent, zxid: bigint): TxnBody {
    switch (intent.kind) {
      case "createSession":
        if (this.ensemble !== null) this.sessionsOpening.set(intent.sessionId, false);
        return { type: "createSession", timeoutMs: intent.timeoutMs };
      case "error":
        return { type: "error", err: intent.err };
      case "closeSession":
        return this.prepareCloseSession(intent.sessionId, zxid);
      case "reap":
        try {
          return this.preparer.prepareReap(intent.path, this.pending, zxid);
        } catch (e) {
          if (e instanceof ZkError) return { type: "error", err: e.code };
          throw e;
        }
      case "request": {
        const session = this.sessions.get(intent.sessionId);
        const closing = session === undefined ? (this.sessionsOpening.get(intent.sessionId) ?? true) : session.closing;
        const ctx = { sessionId: intent.sessionId, auth: { ids: intent.ids, isSuper: intent.isSuper }, sessionClosing: closing };
        try {
          return this.preparer.prepare(intent.req, ctx, this.pending, zxid);
        } catch (e) {
          if (e instanceof MultiFailure) {
            const err = e.codes.find((c) => c !== 0 && c !== Err.RuntimeInconsistency) ?? Err.SystemError;
            return { type: "error", err, multiCodes: e.codes };
          }
          if (e instanceof ZkError) return { type: "error", err: e.code };
          throw e;
        }
      }
    }
  }

  private prepareCloseSession(sessionId: bigint, zxid: bigint): TxnBody {
    this.sessions.markClosing(sessionId);
    if (this.sessionsOpening.has(sessionId)) this.sessionsOpening.set(sessionId, true);
    const candidates = new Set(this.tree.ephemerals.get(sessionId) ?? []);
    for (const [path, rec] of this.pending.entries()) if (rec.state?.ephemeralOwner === sessionId) candidates.add(path);
    return this.preparer.prepareCloseSession(sessionId, candidates, this.pending, zxid);
  }

  /** Standalone: log the txn (group commit), apply it in zxid order once durable. */
  private enqueueTxn(txn: Txn): void {
    this.inflight.push({ txn, durable: false });
    this.throttleIfBusy();
    this.persistence.enqueue(txn);
  }

  /** Standalone: the log says every txn up to zxid is durable (one call per group commit). */
  private logDurable(zxid: bigint): void {
    for (const entry of this.inflight) {
      if (entry.txn !== null && entry.txn.header.zxid > zxid) break;
      entry.durable = true;
    }
    this.applyDurable();
  }

  /** Applies durable writes from the head of the queue, in zxid order. */
  private applyDurable(): void {
    while (this.inflight.length > 0 && this.inflight[0].durable) {
      const entry = this.inflight.shift()!;
      if (entry.txn !== null) this.applyCommitted(entry.txn);
      entry.onApplied?.();
    }
    this.throttleIfBusy();
  }

  /**
   * globalOutstandingLimit: with that many writes in flight, stop reading from every client until half have
   * completed, so a flood cannot grow memory without bound (reads already queued still complete).
   */
  private throttleIfBusy(): void {
    const limit = this.config.globalOutstandingLimit;
    const busy = this.throttled ? this.inflight.length > limit / 2 : this.inflight.length >= limit;
    if (busy === this.throttled) return;
    this.throttled = busy;
    if (busy) this.metrics.requestThrottleWaits.inc();
    for (const c of this.connections) c.setGlobalPause(busy);
  }

  /**
   * Applies one committed txn, on any role: the tree (firing watches before any reply), the session table, and
   * the reply to the local client that asked for it, if it is connected here.
   */
  applyCommitted(txn: Txn): void {
    const results = applyTxn(this.tree, txn, this.accountQuota);
    this.pending.applied(txn.header.zxid);
    for (const change of results.changes) this.metrics.recordWatchTrigger(change.kind, this.watches.trigger(change, txn.header.zxid));
    this.metrics.recordApplied(txn.header.timeMs);
    const sessionId = txn.header.sessionId;
    if (txn.body.type === "createSession") this.addAppliedSession(sessionId, txn.body.timeoutMs);
    if (txn.body.type === "closeSession") this.finishCloseSession(sessionId);
    const local = this.takeLocalWrite(sessionId, txn.header.cxid);
    if (local !== undefined) this.answerLocalWrite(local, txn, results);
    this.persistence.afterApply(this.tree, () => this.snapshotSessions());
    if (this.ensemble !== null && this.backlog.length > 0) this.drainBacklog();
  }

  /** Keeps quota usage and the zookeeper_stats nodes current as txns apply (on every server alike). */
  private readonly accountQuota = (applied: Readonly<AppliedOp>): void => {
    recordWriteSizes(this.metrics, applied);
    const { op, row, lengthBefore } = applied;
    let writes: readonly QuotaStatsWrite[] = NO_QUOTA_WRITES;
    if (op.type === "create" && row !== NO_ROW) writes = this.quotas.created(op.path, op.data);
    else if (op.type === "delete" && lengthBefore >= 0) writes = this.quotas.deleted(op.path, lengthBefore);
    else if (op.type === "setData" && lengthBefore >= 0) writes = this.quotas.dataChanged(op.path, lengthBefore, op.data);
    else if (op.type === "closeSession") writes = applied.closed.flatMap(([p, length]) => this.quotas.deleted(p, length));
    this.storeQuotaStats(writes);
  };

  /** Stats nodes are kept by the server itself: their data changes without a version or mzxid bump. */
  private storeQuotaStats(writes: readonly QuotaStatsWrite[]): void {
    for (const w of writes) this.tree.overwriteData(w.path, w.data);
  }

  /**
   * Quota check for prep (create/setData): a hard limit refuses with QuotaExceeded when enforceQuota is on;
   * a soft limit (or a hard one when not enforced) is logged, as ZooKeeper does.
   */
  private checkQuota(kind: "create" | "setData", path: string, newLen: number): number | null {
    if (!this.quotas.hasQuotas) return null;
    const oldLen = kind === "setData" ? (this.tree.get(path)?.dataLength ?? 0) : 0;
    const verdict = kind === "create" ? this.quotas.checkCreate(path, newLen) : this.quotas.checkSetData(path, oldLen, newLen);
    if (verdict.kind === "ok") return null;
    const detail = verdict.excesses.map((e) => `${e.resource} ${e.value} > ${e.hard ? "hard " : ""}limit ${e.limit}`).join(", ");
    if (verdict.kind === "hardExceeded" && this.config.enforceQuota) {
      this.metrics.quotaExceeded(verdict.root);
      return Err.QuotaExceeded;
    }
    this.logger.warn(`quota exceeded under ${verdict.root} by ${kind} ${path}: ${detail}`);
    return null;
  }

  private answerLocalWrite(local: LocalWrite, txn: Txn, results: ReturnType<typeof applyTxn>): void {
    local.onApplied?.();
    if (local.reply === null) return;
    const origin: WriteOrigin = { conn: local.conn, xid: local.cxid, req: local.req ?? { op: "closeSession" }, startedMs: local.startedMs };
    const frame = buildWriteReply(this.tree, txn, origin, results);
    local.reply(frame);
    this.recordLatency(local.conn, local.startedMs, local.req?.op ?? "error", true, frame.length);
  }

  private sync(conn: Connection, xid: number, path: string): void {
    const done = conn.enqueueWrite();
    const answer = () => done(replyFrame(xid, this.lastZxid, 0, (w) => void w.ustring(path)));
    if (this.ensemble === null) {
      this.inflight.push({ txn: null, durable: true, onApplied: answer });
      this.applyDurable();
    } else if (!this.ensemble.sync(answer)) {
      conn.destroy();
    }
  }

  /** Closes the client connection of a session whose write could not reach the leader. */
  private dropSession(sessionId: bigint): void {
    this.sessionConnections.get(sessionId)?.destroy();
    this.localWrites.delete(sessionId);
  }

  private snapshotSessions(): { id: bigint; timeoutMs: number }[] {
    // Closing sessions are included: until their closeSession txn is applied they still own their ephemerals.
    return [...this.sessions.sessions.values()].map((s) => ({ id: s.id, timeoutMs: s.timeoutMs }));
  }

  private fatal(message: string): void {
    this.metrics.unrecoverableErrors.inc();
    this.logger.error(`${message}; shutting down to avoid acknowledging unsaved writes`);
    void this.close().finally(() => process.exit(2));
  }

  // ---------------------------------------------------------------- sessions

  private clientCloseSession(conn: Connection, xid: number, startedMs: number): void {
    const session = this.sessions.get(conn.sessionId);
    if (session === undefined || session.closing) {
      conn.enqueueRead(() => replyFrame(xid, this.lastZxid, 0), () => conn.closeAfterFlush());
      return;
    }
    const reply = conn.enqueueWrite();
    this.registerLocalWrite(conn.sessionId, { conn, cxid: xid, req: { op: "closeSession" }, startedMs, reply });
    this.route({ kind: "closeSession", sessionId: conn.sessionId, cxid: xid });
  }

  /** A createSession txn applied: the session exists (closing already if this leader prepared its close meanwhile). */
  private addAppliedSession(sessionId: bigint, timeoutMs: number): void {
    this.sessions.add(sessionId, timeoutMs, Date.now());
    const closing = this.sessionsOpening.get(sessionId);
    this.sessionsOpening.delete(sessionId);
    if (closing === true) this.sessions.markClosing(sessionId);
  }

  private finishCloseSession(sessionId: bigint): void {
    this.sessions.remove(sessionId);
    this.touched.delete(sessionId);
    const conn = this.sessionConnections.get(sessionId);
    if (conn === undefined) return;
    this.sessionConnections.delete(sessionId);
    // An explicit close gets its reply first (queued by apply); an expired one is just closed.
    setImmediate(() => conn.closeAfterFlush());
  }

  /** Expiry buckets sit on tick boundaries: check right after each boundary, so sessions expire on time. */
  private scheduleExpiryCheck(): void {
    if (this.stopping) return;
    const tick = this.config.tickTimeMs;
    const now = Date.now();
    const delay = Math.ceil((now + 1) / tick) * tick - now + 1;
    this.expiryTimer = setTimeout(() => {
      this.expireSessions();
      this.scheduleExpiryCheck();
    }, delay);
  }

  /** Expires a session at once (TestingServer, admin tools): the same path as a timeout. */
  expireSession(sessionId: bigint): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined || session.closing) return;
    this.route({ kind: "closeSession", sessionId, cxid: 0 });
  }

  /** Only the standalone server or the serving leader decides expiry; followers forward touches to it. */
  private expireSessions(): void {
    if (this.ensemble !== null && this.role !== "leader" && this.touched.size > 0) {
      const bytes = Buffer.alloc(this.touched.size * 8);
      let i = 0;
      for (const id of this.touched) bytes.writeBigInt64BE(id, 8 * i++);
      this.touched.clear();
      this.ensemble.queueSessionTouches(bytes);
    }
    if (this.ensemble !== null && !(this.role === "leader" && this.serving)) return;
    for (const s of this.sessions.expired(Date.now())) {
      this.logger.info(`expiring session 0x${s.id.toString(16)}, timeout ${s.timeoutMs} ms`);
      this.metrics.staleSessionsExpired.inc();
      this.expireSession(s.id);
    }
  }

  /** Deletes emptied containers and expired TTL nodes, as ZooKeeper's ContainerManager does. */
  private reapContainers(): void {
    const now = Date.now();
    const perRun = Math.max(1, Math.floor((this.config.containerMaxPerMinute * this.config.containerCheckIntervalMs) / 60000));
    const candidates: string[] = [];
    for (const p of this.tree.containers) {
      const node = this.tree.get(p);
      if (node && node.numChildren === 0 && node.createCount > 0) candidates.push(p);
    }
    for (const p of this.tree.ttlNodes) {
      const node = this.tree.get(p);
      if (node && node.numChildren === 0 && now - node.mtime > Number(ttlOf(node.ephemeralOwner))) candidates.push(p);
    }
    if (this.ensemble !== null && !(this.role === "leader" && this.serving)) return;
    for (const p of candidates.slice(0, perRun)) this.route({ kind: "reap", sessionId: 0n, path: p });
  }

  /** The data directory the snapshots live in (for conf/dirs). */
  get dataDirVersioned(): string {
    return path.join(this.config.dataDir, "version-2");
  }

  persistenceSizes(): { dataDirBytes: number; logDirBytes: number } {
    return this.persistence.sizes();
  }
}

function listenOn(server: net.Server, port: number, host: string, logger: Logger, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      server.on("error", (e) => logger.error(`${what}: ${e.message}`));
      resolve();
    });
  });
}

/**
 * A verified client certificate gives the connection the identity x509:<subject DN in RFC 2253 form> (most
 * specific first, as Java's X500Principal.getName() prints it); the configured super user bypasses ACLs.
 */
function addX509Identity(conn: Connection, socket: tls.TLSSocket, superUser: string | null): void {
  if (!socket.authorized) return;
  const peer = socket.getPeerCertificate(false);
  if (peer === null || peer.raw === undefined) return;
  const subject = new X509Certificate(peer.raw).subject.split("\n").reverse().join(",");
  conn.addId({ scheme: "x509", id: subject });
  if (superUser !== null && subject === superUser) conn.isSuper = true;
}

const NO_QUOTA_WRITES: readonly QuotaStatsWrite[] = [];

const WRITE_OPCODES: ReadonlySet<number> = new Set([
  OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete, OpCode.setData, OpCode.setACL, OpCode.multi,
]);

/** multiRead accepts only getData/getChildren (else MarshallingError, answered like any read error). */
function validateMultiReadOps(ops: Request[]): void {
  for (const op of ops) {
    if (op.op !== "getData" && op.op !== "getChildren") throw new ZkError(Err.MarshallingError, `${op.op} inside multiRead`);
  }
}

/** The 4-letter op abbreviations ZooKeeper's cons output uses. */
function shortOpName(type: number): string {
  const name = opName(type) ?? "UNKNOWN";
  return name.slice(0, 4).toUpperCase();
}

/** Ensemble mode: zoo.cfg lists more than one server (one server.N line alone still means standalone). */
function isEnsemble(config: ServerConfig): boolean {
  return config.servers.size > 1;
}

/** dataDir/myid names this member, as in ZooKeeper. */
function readMyId(config: ServerConfig): number {
  const file = path.join(config.dataDir, "myid");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch {
    throw new Error(`ensemble mode needs ${file} holding this server's id (one of ${[...config.servers.keys()].join(", ")})`);
  }
  const id = Number(text);
  if (!Number.isInteger(id) || !config.servers.has(id)) throw new Error(`${file} holds '${text}', not one of the server ids in zoo.cfg`);
  return id;
}
