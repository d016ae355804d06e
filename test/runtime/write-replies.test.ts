/**
 * src/runtime/write-replies.ts: a multi's reply carries, for each sub-op, the Stat its node had right after that
 * sub-op (captured as bytes while the multi applies), in writeMultiResponse's format; and the observer is told
 * of each sub-op with its row and the data length before it (quota accounting and write metrics read these).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteReader } from "../../src/base/bytes.js";
import { OpCode, Perm } from "../../src/jute/codes.js";
import { readMultiResponse, readReplyHeader, type MultiResult, type Request } from "../../src/jute/records.js";
import { applyTxn, buildWriteReply, type AppliedOp, type WriteOrigin } from "../../src/runtime/write-replies.js";
import type { Connection } from "../../src/runtime/connection.js";
import { CONTAINER_OWNER, DataTree } from "../../src/tree/data-tree.js";
import { NO_ROW } from "../../src/tree/node-store.js";
import type { Txn, TxnBody } from "../../src/tree/txn.js";
import { applyAll, createBody, TxnScript } from "../unit/tree-support.js";

const OPEN = [{ perms: Perm.ALL, id: { scheme: "world", id: "anyone" } }];

function baseTree(s: TxnScript): DataTree {
  return applyAll(new DataTree(), [s.create("/a", { data: Buffer.from("12345") }), s.create("/a/b"), s.create("/gone", { data: Buffer.from("xyz") })]);
}

/** A multi whose later sub-ops change a node an earlier one touched (the delete of /a/b moves /a's cversion). */
function sampleMulti(s: TxnScript): { txn: Txn; reqs: Request[] } {
  const ops: TxnBody[] = [
    { type: "setData", path: "/a", data: Buffer.from("new data"), version: 1 },
    createBody("/plain", 3),
    createBody("/box", 4, { ephemeralOwner: CONTAINER_OWNER }),
    { type: "delete", path: "/a/b" },
    { type: "check", path: "/a", version: 1 },
  ];
  const reqs: Request[] = [
    { op: "setData", path: "/a", data: Buffer.from("new data"), version: -1 },
    { op: "create", opcode: OpCode.create2, path: "/plain", data: null, acl: OPEN, flags: 0, ttl: -1n },
    { op: "create", opcode: OpCode.createContainer, path: "/box", data: null, acl: OPEN, flags: 0, ttl: -1n },
    { op: "delete", path: "/a/b", version: -1 },
    { op: "check", path: "/a", version: 1 },
  ];
  return { txn: s.multi(ops), reqs };
}

function origin(req: Request): WriteOrigin {
  return { conn: null as unknown as Connection, xid: 7, req: req as WriteOrigin["req"], startedMs: 0 };
}

test("a multi's reply carries each sub-op's Stat as that sub-op left it", () => {
  const s = new TxnScript(0x3_0000_0000n);
  const tree = baseTree(s);
  const { txn, reqs } = sampleMulti(s);

  // Expected: the same sub-ops applied one at a time to a twin tree, reading each Stat at once.
  const twin = baseTree(new TxnScript(0x3_0000_0000n));
  const ops = (txn.body as Extract<TxnBody, { type: "multi" }>).ops;
  const expected: MultiResult[] = ops.map((op) => {
    twin.applyTxn(txn.header, op);
    switch (op.type) {
      case "setData":
        return { type: OpCode.setData, stat: twin.statOf(twin.get(op.path)!) };
      case "create":
        return op.path === "/plain"
          ? { type: OpCode.create, path: op.path }
          : { type: OpCode.create2, path: op.path, stat: twin.statOf(twin.get(op.path)!) };
      case "delete":
        return { type: OpCode.delete };
      default:
        return { type: OpCode.check };
    }
  });

  const frame = buildWriteReply(tree, txn, origin({ op: "multi", ops: reqs }), applyTxn(tree, txn));
  const r = new ByteReader(frame);
  assert.equal(r.int32(), frame.length - 4, "frame length");
  assert.deepEqual(readReplyHeader(r), { xid: 7, zxid: txn.header.zxid, err: 0 });
  const results = readMultiResponse(r);
  assert.deepEqual(results, expected);
  const setDataStat = (results[0] as Extract<MultiResult, { type: typeof OpCode.setData }>).stat;
  assert.equal(setDataStat.cversion, twin.statOf(twin.get("/a")!).cversion - 1, "the setData's Stat predates the delete under /a");
  assert.equal(setDataStat.dataLength, 8);
});

test("the observer hears each sub-op with its row and the data length before it", () => {
  const s = new TxnScript(0x3_0000_0000n);
  const tree = baseTree(s);
  const { txn } = sampleMulti(s);
  const seen: { type: string; row: boolean; lengthBefore: number; closed: (readonly [string, number])[] }[] = [];
  const observe = (a: Readonly<AppliedOp>) => seen.push({ type: a.op.type, row: a.row !== NO_ROW, lengthBefore: a.lengthBefore, closed: [...a.closed] });
  applyTxn(tree, txn, observe);
  assert.deepEqual(seen, [
    { type: "setData", row: true, lengthBefore: 5, closed: [] },
    { type: "create", row: true, lengthBefore: -1, closed: [] },
    { type: "create", row: true, lengthBefore: -1, closed: [] },
    { type: "delete", row: false, lengthBefore: "/a/b".length, closed: [] },
    { type: "check", row: false, lengthBefore: -1, closed: [] },
  ]);

  seen.length = 0;
  applyTxn(tree, s.setData("/missing", Buffer.from("x"), 1), observe);
  applyTxn(tree, s.closeSession(0x55n, ["/gone", "/not-there"]), observe);
  assert.deepEqual(seen, [
    { type: "setData", row: false, lengthBefore: -1, closed: [] },
    { type: "closeSession", row: false, lengthBefore: -1, closed: [["/gone", 3]] },
  ]);
});

test("an empty multi replies with just the end marker and still moves the tree's zxid", () => {
  const s = new TxnScript(0x3_0000_0000n);
  const tree = baseTree(s);
  const txn = s.multi([]);
  const frame = buildWriteReply(tree, txn, origin({ op: "multi", ops: [] }), applyTxn(tree, txn));
  const r = new ByteReader(frame);
  r.int32();
  readReplyHeader(r);
  assert.deepEqual(readMultiResponse(r), []);
  assert.equal(tree.lastProcessedZxid, txn.header.zxid);
});
