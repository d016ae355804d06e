/**
 * One TCP (or TLS) connection to one server: the ConnectRequest/ConnectResponse handshake, framing, matching
 * replies to requests, pings and the dead-connection timer. It knows nothing about sessions, reconnects or
 * watches; the Session owns a connection at a time and hears about everything through ConnectionHandlers.
 *
 * Replies to normal requests come back strictly in request order, so they are matched against a FIFO and any
 * other xid is a protocol error that kills the connection. Pings (xid -2) and auth packets (xid -4) are not
 * in the FIFO: ZooKeeper answers auth as soon as it reads it, possibly ahead of earlier requests.
 */
import net from "node:net";
import tls from "node:tls";
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { Xid } from "../jute/codes.js";
import { FrameDecoder, FrameTooLargeError } from "../jute/frame.js";
import {
  opcodeOf,
  readConnectResponse,
  readReplyHeader,
  readWatcherEvent,
  writeConnectRequest,
  writeRequest,
} from "../jute/records.js";
import type { ConnectRequest, ConnectResponse, ReplyHeader, Request, WatcherEvent } from "../jute/records.js";
import { formatAddress, type ServerAddress } from "./connect-string.js";
import { ConnectionLossError } from "./errors.js";

/** Java's client never lets the ping interval exceed 10 s, whatever the session timeout. */
export const PING_INTERVAL_MS_MAX = 10_000;

export interface ConnectionOptions {
  /** Bounds TCP connect + TLS + handshake together. */
  timeoutMs: number;
  frameBytesMax: number;
  tls: tls.ConnectionOptions | undefined;
}

/** A reply to a request in the FIFO; `body` is positioned after the ReplyHeader. */
export interface Reply {
  header: ReplyHeader;
  body: ByteReader;
}

/** What the sender of a request wants to hear: its reply, or that the connection died first. */
export interface ReplyHandler {
  onReply(reply: Reply): void;
  onLoss(reason: Error): void;
}

export interface ConnectionHandlers {
  onNotification(event: WatcherEvent): void;
  onAuthReply(err: number): void;
  /** The zxid of every normal reply (not pings, auth or notifications), as Java tracks lastZxid. */
  onReplyZxid(zxid: bigint): void;
  /** Called once, after every in-flight request has been told of the loss. */
  onClose(reason: Error): void;
}

interface InFlight extends ReplyHandler {
  xid: number;
}

export class Connection {
  readonly address: ServerAddress;
  readonly openedAtMs = Date.now();
  private readonly decoder: FrameDecoder;
  private readonly inFlight: InFlight[] = [];
  private handlers: ConnectionHandlers | undefined;
  private handshake: { resolve(r: ConnectResponse): void; reject(e: Error): void } | undefined;
  private closeReason: Error | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private deadTimer: NodeJS.Timeout | undefined;
  private corked = false;

