/**
 * Wire codec tests: golden bytes observed on a real ZooKeeper 3.8.0 (shared/reference §2 and §B), round trips of
 * every Request variant, frame splitting at every offset, and robustness against truncated and random input
 * (every failure must be a DecodeError, never a RangeError or a hang).
 */
import { prng } from "../helpers/prng.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ByteReader,
  ByteWriter,
  DecodeError,
  FrameDecoder,
  FrameTooLargeError,
  OpCode,
  UnknownOpError,
  opcodeOf,
  readConnectRequest,
  readConnectResponse,
  readMultiResponse,
  readReplyHeader,
  readRequest,
  readStat,
  readWatcherEvent,
  writeConnectRequest,
  writeConnectResponse,
  writeMultiResponse,
  writeReplyHeader,
  writeRequest,
  writeWatcherEvent,
} from "../../src/jute/index.js";
import type { MultiResult, Request, Stat } from "../../src/jute/index.js";

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ""), "hex");
const str = (s: string) => Buffer.from(s, "utf8").toString("hex");

function frame(payload: Buffer): Buffer {
  const w = new ByteWriter();
  const at = w.beginFrame();
  w.raw(payload);
  w.endFrame(at);
  return w.toBuffer();
}

function encode(fn: (w: ByteWriter) => void): Buffer {
  const w = new ByteWriter(8);
  fn(w);
  return w.toBuffer();
}

// ------------------------------------------------------------------ golden bytes

test("ConnectResponse: observed 3.8.0 bytes decode and re-encode identically (§2)", () => {
  const bytes = hex("00000025 | 00000000 | 00000fa0 | 0100000447740000 | 00000010 | ae3e8201a335c2213c14265024ce569b | 00");
  const decoder = new FrameDecoder(1 << 20);
  decoder.push(bytes);
  const payload = decoder.next();
  assert.ok(payload);
  assert.equal(payload.length, 37);
  const resp = readConnectResponse(new ByteReader(payload));
  assert.deepEqual(resp, {
    protocolVersion: 0,
    timeOutMs: 4000,
    sessionId: 0x0100000447740000n,
    passwd: hex("ae3e8201a335c2213c14265024ce569b"),
    readOnly: false,
  });
  assert.deepEqual(frame(encode((w) => writeConnectResponse(w, resp))), bytes);
});

test("ConnectResponse without the readOnly byte is 36 bytes and reads readOnly as undefined (§2 old clients)", () => {
  const body = hex("00000000 00000fa0 0100000447740000 00000010 ae3e8201a335c2213c14265024ce569b");
  const resp = readConnectResponse(new ByteReader(body));
  assert.equal(resp.readOnly, undefined);
  assert.equal(encode((w) => writeConnectResponse(w, resp)).length, 36);
});

test("ConnectRequest: 45-byte body with readOnly, 44 without", () => {
  const base = { protocolVersion: 0, lastZxidSeen: 0x83n, timeOutMs: 30000, sessionId: 0n, passwd: Buffer.alloc(16) };
  const withRo = encode((w) => writeConnectRequest(w, { ...base, readOnly: false }));
  const without = encode((w) => writeConnectRequest(w, { ...base, readOnly: undefined }));
  assert.equal(withRo.length, 45);
  assert.equal(without.length, 44);
  assert.deepEqual(readConnectRequest(new ByteReader(withRo)), { ...base, readOnly: false });
  assert.deepEqual(readConnectRequest(new ByteReader(without)), { ...base, readOnly: undefined });
});

test("ping request and reply bytes (§B)", () => {
  const request = frame(encode((w) => w.int32(-2).int32(OpCode.ping).raw(encode((b) => writeRequest(b, { op: "ping" })))));
  assert.deepEqual(request, hex("00000008 fffffffe 0000000b"));
  const reply = frame(encode((w) => writeReplyHeader(w, { xid: -2, zxid: 0x83n, err: 0 })));
  assert.deepEqual(reply, hex("00000010 fffffffe 0000000000000083 00000000"));
});

test("auth replies: OK and AuthFailed (§B)", () => {
  const okReply = hex("00000010 fffffffc 0000000000000000 00000000");
  const failed = hex("00000010 fffffffc 0000000000000000 ffffff8d");
  const read = (b: Buffer) => readReplyHeader(new ByteReader(b, 4));
  assert.deepEqual(read(okReply), { xid: -4, zxid: 0n, err: 0 });
  assert.deepEqual(read(failed), { xid: -4, zxid: 0n, err: -115 });
  assert.deepEqual(frame(encode((w) => writeReplyHeader(w, { xid: -4, zxid: 0n, err: -115 }))), failed);
});

