/**
 * The session state machine: one ZooKeeper session carried over a series of connections.
 *
 *   connecting ──► connected / readOnly ──► disconnected ──► connected / readOnly (same session) ...
 *        │                                      │
 *        └──────────────► expired ◄─────────────┘        any state ──► closed;  auth rejected ──► authFailed
 *
 * It owns the reconnect loop (servers tried in turn, bounded exponential back-off), the re-attach handshake
 * (session id + password + lastZxidSeen), the per-(re)connect setup (auth packets first, then the watch
 * re-registration the client supplies, then queued requests), the queue of requests waiting for a connection,
 * and request timeouts. Expiry is terminal: pending work is rejected and no new session is ever opened.
 */
import type tls from "node:tls";
import type { ByteReader } from "../base/bytes.js";
import { Err } from "../jute/codes.js";
import type { ConnectRequest, Request, WatcherEvent } from "../jute/records.js";
import { formatAddress, type ServerAddress } from "./connect-string.js";
import { Connection, type Reply } from "./connection.js";
import {
  AuthFailedError,
  ConnectionLossError,
  NotConnectedError,
  RequestTimeoutError,
  SessionExpiredError,
  ThrottledError,
  ZooKeeperError,
} from "./errors.js";

export type SessionState = "connecting" | "connected" | "readOnly" | "disconnected" | "expired" | "authFailed" | "closed";

/** What the client announces: `connected` the first time, `reconnected` after a loss, `readOnly` on a r/o server. */
export type SessionTransition = "connected" | "reconnected" | "readOnly" | "disconnected" | "expired" | "authFailed" | "closed";

/** The 16 zero bytes Java sends as the password of a brand-new session. */
const NEW_SESSION_PASSWORD = Buffer.alloc(16);
const XID_MAX = 0x7fffffff;

export interface SessionConfig {
  /** In the order to try them (already shuffled by the caller). */
  servers: ServerAddress[];
  sessionTimeoutMs: number;
  /** Per attempt; default: session timeout / number of servers (as Java), at least 250 ms. */
  connectTimeoutMs: number | undefined;
  requestTimeoutMs: number | undefined;
  closeTimeoutMs: number;
  canBeReadOnly: boolean;
  tls: tls.ConnectionOptions | undefined;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  frameBytesMax: number;
  /** Queued + in-flight requests allowed before new ones fail with ThrottledError. */
  pendingRequestsMax: number;
  random: () => number;
  /** Resume this session instead of creating one (0n = new). */
  sessionId: bigint;
  sessionPassword: Buffer | undefined;
}

export interface SessionHooks {
  onTransition(transition: SessionTransition, detail: TransitionDetail): void;
  onNotification(event: WatcherEvent): void;
  /** The SetWatches/SetWatches2 batches to send after a re-attach, relative to lastZxidSeen. */
  watchRestoreRequests(relativeZxid: bigint): Request[];
}

export interface TransitionDetail {
  server?: string;
  reason?: Error;
}

/**
 * What a caller does with a reply (`body` is only meaningful when `err` is 0): return the value, or throw the
 * ZooKeeperError to reject with. It runs as the reply is read, before any later frame is handled.
 */
export type ReplyDecoder<T> = (err: number, body: ByteReader, zxid: bigint) => T;

interface Call {
  readonly request: Request;
  /** The client-side path, for error messages. */
  readonly path: string | undefined;
  readonly decode: ReplyDecoder<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  sent: boolean;
  settled: boolean;
}

interface Credential {
  scheme: string;
  auth: Buffer;
  waiters: { resolve(): void; reject(err: Error): void }[];
}

export class Session {
  private stateValue: SessionState = "connecting";
  private id: bigint;
  private password: Buffer;
  private negotiatedTimeoutMs = 0;
  private lastZxid = 0n;
  private connection: Connection | undefined;
  /** True once the current connection's setup is written: new requests go straight out. */
  private ready = false;
  private hasConnected = false;
  private closing: Promise<void> | undefined;
  private readonly queue: Call[] = [];
  private outstanding = 0;
  private nextXid = 1;
  private readonly credentials: Credential[] = [];
  /** Credentials whose auth reply is awaited, in send order (auth replies come back in order). */
  private authInFlight: Credential[] = [];
  private wakeUp: (() => void) | undefined;
  private connectionDone: (() => void) | undefined;
  private serverIndex = 0;