  private constructor(private readonly socket: net.Socket, address: ServerAddress, frameBytesMax: number) {
    this.address = address;
    this.decoder = new FrameDecoder(frameBytesMax);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.close(lossFrom(err, this.describe())));
    socket.on("close", () => this.close(new ConnectionLossError({ message: `${this.describe()} closed` })));
  }

  /**
   * Opens a socket, sends the ConnectRequest and waits for the ConnectResponse. Nothing else is written before
   * the response arrives, like the Java client. Rejects (and closes) on any failure or after `timeoutMs`.
   */
  static establish(address: ServerAddress, request: ConnectRequest, opts: ConnectionOptions): Promise<{ connection: Connection; response: ConnectResponse }> {
    return new Promise((resolve, reject) => {
      const socket = opts.tls
        ? tls.connect({ ...opts.tls, host: address.host, port: address.port })
        : net.connect({ host: address.host, port: address.port });
      const connection = new Connection(socket, address, opts.frameBytesMax);
      const timer = setTimeout(() => {
        connection.close(new ConnectionLossError({ message: `no session from ${formatAddress(address)} within ${opts.timeoutMs} ms` }));
      }, opts.timeoutMs);
      connection.handshake = {
        resolve(response) {
          clearTimeout(timer);
          resolve({ connection, response });
        },
        reject(err) {
          clearTimeout(timer);
          reject(err);
        },
      };
      socket.once(opts.tls ? "secureConnect" : "connect", () => connection.writeConnectRequest(request));
    });
  }

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /**
   * Starts normal operation after the handshake: pings when nothing was sent for readTimeout/2, and declares
   * the connection dead when nothing arrived for readTimeout. Returns false if it closed meanwhile.
   */
  activate(handlers: ConnectionHandlers, readTimeoutMs: number): boolean {
    if (this.isClosed) return false;
    this.handlers = handlers;
    const pingIntervalMs = Math.max(1, Math.min(Math.floor(readTimeoutMs / 2), PING_INTERVAL_MS_MAX));
    this.pingTimer = setTimeout(() => this.ping(), pingIntervalMs);
    this.deadTimer = setTimeout(() => {
      this.close(new ConnectionLossError({ message: `nothing from ${this.describe()} for ${readTimeoutMs} ms` }));
    }, readTimeoutMs);
    return true;
  }

  /** Sends a request with a normal xid; its reply goes to `handler`. Returns false (nothing sent) if closed. */
  send(xid: number, request: Request, handler: ReplyHandler): boolean {
    if (this.isClosed) return false;
    this.writeRequest(xid, request);
    this.inFlight.push({ xid, onReply: handler.onReply, onLoss: handler.onLoss });
    return true;
  }

  /** Sends an AuthPacket (xid -4); the reply goes to ConnectionHandlers.onAuthReply. */
  sendAuth(scheme: string, auth: Buffer): boolean {
    if (this.isClosed) return false;
    this.writeRequest(Xid.auth, { op: "auth", type: 0, scheme, auth });
    return true;
  }

  /** Closes the socket once; every in-flight request learns of the loss, then the handlers do. */
  close(reason: Error): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    clearTimeout(this.pingTimer);
    clearTimeout(this.deadTimer);
    this.socket.destroy();
    this.handshake?.reject(reason);
    this.handshake = undefined;
    for (const entry of this.inFlight.splice(0)) entry.onLoss(reason);
    this.handlers?.onClose(reason);
  }

  describe(): string {
    return `connection to ${formatAddress(this.address)}`;
  }

  private ping(): void {
    if (!this.isClosed) this.writeRequest(Xid.ping, { op: "ping" });
  }

  private writeConnectRequest(request: ConnectRequest): void {
    const w = new ByteWriter(64);
    const at = w.beginFrame();
    writeConnectRequest(w, request);
    w.endFrame(at);
    this.write(w.toBuffer());
  }

  private writeRequest(xid: number, request: Request): void {
    const w = new ByteWriter();
    const at = w.beginFrame();
    w.int32(xid).int32(opcodeOf(request));
    writeRequest(w, request);
    w.endFrame(at);
    this.write(w.toBuffer());
  }

  /** Frames written in one event-loop turn leave in one TCP segment where possible (setup after reconnect). */
  private write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
    this.pingTimer?.refresh();
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    this.deadTimer?.refresh();
    this.decoder.push(chunk);
    try {
      for (let frame = this.decoder.next(); frame !== null && !this.isClosed; frame = this.decoder.next()) {
        this.onFrame(frame);
      }
    } catch (err) {
      if (!(err instanceof DecodeError || err instanceof FrameTooLargeError || err instanceof ProtocolViolation)) throw err;
      this.close(new ConnectionLossError({ message: `${this.describe()}: ${err.message}`, cause: err }));
    }
  }

  private onFrame(frame: Buffer): void {
    const r = new ByteReader(frame);
    if (this.handshake) {
      const response = readConnectResponse(r);
      const waiter = this.handshake;
      this.handshake = undefined;
      waiter.resolve(response);
      return;
    }
    const handlers = this.handlers;
    if (!handlers) throw new ProtocolViolation("frame before the connection was activated");
    const header = readReplyHeader(r);
    switch (header.xid) {
      case Xid.notification:
        handlers.onNotification(readWatcherEvent(r));
        return;
      case Xid.ping:
        return;
      case Xid.auth:
        handlers.onAuthReply(header.err);
        return;
    }
    const expected = this.inFlight.shift();
    if (!expected) throw new ProtocolViolation(`reply xid ${header.xid} with no request outstanding`);
    if (expected.xid !== header.xid) throw new ProtocolViolation(`reply xid ${header.xid}, expected ${expected.xid}`);
    if (header.zxid > 0n) handlers.onReplyZxid(header.zxid);
    expected.onReply({ header, body: r });
  }
}

/** The server broke the protocol (e.g. xids out of order): the connection cannot be trusted any more. */
class ProtocolViolation extends Error {}

function lossFrom(err: Error, where: string): ConnectionLossError {
  return new ConnectionLossError({ message: `${where}: ${err.message}`, cause: err });
}
