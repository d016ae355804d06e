/**
 * The failover workload's client: one session with one setData in flight at a time, written by hand on the wire
 * protocol (as bench/probe.ts is), that never gives up. When its connection drops or a member refuses it, it
 * re-attaches the same session (session id, password, last zxid seen) at the next member of its list at once,
 * and re-sends the write; setData with version -1 is idempotent, so a write that landed before the drop is
 * harmless to repeat. Every acknowledged write is recorded with the time it was sent and acknowledged
 * (performance.now(), the runner's clock, which also times the kill).
 *
 * Why not the Java client (bench/java/LoadGen.java): ZooKeeper 3.8's ClientCnxn sleeps a random 0–1000 ms before
 * every reconnection attempt, and both servers drop their clients while they elect, so through it the
 * measurement would mostly be that sleep. This client retries within milliseconds, so what it measures is the
 * ensemble's recovery: detecting the dead leader, electing, syncing, revalidating the session, committing.
 */
import net from "node:net";
import { frame, FrameReader, requestHeader } from "./probe.js";

const host = "127.0.0.1";
/** Asked for; each server caps it at its maxSessionTimeout (20 ticks by default). */
const sessionTimeoutRequestedMs = 30_000;
const attemptTimeoutMs = 2_000;
const replyTimeoutMs = 15_000;
/** How long the probe keeps trying to reach a serving member before it reports failure. */
const attachTimeoutMs = 120_000;
/** Pause after every member refused once, so the retries do not take CPU from the servers that are electing. */
const retryCycleDelayMs = 2;
const acksMax = 10_000_000;
const connectResponseBytesMin = 4 + 4 + 8 + 4;

const opCreate = 1;
const opSetData = 5;
const opCloseSession = -11;
const xidNotification = -1;
const xidPing = -2;
const errNodeExists = -110;
const errSessionExpired = -112;
/** world:anyone with every permission. */
const permsAll = 31;

export interface ProbeAck {
  sentAtMs: number;
  ackedAtMs: number;
}

export interface ProbeStats {
  acks: number;
  /** Sessions established after the first: re-attachments of the session (or new ones after an expiry). */
  reconnects: number;
  /** Connection attempts that a member refused, dropped or did not answer. */
  failedAttempts: number;
  sessionsExpired: number;
  /** Error codes of write replies, by code; each is followed by a reconnection. */
  writeErrors: Record<string, number>;
}

interface Session {
  id: bigint;
  passwd: Buffer;
  lastZxidSeen: bigint;
}

interface Waiter {
  ready(): boolean;
  resolve(): void;
  reject(e: Error): void;
}

export class FailoverProbe {
  private readonly acks: ProbeAck[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly stats: ProbeStats = { acks: 0, reconnects: -1, failedAttempts: 0, sessionsExpired: 0, writeErrors: {} };
  private session: Session = newSession();
  private connection: ProbeConnection | null = null;
  private nextMember = 0;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private failure: Error | null = null;
  private readonly value: Buffer;

  /** `ports`: the members to use, in order; `path`: the znode written (created if missing). */
  constructor(private readonly ports: readonly number[], private readonly path: string, valueBytes: number) {
    if (ports.length === 0) throw new Error("the failover probe needs at least one member");
    this.value = Buffer.alloc(valueBytes, "v");
  }

  /** Opens the session, creates the znode (and its ancestors), and starts writing. */
  async start(): Promise<void> {
    this.connection = await this.attach();
    const parts = this.path.split("/").slice(1);
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = `/${parts.slice(0, depth).join("/")}`;
      const created = await this.connection.request(opCreate, createBody(path, depth === parts.length ? this.value : Buffer.alloc(0)), replyTimeoutMs);
      if (created.err !== 0 && created.err !== errNodeExists) throw new Error(`create ${path}: error ${created.err}`);
      if (created.zxid > this.session.lastZxidSeen) this.session.lastZxidSeen = created.zxid;
    }
    this.loop = this.writeLoop();
  }

  get ackCount(): number {
    return this.acks.length;
  }

  /** Resolves once `count` writes have been acknowledged in all. */
  waitForAcks(count: number, timeoutMs: number): Promise<void> {
    return this.waitUntil(() => this.acks.length >= count, timeoutMs, `${count} acknowledged writes`);
  }

