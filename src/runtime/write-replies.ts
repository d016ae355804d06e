/**
 * Applying a txn to the tree and turning the outcome into the client's reply. Stats are captured right after
 * each (sub-)op applies, so a multi's create2 result shows the node as that op left it.
 */
import { OpCode } from "../jute/codes.js";
import { writeMultiResponse, writeStat, type MultiResult, type Request, type Stat } from "../jute/records.js";
import type { WriteRequest } from "../pipeline/prep.js";
import { replyFrame } from "../pipeline/replies.js";
import type { DataTree, TreeChange } from "../tree/data-tree.js";
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
  /** Stat of the node each op touched, right after that op applied (undefined where not relevant). */
  stats: (Stat | undefined)[];
}

/**
 * Told of each (sub-)op after it applied, with the data length the touched nodes had before (quota accounting).
 * The map is only valid during the call.
 */
export type AppliedOpObserver = (op: TxnBody, lengthsBefore: ReadonlyMap<string, number>) => void;

export function applyTxn(tree: DataTree, txn: Txn, observe?: AppliedOpObserver): ApplyResult {
  const changes: TreeChange[] = [];
  const ops = txn.body.type === "multi" ? txn.body.ops : [txn.body];
  const stats: (Stat | undefined)[] = [];
  for (const op of ops) {
    const before = observe === undefined ? EMPTY_BEFORE : lengthsBefore(tree, op);
    tree.applyTxn(txn.header, op, changes);
    stats.push(statAfter(tree, op));
    observe?.(op, before);
  }
  if (ops.length === 0) tree.applyTxn(txn.header, txn.body, changes); // an empty multi still moves the zxid
  return { changes, stats };
}

const EMPTY_BEFORE: ReadonlyMap<string, number> = new Map();

/**
 * Only lengths: copying the old data of every setData and delete cost ~2% of a write's CPU. One map is reused
 * for every op (observers read it synchronously and must not keep it), so a write allocates none.
 */
const lengthsScratch = new Map<string, number>();

function lengthsBefore(tree: DataTree, op: TxnBody): ReadonlyMap<string, number> {
  lengthsScratch.clear();
  if (op.type === "delete" || op.type === "setData") addLength(tree, op.path);
  else if (op.type === "closeSession") for (const p of op.paths) addLength(tree, p);
  return lengthsScratch;
}

function addLength(tree: DataTree, path: string): void {
  const node = tree.get(path);
  if (node !== undefined) lengthsScratch.set(path, node.dataLength);
}

function statAfter(tree: DataTree, op: TxnBody): Stat | undefined {
  if (op.type !== "create" && op.type !== "setData" && op.type !== "setACL") return undefined;
  const node = tree.get(op.path);
  return node === undefined ? undefined : tree.statOf(node);
}

const EMPTY_STAT: Stat = { czxid: 0n, mzxid: 0n, ctime: 0n, mtime: 0n, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 0n };

export function buildWriteReply(txn: Txn, origin: WriteOrigin, result: ApplyResult): Buffer {
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
  const stat0 = result.stats[0] ?? EMPTY_STAT;
  switch (req.op) {
    case "create": {
      const created = (body as Extract<TxnBody, { type: "create" }>).path;
      if (req.opcode === OpCode.create) return replyFrame(xid, zxid, 0, (w) => void w.ustring(created));
      return replyFrame(xid, zxid, 0, (w) => {
        w.ustring(created);
        writeStat(w, stat0);
      });
    }
    case "setData":
    case "setACL":
      return replyFrame(xid, zxid, 0, (w) => writeStat(w, stat0));
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
