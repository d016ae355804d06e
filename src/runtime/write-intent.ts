/**
 * A write as it leaves the server holding the client's connection: prepared there (standalone, leader) or
 * forwarded to the leader as bytes (follower, observer) with the caller's identities, so the leader checks
 * ACLs exactly as the local server would have.
 */
import { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
import { opcodeOf, readRequest, writeRequest, type Id, type Request } from "../jute/records.js";
import { isWriteRequest, type WriteRequest } from "../pipeline/prep.js";

export type WriteIntent =
  | { kind: "request"; sessionId: bigint; cxid: number; req: WriteRequest; ids: readonly Id[]; isSuper: boolean }
  | { kind: "createSession"; sessionId: bigint; timeoutMs: number }
  | { kind: "closeSession"; sessionId: bigint; cxid: number }
  | { kind: "error"; sessionId: bigint; cxid: number; err: number }
  /** Server-issued: delete an emptied container or expired TTL node (never forwarded). */
  | { kind: "reap"; sessionId: bigint; path: string };

const TAG = { request: 1, createSession: 2, closeSession: 3, error: 4, reap: 5 } as const;

export function encodeIntent(intent: WriteIntent): Buffer {
  const w = new ByteWriter(64);
  w.uint8(TAG[intent.kind]).int64(intent.sessionId);
  switch (intent.kind) {
    case "request":
      w.int32(intent.cxid).int32(opcodeOf(intent.req));
      writeRequest(w, intent.req);
      w.vector(intent.ids, (x, id) => void x.ustring(id.scheme).ustring(id.id)).bool(intent.isSuper);
      break;
    case "createSession":
      w.int32(intent.timeoutMs);
      break;
    case "closeSession":
      w.int32(intent.cxid);
      break;
    case "error":
      w.int32(intent.cxid).int32(intent.err);
      break;
    case "reap":
      w.ustring(intent.path);
      break;
  }
  return w.toBuffer();
}

export function decodeIntent(bytes: Buffer): WriteIntent {
  const r = new ByteReader(bytes);
  const tag = r.uint8();
  const sessionId = r.int64();
  switch (tag) {
    case TAG.request: {
      const cxid = r.int32();
      const req: Request = readRequest(r.int32(), r);
      if (!isWriteRequest(req)) throw new DecodeError(`forwarded ${req.op} is not a write`);
      const ids = r.vector((x) => ({ scheme: x.ustring() ?? "", id: x.ustring() ?? "" }), 8) ?? [];
      return { kind: "request", sessionId, cxid, req, ids, isSuper: r.bool() };
    }
    case TAG.createSession:
      return { kind: "createSession", sessionId, timeoutMs: r.int32() };
    case TAG.closeSession:
      return { kind: "closeSession", sessionId, cxid: r.int32() };
    case TAG.error:
      return { kind: "error", sessionId, cxid: r.int32(), err: r.int32() };
    case TAG.reap:
      return { kind: "reap", sessionId, path: r.ustring() ?? "" };
    default:
      throw new DecodeError(`unknown write intent tag ${tag}`);
  }
}