  constructor(private readonly config: SessionConfig, private readonly hooks: SessionHooks) {
    this.id = config.sessionId;
    this.password = config.sessionPassword ? Buffer.from(config.sessionPassword) : NEW_SESSION_PASSWORD;
    void this.connectLoop();
  }

  get state(): SessionState {
    return this.stateValue;
  }
  get sessionId(): bigint {
    return this.id;
  }
  get sessionPassword(): Buffer {
    return Buffer.from(this.password);
  }
  get sessionTimeoutMs(): number {
    return this.negotiatedTimeoutMs;
  }
  get lastZxidSeen(): bigint {
    return this.lastZxid;
  }
  get currentServer(): string | undefined {
    return this.connection && !this.connection.isClosed ? formatAddress(this.connection.address) : undefined;
  }

  /** Sends `request` now if connected, else queues it until the session is (re)connected. */
  submit<T>(request: Request, path: string | undefined, decode: ReplyDecoder<T>): Promise<T> {
    const refusal = this.refusal(path);
    if (refusal) return Promise.reject(refusal);
    if (this.outstanding >= this.config.pendingRequestsMax) {
      return Promise.reject(new ThrottledError({ path, message: `${this.outstanding} requests already pending in this client` }));
    }
    return new Promise<T>((resolve, reject) => {
      const call: Call = { request, path, decode, resolve: resolve as (v: unknown) => void, reject, timer: undefined, sent: false, settled: false };
      this.outstanding++;
      if (this.config.requestTimeoutMs !== undefined) {
        call.timer = setTimeout(() => this.timeOut(call), this.config.requestTimeoutMs);
      }
      if (this.ready) this.send(call);
      else this.queue.push(call);
    });
  }

  /** Adds credentials to the connection now (if connected) and to every future connection of this session. */
  addAuth(scheme: string, auth: Buffer): Promise<void> {
    const refusal = this.refusal(undefined);
    if (refusal) return Promise.reject(refusal);
    let credential = this.credentials.find((c) => c.scheme === scheme && c.auth.equals(auth));
    if (!credential) {
      credential = { scheme, auth: Buffer.from(auth), waiters: [] };
      this.credentials.push(credential);
    }
    const target = credential;
    const done = new Promise<void>((resolve, reject) => target.waiters.push({ resolve, reject }));
    if (this.ready) this.sendAuth(target);
    return done;
  }