test("auth request layout: type 0, scheme, auth buffer", () => {
  const body = encode((w) => writeRequest(w, { op: "auth", type: 0, scheme: "digest", auth: Buffer.from("alice:secret") }));
  assert.deepEqual(body, hex(`00000000 00000006 ${str("digest")} 0000000c ${str("alice:secret")}`));
});

test("create reply body is the path (§B create /t)", () => {
  const body = hex("00000002 2f74");
  assert.equal(new ByteReader(body).ustring(), "/t");
});

test("multi failure body: [ok, NodeExists, RuntimeInconsistency] + end marker (§9, §B)", () => {
  const body = hex("ffffffff 00 00000000 00000000 | ffffffff 00 ffffff92 ffffff92 | ffffffff 00 fffffffe fffffffe | ffffffff 01 ffffffff");
  const results = readMultiResponse(new ByteReader(body));
  const expected: MultiResult[] = [
    { type: -1, err: 0 },
    { type: -1, err: -110 },
    { type: -1, err: -2 },
  ];
  assert.deepEqual(results, expected);
  assert.deepEqual(encode((w) => writeMultiResponse(w, expected)), body);
});

test("multi success results of every type round-trip", () => {
  const stat = sampleStat();
  const results: MultiResult[] = [
    { type: OpCode.create, path: "/a" },
    { type: OpCode.create2, path: "/b0000000001", stat },
    { type: OpCode.delete },
    { type: OpCode.setData, stat },
    { type: OpCode.check },
    { type: OpCode.getData, data: Buffer.from("xyz"), stat },
    { type: OpCode.getData, data: null, stat },
    { type: OpCode.getChildren, children: ["x", "y"] },
    { type: OpCode.error, err: -101 },
  ];
  const bytes = encode((w) => writeMultiResponse(w, results));
  assert.deepEqual(readMultiResponse(new ByteReader(bytes)), results);
  assert.deepEqual(readMultiResponse(new ByteReader(hex("ffffffff 01 ffffffff"))), []);
});

test("whoAmI body (§B)", () => {
  const body = hex(`00000002 | 00000006 ${str("digest")} 00000005 ${str("alice")} | 00000002 ${str("ip")} 00000009 ${str("127.0.0.1")}`);
  const r = new ByteReader(body);
  const infos = r.vector((x) => ({ scheme: x.ustring(), user: x.ustring() }), 8);
  assert.deepEqual(infos, [
    { scheme: "digest", user: "alice" },
    { scheme: "ip", user: "127.0.0.1" },
  ]);
  assert.equal(r.remaining(), 0);
});

test("notification frame (§7, §B): xid -1, zxid -1 (3.8), SyncConnected", () => {
  const bytes = hex(`0000001e ffffffff ffffffffffffffff 00000000 | 00000003 00000003 00000002 ${str("/p")}`);
  const payload = bytes.subarray(4);
  const r = new ByteReader(payload);
  assert.deepEqual(readReplyHeader(r), { xid: -1, zxid: -1n, err: 0 });
  assert.deepEqual(readWatcherEvent(r), { type: 3, state: 3, path: "/p" });
  assert.equal(r.remaining(), 0);
  const rebuilt = frame(encode((w) => {
    writeReplyHeader(w, { xid: -1, zxid: -1n, err: 0 });
    writeWatcherEvent(w, { type: 3, state: 3, path: "/p" });
  }));
  assert.deepEqual(rebuilt, bytes);
});

test("addWatch reply body is a 4-byte ErrorResponse (§B)", () => {
  assert.equal(new ByteReader(hex("00000000")).int32(), 0);
});

test("getData of null data: buffer length -1 then a Stat with dataLength 0 (§B)", () => {
  const stat = { ...sampleStat(), dataLength: 0 };
  const body = encode((w) => {
    w.buffer(null);
    w.int64(stat.czxid).int64(stat.mzxid).int64(stat.ctime).int64(stat.mtime);
    w.int32(stat.version).int32(stat.cversion).int32(stat.aversion);
    w.int64(stat.ephemeralOwner).int32(stat.dataLength).int32(stat.numChildren).int64(stat.pzxid);
  });
  assert.deepEqual(body.subarray(0, 4), hex("ffffffff"));
  assert.equal(body.length, 4 + 68);
  const r = new ByteReader(body);
  assert.equal(r.buffer(), null);
  assert.deepEqual(readStat(r), stat);
});

