/**
 * Applying a txn to the tree and turning the outcome into the client's reply. Stats are captured right after
 * each (sub-)op applies, so a multi's create2 result shows the node as that op left it.
 */
import { OpCode } from "../jute/codes.js";
import { writeMultiEnd, writeMultiHeader, writeMultiResponse, writeStat, type MultiResult, type Request, type Stat } from "../jute/records.js";
import type { WriteRequest } from "../pipeline/prep.js";
import { replyFrame } from "../pipeline/replies.js";
import { ByteWriter } from "../base/bytes.js";
import type { DataTree, TreeChange } from "../tree/data-tree.js";
import { NO_ROW } from "../tree/node-store.js";
import type { Txn, TxnBody } from "../tree/txn.js";
import type { Connection } from "./connection.js";

/** Who asked for a write and where its reply goes. */
export interface WriteOrigin {
  conn: Connection;
  xid: number;
  req: WriteRequest | Extract<Request, { op: "closeSession" }>;
  startedMs: number;
  reply?: (frame: Buffer) => void;
}

export interface ApplyResult {
  changes: TreeChange[];
  /** A single op's node row right after it applied (its reply's Stat is written from it), or NO_ROW. */
  row: number;
  /**
   * A multi's: the Stat (68 wire bytes) of the node each sub-op touched, right after that sub-op, at
   * STAT_BYTES * i; all zeros where the sub-op has none. Bytes rather than Stat objects: a multi of ten setData
   * would otherwise make ten Stats and their bigints only to write them out again.
   */
  stats: Buffer;
}

/** The length of a Stat on the wire. */
const STAT_BYTES = 68;
/** A multi result's header: type, done, err. */
const MULTI_HEADER_BYTES = 9;

/** What a (sub-)op did to the data lengths of the nodes it touched (quota accounting, write metrics). */
export interface AppliedOp {
  op: TxnBody;
  /** The op's node row after it (NO_ROW: none, or deleted). */
  row: number;
  /** setData and delete: the node's data length before the op; -1 when there was no such node, or other ops. */
  lengthBefore: number;
  /** closeSession: each ephemeral it deleted, with its data length; empty for other ops. */
  closed: readonly (readonly [string, number])[];
}

/** Told of each (sub-)op right after it applied. The AppliedOp is reused: only valid during the call. */
export type AppliedOpObserver = (applied: Readonly<AppliedOp>) => void;

export function applyTxn(tree: DataTree, txn: Txn, observe?: AppliedOpObserver): ApplyResult {
  const changes: TreeChange[] = [];
  const body = txn.body;
  if (body.type !== "multi") {
    const row = applyOne(tree, txn, body, changes, observe);
    return { changes, row, stats: NO_STATS };
  }
  const stats = new ByteWriter(STAT_BYTES * Math.max(body.ops.length, 1));
  for (const op of body.ops) {
    const row = applyOne(tree, txn, op, changes, observe);
    if (row !== NO_ROW && hasStat(op)) tree.writeStat(stats, row);
    else stats.zeros(STAT_BYTES);
  }
  if (body.ops.length === 0) tree.applyTxn(txn.header, body, changes); // an empty multi still moves the zxid
  return { changes, row: NO_ROW, stats: stats.toBuffer() };
}

const NO_STATS = Buffer.alloc(0);

/** The ops whose reply (or multi result) carries the node's Stat. */
function hasStat(op: TxnBody): boolean {
  return op.type === "create" || op.type === "setData" || op.type === "setACL";
}

/** Applies one (sub-)op and tells the observer; returns the op's node row after it (NO_ROW if none). */
function applyOne(tree: DataTree, txn: Txn, op: TxnBody, changes: TreeChange[], observe?: AppliedOpObserver): number {
  // A closed session's ephemerals are many nodes: their lengths are read before they go.
  const closed = observe !== undefined && op.type === "closeSession" ? lengthsOf(tree, op.paths) : NONE_CLOSED;
  tree.applyTxn(txn.header, op, changes);
  const row = tree.touchedRow;
  if (observe === undefined) return row;
  // One record for every op (the observer must not keep it), so telling it allocates nothing.
  appliedScratch.op = op;
  appliedScratch.row = row;
  appliedScratch.lengthBefore = tree.touchedLengthBefore; // -1 but after a setData or delete of an existing node
  appliedScratch.closed = closed;
  observe(appliedScratch);
  return row;
}

