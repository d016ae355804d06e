/**
 * Jute records of the client protocol, field by field in wire order (shared/reference §1–§3, §9).
 * Each request record has a reader (server side) and a writer (clients and tests); each response the reverse.
 * Inside Herd a decoded request is a tagged union keyed by `op`; the numeric op code stays here.
 */
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { OpCode } from "./codes.js";

export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}
export const STAT_BYTES = 68;

export function readStat(r: ByteReader): Stat {
  return {
    czxid: r.int64(),
    mzxid: r.int64(),
    ctime: r.int64(),
    mtime: r.int64(),
    version: r.int32(),
    cversion: r.int32(),
    aversion: r.int32(),
    ephemeralOwner: r.int64(),
    dataLength: r.int32(),
    numChildren: r.int32(),
    pzxid: r.int64(),
  };
}

export function writeStat(w: ByteWriter, s: Stat): void {
  w.int64(s.czxid).int64(s.mzxid).int64(s.ctime).int64(s.mtime);
  w.int32(s.version).int32(s.cversion).int32(s.aversion);
  w.int64(s.ephemeralOwner).int32(s.dataLength).int32(s.numChildren).int64(s.pzxid);
}

/** An identity: scheme + id. A null id or scheme on the wire (kazoo sends "" as null) reads as "". */
export interface Id {
  scheme: string;
  id: string;
}
export interface ACL {
  perms: number;
  id: Id;
}

export function readACL(r: ByteReader): ACL {
  const perms = r.int32();
  const scheme = r.ustring() ?? "";
  const id = r.ustring() ?? "";
  return { perms, id: { scheme, id } };
}

export function writeACL(w: ByteWriter, a: ACL): void {
  w.int32(a.perms).ustring(a.id.scheme).ustring(a.id.id);
}

/** Smallest encoded ACL: perms + two null strings. Used to bound vector counts before allocating. */
const ACL_MIN_BYTES = 12;
const STRING_MIN_BYTES = 4;

export function readACLList(r: ByteReader): ACL[] | null {
  return r.vector(readACL, ACL_MIN_BYTES);
}

export function readStringList(r: ByteReader): string[] {
  return (r.vector((x) => x.ustring() ?? "", STRING_MIN_BYTES) ?? []);
}

// ---------------------------------------------------------------- handshake

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOutMs: number;
  sessionId: bigint;
  passwd: Buffer;
  /** undefined when the client is "old" and sent no readOnly byte; the response then omits it too. */
  readOnly: boolean | undefined;
}

export function readConnectRequest(r: ByteReader): ConnectRequest {
  const protocolVersion = r.int32();
  const lastZxidSeen = r.int64();
  const timeOutMs = r.int32();
  const sessionId = r.int64();
  const passwd = r.buffer() ?? Buffer.alloc(0);
  const readOnly = r.remaining() > 0 ? r.bool() : undefined;
  return { protocolVersion, lastZxidSeen, timeOutMs, sessionId, passwd, readOnly };
}

export function writeConnectRequest(w: ByteWriter, c: ConnectRequest): void {
  w.int32(c.protocolVersion).int64(c.lastZxidSeen).int32(c.timeOutMs).int64(c.sessionId).buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOutMs: number;
  sessionId: bigint;
  passwd: Buffer;
  readOnly: boolean | undefined;
}

export function writeConnectResponse(w: ByteWriter, c: ConnectResponse): void {
  w.int32(c.protocolVersion).int32(c.timeOutMs).int64(c.sessionId).buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}

export function readConnectResponse(r: ByteReader): ConnectResponse {
  const protocolVersion = r.int32();
  const timeOutMs = r.int32();
  const sessionId = r.int64();
  const passwd = r.buffer() ?? Buffer.alloc(0);
  const readOnly = r.remaining() > 0 ? r.bool() : undefined;
  return { protocolVersion, timeOutMs, sessionId, passwd, readOnly };
}