test("jute booleans: any non-zero byte reads as true", () => {
  for (const b of [1, 2, 0x80, 0xff]) {
    const req = readRequest(OpCode.exists, new ByteReader(Buffer.concat([hex(`00000002 ${str("/a")}`), Buffer.from([b])])));
    assert.deepEqual(req, { op: "exists", path: "/a", watch: true });
  }
});

test("null strings and buffers (-1) are accepted where the protocol allows them", () => {
  const createNulls = hex("ffffffff ffffffff 00000001 0000001f ffffffff ffffffff 00000000");
  const req = readRequest(OpCode.create, new ByteReader(createNulls));
  assert.deepEqual(req, {
    op: "create",
    opcode: OpCode.create,
    path: "",
    data: null,
    acl: [{ perms: 31, id: { scheme: "", id: "" } }],
    flags: 0,
    ttl: -1n,
  });
});

// ------------------------------------------------------------------ round trips

function sampleStat(): Stat {
  return {
    czxid: 0x100000001n,
    mzxid: 0x7fffffffffffffffn,
    ctime: 1_700_000_000_000n,
    mtime: -1n,
    version: 2147483647,
    cversion: -2,
    aversion: -1,
    ephemeralOwner: -0x8000000000000000n,
    dataLength: 0,
    numChildren: 3,
    pzxid: 5n,
  };
}

const acl = [
  { perms: 31, id: { scheme: "world", id: "anyone" } },
  { perms: 1, id: { scheme: "digest", id: "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=" } },
];

/** One instance of every Request variant (and every create op code), with boundary values. */
function everyRequest(): Request[] {
  const create = (opcode: 1 | 15 | 19 | 21, ttl: bigint): Request => ({
    op: "create",
    opcode,
    path: "/a/b-é",
    data: Buffer.from([0, 1, 2, 255]),
    acl,
    flags: opcode === 19 ? 4 : opcode === 21 ? 6 : 3,
    ttl,
  });
  return [
    create(OpCode.create, -1n),
    create(OpCode.create2, -1n),
    create(OpCode.createContainer, -1n),
    create(OpCode.createTTL, (1n << 40n) - 1n),
    { op: "create", opcode: OpCode.create, path: "/n", data: null, acl: null, flags: 0, ttl: -1n },
    { op: "create", opcode: OpCode.create, path: "/e", data: Buffer.alloc(0), acl: [], flags: 0, ttl: -1n },
    { op: "delete", path: "/x", version: -1 },
    { op: "exists", path: "/x", watch: true },
    { op: "getData", path: "/x", watch: false },
    { op: "getChildren", path: "/", watch: true },
    { op: "getChildren2", path: "/x", watch: false },
    { op: "setData", path: "/x", data: Buffer.from("v"), version: 2147483647 },
    { op: "setData", path: "/x", data: null, version: -2147483648 },
    { op: "getACL", path: "/x" },
    { op: "setACL", path: "/x", acl, version: 0 },
    { op: "sync", path: "/" },
    { op: "check", path: "/x", version: 7 },
    {
      op: "multi",
      ops: [
        create(OpCode.create, -1n),
        create(OpCode.create2, -1n),
        create(OpCode.createTTL, 1n),
        { op: "delete", path: "/x", version: 1 },
        { op: "setData", path: "/x", data: Buffer.from("d"), version: -1 },
        { op: "check", path: "/x", version: 3 },
      ],
    },
    { op: "multi", ops: [] },
    {
      op: "multiRead",
      ops: [
        { op: "getData", path: "/x", watch: false },
        { op: "getChildren", path: "/x", watch: false },
      ],
    },
    { op: "checkWatches", path: "/x", type: 3 },
    { op: "removeWatches", path: "/x", type: 5 },
    { op: "auth", type: 0, scheme: "digest", auth: Buffer.from("alice:secret") },
    { op: "setWatches", relativeZxid: 0x83n, data: ["/d"], exist: ["/e1", "/e2"], child: [], persistent: [], persistentRecursive: [], v2: false },
    { op: "setWatches", relativeZxid: -1n, data: [], exist: [], child: ["/c"], persistent: ["/p"], persistentRecursive: ["/r"], v2: true },
    { op: "getEphemerals", prefixPath: "/" },
    { op: "getAllChildrenNumber", path: "/x" },
    { op: "addWatch", path: "/x", mode: 1 },
    { op: "sasl", token: Buffer.from([9, 8, 7]) },
    { op: "reconfig", joiningServers: "server.2=127.0.0.1:2888:3888;2182", leavingServers: null, newMembers: null, curConfigId: -1n },
    { op: "ping" },
    { op: "closeSession" },
    { op: "whoAmI" },
  ];
}

