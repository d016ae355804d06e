/**
 * A minimal promise-based ZooKeeper client that speaks the raw wire protocol, for conformance tests.
 *
 * It deliberately does nothing clever: no reconnects, no client-side watch tables, no path validation, no
 * automatic pings. Every frame the server sends is recorded in arrival order, replies are matched to requests
 * strictly FIFO (a reply whose xid differs from the oldest outstanding request is a protocol error that fails the
 * waiting test), and notifications (xid -1) go to an event queue. Tests can also write arbitrary bytes.
 */
import * as net from "node:net";
import {
  ByteReader,
  ByteWriter,
  DecodeError,
  FrameDecoder,
  OpCode,
  Xid,
  errName,
  opcodeOf,
  readACLList,
  readConnectResponse,
  readMultiResponse,
  readReplyHeader,
  readStat,
  readStringList,
  readWatcherEvent,
  writeConnectRequest,
  writeRequest,
} from "../../src/jute/index.js";
import type { ACL, ConnectResponse, MultiResult, ReplyHeader, Request, Stat, WatcherEvent } from "../../src/jute/index.js";

/** Frames from the server larger than this are a protocol error (the server's own limit is ~1 MiB). */
const FRAME_BYTES_MAX = 16 * 1024 * 1024;
const CONNECT_TIMEOUT_MS_DEFAULT = 5_000;
const REPLY_TIMEOUT_MS_DEFAULT = 10_000;
/** Java clients send 16 zero bytes as the password of a brand-new session. */
const NEW_SESSION_PASSWD = Buffer.alloc(16);

export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];

export interface ConnectOptions {
  /** Requested session timeout. */
  timeoutMs: number;
  sessionId?: bigint;
  passwd?: Buffer;
  /** undefined = behave like an "old" client and omit the readOnly byte. Default false. */
  readOnly?: boolean | undefined;
  lastZxidSeen?: bigint;
  connectTimeoutMs?: number;
  /** How long request() waits for a reply before rejecting (the request stays queued for FIFO matching). */
  replyTimeoutMs?: number;
}

export interface Reply {
  header: ReplyHeader;
  body: Buffer;
}

/** A decoded reply: the header's err and zxid plus the op's body when err is 0. */
export interface Result<T> {
  err: number;
  zxid: bigint;
  xid: number;
  value: T | undefined;
}

export interface Notification {
  zxid: bigint;
  event: WatcherEvent;
}

/** One server frame, in the order it arrived. */
export type FrameRecord =
  | { kind: "reply"; xid: number; zxid: bigint; err: number }
  | { kind: "event"; zxid: bigint; type: number; path: string };

export class ConnectionClosedError extends Error {
  constructor(message = "connection closed") {
    super(message);
    this.name = "ConnectionClosedError";
  }
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

interface Pending {
  xid: number;
  what: string;
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

interface EventWaiter {
  resolve(n: Notification): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface SetWatchesLists {
  data?: string[];
  exist?: string[];
  child?: string[];
  persistent?: string[];
  persistentRecursive?: string[];
}

export interface CreateOptions {
  acl?: ACL[] | null;
  flags?: number;
}

export class RawClient {
  /** Every frame received after the handshake, in arrival order. */
  readonly frames: FrameRecord[] = [];
  /** Problems with what the server sent (xid mismatch, undecodable frame, unexpected reply). */
  readonly protocolErrors: Error[] = [];
  /** Resolves once the socket is fully closed, whoever closed it. Never rejects. */
  readonly closed: Promise<void>;
  /** The ConnectResponse, once the handshake finished. */
  session: ConnectResponse | undefined;
  /** Highest reply zxid > 0 seen, like a real client's lastZxid. */
  lastZxid = 0n;
  isClosed = false;

  private readonly decoder = new FrameDecoder(FRAME_BYTES_MAX);
  private readonly pending: Pending[] = [];
  private readonly events: Notification[] = [];
  private readonly eventWaiters: EventWaiter[] = [];
  private handshakeWaiter: { resolve(r: ConnectResponse): void; reject(e: Error): void } | undefined;
  private nextXid = 1;
  private replyTimeoutMs = REPLY_TIMEOUT_MS_DEFAULT;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("error", () => {
      // An error is always followed by "close", which does the cleanup.
    });
    socket.once("close", () => this.onClose());
  }