  /** The first write sent after `sinceMs` (performance.now()) that was acknowledged; waits for it. */
  async firstAckSentAfter(sinceMs: number, timeoutMs: number): Promise<ProbeAck> {
    const find = () => this.acks.find((a) => a.sentAtMs > sinceMs);
    await this.waitUntil(() => find() !== undefined, timeoutMs, "a write acknowledged after the kill");
    return find()!;
  }

  /** The last write acknowledged before `beforeMs`. */
  lastAckBefore(beforeMs: number): ProbeAck | undefined {
    for (let i = this.acks.length - 1; i >= 0; i--) if (this.acks[i].ackedAtMs < beforeMs) return this.acks[i];
    return undefined;
  }

  /** Stops writing, closes the session, and returns the counters. */
  async stop(): Promise<ProbeStats> {
    this.stopping = true;
    await this.loop;
    const connection = this.connection;
    this.connection = null;
    await connection?.closeSession(attemptTimeoutMs);
    for (const w of this.waiters) w.reject(new Error("the failover probe was stopped"));
    this.waiters.clear();
    if (this.failure !== null) throw this.failure;
    return { ...this.stats, acks: this.acks.length, writeErrors: { ...this.stats.writeErrors } };
  }

  private async writeLoop(): Promise<void> {
    try {
      while (!this.stopping) await this.writeOnce();
    } catch (e) {
      if (this.stopping) return; // stopped while reconnecting: nothing is waiting for more writes
      this.failure = e instanceof Error ? e : new Error(String(e));
      for (const w of this.waiters) w.reject(this.failure);
      this.waiters.clear();
    }
  }

  private async writeOnce(): Promise<void> {
    if (this.connection === null) this.connection = await this.attach();
    const sentAtMs = performance.now();
    let reply: Reply;
    try {
      reply = await this.connection.request(opSetData, setDataBody(this.path, this.value), replyTimeoutMs);
    } catch {
      this.dropConnection();
      return;
    }
    if (reply.zxid > this.session.lastZxidSeen) this.session.lastZxidSeen = reply.zxid;
    if (reply.err !== 0) {
      this.stats.writeErrors[String(reply.err)] = (this.stats.writeErrors[String(reply.err)] ?? 0) + 1;
      if (reply.err === errSessionExpired) this.expireSession();
      this.dropConnection();
      return;
    }
    if (this.acks.length >= acksMax) throw new Error(`more than ${acksMax} writes: the probe was never stopped`);
    this.acks.push({ sentAtMs, ackedAtMs: performance.now() });
    this.wakeWaiters();
  }

  private dropConnection(): void {
    this.connection?.destroy();
    this.connection = null;
  }

  private expireSession(): void {
    this.stats.sessionsExpired++;
    this.session = { ...newSession(), lastZxidSeen: this.session.lastZxidSeen };
  }

