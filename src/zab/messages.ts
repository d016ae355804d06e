/**
 * Every message peers exchange (election and ZAB), and their binary form for the runtime's TCP framing.
 * Our own encoding (we do not interoperate with Java peers); names follow ZooKeeper's packet types.
 *
 * Grammar (big-endian; every message starts with `u8 version (1), u8 type`; nothing may follow the last field):
 *   notification  2  u8 state(0 looking,1 following,2 leading,3 observing) i32 leader i64 zxid i64 electionEpoch i32 peerEpoch
 *   followerInfo  11 i32 acceptedEpoch                 observerInfo 16 i32 acceptedEpoch
 *   leaderInfo    17 i32 epoch i32 currentEpoch i64 lastZxid
 *   ackEpoch      18 i32 epoch i32 currentEpoch i64 lastZxid i64 baseZxid u8 promised
 *   diff          13 i32 epoch i64 basis
 *   trunc         14 i32 epoch i64 basis i64 truncateAfter
 *   snap          15 i32 epoch i64 basis i64 zxid i32 totalBytes i32 offset buffer chunk
 *   proposal      3  i32 epoch i64 prevZxid i64 zxid buffer payload       inform 8 (same fields)
 *   commit        4  i32 epoch i64 zxid                ack 5 i32 epoch i64 zxid
 *   leaderAck     20 i32 epoch i64 zxid  (the leader's own log is durable up to zxid)
 *   newLeader     10 i32 epoch i64 zxid                upToDate 12 i32 epoch i64 commitZxid
 *   leaderPing    6  i32 epoch i64 round i64 commitZxid i64 lastZxid u8 established u8 forwarding
 *   learnerPing   7  i32 epoch i64 round(echoed) i64 ackZxid(-1 = none) vector<buffer> touches
 *   request       1  i32 epoch buffer bytes            sync 9 i32 epoch buffer token
 *   syncReply     19 i32 epoch buffer token i64 zxid
 * (`buffer` = i32 length + bytes, never null; `vector` = i32 count + elements.)
 */
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { unreachable } from "../base/assert.js";
import type { ServerId } from "./types.js";
import { SERVER_ID_MAX, SERVER_ID_MIN } from "./types.js";
import { EPOCH_MAX, formatZxid } from "./zxid.js";

export const ZAB_WIRE_VERSION = 1;
/** One txn's payload (same bound as the txn log's record payload). */
export const ENTRY_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;
/** One SNAP message's share of a snapshot. */
export const SNAPSHOT_CHUNK_BYTES_MAX = 16 * 1024 * 1024;
/** A whole snapshot sent to a learner (it is assembled in one Buffer). */
export const SNAPSHOT_BYTES_MAX = 2 ** 31 - 1;
/** A sync token (the runtime's correlation bytes). */
export const SYNC_TOKEN_BYTES_MAX = 4096;
/** Session-touch buffers carried by one learner ping, and the bytes of each. */
export const PING_TOUCHES_MAX = 64;
export const PING_TOUCH_BYTES_MAX = 1024 * 1024;
/** Upper bound of one encoded message: the runtime's frame limit for peer connections. */
export const MESSAGE_BYTES_MAX = ENTRY_PAYLOAD_BYTES_MAX + 1024;

export type NotificationState = "looking" | "following" | "leading" | "observing";
const STATE_CODES: readonly NotificationState[] = ["looking", "following", "leading", "observing"];

export type ZabMessage =
  | { kind: "notification"; state: NotificationState; leader: ServerId; zxid: bigint; electionEpoch: number; peerEpoch: number }
  | { kind: "followerInfo"; acceptedEpoch: number }
  | { kind: "observerInfo"; acceptedEpoch: number }
  | { kind: "leaderInfo"; epoch: number; currentEpoch: number; lastZxid: bigint }
  | { kind: "ackEpoch"; epoch: number; currentEpoch: number; lastZxid: bigint; baseZxid: bigint; promised: boolean }
  | { kind: "diff"; epoch: number; basis: bigint }
  | { kind: "trunc"; epoch: number; basis: bigint; truncateAfter: bigint }
  | { kind: "snap"; epoch: number; basis: bigint; zxid: bigint; totalBytes: number; offset: number; chunk: Buffer }
  | { kind: "proposal"; epoch: number; prevZxid: bigint; zxid: bigint; payload: Buffer }
  | { kind: "inform"; epoch: number; prevZxid: bigint; zxid: bigint; payload: Buffer }
  | { kind: "commit"; epoch: number; zxid: bigint }
  | { kind: "ack"; epoch: number; zxid: bigint }
  | { kind: "leaderAck"; epoch: number; zxid: bigint }
  | { kind: "newLeader"; epoch: number; zxid: bigint }
  | { kind: "upToDate"; epoch: number; commitZxid: bigint }
  | { kind: "leaderPing"; epoch: number; round: number; commitZxid: bigint; lastZxid: bigint; established: boolean; forwarding: boolean }
  | { kind: "learnerPing"; epoch: number; round: number; ackZxid: bigint | null; touches: Buffer[] }
  | { kind: "request"; epoch: number; bytes: Buffer }
  | { kind: "sync"; epoch: number; token: Buffer }
  | { kind: "syncReply"; epoch: number; token: Buffer; zxid: bigint };