// ---------------------------------------------------------------- headers

export interface RequestHeader {
  xid: number;
  type: number;
}
export interface ReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}
export const REPLY_HEADER_BYTES = 16;

export function readReplyHeader(r: ByteReader): ReplyHeader {
  return { xid: r.int32(), zxid: r.int64(), err: r.int32() };
}
export function writeReplyHeader(w: ByteWriter, h: ReplyHeader): void {
  w.int32(h.xid).int64(h.zxid).int32(h.err);
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}
export function readWatcherEvent(r: ByteReader): WatcherEvent {
  return { type: r.int32(), state: r.int32(), path: r.ustring() ?? "" };
}
export function writeWatcherEvent(w: ByteWriter, e: WatcherEvent): void {
  w.int32(e.type).int32(e.state).ustring(e.path);
}

// ---------------------------------------------------------------- requests

/** Which create op code a create came in as; it decides container/TTL semantics and the reply shape. */
export type CreateOpCode =
  | typeof OpCode.create
  | typeof OpCode.create2
  | typeof OpCode.createContainer
  | typeof OpCode.createTTL;

export type Request =
  | { op: "create"; opcode: CreateOpCode; path: string; data: Buffer | null; acl: ACL[] | null; flags: number; ttl: bigint }
  | { op: "delete"; path: string; version: number }
  | { op: "exists" | "getData" | "getChildren" | "getChildren2"; path: string; watch: boolean }
  | { op: "setData"; path: string; data: Buffer | null; version: number }
  | { op: "getACL"; path: string }
  | { op: "setACL"; path: string; acl: ACL[] | null; version: number }
  | { op: "sync"; path: string }
  | { op: "check"; path: string; version: number }
  | { op: "multi"; ops: Request[] }
  | { op: "multiRead"; ops: Request[] }
  | { op: "checkWatches" | "removeWatches"; path: string; type: number }
  | { op: "auth"; type: number; scheme: string; auth: Buffer }
  | { op: "setWatches"; relativeZxid: bigint; data: string[]; exist: string[]; child: string[]; persistent: string[]; persistentRecursive: string[]; v2: boolean }
  | { op: "getEphemerals"; prefixPath: string }
  | { op: "getAllChildrenNumber"; path: string }
  | { op: "addWatch"; path: string; mode: number }
  | { op: "sasl"; token: Buffer }
  | { op: "reconfig"; joiningServers: string | null; leavingServers: string | null; newMembers: string | null; curConfigId: bigint }
  | { op: "ping" }
  | { op: "closeSession" }
  | { op: "whoAmI" };

export type RequestOp = Request["op"];

/** Thrown for an op code we do not know; the connection answers Unimplemented and closes. */
export class UnknownOpError extends DecodeError {
  constructor(readonly type: number) {
    super(`unknown op code ${type}`);
  }
}

const path = (r: ByteReader) => r.ustring() ?? "";