const NONE_CLOSED: readonly (readonly [string, number])[] = [];
const appliedScratch: AppliedOp = { op: { type: "check", path: "/", version: -1 }, row: NO_ROW, lengthBefore: -1, closed: NONE_CLOSED };

function lengthsOf(tree: DataTree, paths: readonly string[]): [string, number][] {
  const out: [string, number][] = [];
  for (const p of paths) {
    const node = tree.get(p);
    if (node !== undefined) out.push([p, node.dataLength]);
  }
  return out;
}

const EMPTY_STAT: Stat = { czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 0n };

export function buildWriteReply(tree: DataTree, txn: Txn, origin: WriteOrigin, result: ApplyResult): Buffer {
  const { xid } = origin;
  const zxid = txn.header.zxid;
  const body = txn.body;
  if (body.type === "error") {
    if (body.multiCodes) {
      const results: MultiResult[] = body.multiCodes.map((err) => ({ type: OpCode.error, err }));
      return replyFrame(xid, zxid, 0, (w) => writeMultiResponse(w, results));
    }
    return replyFrame(xid, zxid, body.err);
  }
  const req = origin.req;
  // Built right after the txn applied, so the row still shows the node as this txn left it.
  const writeStat0 = (w: ByteWriter) => (result.row === NO_ROW ? writeStat(w, EMPTY_STAT) : tree.writeStat(w, result.row));
  switch (req.op) {
    case "create": {
      const created = (body as Extract<TxnBody, { type: "create" }>).path;
      if (req.opcode === OpCode.create) return replyFrame(xid, zxid, 0, (w) => void w.ustring(created));
      return replyFrame(xid, zxid, 0, (w) => {
        w.ustring(created);
        writeStat0(w);
      });
    }
    case "setData":
    case "setACL":
      return replyFrame(xid, zxid, 0, writeStat0);
    case "multi": {
      const ops = (body as Extract<TxnBody, { type: "multi" }>).ops;
      // Room for a header and a Stat per result; a create's path, when there is one, regrows the buffer.
      const bytesHint = 32 + ops.length * (MULTI_HEADER_BYTES + STAT_BYTES);
      return replyFrame(xid, zxid, 0, (w) => writeMultiWriteResults(w, req.ops, ops, result.stats), bytesHint);
    }
    case "delete":
    case "check":
    case "closeSession":
      return replyFrame(xid, zxid, 0);
  }
}

/**
 * A successful multi's results, in writeMultiResponse's wire format, with each Stat copied from the bytes
 * captured as its sub-op applied.
 */
function writeMultiWriteResults(w: ByteWriter, reqs: readonly Request[], ops: readonly TxnBody[], stats: Buffer): void {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const req = reqs[i];
    const stat = stats.subarray(STAT_BYTES * i, STAT_BYTES * (i + 1));
    switch (op.type) {
      case "create":
        // Observed on ZooKeeper 3.8: a create2 inside a multi answers like a plain create (path only);
        // only container and TTL creates carry a Stat.
        if (req.op === "create" && (req.opcode === OpCode.create || req.opcode === OpCode.create2)) {
          writeMultiHeader(w, OpCode.create).ustring(op.path);
        } else {
          writeMultiHeader(w, OpCode.create2).ustring(op.path).raw(stat);
        }
        break;
      case "delete":
        writeMultiHeader(w, OpCode.delete);
        break;
      case "setData":
        writeMultiHeader(w, OpCode.setData).raw(stat);
        break;
      default:
        writeMultiHeader(w, OpCode.check);
    }
  }
  writeMultiEnd(w);
}