  /**
   * Closes the session on the server (closeSession, bounded by closeTimeoutMs) if connected, then the
   * connection. Queued requests fail with NotConnectedError; requests already sent still get their replies.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  // ------------------------------------------------------------------ reconnect loop

  private async connectLoop(): Promise<void> {
    let failures = 0;
    while (this.isLive()) {
      if (failures > 0) await this.backOff(failures);
      if (!this.isLive()) return;
      const address = this.config.servers[this.serverIndex % this.config.servers.length];
      this.serverIndex = (this.serverIndex + 1) % this.config.servers.length;
      const connection = await this.attempt(address);
      if (connection === "failed") {
        failures++;
        continue;
      }
      if (connection === "expired") return;
      await new Promise<void>((resolve) => {
        this.connectionDone = resolve;
        if (connection.isClosed) resolve();
      });
      // A connection that dies right away (kicked, flapping server) must not make the loop spin.
      const livedMs = Date.now() - connection.openedAtMs;
      failures = livedMs >= this.config.reconnectMaxMs ? 0 : failures + 1;
    }
  }

  private async attempt(address: ServerAddress): Promise<Connection | "failed" | "expired"> {
    let established;
    try {
      established = await Connection.establish(address, this.connectRequest(), {
        timeoutMs: this.connectTimeoutMs(),
        frameBytesMax: this.config.frameBytesMax,
        tls: this.config.tls,
      });
    } catch {
      return "failed";
    }
    const { connection, response } = established;
    if (!this.isLive()) {
      connection.close(new NotConnectedError("closed"));
      return "failed";
    }
    // The only way a server says "expired": timeOut 0 (and, for the C client's sake, a different session id).
    if (response.timeOutMs <= 0 || (this.id !== 0n && response.sessionId !== this.id)) {
      connection.close(new SessionExpiredError());
      this.terminate("expired", new SessionExpiredError({ message: `rejected by ${formatAddress(address)}` }));
      return "expired";
    }
    this.id = response.sessionId;
    this.password = Buffer.from(response.passwd);
    this.negotiatedTimeoutMs = response.timeOutMs;
    const readTimeoutMs = Math.floor((response.timeOutMs * 2) / 3);
    if (!connection.activate(this.connectionHandlers(connection), readTimeoutMs)) return "failed";
    this.connection = connection;
    this.setUp(connection);
    const readOnly = response.readOnly === true;
    this.stateValue = readOnly ? "readOnly" : "connected";
    const transition: SessionTransition = readOnly ? "readOnly" : this.hasConnected ? "reconnected" : "connected";
    this.hasConnected = true;
    this.hooks.onTransition(transition, { server: formatAddress(address) });
    return connection;
  }

  private connectRequest(): ConnectRequest {
    return {
      protocolVersion: 0,
      lastZxidSeen: this.lastZxid,
      timeOutMs: this.config.sessionTimeoutMs,
      sessionId: this.id,
      passwd: this.password,
      readOnly: this.config.canBeReadOnly,
    };
  }

  private connectTimeoutMs(): number {
    if (this.config.connectTimeoutMs !== undefined) return this.config.connectTimeoutMs;
    const timeoutMs = this.negotiatedTimeoutMs > 0 ? this.negotiatedTimeoutMs : this.config.sessionTimeoutMs;
    return Math.max(250, Math.floor(timeoutMs / this.config.servers.length));
  }

  /** Auth first (so everything after runs with the identities), then watch re-registration, then the queue. */
  private setUp(connection: Connection): void {
    for (const credential of this.credentials) this.sendAuth(credential);
    for (const request of this.hooks.watchRestoreRequests(this.lastZxid)) this.sendInternal(connection, request);
    this.ready = true;
    for (const call of this.queue.splice(0)) this.send(call);
  }

  /** Exponential back-off with jitter in [delay/2, delay], cut short by close(). */
  private backOff(failures: number): Promise<void> {
    const ceilingMs = Math.min(this.config.reconnectMaxMs, this.config.reconnectBaseMs * 2 ** Math.min(failures - 1, 30));
    const delayMs = Math.floor(ceilingMs / 2 + (this.config.random() * ceilingMs) / 2);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, delayMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  private connectionHandlers(connection: Connection) {
    return {
      onNotification: (event: WatcherEvent) => this.hooks.onNotification(event),
      onAuthReply: (err: number) => this.onAuthReply(err),
      onReplyZxid: (zxid: bigint) => {
        if (zxid > this.lastZxid) this.lastZxid = zxid;
      },
      onClose: (reason: Error) => this.onConnectionClosed(connection, reason),
    };
  }

  private onConnectionClosed(connection: Connection, reason: Error): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.ready = false;
    this.authInFlight = [];
    if (this.isLive()) {
      this.stateValue = "disconnected";
      this.hooks.onTransition("disconnected", { server: formatAddress(connection.address), reason });
    }
    this.connectionDone?.();
    this.connectionDone = undefined;
  }

  // ------------------------------------------------------------------ requests

  private send(call: Call): void {
    const connection = this.connection;
    if (!connection) {
      this.queue.push(call);
      return;
    }
    call.sent = true;
    const sent = connection.send(this.allocateXid(), call.request, {
      onReply: (reply) => this.finish(call, reply),
      onLoss: (reason) => this.settle(call, new ConnectionLossError({ path: call.path, message: reason.message, cause: reason })),
    });
    if (!sent) this.settle(call, new ConnectionLossError({ path: call.path, message: "connection closed" }));
  }

  /** Setup requests are not the caller's: their outcome is ignored (events they trigger still arrive). */
  private sendInternal(connection: Connection, request: Request): void {
    connection.send(this.allocateXid(), request, { onReply: () => undefined, onLoss: () => undefined });
  }

