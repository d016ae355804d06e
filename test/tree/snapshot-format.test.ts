/**
 * Snapshot format pinning (src/tree/snapshot-codec.ts): format 2 output must stay byte-identical for the same
 * tree whatever the tree's in-memory layout is (a golden hash taken from the writer before the byte arena, and
 * an independent re-implementation of the format from the public API); loading gives back the same tree,
 * child order included, so writing it again gives the same bytes; format 1 still loads; records out of
 * pre-order still load; malformed records are decode errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ByteWriter, DecodeError } from "../../src/base/bytes.js";
import { Perm } from "../../src/jute/codes.js";
import { writeACL, type ACL } from "../../src/jute/records.js";
import { CONTAINER_OWNER, DataTree, ttlOwner, type DataTreeOptions } from "../../src/tree/data-tree.js";
import { restoreSnapshot, serializeSnapshot } from "../../src/tree/snapshot-codec.js";
import { applyAll, assertSameTree, TxnScript } from "../unit/tree-support.js";

const READ_ONLY: ACL[] = [{ perms: Perm.READ, id: { scheme: "world", id: "anyone" } }];
const DIGEST: ACL[] = [{ perms: Perm.ALL, id: { scheme: "digest", id: "bob:aYXlLOpEooaV1cRAvUL1fp9Qt7E=" } }];

/** A deterministic tree with every shape the codec must carry: null/empty/binary/large data, odd names, owners. */
function goldenTree(options: DataTreeOptions = {}): DataTree {
  const s = new TxnScript(0x500000000n);
  s.create("/app", { data: null });
  s.create("/app/cfg", { data: Buffer.from([0, 1, 2, 255, 128]), acl: DIGEST });
  s.setData("/app/cfg", Buffer.from("v1"), 1);
  s.setACL("/app/cfg", READ_ONLY, 1);
  s.create("/app/e", { ephemeralOwner: 0x0100000447740000n });
  s.create("/app/c", { ephemeralOwner: CONTAINER_OWNER });
  s.create("/app/c/k", { data: Buffer.alloc(0) });
  s.create("/app/t", { ephemeralOwner: ttlOwner(1000n) });
  s.create("/\u4e2d\u6587", { data: Buffer.from("\u00e9\u00e8") });
  s.create("/\u4e2d\u6587/\u00e9t\u00e9-\ud83d\ude00");
  s.create(`/long-${"x".repeat(300)}`, { data: Buffer.alloc(300_000, 0xab) });
  s.create("/wide");
  for (let i = 0; i < 50; i++) s.create(`/wide/n${i}`, { data: Buffer.from(`value ${i}`) });
  for (let i = 0; i < 50; i += 3) s.delete(`/wide/n${i}`);
  for (let i = 0; i < 10; i++) s.setData(`/wide/n${i * 3 + 1}`, i % 2 === 0 ? null : Buffer.alloc(i * 40, i), 1);
  s.setData("/zookeeper/config", Buffer.from("server.1=127.0.0.1:2888:3888"), 1);
  s.create("/zookeeper/quota/app");
  return applyAll(new DataTree(options), s.txns);
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function serialized(tree: DataTree): Buffer {
  return Buffer.concat([...serializeSnapshot(tree, [{ id: 0x0100000447740000n, timeoutMs: 30000 }])]);
}

test("format 2 output is byte-identical to the writer of before the byte arena (golden hash)", () => {
  assert.equal(sha256(serialized(goldenTree())), GOLDEN_SHA256);
});

const SESSIONS = [{ id: 0x0100000447740000n, timeoutMs: 30000 }];

/**
 * Format 2 written from the public API only, in the writer's order (a stack: children pushed first to last):
 * header, then per node an ACL record the first time its ACL list is seen and a node record, then the end tag.
 */
function referenceFormat2(tree: DataTree, order = preOrder(tree)): Buffer {
  const w = new ByteWriter();
  w.int32(2).int64(tree.lastProcessedZxid).int32(tree.nodeCount()).int32(SESSIONS.length);
  for (const s of SESSIONS) w.int64(s.id).int32(s.timeoutMs);
  const written = new Set<number>();
  for (const path of order) {
    const node = tree.get(path)!;
    const aclId = tree.aclId(node.acl);
    if (!written.has(aclId)) {
      w.uint8(1).int32(aclId).vector(node.acl, writeACL);
      written.add(aclId);
    }
    w.uint8(2).ustring(path).buffer(node.data).int32(aclId);
    w.int64(node.czxid).int64(node.mzxid).int64(BigInt(node.ctime)).int64(BigInt(node.mtime));
    w.int32(node.version).int32(node.createCount).int32(node.aversion).int64(node.ephemeralOwner).int64(node.pzxid);
  }
  w.uint8(0);
  return w.toBuffer();
}

function preOrder(tree: DataTree): string[] {
  const order: string[] = [];
  const stack = ["/"];
  while (stack.length > 0) {
    const path = stack.pop()!;
    order.push(path);
    for (const name of tree.get(path)!.children ?? []) stack.push(path === "/" ? `/${name}` : `${path}/${name}`);
  }
  return order;
}

function restored(bytes: Buffer, options: DataTreeOptions = {}): DataTree {
  const tree = new DataTree(options);
  restoreSnapshot(bytes, tree);
  return tree;
}

/** Child lists of every node, in order (assertSameTree compares them sorted). */
function childOrder(tree: DataTree): Map<string, string[]> {
  return new Map([...tree.paths()].map((p) => [p, [...(tree.get(p)!.children ?? [])]]));
}

test("format 2 output equals a reference writer built on the public API", () => {
  const tree = goldenTree();
  assert.deepEqual(serialized(tree), referenceFormat2(tree));
});

test("load → write gives the same bytes, and the same child order as the tree written", () => {
  for (const options of [{}, { arena: { chunkBytes: 4096 } }, { pathHashMask: 0x1 }]) {
    const tree = goldenTree();
    const bytes = serialized(tree);
    const back = restored(bytes, options);
    assertSameTree(back, tree);
    assert.deepEqual(childOrder(back), childOrder(tree), "children keep their order through a restart");
    assert.deepEqual(serialized(back), bytes);
    assert.equal(back.nodeCount(), tree.nodeCount());
    assert.deepEqual(back.get("/wide/n4")!.data, Buffer.alloc(40, 1));
    assert.equal(back.get("/wide/n1")!.data, null);
    assert.deepEqual(back.get("/app/c/k")!.data, Buffer.alloc(0));
  }
});

test("records out of pre-order load (parents looked up by path); a child before its parent is an error", () => {
  const tree = goldenTree();
  const order = preOrder(tree);
  // Move one subtree's records after everything else: its parent is no longer on the ancestor stack.
  const moved = order.filter((p) => p.startsWith("/app/c"));
  const shuffled = [...order.filter((p) => !p.startsWith("/app/c")), ...moved];
  assertSameTree(restored(referenceFormat2(tree, shuffled)), tree);
  const orphanFirst = ["/", "/app/c/k", ...order.filter((p) => p !== "/" && p !== "/app/c/k")];
  assert.throws(() => restored(referenceFormat2(tree, orphanFirst)), DecodeError);
});

test("malformed format 2 records are decode errors", () => {
  const bytes = serialized(goldenTree());
  for (const cut of [20, 40, 100, 1000, bytes.length - 1]) {
    assert.throws(() => restored(bytes.subarray(0, cut)), DecodeError, `cut at ${cut}`);
  }
  const relative = Buffer.from(bytes);
  const at = relative.indexOf(Buffer.from("\0\0\0\x04/app")); // the path of /app's record
  relative[at + 4] = "x".charCodeAt(0);
  assert.throws(() => restored(relative), DecodeError);
});

/** Format 1 (before ACL records): every node with its own ACL list, ended by a null path. */
function format1(tree: DataTree): Buffer {
  const w = new ByteWriter();
  w.int32(1).int64(tree.lastProcessedZxid).int32(SESSIONS.length);
  for (const s of SESSIONS) w.int64(s.id).int32(s.timeoutMs);
  for (const path of preOrder(tree)) {
    const node = tree.get(path)!;
    w.ustring(path).buffer(node.data).vector(node.acl, writeACL);
    w.int64(node.czxid).int64(node.mzxid).int64(BigInt(node.ctime)).int64(BigInt(node.mtime));
    w.int32(node.version).int32(node.createCount).int32(node.aversion).int64(node.ephemeralOwner).int64(node.pzxid);
  }
  w.ustring(null);
  return w.toBuffer();
}

test("format 1 still loads, and writes back as format 2", () => {
  const tree = goldenTree();
  const back = restored(format1(tree));
  assertSameTree(back, tree);
  assert.equal(back.lastProcessedZxid, tree.lastProcessedZxid);
  assert.equal(serialized(back).readInt32BE(0), 2);
});

const GOLDEN_SHA256 = "99d6f35cb9dbfc90fde043a0d8706db564a381f57d5312c207a3ccab8cdff784";