  /** Tries the members in turn until one gives the session a connection. */
  private async attach(): Promise<ProbeConnection> {
    const deadline = performance.now() + attachTimeoutMs;
    let lastFailure = "no attempt";
    while (performance.now() < deadline) {
      if (this.stopping) throw new Error("stopped while reconnecting");
      const port = this.ports[this.nextMember++ % this.ports.length];
      try {
        const { connection, response } = await ProbeConnection.open(port, connectRequest(this.session), attemptTimeoutMs);
        if (response.timeOutMs > 0) {
          this.session = { ...this.session, id: response.sessionId, passwd: response.passwd };
          this.stats.reconnects++;
          return connection;
        }
        connection.destroy();
        this.expireSession();
        lastFailure = `port ${port}: session expired`;
      } catch (e) {
        this.stats.failedAttempts++;
        lastFailure = `port ${port}: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (this.nextMember % this.ports.length === 0) await new Promise((resolve) => setTimeout(resolve, retryCycleDelayMs));
    }
    throw new Error(`no member of ${this.ports.join(",")} served the session within ${attachTimeoutMs} ms (last: ${lastFailure})`);
  }

  private waitUntil(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`failover probe: no ${what} within ${timeoutMs} ms (${this.acks.length} acknowledged so far)`));
      }, timeoutMs);
      const waiter: Waiter = {
        ready,
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.waiters.add(waiter);
    });
  }

  private wakeWaiters(): void {
    for (const w of this.waiters) {
      if (w.ready()) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }
}

function newSession(): Session {
  return { id: 0n, passwd: Buffer.alloc(16), lastZxidSeen: 0n };
}

interface Reply {
  err: number;
  zxid: bigint;
}

interface ConnectResponse {
  timeOutMs: number;
  sessionId: bigint;
  passwd: Buffer;
}

/** One TCP connection carrying the session; one request at a time, as the probe needs. */
class ProbeConnection {
  private readonly frames = new FrameReader();
  private pending: { xid: number; resolve(r: Reply): void; reject(e: Error): void } | null = null;
  private nextXid = 1;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => { /* reported through "close" */ });
    socket.once("close", () => {
      this.closed = true;
      this.pending?.reject(new Error("connection closed"));
      this.pending = null;
    });
  }

  /** Connects and sends the ConnectRequest; resolves with the server's ConnectResponse. */
  static open(port: number, connectPayload: Buffer, timeoutMs: number): Promise<{ connection: ProbeConnection; response: ConnectResponse }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      const reader = new FrameReader();
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on("error", () => { /* closing anyway */ });
        socket.destroy();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail("no ConnectResponse in time"), timeoutMs);
      socket.once("error", (e) => fail(e.message));
      socket.once("close", () => fail("connection closed"));
      socket.once("connect", () => socket.write(frame(connectPayload)));
      socket.on("data", (chunk: Buffer) => {
        let payloads: Buffer[];
        try {
          payloads = reader.push(chunk);
        } catch (e) {
          return fail((e as Error).message);
        }
        if (payloads.length === 0) return;
        const response = decodeConnectResponse(payloads[0]);
        if (response === null) return fail("malformed ConnectResponse");
        clearTimeout(timer);
        socket.removeAllListeners();
        resolve({ connection: new ProbeConnection(socket), response });
      });
    });
  }

  request(type: number, body: Buffer, timeoutMs: number): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    if (this.pending !== null) throw new Error("one request at a time");
    const xid = this.nextXid++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        xid,
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.socket.write(frame(Buffer.concat([requestHeader(xid, type), body])));
    });
  }

  /** Ends the session politely (best effort: the bench is done with it either way). */
  async closeSession(timeoutMs: number): Promise<void> {
    try {
      await this.request(opCloseSession, Buffer.alloc(0), timeoutMs);
    } catch {
      // A session that cannot be closed expires on its own.
    }
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let payloads: Buffer[];
    try {
      payloads = this.frames.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const payload of payloads) {
      // ReplyHeader: xid int32, zxid int64, err int32.
      if (payload.length < 16) {
        this.socket.destroy();
        return;
      }
      const xid = payload.readInt32BE(0);
      if (xid === xidNotification || xidPing === xid) continue;
      const pending = this.pending;
      if (pending === null || pending.xid !== xid) {
        this.socket.destroy();
        return;
      }
      this.pending = null;
      pending.resolve({ zxid: payload.readBigInt64BE(4), err: payload.readInt32BE(12) });
    }
  }
}

function decodeConnectResponse(payload: Buffer): ConnectResponse | null {
  // protocolVersion int32, timeOut int32, sessionId int64, passwd buffer (int32 length + bytes), readOnly bool.
  if (payload.length < connectResponseBytesMin) return null;
  const timeOutMs = payload.readInt32BE(4);
  const sessionId = payload.readBigInt64BE(8);
  const passwdLength = payload.readInt32BE(16);
  if (passwdLength < 0 || payload.length < connectResponseBytesMin + passwdLength) return null;
  return { timeOutMs, sessionId, passwd: Buffer.from(payload.subarray(20, 20 + passwdLength)) };
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

function ustring(s: string): Buffer {
  const bytes = Buffer.from(s, "utf8");
  return Buffer.concat([int32(bytes.length), bytes]);
}

function buffer(bytes: Buffer): Buffer {
  return Buffer.concat([int32(bytes.length), bytes]);
}

function connectRequest(s: Session): Buffer {
  return Buffer.concat([
    int32(0), // protocolVersion
    int64(s.lastZxidSeen),
    int32(sessionTimeoutRequestedMs),
    int64(s.id),
    buffer(s.passwd),
    Buffer.from([0]), // readOnly false
  ]);
}

function createBody(path: string, data: Buffer): Buffer {
  const acl = Buffer.concat([int32(1), int32(permsAll), ustring("world"), ustring("anyone")]);
  return Buffer.concat([ustring(path), buffer(data), acl, int32(0)]); // flags 0: persistent
}

function setDataBody(path: string, data: Buffer): Buffer {
  return Buffer.concat([ustring(path), buffer(data), int32(-1)]); // any version
}