export type ZabMessageKind = ZabMessage["kind"];

const TYPE = {
  request: 1, notification: 2, proposal: 3, commit: 4, ack: 5, leaderPing: 6, learnerPing: 7, inform: 8, sync: 9,
  newLeader: 10, followerInfo: 11, upToDate: 12, diff: 13, trunc: 14, snap: 15, observerInfo: 16, leaderInfo: 17,
  ackEpoch: 18, syncReply: 19, leaderAck: 20,
} as const satisfies Record<ZabMessageKind, number>;
const KIND_OF_TYPE = new Map<number, ZabMessageKind>(Object.entries(TYPE).map(([k, v]) => [v, k as ZabMessageKind]));

export function encodeMessage(msg: ZabMessage): Buffer {
  const w = new ByteWriter(64);
  w.uint8(ZAB_WIRE_VERSION).uint8(TYPE[msg.kind]);
  writeBody(w, msg);
  return w.toBuffer();
}

function writeBody(w: ByteWriter, m: ZabMessage): void {
  switch (m.kind) {
    case "notification":
      w.uint8(STATE_CODES.indexOf(m.state)).int32(m.leader).int64(m.zxid).int64(BigInt(m.electionEpoch)).int32(m.peerEpoch);
      return;
    case "followerInfo":
    case "observerInfo":
      w.int32(m.acceptedEpoch);
      return;
    case "leaderInfo":
      w.int32(m.epoch).int32(m.currentEpoch).int64(m.lastZxid);
      return;
    case "ackEpoch":
      w.int32(m.epoch).int32(m.currentEpoch).int64(m.lastZxid).int64(m.baseZxid).bool(m.promised);
      return;
    case "diff":
      w.int32(m.epoch).int64(m.basis);
      return;
    case "trunc":
      w.int32(m.epoch).int64(m.basis).int64(m.truncateAfter);
      return;
    case "snap":
      w.int32(m.epoch).int64(m.basis).int64(m.zxid).int32(m.totalBytes).int32(m.offset).buffer(m.chunk);
      return;
    case "proposal":
    case "inform":
      w.int32(m.epoch).int64(m.prevZxid).int64(m.zxid).buffer(m.payload);
      return;
    case "commit":
    case "ack":
    case "leaderAck":
    case "newLeader":
      w.int32(m.epoch).int64(m.zxid);
      return;
    case "upToDate":
      w.int32(m.epoch).int64(m.commitZxid);
      return;
    case "leaderPing":
      w.int32(m.epoch).int64(BigInt(m.round)).int64(m.commitZxid).int64(m.lastZxid).bool(m.established).bool(m.forwarding);
      return;
    case "learnerPing":
      w.int32(m.epoch).int64(BigInt(m.round)).int64(m.ackZxid ?? -1n).vector(m.touches, (ww, t) => ww.buffer(t));
      return;
    case "request":
      w.int32(m.epoch).buffer(m.bytes);
      return;
    case "sync":
      w.int32(m.epoch).buffer(m.token);
      return;
    case "syncReply":
      w.int32(m.epoch).buffer(m.token).int64(m.zxid);
      return;
    default:
      unreachable(m, "message");
  }
}

/** Decodes one message; anything malformed (truncated, out of range, trailing bytes) is a DecodeError. */
export function decodeMessage(buf: Buffer): ZabMessage {
  if (buf.length > MESSAGE_BYTES_MAX) throw new DecodeError(`message of ${buf.length} bytes exceeds ${MESSAGE_BYTES_MAX}`);
  const r = new ByteReader(buf);
  const version = r.uint8();
  if (version !== ZAB_WIRE_VERSION) throw new DecodeError(`unsupported ZAB wire version ${version}`);
  const type = r.uint8();
  const kind = KIND_OF_TYPE.get(type);
  if (kind === undefined) throw new DecodeError(`unknown ZAB message type ${type}`);
  const msg = readBody(new FieldReader(r), kind);
  if (r.remaining() !== 0) throw new DecodeError(`${r.remaining()} trailing bytes after ${kind}`);
  return msg;
}

