/**
 * One client TCP connection: framing in, ordered replies out. Replies leave strictly in request order: a read
 * queued behind a pending write runs only once that write is applied (so it sees it), while watch
 * notifications go out at once, ahead of any later reply. Outgoing frames are coalesced into one socket write
 * per event-loop turn.
 */
import type { Socket } from "node:net";
import type { EventTypeCode } from "../jute/codes.js";
import { FrameDecoder } from "../jute/frame.js";
import type { Id } from "../jute/records.js";
import { notificationFrame } from "../pipeline/replies.js";
import type { AuthInfo } from "../tree/acl.js";
import type { DigestMd5Server } from "../auth/sasl-digest-md5.js";
import type { Watcher } from "../watches/watch-manager.js";

/** A reply position in the per-connection order: filled when its write applies, or computed when reached. */
type Slot = { frame: Buffer | null; run: (() => Buffer) | null; after?: () => void };

/** Stop reading from a connection with this many unanswered requests; resume at half. */
export const OUTSTANDING_PER_CONNECTION_MAX = 1000;

/** A connection with this many jute.maxbuffer's worth of unread replies queued counts as a slow reader. */
export const OUTPUT_FRAMES_OF_MAX_SIZE = 64;

export type ConnectionState = "new" | "handshaking" | "open" | "closed";

export class Connection implements Watcher, AuthInfo {
  state: ConnectionState = "new";
  sessionId = 0n;
  timeoutMs = 0;
  readonly decoder: FrameDecoder;
  /** Identities proven so far. Replaced, never changed in place: writes in flight keep the list they were sent with. */
  ids: readonly Id[] = [];
  isSuper = false;
  /** The SASL exchange in progress or done on this connection (op 102). */
  sasl: DigestMd5Server | null = null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly establishedMs = Date.now();
  /** Counters for the stat/cons four-letter words. */
  packetsReceived = 0;
  packetsSent = 0;
  lastOp = "NA";
  lastCxid = 0;
  lastZxid = 0n;
  lastLatencyMs = 0;
  private readonly slots: Slot[] = [];
  private outgoing: Buffer[] = [];
  private flushScheduled = false;
  private paused = false;
  private readonly outputBytesMax: number;
  private globallyPaused = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    frameBytesMax: number,
    remoteAddress: string,
  ) {
    this.decoder = new FrameDecoder(frameBytesMax);
    this.outputBytesMax = frameBytesMax * OUTPUT_FRAMES_OF_MAX_SIZE;
    this.remoteAddress = remoteAddress;
    this.remotePort = socket.remotePort ?? 0;
    this.ids = [{ scheme: "ip", id: remoteAddress }];
  }

  addId(id: Id): void {
    this.ids = [...this.ids, id];
  }

  get outstanding(): number {
    return this.slots.length;
  }

  /** Sends a frame now, outside the reply order (handshake, notifications). */
  sendNow(frame: Buffer): void {
    if (this.state === "closed") return;
    this.outgoing.push(frame);
    this.packetsSent++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.state === "closed" || this.outgoing.length === 0) return;
    const data = this.outgoing.length === 1 ? this.outgoing[0] : Buffer.concat(this.outgoing);
    this.outgoing = [];
    this.socket.write(data);
    if (this.socket.writableLength > this.outputBytesMax) {
      // A client that does not read its replies would make us buffer without bound: drop it.
      this.onSlowReader?.();
      this.destroy();
    }
  }

  /** Called (for logging) just before a slow reader is disconnected. */
  onSlowReader: (() => void) | null = null;

  /** The server pauses every connection while too many writes are in flight. */
  setGlobalPause(paused: boolean): void {
    this.globallyPaused = paused;
    this.applyPause();
  }

  private applyPause(): void {
    if (this.state === "closed") return;
    if (this.paused || this.globallyPaused) this.socket.pause();
    else this.socket.resume();
  }

  /** Told the size of each watch notification sent (the watch_bytes metric). */
  onNotificationSent: ((bytes: number) => void) | null = null;

  notify(type: EventTypeCode, path: string, zxid: bigint): void {
    const frame = notificationFrame(type, path, zxid);
    if (this.state !== "closed") this.onNotificationSent?.(frame.length);
    this.sendNow(frame);
  }

  /** Queues a reply computed when every earlier reply has been sent (reads, pings, auth). */
  enqueueRead(run: () => Buffer, after?: () => void): void {
    if (this.slots.length === 0) {
      this.sendNow(run());
      after?.();
      return;
    }
    this.slots.push({ frame: null, run, after });
    this.checkBackpressure();
  }

  /** Reserves the reply position of a write; call the returned function with its frame once applied. */
  enqueueWrite(after?: () => void): (frame: Buffer) => void {
    const slot: Slot = { frame: null, run: null, after };
    this.slots.push(slot);
    this.checkBackpressure();
    return (frame) => {
      slot.frame = frame;
      this.drain();
    };
  }

  private drain(): void {
    while (this.slots.length > 0 && this.state !== "closed") {
      const head = this.slots[0];
      if (head.frame === null && head.run === null) break; // write not applied yet
      this.slots.shift();
      this.sendNow(head.frame ?? head.run!());
      head.after?.();
    }
    this.checkBackpressure();
  }

  private checkBackpressure(): void {
    if (!this.paused && this.slots.length >= OUTSTANDING_PER_CONNECTION_MAX) {
      this.paused = true;
      this.applyPause();
    } else if (this.paused && this.slots.length <= OUTSTANDING_PER_CONNECTION_MAX / 2) {
      this.paused = false;
      this.applyPause();
    }
  }

  /** Flushes what is queued, then closes the socket. */
  closeAfterFlush(): void {
    if (this.state === "closed") return;
    this.flush();
    this.state = "closed";
    this.slots.length = 0;
    this.socket.end(() => this.socket.destroy());
  }

  /** Drops the connection at once without sending anything more. */
  destroy(): void {
    this.state = "closed";
    this.slots.length = 0;
    this.outgoing = [];
    this.socket.destroy();
  }
}
