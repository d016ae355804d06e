/**
 * Transactions: the idempotent, fully-decided form of a write (ZooKeeper's txn records, our own encoding).
 * A txn carries absolute results (new version, parent's create counter) so replaying it over a fuzzy snapshot
 * converges on the same tree. The storage layer sees only the bytes from encodeTxn.
 */
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { readACLList, writeACL, type ACL } from "../jute/records.js";

export interface TxnHeader {
  sessionId: bigint;
  cxid: number;
  zxid: bigint;
  timeMs: number;
}

export type TxnBody =
  | { type: "create"; path: string; data: Buffer | null; acl: ACL[]; ephemeralOwner: bigint; parentCreateCount: number }
  | { type: "delete"; path: string }
  | { type: "setData"; path: string; data: Buffer | null; version: number }
  | { type: "setACL"; path: string; acl: ACL[]; version: number }
  | { type: "check"; path: string; version: number }
  | { type: "createSession"; timeoutMs: number }
  | { type: "closeSession"; paths: string[] }
  /** A failed write; a failed multi also carries its per-op codes, so any server can build the reply. */
  | { type: "error"; err: number; multiCodes?: number[] }
  | { type: "multi"; ops: TxnBody[] };

export interface Txn {
  header: TxnHeader;
  body: TxnBody;
}

const TAG = { create: 1, delete: 2, setData: 3, setACL: 4, check: 5, createSession: 6, closeSession: 7, error: 8, multi: 9 } as const;

export function encodeTxn(txn: Txn): Buffer {
  const w = new ByteWriter(sizeHint(txn.body));
  w.int64(txn.header.sessionId).int32(txn.header.cxid).int64(txn.header.zxid).int64(BigInt(txn.header.timeMs));
  writeBody(w, txn.body);
  return w.toBuffer();
}

/** Room for the header and a single-op body with a short ACL, so the writer does not grow for common txns. */
function sizeHint(b: TxnBody): number {
  const HEADER_AND_FIXED = 96;
  switch (b.type) {
    case "create":
      return HEADER_AND_FIXED + b.path.length * 3 + (b.data?.length ?? 0) + b.acl.length * 64;
    case "setData":
      return HEADER_AND_FIXED + b.path.length * 3 + (b.data?.length ?? 0);
    case "delete":
    case "check":
    case "setACL":
      return HEADER_AND_FIXED + b.path.length * 3;
    default:
      return 256;
  }
}

function writeBody(w: ByteWriter, b: TxnBody): void {
  w.uint8(TAG[b.type]);
  switch (b.type) {
    case "create":
      w.ustring(b.path).buffer(b.data).vector(b.acl, writeACL).int64(b.ephemeralOwner).int32(b.parentCreateCount);
      return;
    case "delete":
      w.ustring(b.path);
      return;
    case "setData":
      w.ustring(b.path).buffer(b.data).int32(b.version);
      return;
    case "setACL":
      w.ustring(b.path).vector(b.acl, writeACL).int32(b.version);
      return;
    case "check":
      w.ustring(b.path).int32(b.version);
      return;
    case "createSession":
      w.int32(b.timeoutMs);
      return;
    case "closeSession":
      w.vector(b.paths, (x, p) => void x.ustring(p));
      return;
    case "error":
      w.int32(b.err).vector(b.multiCodes ?? null, (x, c) => void x.int32(c));
      return;
    case "multi":
      w.int32(b.ops.length);
      for (const op of b.ops) writeBody(w, op);
      return;
  }
}

export function decodeTxn(bytes: Buffer): Txn {
  const r = new ByteReader(bytes);
  const header = { sessionId: r.int64(), cxid: r.int32(), zxid: r.int64(), timeMs: Number(r.int64()) };
  const body = readBody(r);
  if (r.remaining() !== 0) throw new DecodeError(`${r.remaining()} trailing bytes after txn`);
  return { header, body };
}

function readBody(r: ByteReader): TxnBody {
  const tag = r.uint8();
  const str = () => r.ustring() ?? "";
  switch (tag) {
    case TAG.create:
      return { type: "create", path: str(), data: r.buffer(), acl: readACLList(r) ?? [], ephemeralOwner: r.int64(), parentCreateCount: r.int32() };
    case TAG.delete:
      return { type: "delete", path: str() };
    case TAG.setData:
      return { type: "setData", path: str(), data: r.buffer(), version: r.int32() };
    case TAG.setACL:
      return { type: "setACL", path: str(), acl: readACLList(r) ?? [], version: r.int32() };
    case TAG.check:
      return { type: "check", path: str(), version: r.int32() };
    case TAG.createSession:
      return { type: "createSession", timeoutMs: r.int32() };
    case TAG.closeSession:
      return { type: "closeSession", paths: r.vector((x) => x.ustring() ?? "", 4) ?? [] };
    case TAG.error: {
      const err = r.int32();
      const multiCodes = r.vector((x) => x.int32(), 4);
      return multiCodes === null ? { type: "error", err } : { type: "error", err, multiCodes };
    }
    case TAG.multi: {
      const n = r.int32();
      if (n < 0 || n > r.remaining()) throw new DecodeError(`bad multi txn count ${n}`);
      const ops: TxnBody[] = [];
      for (let i = 0; i < n; i++) ops.push(readBody(r));
      return { type: "multi", ops };
    }
    default:
      throw new DecodeError(`unknown txn tag ${tag}`);
  }
}