function readBody(f: FieldReader, kind: ZabMessageKind): ZabMessage {
  switch (kind) {
    case "notification": {
      const state = STATE_CODES[f.r.uint8()];
      if (state === undefined) throw new DecodeError("bad notification state");
      return { kind, state, leader: f.serverId(), zxid: f.zxid(), electionEpoch: f.counter(), peerEpoch: f.epoch() };
    }
    case "followerInfo":
    case "observerInfo":
      return { kind, acceptedEpoch: f.epoch() };
    case "leaderInfo":
      return { kind, epoch: f.epoch(), currentEpoch: f.epoch(), lastZxid: f.zxid() };
    case "ackEpoch":
      return { kind, epoch: f.epoch(), currentEpoch: f.epoch(), lastZxid: f.zxid(), baseZxid: f.zxid(), promised: f.flag() };
    case "diff":
      return { kind, epoch: f.epoch(), basis: f.zxid() };
    case "trunc":
      return { kind, epoch: f.epoch(), basis: f.zxid(), truncateAfter: f.zxid() };
    case "snap":
      return readSnap(f);
    case "proposal":
    case "inform":
      return { kind, epoch: f.epoch(), prevZxid: f.zxid(), zxid: f.zxid(), payload: f.bytes(ENTRY_PAYLOAD_BYTES_MAX) };
    case "commit":
    case "ack":
    case "leaderAck":
    case "newLeader":
      return { kind, epoch: f.epoch(), zxid: f.zxid() };
    case "upToDate":
      return { kind, epoch: f.epoch(), commitZxid: f.zxid() };
    case "leaderPing":
      return { kind, epoch: f.epoch(), round: f.counter(), commitZxid: f.zxid(), lastZxid: f.zxid(), established: f.flag(),
        forwarding: f.flag() };
    case "learnerPing":
      return readLearnerPing(f);
    case "request":
      return { kind, epoch: f.epoch(), bytes: f.bytes(ENTRY_PAYLOAD_BYTES_MAX) };
    case "sync":
      return { kind, epoch: f.epoch(), token: f.bytes(SYNC_TOKEN_BYTES_MAX) };
    case "syncReply":
      return { kind, epoch: f.epoch(), token: f.bytes(SYNC_TOKEN_BYTES_MAX), zxid: f.zxid() };
    default:
      return unreachable(kind, "message kind");
  }
}

function readSnap(f: FieldReader): ZabMessage {
  const epoch = f.epoch();
  const basis = f.zxid();
  const zxid = f.zxid();
  const totalBytes = f.r.int32();
  const offset = f.r.int32();
  if (totalBytes < 0 || offset < 0 || offset > totalBytes) throw new DecodeError(`bad snap range ${offset}/${totalBytes}`);
  const chunk = f.bytes(SNAPSHOT_CHUNK_BYTES_MAX);
  if (offset + chunk.length > totalBytes) throw new DecodeError("snap chunk runs past the snapshot's end");
  return { kind: "snap", epoch, basis, zxid, totalBytes, offset, chunk };
}

function readLearnerPing(f: FieldReader): ZabMessage {
  const epoch = f.epoch();
  const round = f.counter();
  const ack = f.r.int64();
  if (ack < -1n) throw new DecodeError(`bad ack zxid ${ack}`);
  const touches = f.r.vector((r) => new FieldReader(r).bytes(PING_TOUCH_BYTES_MAX), 4);
  if (touches === null || touches.length > PING_TOUCHES_MAX) throw new DecodeError("bad touches vector");
  return { kind: "learnerPing", epoch, round, ackZxid: ack === -1n ? null : ack, touches };
}

/** Field readers that validate ranges, so a decoded message never carries an impossible value. */
class FieldReader {
  constructor(readonly r: ByteReader) {}

  epoch(): number {
    const v = this.r.int32();
    if (v < 0 || v > EPOCH_MAX) throw new DecodeError(`bad epoch ${v}`);
    return v;
  }

  zxid(): bigint {
    const v = this.r.int64();
    if (v < 0n) throw new DecodeError(`negative zxid ${v}`);
    return v;
  }

  serverId(): ServerId {
    const v = this.r.int32();
    if (v < SERVER_ID_MIN || v > SERVER_ID_MAX) throw new DecodeError(`bad server id ${v}`);
    return v;
  }

  /** A non-negative counter that must fit a JS number exactly. */
  counter(): number {
    const v = this.r.int64();
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`bad counter ${v}`);
    return Number(v);
  }

  flag(): boolean {
    const v = this.r.uint8();
    if (v > 1) throw new DecodeError(`bad flag byte ${v}`);
    return v === 1;
  }

  /** A non-null jute buffer of at most `max` bytes (ByteReader checks the length against what remains first). */
  bytes(max: number): Buffer {
    const v = this.r.buffer();
    if (v === null) throw new DecodeError("null buffer");
    if (v.length > max) throw new DecodeError(`buffer of ${v.length} bytes exceeds ${max}`);
    return v;
  }
}

/** One line for transcripts and logs: kind plus its fields, zxids in hex, byte strings by length. */
export function formatMessage(msg: ZabMessage): string {
  const parts: string[] = [msg.kind];
  for (const [key, value] of Object.entries(msg)) {
    if (key === "kind") continue;
    if (typeof value === "bigint") parts.push(`${key}=${formatZxid(value)}`);
    else if (Buffer.isBuffer(value)) parts.push(`${key}=${value.length}B`);
    else if (Array.isArray(value)) parts.push(`${key}=[${value.length}]`);
    else parts.push(`${key}=${String(value)}`);
  }
  return parts.join(" ");
}