  /** Opens a TCP connection without sending anything (for 4lw-style or fully hand-made sessions). */
  static open(host: string, port: number, connectTimeoutMs = CONNECT_TIMEOUT_MS_DEFAULT): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TimeoutError(`connect to ${host}:${port} timed out`));
      }, connectTimeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new RawClient(socket));
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Opens a connection and performs the handshake; the ConnectResponse is in `client.session`. */
  static async connect(host: string, port: number, opts: ConnectOptions): Promise<RawClient> {
    const client = await RawClient.open(host, port, opts.connectTimeoutMs);
    try {
      await client.handshake(opts);
    } catch (e) {
      client.destroy();
      throw e;
    }
    return client;
  }

  /** Sends the ConnectRequest and waits for the ConnectResponse (rejects if the server closes instead). */
  handshake(opts: ConnectOptions): Promise<ConnectResponse> {
    const done = this.startHandshake(opts);
    const timeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT;
    return withTimeout(done, timeoutMs, "handshake");
  }

  /**
   * Sends the ConnectRequest without waiting, so tests can pipeline requests behind it
   * (requests sent meanwhile are matched after the ConnectResponse).
   */
  startHandshake(opts: ConnectOptions): Promise<ConnectResponse> {
    const done = this.expectHandshake(opts.replyTimeoutMs);
    this.write(encodeConnectRequest(opts));
    return done;
  }

  /**
   * Waits for a ConnectResponse to a ConnectRequest the test writes itself with sendRaw (e.g. in one TCP write
   * with pipelined requests); rejects with ConnectionClosedError if the server closes instead.
   */
  expectHandshake(replyTimeoutMs = REPLY_TIMEOUT_MS_DEFAULT): Promise<ConnectResponse> {
    if (this.handshakeWaiter || this.session) throw new Error("handshake already started");
    this.replyTimeoutMs = replyTimeoutMs;
    return new Promise<ConnectResponse>((resolve, reject) => {
      this.handshakeWaiter = { resolve, reject };
    });
  }

  /** Our side's TCP port, as the server shows it in `cons`/`stat`. */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get sessionId(): bigint {
    return this.session?.sessionId ?? 0n;
  }

  get passwd(): Buffer {
    return this.session?.passwd ?? NEW_SESSION_PASSWD;
  }

  // ------------------------------------------------------------ raw requests

  /** Sends a request with the next xid (or the given one) and waits for its reply. */
  request(req: Request, xid?: number): Promise<Reply> {
    const body = new ByteWriter();
    writeRequest(body, req);
    return this.requestRaw(opcodeOf(req), body.toBuffer(), xid, req.op);
  }

  /** Sends header + arbitrary body bytes (for malformed or unknown requests) and waits for the reply. */
  requestRaw(type: number, body: Buffer, xid?: number, what = `op ${type}`): Promise<Reply> {
    const useXid = xid ?? this.allocateXid();
    const reply = this.expectReply(useXid, what);
    this.write(encodeRequestFrame(useXid, type, body));
    return reply;
  }

  /** Registers a pending reply for a request the test writes itself (e.g. with sendRaw). */
  expectReply(xid: number, what = `xid ${xid}`): Promise<Reply> {
    if (this.isClosed) return Promise.reject(new ConnectionClosedError(`${what}: connection already closed`));
    return new Promise<Reply>((resolve, reject) => {
      const entry: Pending = { xid, what, resolve, reject, timer: undefined };
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        // The entry stays queued: a late reply must still consume it, or FIFO matching would shift.
        reject(new TimeoutError(`${what} (xid ${xid}): no reply within ${this.replyTimeoutMs} ms`));
      }, this.replyTimeoutMs);
      this.pending.push(entry);
    });
  }

  allocateXid(): number {
    const xid = this.nextXid;
    this.nextXid = this.nextXid >= 0x7fffffff ? 1 : this.nextXid + 1;
    return xid;
  }

  /** Writes bytes exactly as given. */
  sendRaw(bytes: Buffer): void {
    this.write(bytes);
  }

  /** Number of requests still waiting for a reply. */
  get outstanding(): number {
    return this.pending.length;
  }

  // ------------------------------------------------------------ events

  /** The next notification (queued or future); rejects after timeoutMs. */
  nextEvent(timeoutMs = 5_000): Promise<Notification> {
    const queued = this.events.shift();
    if (queued) return Promise.resolve(queued);
    if (this.isClosed) return Promise.reject(new ConnectionClosedError("nextEvent: connection closed"));
    return new Promise((resolve, reject) => {
      const waiter: EventWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.eventWaiters.splice(this.eventWaiters.indexOf(waiter), 1);
          reject(new TimeoutError(`no notification within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.eventWaiters.push(waiter);
    });
  }

  /** Removes and returns every notification received so far. */
  takeEvents(): Notification[] {
    return this.events.splice(0, this.events.length);
  }

  /**
   * Notifications received so far, after a ping round trip: the server queues events before any later reply,
   * so once the ping reply is here every event caused by earlier requests is too. No sleeping needed.
   */
  async settledEvents(): Promise<Notification[]> {
    await this.ping();
    return this.takeEvents();
  }

  // ------------------------------------------------------------ typed helpers

  async create(path: string, data: Buffer | string | null = null, opts: CreateOptions = {}): Promise<Result<string>> {
    const req = createRequest(OpCode.create, path, data, opts);
    return decode(await this.request(req), (r) => r.ustring() ?? "");
  }

  async create2(path: string, data: Buffer | string | null = null, opts: CreateOptions = {}): Promise<Result<{ path: string; stat: Stat }>> {
    return decode(await this.request(createRequest(OpCode.create2, path, data, opts)), readPathAndStat);
  }

  async createContainer(path: string, data: Buffer | string | null = null, opts: CreateOptions = {}): Promise<Result<{ path: string; stat: Stat }>> {
    const req = createRequest(OpCode.createContainer, path, data, { flags: 4, ...opts });
    return decode(await this.request(req), readPathAndStat);
  }

  async createTTL(path: string, data: Buffer | string | null, ttl: bigint, opts: CreateOptions = {}): Promise<Result<{ path: string; stat: Stat }>> {
    return decode(await this.request(createTTLRequest(path, data, ttl, opts)), readPathAndStat);
  }

  async delete(path: string, version = -1): Promise<Result<void>> {
    return decode(await this.request({ op: "delete", path, version }), () => undefined);
  }

  async exists(path: string, watch = false): Promise<Result<Stat>> {
    return decode(await this.request({ op: "exists", path, watch }), readStat);
  }

  async getData(path: string, watch = false): Promise<Result<{ data: Buffer | null; stat: Stat }>> {
    return decode(await this.request({ op: "getData", path, watch }), (r) => ({ data: r.buffer(), stat: readStat(r) }));
  }

  async setData(path: string, data: Buffer | string | null, version = -1): Promise<Result<Stat>> {
    return decode(await this.request({ op: "setData", path, data: toBuffer(data), version }), readStat);
  }

  async getChildren(path: string, watch = false): Promise<Result<string[]>> {
    return decode(await this.request({ op: "getChildren", path, watch }), readStringList);
  }

  async getChildren2(path: string, watch = false): Promise<Result<{ children: string[]; stat: Stat }>> {
    return decode(await this.request({ op: "getChildren2", path, watch }), (r) => ({ children: readStringList(r), stat: readStat(r) }));
  }

  async getACL(path: string): Promise<Result<{ acl: ACL[]; stat: Stat }>> {
    return decode(await this.request({ op: "getACL", path }), (r) => ({ acl: readACLList(r) ?? [], stat: readStat(r) }));
  }

  async setACL(path: string, acl: ACL[] | null, version = -1): Promise<Result<Stat>> {
    return decode(await this.request({ op: "setACL", path, acl, version }), readStat);
  }

  async sync(path: string): Promise<Result<string>> {
    return decode(await this.request({ op: "sync", path }), (r) => r.ustring() ?? "");
  }

  async multi(ops: Request[]): Promise<Result<MultiResult[]>> {
    return decode(await this.request({ op: "multi", ops }), readMultiResponse);
  }

  async multiRead(ops: Request[]): Promise<Result<MultiResult[]>> {
    return decode(await this.request({ op: "multiRead", ops }), readMultiResponse);
  }

  /** addWatch's reply body is an ErrorResponse (int err), returned as the value. */
  async addWatch(path: string, mode: number): Promise<Result<number>> {
    return decode(await this.request({ op: "addWatch", path, mode }), (r) => r.int32());
  }

  async checkWatches(path: string, type: number): Promise<Result<void>> {
    return decode(await this.request({ op: "checkWatches", path, type }), () => undefined);
  }

  async removeWatches(path: string, type: number): Promise<Result<void>> {
    return decode(await this.request({ op: "removeWatches", path, type }), () => undefined);
  }

  /** AuthPacket with xid -4. On failure the server replies AuthFailed and closes the connection. */
  async auth(scheme: string, auth: Buffer | string): Promise<Result<void>> {
    const req: Request = { op: "auth", type: 0, scheme, auth: toBuffer(auth) ?? Buffer.alloc(0) };
    return decode(await this.request(req, Xid.auth), () => undefined);
  }

  /** SetWatches (op 101) or, when persistent lists are given or v2 is set, SetWatches2 (op 105). */
  async setWatches(relativeZxid: bigint, lists: SetWatchesLists, opts: { v2?: boolean; xid?: number } = {}): Promise<Result<void>> {
    const v2 = opts.v2 ?? (lists.persistent !== undefined || lists.persistentRecursive !== undefined);
    const req: Request = {
      op: "setWatches",
      relativeZxid,
      data: lists.data ?? [],
      exist: lists.exist ?? [],
      child: lists.child ?? [],
      persistent: lists.persistent ?? [],
      persistentRecursive: lists.persistentRecursive ?? [],
      v2,
    };
    return decode(await this.request(req, opts.xid), () => undefined);
  }

  async ping(): Promise<Result<void>> {
    return decode(await this.request({ op: "ping" }, Xid.ping), () => undefined);
  }

  async whoAmI(): Promise<Result<{ authScheme: string; user: string }[]>> {
    const readInfo = (r: ByteReader) => ({ authScheme: r.ustring() ?? "", user: r.ustring() ?? "" });
    return decode(await this.request({ op: "whoAmI" }), (r) => r.vector(readInfo, 8) ?? []);
  }

  async getEphemerals(prefixPath: string): Promise<Result<string[]>> {
    return decode(await this.request({ op: "getEphemerals", prefixPath }), readStringList);
  }

  async getAllChildrenNumber(path: string): Promise<Result<number>> {
    return decode(await this.request({ op: "getAllChildrenNumber", path }), (r) => r.int32());
  }

  /** closeSession: waits for the reply and for the server to close the socket. */
  async close(): Promise<Result<void>> {
    const reply = decode(await this.request({ op: "closeSession" }), () => undefined);
    await withTimeout(this.closed, this.replyTimeoutMs, "socket close after closeSession");
    return reply;
  }

  /** Drops the TCP connection without closing the session (like a client crash). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Half-closes our side; used to see whether the server then closes too. */
  end(): void {
    this.socket.end();
  }

  // ------------------------------------------------------------ plumbing

  private write(bytes: Buffer): void {
    if (!this.isClosed) this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk);
    try {
      for (let frame = this.decoder.next(); frame !== null; frame = this.decoder.next()) this.onFrame(frame);
    } catch (e) {
      this.protocolErrors.push(e instanceof Error ? e : new Error(String(e)));
      this.socket.destroy();
    }
  }

  private onFrame(frame: Buffer): void {
    if (!this.session) return this.onConnectResponse(frame);
    const r = new ByteReader(frame);
    const header = readReplyHeader(r);
    if (header.xid === Xid.notification) return this.onNotification(header, r);
    this.frames.push({ kind: "reply", xid: header.xid, zxid: header.zxid, err: header.err });
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    this.onReply({ header, body: Buffer.from(r.rest()) });
  }

  private onConnectResponse(frame: Buffer): void {
    const waiter = this.handshakeWaiter;
    if (!waiter) throw new ProtocolError("frame received before a ConnectRequest was sent");
    this.session = readConnectResponse(new ByteReader(frame));
    this.handshakeWaiter = undefined;
    waiter.resolve(this.session);
  }

  private onNotification(header: ReplyHeader, r: ByteReader): void {
    const event = readWatcherEvent(r);
    if (r.remaining() !== 0) throw new DecodeError(`${r.remaining()} trailing bytes after a WatcherEvent`);
    this.frames.push({ kind: "event", zxid: header.zxid, type: event.type, path: event.path });
    const n: Notification = { zxid: header.zxid, event };
    const waiter = this.eventWaiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(n);
    } else {
      this.events.push(n);
    }
  }

  private onReply(reply: Reply): void {
    const expected = this.pending.shift();
    if (!expected) {
      throw new ProtocolError(`reply xid ${reply.header.xid} (${errName(reply.header.err)}) with no request outstanding`);
    }
    if (expected.timer) clearTimeout(expected.timer);
    if (expected.xid !== reply.header.xid) {
      const e = new ProtocolError(`xid mismatch: expected reply to ${expected.what} xid ${expected.xid}, got xid ${reply.header.xid}`);
      this.protocolErrors.push(e);
      expected.reject(e);
      return;
    }
    expected.resolve(reply);
  }

  private onClose(): void {
    this.isClosed = true;
    const closedError = () => new ConnectionClosedError();
    this.handshakeWaiter?.reject(new ConnectionClosedError("connection closed during handshake"));
    this.handshakeWaiter = undefined;
    for (const p of this.pending.splice(0)) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(`connection closed before the reply to ${p.what} (xid ${p.xid})`));
    }
    for (const w of this.eventWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(closedError());
    }
  }
}

// ------------------------------------------------------------ free helpers

/** The value of a successful reply; fails the test with the error name otherwise. */
export function ok<T>(result: Result<T>, what = "request"): T {
  if (result.err !== 0) throw new Error(`${what} failed: ${errName(result.err)} (${result.err})`);
  return result.value as T;
}

export function encodeConnectRequest(opts: ConnectOptions): Buffer {
  const w = new ByteWriter();
  const at = w.beginFrame();
  writeConnectRequest(w, {
    protocolVersion: 0,
    lastZxidSeen: opts.lastZxidSeen ?? 0n,
    timeOutMs: opts.timeoutMs,
    sessionId: opts.sessionId ?? 0n,
    passwd: opts.passwd ?? NEW_SESSION_PASSWD,
    readOnly: "readOnly" in opts ? opts.readOnly : false,
  });
  w.endFrame(at);
  return w.toBuffer();
}

export function encodeRequestFrame(xid: number, type: number, body: Buffer): Buffer {
  const w = new ByteWriter(body.length + 12);
  const at = w.beginFrame();
  w.int32(xid).int32(type).raw(body);
  w.endFrame(at);
  return w.toBuffer();
}

/** A full request frame (length + header + body) for a Request. */
export function encodeRequest(xid: number, req: Request): Buffer {
  const body = new ByteWriter();
  writeRequest(body, req);
  return encodeRequestFrame(xid, opcodeOf(req), body.toBuffer());
}

export function createRequest(opcode: 1 | 15 | 19 | 21, path: string, data: Buffer | string | null, opts: CreateOptions = {}): Request {
  const acl = opts.acl === undefined ? OPEN_ACL_UNSAFE : opts.acl;
  return { op: "create", opcode, path, data: toBuffer(data), acl, flags: opts.flags ?? 0, ttl: -1n };
}

export function createTTLRequest(path: string, data: Buffer | string | null, ttl: bigint, opts: CreateOptions = {}): Request {
  const acl = opts.acl === undefined ? OPEN_ACL_UNSAFE : opts.acl;
  return { op: "create", opcode: OpCode.createTTL, path, data: toBuffer(data), acl, flags: opts.flags ?? 5, ttl };
}

function toBuffer(data: Buffer | string | null): Buffer | null {
  if (data === null) return null;
  return typeof data === "string" ? Buffer.from(data, "utf8") : data;
}

function readPathAndStat(r: ByteReader): { path: string; stat: Stat } {
  return { path: r.ustring() ?? "", stat: readStat(r) };
}

/** Decodes the body of a successful reply; an error reply must have an empty body. */
function decode<T>(reply: Reply, read: (r: ByteReader) => T): Result<T> {
  const { header, body } = reply;
  const base = { err: header.err, zxid: header.zxid, xid: header.xid };
  if (header.err !== 0) return { ...base, value: undefined };
  const r = new ByteReader(body);
  const value = read(r);
  if (r.remaining() !== 0) throw new ProtocolError(`${r.remaining()} unexpected trailing bytes in reply xid ${header.xid}`);
  return { ...base, value };
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: not done within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends a four-letter word as the first bytes of a fresh connection and returns everything the server writes
 * before closing.
 */
export function fourLetterWord(host: string, port: number, cmd: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host, port }, () => socket.write(cmd));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError(`4lw ${cmd}: no close within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", () => {
      // "close" follows; a reset after the output still counts as the answer.
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}