export function readRequest(type: number, r: ByteReader): Request {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
      return { op: "create", opcode: type, path: path(r), data: r.buffer(), acl: readACLList(r), flags: r.int32(), ttl: -1n };
    case OpCode.createTTL:
      return { op: "create", opcode: type, path: path(r), data: r.buffer(), acl: readACLList(r), flags: r.int32(), ttl: r.int64() };
    case OpCode.delete:
      return { op: "delete", path: path(r), version: r.int32() };
    case OpCode.exists:
      return { op: "exists", path: path(r), watch: r.bool() };
    case OpCode.getData:
      return { op: "getData", path: path(r), watch: r.bool() };
    case OpCode.getChildren:
      return { op: "getChildren", path: path(r), watch: r.bool() };
    case OpCode.getChildren2:
      return { op: "getChildren2", path: path(r), watch: r.bool() };
    case OpCode.setData:
      return { op: "setData", path: path(r), data: r.buffer(), version: r.int32() };
    case OpCode.getACL:
      return { op: "getACL", path: path(r) };
    case OpCode.setACL:
      return { op: "setACL", path: path(r), acl: readACLList(r), version: r.int32() };
    case OpCode.sync:
      return { op: "sync", path: path(r) };
    case OpCode.check:
      return { op: "check", path: path(r), version: r.int32() };
    case OpCode.multi:
      return { op: "multi", ops: readMultiOps(r) };
    case OpCode.multiRead:
      return { op: "multiRead", ops: readMultiOps(r) };
    case OpCode.checkWatches:
      return { op: "checkWatches", path: path(r), type: r.int32() };
    case OpCode.removeWatches:
      return { op: "removeWatches", path: path(r), type: r.int32() };
    case OpCode.auth:
      return { op: "auth", type: r.int32(), scheme: r.ustring() ?? "", auth: r.buffer() ?? Buffer.alloc(0) };
    case OpCode.setWatches:
      return { op: "setWatches", relativeZxid: r.int64(), data: readStringList(r), exist: readStringList(r), child: readStringList(r), persistent: [], persistentRecursive: [], v2: false };
    case OpCode.setWatches2:
      return { op: "setWatches", relativeZxid: r.int64(), data: readStringList(r), exist: readStringList(r), child: readStringList(r), persistent: readStringList(r), persistentRecursive: readStringList(r), v2: true };
    case OpCode.getEphemerals:
      return { op: "getEphemerals", prefixPath: r.ustring() ?? "" };
    case OpCode.getAllChildrenNumber:
      return { op: "getAllChildrenNumber", path: path(r) };
    case OpCode.addWatch:
      return { op: "addWatch", path: path(r), mode: r.int32() };
    case OpCode.sasl:
      return { op: "sasl", token: r.buffer() ?? Buffer.alloc(0) };
    case OpCode.reconfig:
      return { op: "reconfig", joiningServers: r.ustring(), leavingServers: r.ustring(), newMembers: r.ustring(), curConfigId: r.int64() };
    case OpCode.ping:
      return { op: "ping" };
    case OpCode.closeSession:
      return { op: "closeSession" };
    case OpCode.whoAmI:
      return { op: "whoAmI" };
    default:
      throw new UnknownOpError(type);
  }
}

/** Upper bound on sub-ops in one multi, checked while decoding (each header is 9 bytes, so a 1 MiB frame caps it anyway). */
export const MULTI_OPS_MAX = 1 << 17;

function readMultiOps(r: ByteReader): Request[] {
  const ops: Request[] = [];
  for (;;) {
    const type = r.int32();
    const done = r.bool();
    r.int32(); // err, always -1 in requests
    if (done) return ops;
    if (ops.length >= MULTI_OPS_MAX) throw new DecodeError("too many ops in multi");
    ops.push(readRequest(type, r));
  }
}

export function opcodeOf(req: Request): number {
  if (req.op === "create") return req.opcode;
  if (req.op === "setWatches") return req.v2 ? OpCode.setWatches2 : OpCode.setWatches;
  return OpCode[req.op];
}

