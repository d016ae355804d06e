/**
 * Server-to-server messaging for an ensemble over TCP on each member's quorum port. One outbound connection
 * per peer carries what this server sends; inbound connections carry what peers send. Each connection opens
 * with a hello naming the sender; then frames are int32 length + an encoded ZabMessage. Messages to a peer that
 * is not connected are dropped: the consensus core tolerates loss and retransmits what matters on its ticks.
 * A batch of messages (one Ready's) leaves in one socket write per peer: under load a leader's Ready carries
 * dozens of PROPOSALs to each follower, and on a busy host every write is a system call that may also hand the
 * CPU to the woken peer.
 */
import * as net from "node:net";
import type { Logger } from "../base/logger.js";
import { FrameDecoder, FrameTooLargeError } from "../jute/frame.js";
import { decodeMessage, encodeMessage, MESSAGE_BYTES_MAX, type OutboundMessage, type ZabMessage } from "../zab/index.js";

const HELLO_MAGIC = 0x48524450; // "HRDP"
const HELLO_VERSION = 1;
const HELLO_BYTES = 12;
const RECONNECT_MS_MIN = 50;
const RECONNECT_MS_MAX = 1000;
/** An outbound connection with this much unsent data is to a peer that stopped reading: drop and redial. */
const OUTBOUND_BUFFER_BYTES_MAX = 512 * 1024 * 1024;

export interface PeerAddress {
  host: string;
  port: number;
}

interface Outbound {
  address: PeerAddress;
  socket: net.Socket | null;
  connected: boolean;
  /** What we last reported through onReachability (null: nothing yet). */
  reported: boolean | null;
  retryMs: number;
  timer: NodeJS.Timeout | null;
}

export class PeerTransport {
  private readonly outbound = new Map<number, Outbound>();
  private readonly inbound = new Set<net.Socket>();
  private server: net.Server | null = null;
  private closed = false;

  constructor(
    private readonly myId: number,
    private readonly listenAt: PeerAddress,
    peers: ReadonlyMap<number, PeerAddress>,
    private readonly onMessage: (from: number, msg: ZabMessage) => void,
    private readonly logger: Logger,
    /**
     * Whether our connection to a peer is up. A connection that closes or a dial that fails is reported at once:
     * a killed process resets its connections, and the consensus core uses that to replace a dead leader
     * without waiting syncLimit ticks of silence.
     */
    private readonly onReachability: (peer: number, reachable: boolean) => void = () => {},
  ) {
    for (const [id, address] of peers) {
      if (id !== myId) this.outbound.set(id, { address, socket: null, connected: false, reported: null, retryMs: RECONNECT_MS_MIN, timer: null });
    }
  }

  async start(): Promise<void> {
    const server = net.createServer({ noDelay: true }, (socket) => this.acceptInbound(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.listenAt.port, this.listenAt.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    for (const id of this.outbound.keys()) this.dial(id);
  }

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === "object" && addr !== null ? addr.port : this.listenAt.port;
  }

  /** Sends if the peer is connected; otherwise drops (and a dial is already under way). */
  send(to: number, msg: ZabMessage): void {
    this.sendAll([{ to, msg }]);
  }

  /**
   * Sends each message to its peer, in order per peer, with one socket write per peer; peers are written in the
   * order they first appear (the core lists first the follower whose client waits).
   */
  sendAll(messages: readonly OutboundMessage[]): void {
    if (messages.length === 1) return this.write(messages[0].to, [frameOf(messages[0].msg)]);
    const byPeer = new Map<number, Buffer[]>();
    for (const m of messages) {
      let frames = byPeer.get(m.to);
      if (frames === undefined) byPeer.set(m.to, (frames = []));
      frames.push(frameOf(m.msg));
    }
    for (const [to, frames] of byPeer) this.write(to, frames);
  }

  private write(to: number, frames: Buffer[]): void {
    const out = this.outbound.get(to);
    if (out === undefined || !out.connected || out.socket === null) return;
    out.socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
    if (out.socket.writableLength > OUTBOUND_BUFFER_BYTES_MAX) {
      this.logger.warn(`peer ${to} is not reading: reconnecting`);
      out.socket.destroy();
    }
  }

  isConnected(to: number): boolean {
    return this.outbound.get(to)?.connected === true;
  }

  private dial(id: number): void {
    const out = this.outbound.get(id);
    if (out === undefined || this.closed) return;
    out.timer = null;
    const socket = net.connect({ host: out.address.host, port: out.address.port, noDelay: true });
    out.socket = socket;
    socket.on("connect", () => {
      const hello = Buffer.alloc(HELLO_BYTES);
      hello.writeInt32BE(HELLO_MAGIC, 0);
      hello.writeInt32BE(HELLO_VERSION, 4);
      hello.writeInt32BE(this.myId, 8);
      socket.write(hello);
      out.connected = true;
      out.retryMs = RECONNECT_MS_MIN;
      this.report(id, out, true);
    });
    socket.on("data", () => {}); // peers never write on our outbound connection
    socket.on("error", () => {});
    socket.on("close", () => {
      out.connected = false;
      out.socket = null;
      if (this.closed) return;
      this.report(id, out, false);
      out.timer = setTimeout(() => this.dial(id), out.retryMs);
      out.retryMs = Math.min(out.retryMs * 2, RECONNECT_MS_MAX);
    });
  }

  private report(id: number, out: Outbound, reachable: boolean): void {
    if (out.reported === reachable) return;
    out.reported = reachable;
    this.onReachability(id, reachable);
  }

  private acceptInbound(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    const decoder = new FrameDecoder(MESSAGE_BYTES_MAX);
    let from: number | null = null;
    let hello = Buffer.alloc(0);
    socket.on("error", () => {});
    socket.on("close", () => this.inbound.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      if (from === null) {
        hello = Buffer.concat([hello, chunk]);
        if (hello.length < HELLO_BYTES) return;
        if (hello.readInt32BE(0) !== HELLO_MAGIC || hello.readInt32BE(4) !== HELLO_VERSION) {
          this.logger.warn(`dropping a peer connection from ${socket.remoteAddress}: bad hello`);
          socket.destroy();
          return;
        }
        from = hello.readInt32BE(8);
        chunk = hello.subarray(HELLO_BYTES);
      }
      this.receive(socket, decoder, from, chunk);
    });
  }

  private receive(socket: net.Socket, decoder: FrameDecoder, from: number, chunk: Buffer): void {
    decoder.push(chunk);
    const messages: ZabMessage[] = [];
    try {
      for (let frame = decoder.next(); frame !== null; frame = decoder.next()) messages.push(decodeMessage(frame));
    } catch (e) {
      const why = e instanceof FrameTooLargeError ? e.message : `undecodable message: ${(e as Error).message}`;
      this.logger.warn(`dropping peer ${from}'s connection: ${why}`);
      socket.destroy();
    }
    // Outside the try: a broken invariant in the core must crash loudly, not look like a bad frame.
    for (const msg of messages) this.onMessage(from, msg);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const out of this.outbound.values()) {
      if (out.timer !== null) clearTimeout(out.timer);
      out.socket?.destroy();
    }
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** int32 length + the encoded message. */
function frameOf(msg: ZabMessage): Buffer {
  const body = encodeMessage(msg);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}
