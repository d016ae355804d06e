/**
 * Applying a txn to the tree and turning the outcome into the client's reply. Stats are captured right after
 * each (sub-)op applies, so a multi's create2 result shows the node as that op left it.
 */
import { OpCode } from "../jute/codes.js";
import { writeMultiResponse, writeStat, type MultiResult, type Request, type Stat } from "../jute/records.js";
import type { WriteRequest } from "../pipeline/prep.js";
import { replyFrame } from "../pipeline/replies.js";
import type { ByteWriter } from "../base/bytes.js";
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
  /** A multi's: the Stat of the node each sub-op touched, right after that sub-op (undefined where none). */
  stats: (Stat | undefined)[];
}

/**
 * Told of each (sub-)op after it applied, with the data length the touched nodes had before (quota accounting)
 * and the op's node row after it (NO_ROW: none, or deleted). The map is only valid during the call.
 */
export type AppliedOpObserver = (op: TxnBody, lengthsBefore: ReadonlyMap<string, number>, row: number) => void;

export function applyTxn(tree: DataTree, txn: Txn, observe?: AppliedOpObserver): ApplyResult {
  const changes: TreeChange[] = [];
  const body = txn.body;
  if (body.type !== "multi") {
    const row = applyOne(tree, txn, body, changes, observe);
    return { changes, row, stats: NO_STATS };
  }
  const stats: (Stat | undefined)[] = [];
  for (const op of body.ops) {
    const row = applyOne(tree, txn, op, changes, observe);
    stats.push(row !== NO_ROW && STAT_OPS.has(op.type) ? tree.statAt(row) : undefined);
  }
  if (body.ops.length === 0) tree.applyTxn(txn.header, body, changes); // an empty multi still moves the zxid
  return { changes, row: NO_ROW, stats };
}

const NO_STATS: (Stat | undefined)[] = [];
/** The ops whose reply (or multi result) carries the node's Stat. */
const STAT_OPS = new Set(["create", "setData", "setACL"]);

/** Applies one (sub-)op and tells the observer; returns the op's node row after it (NO_ROW if none). */
function applyOne(tree: DataTree, txn: Txn, op: TxnBody, changes: TreeChange[], observe?: AppliedOpObserver): number {
  // A closed session's ephemerals are many nodes: their lengths are read before they go.
  const closedLengths = observe !== undefined && op.type === "closeSession" ? lengthsOf(tree, op.paths) : null;
  tree.applyTxn(txn.header, op, changes);
  const row = tree.touchedRow;
  if (observe === undefined) return row;
  lengthsScratch.clear();
  if (closedLengths !== null) for (const [p, length] of closedLengths) lengthsScratch.set(p, length);
  else if ((op.type === "setData" || op.type === "delete") && tree.touchedLengthBefore >= 0) lengthsScratch.set(op.path, tree.touchedLengthBefore);
  observe(op, lengthsScratch, row);
  return row;
}

/**
 * Only lengths: copying the old data of every setData and delete cost ~2% of a write's CPU. One map is reused
 * for every op (observers read it synchronously and must not keep it), so a write allocates none.
 */
const lengthsScratch = new Map<string, number>();

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
      const results = ops.map((op, i) => multiResult(req.ops[i], op, result.stats[i] ?? EMPTY_STAT));
      return replyFrame(xid, zxid, 0, (w) => writeMultiResponse(w, results));
    }
    case "delete":
    case "check":
    case "closeSession":
      return replyFrame(xid, zxid, 0);
  }
}

function multiResult(req: Request, op: TxnBody, stat: Stat): MultiResult {
  switch (op.type) {
    case "create":
      // Observed on ZooKeeper 3.8: a create2 inside a multi answers like a plain create (path only);
      // only container and TTL creates carry a Stat.
      return req.op === "create" && (req.opcode === OpCode.create || req.opcode === OpCode.create2)
        ? { type: OpCode.create, path: op.path }
        : { type: OpCode.create2, path: op.path, stat };
    case "delete":
      return { type: OpCode.delete };
    case "setData":
      return { type: OpCode.setData, stat };
    default:
      return { type: OpCode.check };
  }
}