test("every Request variant round-trips through writeRequest/readRequest", () => {
  const requests = everyRequest();
  const opsCovered = new Set(requests.map((r) => r.op));
  const allOps: Request["op"][] = [
    "create", "delete", "exists", "getData", "getChildren", "getChildren2", "setData", "getACL", "setACL", "sync",
    "check", "multi", "multiRead", "checkWatches", "removeWatches", "auth", "setWatches", "getEphemerals",
    "getAllChildrenNumber", "addWatch", "sasl", "reconfig", "ping", "closeSession", "whoAmI",
  ];
  assert.deepEqual([...opsCovered].sort(), [...allOps].sort(), "the list above must cover every variant");
  for (const req of requests) {
    const bytes = encode((w) => writeRequest(w, req));
    const r = new ByteReader(bytes);
    const back = readRequest(opcodeOf(req), r);
    assert.deepEqual(back, req, `round trip of ${req.op}`);
    assert.equal(r.remaining(), 0, `${req.op}: reader consumed everything`);
  }
});

test("create body layout: path, data, acl vector, flags, and the ttl only for op 21", () => {
  const base = { op: "create" as const, path: "/t", data: Buffer.from("d"), acl: [acl[0]!], flags: 5, ttl: 1000n };
  const plain = encode((w) => writeRequest(w, { ...base, opcode: OpCode.create }));
  const ttl = encode((w) => writeRequest(w, { ...base, opcode: OpCode.createTTL }));
  const expected = `00000002 ${str("/t")} 00000001 ${str("d")} 00000001 0000001f 00000005 ${str("world")} 00000006 ${str("anyone")} 00000005`;
  assert.deepEqual(plain, hex(expected));
  assert.deepEqual(ttl, hex(expected + " 00000000000003e8"));
});

test("multi request encoding: MultiHeader{type, false, -1} per op, then {-1, true, -1}", () => {
  const bytes = encode((w) => writeRequest(w, { op: "multi", ops: [{ op: "check", path: "/a", version: 1 }] }));
  assert.deepEqual(bytes, hex(`0000000d 00 ffffffff 00000002 ${str("/a")} 00000001 | ffffffff 01 ffffffff`));
});

test("an unknown op code is an UnknownOpError (a DecodeError)", () => {
  for (const type of [10, 23, 50, 99, 108, -3, 0x7fffffff]) {
    assert.throws(() => readRequest(type, new ByteReader(Buffer.alloc(16))), (e: unknown) => e instanceof UnknownOpError && e instanceof DecodeError);
  }
});

// ------------------------------------------------------------------ framing

function sampleStream(): { bytes: Buffer; payloads: Buffer[] } {
  const payloads = [
    hex("00000000 00000fa0 0100000447740000 00000010 ae3e8201a335c2213c14265024ce569b 00"),
    hex("fffffffe 0000000000000083 00000000"),
    Buffer.alloc(0),
    hex(`ffffffff ffffffffffffffff 00000000 00000003 00000003 00000002 ${str("/p")}`),
    Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff)),
  ];
  return { bytes: Buffer.concat(payloads.map(frame)), payloads };
}

function drain(decoder: FrameDecoder, out: Buffer[]): void {
  for (let f = decoder.next(); f !== null; f = decoder.next()) out.push(Buffer.from(f));
}

test("FrameDecoder: the same frames split into two chunks at every offset", () => {
  const { bytes, payloads } = sampleStream();
  for (let cut = 0; cut <= bytes.length; cut++) {
    const decoder = new FrameDecoder(1 << 20);
    const out: Buffer[] = [];
    decoder.push(bytes.subarray(0, cut));
    drain(decoder, out);
    decoder.push(bytes.subarray(cut));
    drain(decoder, out);
    assert.deepEqual(out, payloads, `split at ${cut}`);
    assert.equal(decoder.bufferedBytes(), 0);
  }
});

test("FrameDecoder: byte-at-a-time and three-way splits", () => {
  const { bytes, payloads } = sampleStream();
  const single = new FrameDecoder(1 << 20);
  const out: Buffer[] = [];
  for (const b of bytes) {
    single.push(Buffer.from([b]));
    drain(single, out);
  }
  assert.deepEqual(out, payloads);
  const step = 7;
  for (let a = 0; a <= bytes.length; a += step) {
    for (let b = a; b <= bytes.length; b += step) {
      const d = new FrameDecoder(1 << 20);
      const got: Buffer[] = [];
      for (const part of [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]) {
        d.push(part);
        drain(d, got);
      }
      assert.deepEqual(got, payloads, `split at ${a}/${b}`);
    }
  }
});

