/**
 * What the fuzzer sends: a seeded PRNG, valid frames for every op code (encoded with src/jute), the mutations
 * applied to them, and whole test cases (the bytes of one connection). A case is a pure function of
 * (run seed, case index), so any case can be regenerated from the seed printed with a failure.
 */
import { ByteWriter, OpCode, Xid, writeRequest, opcodeOf } from "../../src/jute/index.js";
import type { ACL, Request } from "../../src/jute/index.js";
import { encodeConnectRequest, encodeRequestFrame } from "../helpers/raw-client.js";

// ------------------------------------------------------------ PRNG

/** sfc32: small, fast, and good enough for choosing bytes; all state is the 4 words below. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((this.u32() / 0x1_0000_0000) * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** The seed of one case: a mix of the run seed and the index (splitmix32-style finalizer). */
export function caseSeed(runSeed: number, index: number): number {
  let z = (runSeed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

// ------------------------------------------------------------ limits and shared names

/** jute.maxbuffer default: the server closes on a frame longer than this. */
export const FRAME_BYTES_MAX = 0xfffff;
/** Where fuzz cases create things. */
export const SANDBOX = "/f";
/** The xid of the probe appended to a cleanly framed stream; a reply with it means the server kept up. */
export const PROBE_XID = 0x5eed_0001;
/** Stands for bytes that are not UTF-8; replaced after encoding, so lengths stay right. */
const BAD_UTF8_MARKER = "\u0001~~\u0001";
const BAD_UTF8_SEQUENCES = [
  Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from([0xff, 0xfe, 0xfd, 0xfc]), Buffer.from([0xed, 0xa0, 0x80, 0x41]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xe2, 0x82, 0x00, 0x2f]), Buffer.from([0x2f, 0xc0, 0xaf, 0x2f]),
];

export const FOUR_LETTER_WORDS = [
  "ruok", "srvr", "stat", "conf", "cons", "crst", "dump", "envi", "gtmk", "stmk", "srst", "wchc", "wchp", "wchs",
  "mntr", "isro", "dirs", "hash",
] as const;

/** Interesting 32-bit values for lengths, counts, versions, flags and timeouts. */
const SPECIAL_INT32 = [
  -2, -1, 0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 255, 256, 0x7fff, 0xffff, FRAME_BYTES_MAX, FRAME_BYTES_MAX + 1,
  0x00ff_ffff, 0x0fff_ffff, 0x7fff_fff0, 0x7fff_ffff, -0x8000_0000, -0x7fff_ffff,
];

export interface CaseContext {
  /** Session ids fuzz handshakes must never use (the keeper's). */
  forbiddenSessionIds: ReadonlySet<bigint>;
  /** Paths the protected tree lives under, used as targets (the server must refuse every change). */
  protectedPaths: readonly string[];
  /** Upper bound on deep-chain depth. */
  deepChainMax: number;
}

// ------------------------------------------------------------ paths, ACLs, data

function name(rng: Rng): string {
  return rng.pick(["a", "b", "c", "d", "node", "x-1", "ñ", "日本", "seq-", " ", "..", ".", "zookeeper", "a".repeat(rng.int(1, 300))]);
}

/** A path: usually valid and in the sandbox, sometimes hostile (deep, invalid, protected, system). */
export function genPath(rng: Rng, ctx: CaseContext): string {
  switch (rng.int(0, 13)) {
    case 0: return "/";
    case 1: return rng.pick(["/zookeeper", "/zookeeper/quota", "/zookeeper/config", "/zookeeper/quota/f/zookeeper_limits"]);
    case 2: return rng.pick(ctx.protectedPaths);
    case 3: return rng.pick(["", "f", "//", "/f/", "/f//a", "/f/./a", "/f/../a", "/f/\u0000", "/f/\ud800", "/\u{1F600}"]);
    case 4: return `${SANDBOX}/${BAD_UTF8_MARKER}`;
    case 5: return deepPath(rng, rng.int(1_000, 20_000));
    case 6: return `${SANDBOX}/${"x".repeat(rng.int(1_000, 200_000))}`;
    default: {
      let p = SANDBOX;
      for (let depth = rng.int(0, 3); depth > 0; depth--) p += `/${name(rng)}`;
      return p;
    }
  }
}

/** A path of `segments` one-letter segments under the sandbox (thousands of levels). */
export function deepPath(rng: Rng, segments: number): string {
  const letter = rng.pick(["a", "b", "z"]);
  return SANDBOX + `/${letter}`.repeat(segments);
}

function genId(rng: Rng): { scheme: string; id: string } {
  return rng.pick([
    { scheme: "world", id: "anyone" }, { scheme: "world", id: "nobody" }, { scheme: "auth", id: "" },
    { scheme: "digest", id: "u:AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, { scheme: "digest", id: "nocolon" },
    { scheme: "ip", id: "127.0.0.1" }, { scheme: "ip", id: "10.0.0.0/8" }, { scheme: "ip", id: "1.2.3" },
    { scheme: "ip", id: "::1/999" }, { scheme: "sasl", id: "bob" }, { scheme: "x509", id: "CN=x" },
    { scheme: "super", id: "" }, { scheme: "nosuchscheme", id: "x" }, { scheme: BAD_UTF8_MARKER, id: BAD_UTF8_MARKER },
  ]);
}

function genAcl(rng: Rng): ACL[] | null {
  if (rng.chance(0.05)) return null;
  if (rng.chance(0.6)) return [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
  const acl: ACL[] = [];
  for (let n = rng.int(0, 4); n > 0; n--) acl.push({ perms: rng.chance(0.5) ? rng.int(0, 31) : rng.pick(SPECIAL_INT32), id: genId(rng) });
  return acl;
}

function genData(rng: Rng): Buffer | null {
  switch (rng.int(0, 5)) {
    case 0: return null;
    case 1: return Buffer.alloc(0);
    case 2: return rng.bytes(rng.int(1, 64));
    case 3: return Buffer.from(BAD_UTF8_MARKER);
    case 4: return Buffer.alloc(rng.int(1_000, 200_000), 0x61);
    default: return Buffer.from("fuzz");
  }
}

function genVersion(rng: Rng): number {
  return rng.chance(0.7) ? -1 : rng.pick(SPECIAL_INT32);
}

function paths(rng: Rng, ctx: CaseContext, max: number): string[] {
  const out: string[] = [];
  for (let n = rng.int(0, max); n > 0; n--) out.push(genPath(rng, ctx));
  return out;
}

// ------------------------------------------------------------ requests

/** Every op code a client can send, plus internal and unknown ones. */
const OP_CODES: readonly number[] = [
  OpCode.create, OpCode.delete, OpCode.exists, OpCode.getData, OpCode.setData, OpCode.getACL, OpCode.setACL,
  OpCode.getChildren, OpCode.sync, OpCode.ping, OpCode.getChildren2, OpCode.check, OpCode.multi, OpCode.create2,
  OpCode.reconfig, OpCode.checkWatches, OpCode.removeWatches, OpCode.createContainer, OpCode.deleteContainer,
  OpCode.createTTL, OpCode.multiRead, OpCode.auth, OpCode.setWatches, OpCode.sasl, OpCode.getEphemerals,
  OpCode.getAllChildrenNumber, OpCode.setWatches2, OpCode.addWatch, OpCode.whoAmI, OpCode.closeSession,
  OpCode.createSession, OpCode.notification, OpCode.error, 10, 23, 99, 108, 1000, -2, -12,
];

/** A structurally valid request for `opcode`, or null for op codes that have no request record. */
export function genRequest(rng: Rng, ctx: CaseContext, opcode: number, nesting = 0): Request | null {
  const path = () => genPath(rng, ctx);
  switch (opcode) {
    case OpCode.create: case OpCode.create2: case OpCode.createContainer: case OpCode.createTTL:
      return {
        op: "create", opcode, path: path(), data: genData(rng), acl: genAcl(rng),
        flags: rng.chance(0.8) ? rng.int(0, 6) : rng.pick(SPECIAL_INT32),
        ttl: rng.pick([-1n, 0n, 1n, 1000n, 2n ** 40n, 2n ** 63n - 1n, -(2n ** 63n)]),
      };
    case OpCode.delete: return { op: "delete", path: path(), version: genVersion(rng) };
    case OpCode.check: return { op: "check", path: path(), version: genVersion(rng) };
    case OpCode.exists: return { op: "exists", path: path(), watch: rng.chance(0.5) };
    case OpCode.getData: return { op: "getData", path: path(), watch: rng.chance(0.5) };
    case OpCode.getChildren: return { op: "getChildren", path: path(), watch: rng.chance(0.5) };
    case OpCode.getChildren2: return { op: "getChildren2", path: path(), watch: rng.chance(0.5) };
    case OpCode.setData: return { op: "setData", path: path(), data: genData(rng), version: genVersion(rng) };
    case OpCode.getACL: return { op: "getACL", path: path() };
    case OpCode.setACL: return { op: "setACL", path: path(), acl: genAcl(rng), version: genVersion(rng) };
    case OpCode.sync: return { op: "sync", path: path() };
    case OpCode.getAllChildrenNumber: return { op: "getAllChildrenNumber", path: path() };
    case OpCode.getEphemerals: return { op: "getEphemerals", prefixPath: path() };
    case OpCode.checkWatches: return { op: "checkWatches", path: path(), type: rng.int(-1, 6) };
    case OpCode.removeWatches: return { op: "removeWatches", path: path(), type: rng.int(-1, 6) };
    case OpCode.addWatch: return { op: "addWatch", path: path(), mode: rng.chance(0.8) ? rng.int(0, 1) : rng.pick(SPECIAL_INT32) };
    case OpCode.ping: return { op: "ping" };
    case OpCode.whoAmI: return { op: "whoAmI" };
    case OpCode.closeSession: return { op: "closeSession" };
    case OpCode.sasl: return { op: "sasl", token: rng.chance(0.5) ? Buffer.alloc(0) : rng.bytes(rng.int(1, 200)) };
    case OpCode.auth: return genAuth(rng);
    case OpCode.reconfig:
      return { op: "reconfig", joiningServers: rng.chance(0.5) ? null : "server.9=127.0.0.1:1:2", leavingServers: null, newMembers: null, curConfigId: -1n };
    case OpCode.setWatches: case OpCode.setWatches2:
      return {
        op: "setWatches", relativeZxid: rng.pick([0n, 1n, 2n ** 62n, -1n]), data: paths(rng, ctx, 4), exist: paths(rng, ctx, 4),
        child: paths(rng, ctx, 4), persistent: paths(rng, ctx, 2), persistentRecursive: paths(rng, ctx, 2),
        v2: opcode === OpCode.setWatches2,
      };
    case OpCode.multi: case OpCode.multiRead:
      return { op: opcode === OpCode.multi ? "multi" : "multiRead", ops: genSubOps(rng, ctx, nesting) };
    default:
      return null;
  }
}

function genAuth(rng: Rng): Request {
  // Never the keeper's credentials: its password is random per run and not derived from this PRNG.
  const scheme = rng.pick(["digest", "digest", "ip", "world", "sasl", "super", "x509", "", BAD_UTF8_MARKER]);
  const auth = rng.pick(["fuzz:pw", "nocolon", "", ":", "keeper:guess", "a:b:c", BAD_UTF8_MARKER, "127.0.0.1"]);
  return { op: "auth", type: rng.chance(0.9) ? 0 : rng.pick(SPECIAL_INT32), scheme, auth: Buffer.from(auth) };
}

function genSubOps(rng: Rng, ctx: CaseContext, nesting: number): Request[] {
  const subCodes: number[] = [OpCode.create, OpCode.create2, OpCode.delete, OpCode.setData, OpCode.check, OpCode.getData,
    OpCode.getChildren, OpCode.createTTL, OpCode.createContainer, OpCode.exists];
  if (nesting < 2) subCodes.push(OpCode.multi, OpCode.multiRead);
  const ops: Request[] = [];
  for (let n = rng.int(0, 8); n > 0; n--) {
    const sub = genRequest(rng, ctx, rng.pick(subCodes), nesting + 1);
    if (sub !== null) ops.push(sub);
  }
  return ops;
}

/** Encodes a request body, replacing bad-UTF-8 markers with invalid byte sequences of the same length. */
function encodeBody(rng: Rng, opcode: number, req: Request | null): Buffer {
  const w = new ByteWriter();
  if (req !== null) writeRequest(w, req);
  else if (opcode === OpCode.deleteContainer) w.ustring(`${SANDBOX}/c`);
  else w.raw(rng.bytes(rng.int(0, 40)));
  return replaceMarkers(rng, w.toBuffer());
}

function replaceMarkers(rng: Rng, body: Buffer): Buffer {
  const marker = Buffer.from(BAD_UTF8_MARKER);
  for (let at = body.indexOf(marker); at >= 0; at = body.indexOf(marker, at + marker.length)) {
    rng.pick(BAD_UTF8_SEQUENCES).copy(body, at);
  }
  return body;
}

function genXid(rng: Rng, index: number): number {
  if (rng.chance(0.9)) return index + 1;
  return rng.pick([0, -1, -2, -4, -8, 0x7fffffff, -0x80000000]);
}

/**
 * Op codes after which a server keeps the connection open (unless the request itself is refused): most of a
 * session's requests come from here, so that later frames still get processed.
 */
const KEEP_OPEN_OP_CODES: readonly number[] = [
  OpCode.create, OpCode.delete, OpCode.exists, OpCode.getData, OpCode.setData, OpCode.getACL, OpCode.setACL,
  OpCode.getChildren, OpCode.sync, OpCode.ping, OpCode.getChildren2, OpCode.check, OpCode.multi, OpCode.create2,
  OpCode.reconfig, OpCode.checkWatches, OpCode.removeWatches, OpCode.createContainer, OpCode.deleteContainer,
  OpCode.createTTL, OpCode.multiRead, OpCode.setWatches, OpCode.getEphemerals, OpCode.getAllChildrenNumber,
  OpCode.setWatches2, OpCode.addWatch, OpCode.whoAmI,
];

/** One valid request frame for a random op code (or an unknown one with a random body); `anyOp` adds those that close. */
export function genRequestFrame(rng: Rng, ctx: CaseContext, index: number, anyOp = true): Buffer {
  const opcode = rng.pick(anyOp ? OP_CODES : KEEP_OPEN_OP_CODES);
  const req = genRequest(rng, ctx, opcode);
  const xid = req?.op === "auth" ? Xid.auth : req?.op === "ping" ? Xid.ping : genXid(rng, index);
  const type = req === null ? opcode : opcodeOf(req);
  return encodeRequestFrame(xid, type, encodeBody(rng, type, req));
}

// ------------------------------------------------------------ handshakes

export function genSessionId(rng: Rng, ctx: CaseContext): bigint {
  for (let tries = 0; tries < 8; tries++) {
    const id = rng.pick([0n, 0n, 0n, 1n, -1n, 2n ** 63n - 1n, BigInt.asIntN(64, BigInt(rng.u32()) << 32n | BigInt(rng.u32()))]);
    if (!ctx.forbiddenSessionIds.has(id)) return id;
  }
  return 0n;
}

/** A ConnectRequest frame; with `valid` it asks for a new session with sane values. */
export function genConnectFrame(rng: Rng, ctx: CaseContext, valid: boolean): Buffer {
  if (valid) return encodeConnectRequest({ timeoutMs: rng.int(4_000, 30_000), readOnly: rng.pick([false, true, undefined]) });
  const passwdLength = rng.pick([0, 15, 16, 16, 17, 64]);
  return encodeConnectRequest({
    timeoutMs: rng.chance(0.5) ? rng.int(0, 60_000) : rng.pick(SPECIAL_INT32),
    sessionId: genSessionId(rng, ctx),
    passwd: rng.bytes(passwdLength),
    lastZxidSeen: rng.pick([0n, 0n, 1n, 2n ** 40n, 2n ** 63n - 1n, -1n]),
    readOnly: rng.pick([false, true, undefined]),
  });
}

// ------------------------------------------------------------ mutations

export type MutationName =
  | "flipBits" | "truncateFixed" | "truncateRaw" | "frameLength" | "innerInt" | "insertBytes" | "deleteBytes"
  | "opcode" | "duplicate";

const MUTATIONS: readonly MutationName[] = [
  "flipBits", "truncateFixed", "truncateRaw", "frameLength", "innerInt", "innerInt", "insertBytes", "deleteBytes",
  "opcode", "duplicate",
];

function setLength(frame: Buffer): Buffer {
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Offsets of int32s in the payload that look like a length, count, version or flag (value in [-1, rest]). */
function plausibleIntOffsets(frame: Buffer): number[] {
  const out: number[] = [];
  for (let at = 4; at + 4 <= frame.length; at++) {
    const v = frame.readInt32BE(at);
    if (v >= -1 && v <= frame.length - at - 4) out.push(at);
  }
  return out;
}

/** Applies one mutation to a copy of a whole frame (length prefix included). */
export function mutate(rng: Rng, original: Buffer, mutation: MutationName): Buffer {
  const frame = Buffer.from(original);
  switch (mutation) {
    case "flipBits":
      for (let n = rng.int(1, 8); n > 0; n--) {
        const at = rng.int(frame.length > 12 && rng.chance(0.8) ? 4 : 0, frame.length - 1);
        frame[at] ^= 1 << rng.int(0, 7);
      }
      return frame;
    case "truncateFixed":
      return setLength(frame.subarray(0, rng.int(4, Math.max(4, frame.length - 1))));
    case "truncateRaw":
      return frame.subarray(0, rng.int(1, Math.max(1, frame.length - 1)));
    case "frameLength":
      frame.writeInt32BE(rng.pick(SPECIAL_INT32), 0);
      return frame;
    case "innerInt": {
      const offsets = plausibleIntOffsets(frame);
      const at = offsets.length > 0 && rng.chance(0.8) ? rng.pick(offsets) : rng.int(4, Math.max(4, frame.length - 4));
      if (at + 4 <= frame.length) frame.writeInt32BE(rng.pick(SPECIAL_INT32), at);
      return frame;
    }
    case "insertBytes": {
      const at = rng.int(4, frame.length);
      return setLength(Buffer.concat([frame.subarray(0, at), rng.bytes(rng.int(1, 16)), frame.subarray(at)]));
    }
    case "deleteBytes": {
      const at = rng.int(4, frame.length);
      return setLength(Buffer.concat([frame.subarray(0, at), frame.subarray(Math.min(frame.length, at + rng.int(1, 16)))]));
    }
    case "opcode":
      if (frame.length >= 12) frame.writeInt32BE(rng.chance(0.5) ? rng.pick(OP_CODES) : rng.u32() | 0, 8);
      return frame;
    case "duplicate":
      return Buffer.concat([frame, frame]);
  }
}

// ------------------------------------------------------------ cases

export type CaseKind = "session" | "badHandshake" | "fourLetterWord" | "randomBytes" | "deepChain" | "deepWatches";

export interface FuzzCase {
  index: number;
  seed: number;
  kind: CaseKind;
  /** The frames (or raw byte runs) in order; the stream is their concatenation. */
  frames: Buffer[];
  /** Mutation applied to each frame, or "valid". */
  notes: string[];
  /** How the stream is cut into socket writes: byte counts summing to the stream length. */
  writeSizes: number[];
  /** The stream is well framed (every length within limits and complete), so a probe appended gets an answer. */
  wellFramed: boolean;
  /** The first four bytes spell a four-letter word: the answer is text, not frames. */
  isFourLetterWord: boolean;
}

const CASE_KINDS: readonly CaseKind[] = [
  "session", "session", "session", "session", "session", "session", "badHandshake", "badHandshake",
  "fourLetterWord", "randomBytes", "deepWatches",
];

/** Builds case `index` of the run with seed `runSeed`. Deep chains are placed by the runner, not drawn here. */
export function buildCase(runSeed: number, index: number, ctx: CaseContext, kind?: CaseKind): FuzzCase {
  const seed = caseSeed(runSeed, index);
  const rng = new Rng(seed);
  const chosen = kind ?? rng.pick(CASE_KINDS);
  const { frames, notes } = buildFrames(rng, ctx, chosen, index);
  const stream = Buffer.concat(frames);
  return {
    index, seed, kind: chosen, frames, notes,
    writeSizes: splitSizes(rng, stream.length),
    wellFramed: isWellFramed(stream),
    isFourLetterWord: (FOUR_LETTER_WORDS as readonly string[]).includes(stream.subarray(0, 4).toString("latin1")),
  };
}

function buildFrames(rng: Rng, ctx: CaseContext, kind: CaseKind, index: number): { frames: Buffer[]; notes: string[] } {
  const frames: Buffer[] = [];
  const notes: string[] = [];
  const add = (frame: Buffer, note: string) => {
    frames.push(frame);
    notes.push(note);
  };
  const maybeMutated = (frame: Buffer, p: number) => {
    if (!rng.chance(p)) return add(frame, "valid");
    const m = rng.pick(MUTATIONS);
    add(mutate(rng, frame, m), m);
  };
  switch (kind) {
    case "session": {
      maybeMutated(genConnectFrame(rng, ctx, true), 0.03);
      // Mostly ops that keep the connection open, and few mutations, so that later frames get processed too.
      const count = rng.int(1, 20);
      for (let n = count; n > 0; n--) maybeMutated(genRequestFrame(rng, ctx, frames.length, rng.chance(0.05)), 1.5 / count);
      break;
    }
    case "badHandshake":
      maybeMutated(genConnectFrame(rng, ctx, rng.chance(0.3)), 0.8);
      for (let n = rng.int(0, 3); n > 0; n--) maybeMutated(genRequestFrame(rng, ctx, frames.length), 0.3);
      break;
    case "fourLetterWord": {
      const word = Buffer.from(rng.pick(FOUR_LETTER_WORDS), "latin1");
      add(Buffer.concat([word, rng.chance(0.5) ? Buffer.alloc(0) : rng.bytes(rng.int(1, 64))]), "4lw");
      if (rng.chance(0.3)) add(genConnectFrame(rng, ctx, true), "valid");
      break;
    }
    case "randomBytes":
      add(rng.bytes(rng.int(1, 512)), "random");
      break;
    case "deepWatches":
      add(genConnectFrame(rng, ctx, true), "valid");
      for (const frame of deepWatchFrames(rng, index)) add(frame, "valid");
      break;
    case "deepChain":
      add(genConnectFrame(rng, ctx, true), "valid");
      for (const frame of deepChainFrames(rng, ctx, index)) add(frame, "valid");
      break;
  }
  return { frames, notes };
}

/** Watches of every kind on paths thousands of levels deep, then ops that fire or walk them. */
function deepWatchFrames(rng: Rng, index: number): Buffer[] {
  const deep = deepPath(rng, rng.int(1_000, 30_000));
  const reqs: Request[] = [
    { op: "addWatch", path: deep, mode: 1 },
    { op: "addWatch", path: "/", mode: 1 },
    { op: "exists", path: deep, watch: true },
    { op: "getData", path: deep, watch: true },
    { op: "setWatches", relativeZxid: 0n, data: [deep, deep], exist: [deep], child: [deep], persistent: [deep], persistentRecursive: [deep, "/"], v2: true },
    { op: "create", opcode: OpCode.create, path: `${SANDBOX}/w${index}`, data: null, acl: [{ perms: 31, id: { scheme: "world", id: "anyone" } }], flags: 1, ttl: -1n },
    { op: "removeWatches", path: deep, type: 3 },
    { op: "checkWatches", path: deep, type: rng.int(1, 5) },
    { op: "getEphemerals", prefixPath: deep },
  ];
  return reqs.map((req, i) => requestFrame(i + 1, req));
}

/**
 * A chain of nested nodes `depth` levels deep, built with pipelined creates, then walked by recursive ops:
 * getAllChildrenNumber, a recursive watch firing at the bottom, getEphemerals, and a multi deleting the leaf.
 */
function deepChainFrames(rng: Rng, ctx: CaseContext, index: number): Buffer[] {
  const depth = Math.max(2, Math.min(ctx.deepChainMax, rng.int(ctx.deepChainMax >> 1, ctx.deepChainMax)));
  const top = `${SANDBOX}/chain${index}`;
  const open: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
  const reqs: Request[] = [{ op: "addWatch", path: top, mode: 1 }];
  let path = top;
  for (let i = 0; i < depth; i++) {
    reqs.push({ op: "create", opcode: OpCode.create, path, data: Buffer.from("d"), acl: open, flags: i === depth - 1 ? 1 : 0, ttl: -1n });
    path += "/d";
  }
  const leaf = path.slice(0, -2);
  reqs.push(
    { op: "getAllChildrenNumber", path: top },
    { op: "getAllChildrenNumber", path: "/" },
    { op: "getEphemerals", prefixPath: "/" },
    { op: "exists", path: leaf, watch: true },
    { op: "setData", path: leaf, data: Buffer.from("x"), version: -1 },
    { op: "multi", ops: [{ op: "check", path: leaf, version: 1 }, { op: "delete", path: leaf, version: -1 }] },
  );
  return reqs.map((req, i) => requestFrame(i + 1, req));
}

function requestFrame(xid: number, req: Request): Buffer {
  const w = new ByteWriter();
  writeRequest(w, req);
  return encodeRequestFrame(xid, opcodeOf(req), w.toBuffer());
}

/** The probe that tells whether the server still processes this connection's requests. */
export function probeFrame(): Buffer {
  return requestFrame(PROBE_XID, { op: "exists", path: "/", watch: false });
}

/** Cuts a stream into 1..8 writes at random points (small splits test partial-frame handling). */
function splitSizes(rng: Rng, total: number): number[] {
  const cuts = new Set<number>();
  for (let n = rng.int(0, 7); n > 0 && total > 1; n--) cuts.add(rng.int(1, total - 1));
  const sorted = [...cuts].sort((a, b) => a - b);
  const sizes: number[] = [];
  let last = 0;
  for (const c of [...sorted, total]) {
    sizes.push(c - last);
    last = c;
  }
  return sizes.filter((s) => s > 0);
}

/** True when the stream is a sequence of complete frames whose lengths the server accepts. */
export function isWellFramed(stream: Buffer): boolean {
  let at = 0;
  while (at < stream.length) {
    if (stream.length - at < 4) return false;
    const length = stream.readInt32BE(at);
    if (length < 0 || length > FRAME_BYTES_MAX || at + 4 + length > stream.length) return false;
    at += 4 + length;
  }
  return true;
}
