/**
 * The peer message codec (src/zab/messages.ts): round trips of every message kind with boundary values;
 * truncated, extended, out-of-range and random bytes are a DecodeError and nothing else.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DecodeError } from "../../src/base/bytes.js";
import {
  decodeMessage, encodeMessage, formatMessage, EPOCH_MAX, makeZxid, PING_TOUCHES_MAX, SYNC_TOKEN_BYTES_MAX,
  type ZabMessage, type ZabMessageKind,
} from "../../src/zab/index.js";
import { Prng } from "./prng.js";

const ZXID_MAX = (1n << 63n) - 1n;
const bytes = (s: string): Buffer => Buffer.from(s);

const SAMPLES: ZabMessage[] = [
  { kind: "notification", state: "looking", leader: 1, zxid: 0n, electionEpoch: 0, peerEpoch: 0 },
  { kind: "notification", state: "observing", leader: 254, zxid: ZXID_MAX, electionEpoch: Number.MAX_SAFE_INTEGER, peerEpoch: EPOCH_MAX },
  { kind: "notification", state: "leading", leader: 3, zxid: makeZxid(2, 7), electionEpoch: 4, peerEpoch: 2 },
  { kind: "followerInfo", acceptedEpoch: 0 },
  { kind: "observerInfo", acceptedEpoch: EPOCH_MAX },
  { kind: "leaderInfo", epoch: 5, currentEpoch: 4, lastZxid: makeZxid(4, 9) },
  { kind: "ackEpoch", epoch: 5, currentEpoch: 4, lastZxid: makeZxid(4, 9), baseZxid: makeZxid(3, 1), promised: true },
  { kind: "ackEpoch", epoch: 5, currentEpoch: 0, lastZxid: 0n, baseZxid: 0n, promised: false },
  { kind: "diff", epoch: 1, basis: 0n },
  { kind: "trunc", epoch: 1, basis: makeZxid(1, 9), truncateAfter: makeZxid(1, 2) },
  { kind: "snap", epoch: 2, basis: 0n, zxid: makeZxid(1, 40), totalBytes: 10, offset: 4, chunk: bytes("abcdef") },
  { kind: "snap", epoch: 2, basis: 0n, zxid: 0n, totalBytes: 0, offset: 0, chunk: Buffer.alloc(0) },
  { kind: "proposal", epoch: 2, prevZxid: makeZxid(1, 40), zxid: makeZxid(2, 1), payload: bytes("txn") },
  { kind: "proposal", epoch: 2, prevZxid: 0n, zxid: 1n, payload: Buffer.alloc(0) },
  { kind: "inform", epoch: 2, prevZxid: makeZxid(2, 1), zxid: makeZxid(2, 2), payload: Buffer.from([0, 255, 1]) },
  { kind: "commit", epoch: 2, zxid: makeZxid(2, 2) },
  { kind: "ack", epoch: 2, zxid: ZXID_MAX },
  { kind: "newLeader", epoch: 2, zxid: makeZxid(1, 40) },
  { kind: "upToDate", epoch: 2, commitZxid: makeZxid(1, 40) },
  { kind: "leaderPing", epoch: 2, round: 17, commitZxid: makeZxid(2, 2), lastZxid: makeZxid(2, 3), established: true, forwarding: false },
  { kind: "learnerPing", epoch: 2, round: 0, ackZxid: null, touches: [] },
  { kind: "learnerPing", epoch: 2, round: Number.MAX_SAFE_INTEGER, ackZxid: 0n, touches: [bytes("s1"), Buffer.alloc(0)] },
  { kind: "request", epoch: 2, bytes: bytes("create /a") },
  { kind: "sync", epoch: 2, token: Buffer.alloc(SYNC_TOKEN_BYTES_MAX, 7) },
  { kind: "syncReply", epoch: 2, token: bytes("t"), zxid: makeZxid(2, 3) },
];

test("every message kind round-trips, boundary values included", () => {
  const kinds = new Set<ZabMessageKind>();
  for (const msg of SAMPLES) {
    kinds.add(msg.kind);
    assert.deepEqual(decodeMessage(encodeMessage(msg)), msg, formatMessage(msg));
  }
  assert.equal(kinds.size, 19, "a sample of every kind");
});

test("every truncation and any trailing byte is a DecodeError", () => {
  for (const msg of SAMPLES) {
    const encoded = encodeMessage(msg);
    for (let cut = 0; cut < encoded.length; cut++) {
      assert.throws(() => decodeMessage(encoded.subarray(0, cut)), DecodeError, `${msg.kind} cut at ${cut}`);
    }
    assert.throws(() => decodeMessage(Buffer.concat([encoded, Buffer.from([0])])), DecodeError, `${msg.kind} + 1 byte`);
  }
});

test("out-of-range fields are DecodeErrors", () => {
  const patched = (msg: ZabMessage, offset: number, write: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(encodeMessage(msg));
    write(b.subarray(offset));
    return b;
  };
  const note: ZabMessage = SAMPLES[2];
  const cases: [string, Buffer][] = [
    ["version 2", patched(note, 0, (b) => b.writeUInt8(2))],
    ["unknown type", patched(note, 1, (b) => b.writeUInt8(99))],
    ["state 4", patched(note, 2, (b) => b.writeUInt8(4))],
    ["server id 0", patched(note, 3, (b) => b.writeInt32BE(0))],
    ["server id 255", patched(note, 3, (b) => b.writeInt32BE(255))],
    ["negative zxid", patched(note, 7, (b) => b.writeBigInt64BE(-1n))],
    ["negative election epoch", patched(note, 15, (b) => b.writeBigInt64BE(-5n))],
    ["negative epoch", patched(SAMPLES[3], 2, (b) => b.writeInt32BE(-1))],
    ["flag 2", patched(SAMPLES[6], 26, (b) => b.writeUInt8(2))],
    ["snap chunk past the end", patched(SAMPLES[10], 22, (b) => b.writeInt32BE(5))],
    ["snap offset past total", patched(SAMPLES[10], 26, (b) => b.writeInt32BE(11))],
    ["null payload", patched(SAMPLES[13], 22, (b) => b.writeInt32BE(-1))],
    ["negative round", patched(SAMPLES[20], 6, (b) => b.writeBigInt64BE(-1n))],
    ["ack zxid -2", patched(SAMPLES[20], 14, (b) => b.writeBigInt64BE(-2n))],
    ["too many touches", patched(SAMPLES[20], 22, (b) => b.writeInt32BE(PING_TOUCHES_MAX + 1))],
    ["huge buffer length", patched(SAMPLES[22], 6, (b) => b.writeInt32BE(0x7fffffff))],
  ];
  for (const [name, buf] of cases) assert.throws(() => decodeMessage(buf), DecodeError, name);
});

test("random and mutated bytes decode to a valid message or a DecodeError, nothing else", () => {
  const prng = new Prng(20240601);
  const encodings = SAMPLES.map(encodeMessage);
  for (let i = 0; i < 20_000; i++) {
    let buf: Buffer;
    if (i % 4 === 0) {
      buf = Buffer.from(Array.from({ length: prng.int(48) }, () => prng.int(256)));
    } else {
      buf = Buffer.from(prng.pick(encodings));
      for (let flips = prng.range(1, 3); flips > 0 && buf.length > 0; flips--) buf[prng.int(buf.length)] = prng.int(256);
    }
    try {
      const msg = decodeMessage(buf);
      assert.deepEqual(encodeMessage(msg), buf, "a decoded message re-encodes to the same bytes");
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
    }
  }
});

test("formatMessage prints zxids in hex and byte strings by length", () => {
  assert.equal(formatMessage(SAMPLES[12]), "proposal epoch=2 prevZxid=0x1_00000028 zxid=0x2_00000001 payload=3B");
});