/** Encodes a request body (no header). Used by clients and tests. */
export function writeRequest(w: ByteWriter, req: Request): void {
  switch (req.op) {
    case "create":
      w.ustring(req.path).buffer(req.data).vector(req.acl, writeACL).int32(req.flags);
      if (req.opcode === OpCode.createTTL) w.int64(req.ttl);
      return;
    case "delete":
    case "check":
      w.ustring(req.path).int32(req.version);
      return;
    case "exists":
    case "getData":
    case "getChildren":
    case "getChildren2":
      w.ustring(req.path).bool(req.watch);
      return;
    case "setData":
      w.ustring(req.path).buffer(req.data).int32(req.version);
      return;
    case "getACL":
    case "sync":
    case "getAllChildrenNumber":
      w.ustring(req.path);
      return;
    case "setACL":
      w.ustring(req.path).vector(req.acl, writeACL).int32(req.version);
      return;
    case "multi":
    case "multiRead":
      for (const sub of req.ops) {
        w.int32(opcodeOf(sub)).bool(false).int32(-1);
        writeRequest(w, sub);
      }
      w.int32(-1).bool(true).int32(-1);
      return;
    case "checkWatches":
    case "removeWatches":
      w.ustring(req.path).int32(req.type);
      return;
    case "auth":
      w.int32(req.type).ustring(req.scheme).buffer(req.auth);
      return;
    case "setWatches": {
      const str = (x: ByteWriter, s: string) => void x.ustring(s);
      w.int64(req.relativeZxid).vector(req.data, str).vector(req.exist, str).vector(req.child, str);
      if (req.v2) w.vector(req.persistent, str).vector(req.persistentRecursive, str);
      return;
    }
    case "getEphemerals":
      w.ustring(req.prefixPath);
      return;
    case "addWatch":
      w.ustring(req.path).int32(req.mode);
      return;
    case "sasl":
      w.buffer(req.token);
      return;
    case "reconfig":
      w.ustring(req.joiningServers).ustring(req.leavingServers).ustring(req.newMembers).int64(req.curConfigId);
      return;
    case "ping":
    case "closeSession":
    case "whoAmI":
      return;
  }
}

// ---------------------------------------------------------------- responses

/** A sub-result of multi/multiRead. */
export type MultiResult =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2; path: string; stat: Stat }
  | { type: typeof OpCode.delete }
  | { type: typeof OpCode.setData; stat: Stat }
  | { type: typeof OpCode.check }
  | { type: typeof OpCode.getData; data: Buffer | null; stat: Stat }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.error; err: number };

/** A multi result's header: its op type, "not done", and its error code (0 but for an error result). */
export function writeMultiHeader(w: ByteWriter, type: number, err = 0): ByteWriter {
  return w.int32(type).bool(false).int32(err);
}

/** The header that ends a multi response. */
export function writeMultiEnd(w: ByteWriter): void {
  w.int32(-1).bool(true).int32(-1);
}

export function writeMultiResponse(w: ByteWriter, results: readonly MultiResult[]): void {
  for (const res of results) {
    writeMultiHeader(w, res.type, res.type === OpCode.error ? res.err : 0);
    switch (res.type) {
      case OpCode.create:
        w.ustring(res.path);
        break;
      case OpCode.create2:
        w.ustring(res.path);
        writeStat(w, res.stat);
        break;
      case OpCode.setData:
        writeStat(w, res.stat);
        break;
      case OpCode.getData:
        w.buffer(res.data);
        writeStat(w, res.stat);
        break;
      case OpCode.getChildren:
        w.vector(res.children, (x, s) => void x.ustring(s));
        break;
      case OpCode.error:
        w.int32(res.err);
        break;
      case OpCode.delete:
      case OpCode.check:
        break;
    }
  }
  writeMultiEnd(w);
}

export function readMultiResponse(r: ByteReader): MultiResult[] {
  const out: MultiResult[] = [];
  for (;;) {
    const type = r.int32();
    const done = r.bool();
    const err = r.int32();
    if (done) return out;
    switch (type) {
      case OpCode.create:
        out.push({ type, path: r.ustring() ?? "" });
        break;
      case OpCode.create2:
        out.push({ type, path: r.ustring() ?? "", stat: readStat(r) });
        break;
      case OpCode.setData:
        out.push({ type, stat: readStat(r) });
        break;
      case OpCode.getData:
        out.push({ type, data: r.buffer(), stat: readStat(r) });
        break;
      case OpCode.getChildren:
        out.push({ type, children: readStringList(r) });
        break;
      case OpCode.delete:
      case OpCode.check:
        out.push({ type });
        break;
      case OpCode.error:
        r.int32();
        out.push({ type, err });
        break;
      default:
        throw new DecodeError(`unknown multi result type ${type}`);
    }
  }
}