  private finish(call: Call, reply: Reply): void {
    if (call.settled) return; // timed out earlier; the reply is dropped
    let outcome: unknown;
    try {
      outcome = call.decode(reply.header.err, reply.body, reply.header.zxid);
    } catch (err) {
      this.settle(call, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.settle(call, undefined, outcome);
  }

  private settle(call: Call, error: Error | undefined, value?: unknown): void {
    if (call.settled) return;
    call.settled = true;
    this.outstanding--;
    clearTimeout(call.timer);
    if (error) call.reject(error);
    else call.resolve(value);
  }

  private timeOut(call: Call): void {
    if (call.settled) return;
    const ms = this.config.requestTimeoutMs;
    if (!call.sent) {
      this.queue.splice(this.queue.indexOf(call), 1);
      this.settle(call, new NotConnectedError("timeout", { path: call.path, message: `not sent within ${ms} ms` }));
    } else {
      this.settle(call, new RequestTimeoutError({ path: call.path, message: `no reply within ${ms} ms` }));
    }
  }

  private allocateXid(): number {
    const xid = this.nextXid;
    this.nextXid = xid >= XID_MAX ? 1 : xid + 1;
    return xid;
  }

  // ------------------------------------------------------------------ auth

  private sendAuth(credential: Credential): void {
    if (this.connection?.sendAuth(credential.scheme, credential.auth)) this.authInFlight.push(credential);
  }

  private onAuthReply(err: number): void {
    const credential = this.authInFlight.shift();
    if (!credential) return;
    if (err === Err.OK) {
      for (const w of credential.waiters.splice(0)) w.resolve();
      return;
    }
    // The server closes the connection after AuthFailed; like Java, the client gives up for good.
    const error = new AuthFailedError({ message: `scheme "${credential.scheme}" rejected` });
    for (const w of credential.waiters.splice(0)) w.reject(error);
    this.terminate("authFailed", error);
    this.connection?.close(error);
  }

  // ------------------------------------------------------------------ ending

  private isLive(): boolean {
    return this.closing === undefined && !this.isTerminal();
  }

  private isTerminal(): boolean {
    return this.stateValue === "expired" || this.stateValue === "authFailed" || this.stateValue === "closed";
  }

  /** Why a new request cannot be accepted, or undefined if it can. */
  private refusal(path: string | undefined): ZooKeeperError | undefined {
    if (this.closing !== undefined || this.stateValue === "closed") return new NotConnectedError("closed", { path });
    if (this.stateValue === "expired") return new SessionExpiredError({ path });
    if (this.stateValue === "authFailed") return new AuthFailedError({ path });
    return undefined;
  }

  /** Enters a terminal state: queued work and auth waiters fail with `error`, then the hook runs. */
  private terminate(state: "expired" | "authFailed" | "closed", error: ZooKeeperError): void {
    if (this.isTerminal()) return;
    this.stateValue = state;
    this.ready = false;
    for (const call of this.queue.splice(0)) this.settle(call, withPath(error, call.path));
    for (const credential of this.credentials) for (const w of credential.waiters.splice(0)) w.reject(error);
    this.wakeUp?.();
    this.hooks.onTransition(state, { reason: error });
  }

  private async shutDown(): Promise<void> {
    const connection = this.connection;
    if (this.ready && connection && !this.isTerminal()) {
      for (const call of this.queue.splice(0)) this.settle(call, new NotConnectedError("closed", { path: call.path }));
      await this.closeSessionOn(connection);
    }
    this.connection?.close(new NotConnectedError("closed"));
    this.wakeUp?.();
    this.terminate("closed", new NotConnectedError("closed"));
    if (this.stateValue !== "closed") {
      // Closing after expiry or auth failure: record the end, nothing is pending any more.
      this.stateValue = "closed";
      this.hooks.onTransition("closed", {});
    }
  }

  /** closeSession, then wait for the server to answer (or give up after closeTimeoutMs). */
  private closeSessionOn(connection: Connection): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.config.closeTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (!connection.send(this.allocateXid(), { op: "closeSession" }, { onReply: done, onLoss: done })) done();
    });
  }
}

/** A fresh copy of a terminal error naming the request's path. */
function withPath(error: ZooKeeperError, path: string | undefined): ZooKeeperError {
  if (path === undefined) return error;
  if (error instanceof NotConnectedError) return new NotConnectedError(error.reason, { path });
  if (error instanceof SessionExpiredError) return new SessionExpiredError({ path });
  if (error instanceof AuthFailedError) return new AuthFailedError({ path });
  return error;
}