test("FrameDecoder: frames are kept whole until complete and peek sees the first bytes (4lw detection)", () => {
  const d = new FrameDecoder(100);
  assert.equal(d.peek(4), null);
  d.push(Buffer.from("ru"));
  assert.equal(d.peek(4), null);
  d.push(Buffer.from("ok"));
  assert.deepEqual(d.peek(4), Buffer.from("ruok"));
  const partial = new FrameDecoder(100);
  partial.push(hex("00000005 0102"));
  assert.equal(partial.next(), null);
  assert.equal(partial.bufferedBytes(), 6);
});

test("FrameDecoder: a length above the limit or negative is fatal", () => {
  for (const len of ["00100000", "7fffffff", "ffffffff", "80000000"]) {
    const d = new FrameDecoder(0xfffff);
    d.push(hex(len));
    assert.throws(() => d.next(), FrameTooLargeError, `length ${len}`);
  }
  const atLimit = new FrameDecoder(0xfffff);
  atLimit.push(hex("000fffff"));
  assert.equal(atLimit.next(), null, "exactly the limit is accepted (waits for the payload)");
});

// ------------------------------------------------------------------ truncated and random input


const REQUEST_OPCODES = Object.values(OpCode).filter((c) => ![OpCode.notification, OpCode.createSession, OpCode.error, OpCode.deleteContainer].includes(c as never));

const DECODERS: [string, (r: ByteReader) => unknown][] = [
  ["ConnectRequest", readConnectRequest],
  ["ConnectResponse", readConnectResponse],
  ["ReplyHeader", readReplyHeader],
  ["WatcherEvent", readWatcherEvent],
  ["Stat", readStat],
  ["MultiResponse", readMultiResponse],
  ...REQUEST_OPCODES.map((op): [string, (r: ByteReader) => unknown] => [`request op ${op}`, (r) => readRequest(op, r)]),
  ["request op 50", (r) => readRequest(50, r)],
];

function onlyDecodeErrors(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      assert.fail(`${what}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a DecodeError`);
    }
  }
}

test("every truncation of a valid request is a DecodeError", () => {
  for (const req of everyRequest()) {
    const bytes = encode((w) => writeRequest(w, req));
    for (let len = 0; len < bytes.length; len++) {
      assert.throws(
        () => readRequest(opcodeOf(req), new ByteReader(bytes.subarray(0, len))),
        DecodeError,
        `${req.op} truncated to ${len} of ${bytes.length} bytes`,
      );
    }
  }
});

test("random and mutated bytes only ever produce DecodeError (seeded)", () => {
  const seed = 0x5eed2024;
  const rand = prng(seed);
  const valid = everyRequest().map((req) => encode((w) => writeRequest(w, req)));
  const cases = 3000;
  for (let i = 0; i < cases; i++) {
    const bytes = randomInput(rand, valid);
    for (const [name, decode] of DECODERS) {
      onlyDecodeErrors(`seed ${seed} case ${i} ${name} bytes ${bytes.toString("hex")}`, () => decode(new ByteReader(bytes)));
    }
  }
});

/** Random garbage, or a valid encoding with a few bytes changed (which exercises length fields more often). */
function randomInput(rand: () => number, valid: Buffer[]): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  if (rand() < 0.5) {
    return Buffer.from(Array.from({ length: int(64) }, () => int(256)));
  }
  const base = Buffer.from(valid[int(valid.length)]!);
  const flips = 1 + int(4);
  for (let k = 0; k < flips && base.length > 0; k++) {
    const at = int(base.length);
    base[at] = rand() < 0.3 ? 0xff : int(256);
  }
  return base.subarray(0, rand() < 0.3 ? int(base.length + 1) : base.length);
}

test("ByteReader: lengths below -1 and past the end are DecodeErrors", () => {
  assert.throws(() => new ByteReader(hex("fffffffe")).ustring(), DecodeError);
  assert.throws(() => new ByteReader(hex("fffffffe")).buffer(), DecodeError);
  assert.throws(() => new ByteReader(hex("fffffffe")).vector((r) => r.int32(), 4), DecodeError);
  assert.throws(() => new ByteReader(hex("00000005 0102")).buffer(), DecodeError);
  assert.throws(() => new ByteReader(hex("7fffffff")).vector((r) => r.int32(), 4), DecodeError);
  assert.throws(() => new ByteReader(hex("000000")).int32(), DecodeError);
  assert.throws(() => new ByteReader(hex("00000000000000")).int64(), DecodeError);
});
