/**
 * DataTree.writeStat writes a row's Stat straight from the columns for every reply (getData, exists, setData,
 * create2): it must give exactly the bytes of writeStat(statOf(node)) for every kind of node. And the write
 * path's touchedRow / touchedLengthBefore must name the row and old data length each txn kind leaves.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../../src/base/bytes.js";
import { Perm } from "../../src/jute/codes.js";
import { writeStat } from "../../src/jute/records.js";
import { CONTAINER_OWNER, DataTree, ttlOwner } from "../../src/tree/data-tree.js";
import { NO_ROW } from "../../src/tree/node-store.js";
import type { TxnHeader } from "../../src/tree/txn.js";
import { OPEN, TxnScript } from "../unit/tree-support.js";

function statBytesBothWays(tree: DataTree, path: string): [string, string] {
  const node = tree.get(path);
  assert.ok(node, `${path} exists`);
  const direct = new ByteWriter(16);
  tree.writeStat(direct, node.row);
  const viaObject = new ByteWriter(16);
  writeStat(viaObject, tree.statOf(node));
  return [direct.toBuffer().toString("hex"), viaObject.toBuffer().toString("hex")];
}

test("writeStat gives the bytes of statOf for plain, modified, ephemeral, container, TTL and parent nodes", () => {
  const s = new TxnScript(0x5_0000_0000n);
  const tree = new DataTree();
  const apply = (t: { header: TxnHeader; body: Parameters<DataTree["applyTxn"]>[1] }) => tree.applyTxn(t.header, t.body);
  apply(s.create("/plain"));
  apply(s.create("/nulldata", { data: null }));
  apply(s.create("/eph", { ephemeralOwner: 0x1234_5678_9abc_def0n }));
  apply(s.create("/negeph", { ephemeralOwner: -2n }));
  apply(s.create("/container", { ephemeralOwner: CONTAINER_OWNER }));
  apply(s.create("/ttl", { ephemeralOwner: ttlOwner(0xff_ffff_ffffn) }));
  apply(s.create("/parent"));
  for (let i = 0; i < 5; i++) apply(s.create(`/parent/c${i}`));
  apply(s.delete("/parent/c2"));
  apply(s.setData("/plain", Buffer.alloc(300, 7), 1));
  apply(s.setACL("/plain", [{ perms: Perm.READ, id: { scheme: "world", id: "anyone" } }], 1));
  apply(s.setData("/nulldata", null, 1));
  // A ctime before 1970 and one past 2^32 ms: both halves of the int64 matter.
  const old = { ...s.create("/old") };
  tree.applyTxn({ ...old.header, timeMs: -86_400_000 }, old.body);
  const late = { ...s.create("/late") };
  tree.applyTxn({ ...late.header, timeMs: 2 ** 41 + 12345 }, late.body);
  for (const path of ["/", "/zookeeper", "/zookeeper/config", "/plain", "/nulldata", "/eph", "/negeph", "/container", "/ttl", "/parent", "/parent/c4", "/old", "/late"]) {
    const [direct, viaObject] = statBytesBothWays(tree, path);
    assert.equal(direct, viaObject, `Stat bytes of ${path}`);
  }
});

test("touchedRow and touchedLengthBefore name what each txn kind touched", () => {
  const s = new TxnScript();
  const tree = new DataTree();
  const apply = (t: { header: TxnHeader; body: Parameters<DataTree["applyTxn"]>[1] }) => tree.applyTxn(t.header, t.body);

  apply(s.create("/a", { data: Buffer.alloc(10) }));
  assert.equal(tree.touchedRow, tree.rowOf("/a"), "create: the new row");
  assert.equal(tree.touchedLengthBefore, -1);

  apply(s.setData("/a", Buffer.alloc(25), 1));
  assert.equal(tree.touchedRow, tree.rowOf("/a"), "setData: the row");
  assert.equal(tree.touchedLengthBefore, 10, "setData: the old length");

  apply(s.setData("/missing", Buffer.alloc(1), 1));
  assert.equal(tree.touchedRow, NO_ROW, "setData of a missing node: none");
  assert.equal(tree.touchedLengthBefore, -1);

  apply(s.setACL("/a", OPEN, 1));
  assert.equal(tree.touchedRow, tree.rowOf("/a"), "setACL: the row");

  apply(s.delete("/a"));
  assert.equal(tree.touchedRow, NO_ROW, "delete: gone");
  assert.equal(tree.touchedLengthBefore, 25, "delete: the old length");

  apply(s.create("/n", { data: null }));
  apply(s.delete("/n"));
  assert.equal(tree.touchedLengthBefore, 0, "null data counts as 0 bytes");

  apply(s.error(-101));
  assert.equal(tree.touchedRow, NO_ROW, "other txns touch nothing");
  assert.equal(tree.touchedLengthBefore, -1);
});
