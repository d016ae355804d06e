/**
 * Stat bookkeeping (shared/reference §6): what each write does to the node's and its parent's Stat, version
 * checks, and the zxids carried by replies.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CreateFlag, Err } from "../../src/jute/index.js";
import type { Stat } from "../../src/jute/index.js";
import { ok } from "../helpers/raw-client.js";
import type { RawClient } from "../helpers/raw-client.js";
import { assertErr, useServer } from "./support.js";

const h = useServer();
const OPEN = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];

async function stat(c: RawClient, path: string): Promise<Stat> {
  return ok(await c.exists(path), `exists ${path}`);
}

test("creating a child: parent cversion +1, numChildren +1, pzxid = child czxid; mzxid/version untouched", async () => {
  const c = await h.connect();
  const parent = h.freshPath("parent-create");
  ok(await c.create(parent, "d"));
  const before = await stat(c, parent);
  assert.equal(before.pzxid, before.czxid, "pzxid starts at czxid");
  const child = ok(await c.create2(`${parent}/a`));
  const after = await stat(c, parent);
  assert.deepEqual(after, {
    ...before,
    cversion: before.cversion + 1,
    numChildren: before.numChildren + 1,
    pzxid: child.stat.czxid,
  });
});

test("deleting a child: parent cversion +1 (creates + deletes), numChildren -1, pzxid = delete zxid", async () => {
  const c = await h.connect();
  const parent = h.freshPath("parent-delete");
  ok(await c.create(parent));
  ok(await c.create(`${parent}/a`));
  const before = await stat(c, parent);
  const del = await c.delete(`${parent}/a`);
  ok(del);
  const after = await stat(c, parent);
  assert.deepEqual(after, { ...before, cversion: 2, numChildren: 0, pzxid: del.zxid });
});

test("setData and setACL on a child do not touch the parent", async () => {
  const c = await h.connect();
  const parent = h.freshPath("parent-untouched");
  ok(await c.create(parent));
  ok(await c.create(`${parent}/a`));
  const before = await stat(c, parent);
  ok(await c.setData(`${parent}/a`, "new data"));
  ok(await c.setACL(`${parent}/a`, [{ perms: 31, id: { scheme: "world", id: "anyone" } }]));
  ok(await c.create(`${parent}/a/grandchild`));
  ok(await c.delete(`${parent}/a/grandchild`));
  assert.deepEqual(await stat(c, parent), before, "grandchild changes do not reach the grandparent either");
});

test("setData: version +1, mzxid/mtime updated, czxid/ctime kept; identical data still bumps the version", async () => {
  const c = await h.connect();
  const path = h.freshPath("setdata");
  const created = ok(await c.create2(path, "one"));
  const r1 = await c.setData(path, "three");
  const s1 = ok(r1);
  assert.equal(s1.version, 1);
  assert.equal(s1.mzxid, r1.zxid, "mzxid is the setData txn's zxid, which is the reply zxid");
  assert.equal(s1.czxid, created.stat.czxid);
  assert.equal(s1.ctime, created.stat.ctime);
  assert.ok(s1.mtime >= created.stat.mtime);
  assert.equal(s1.dataLength, 5);
  assert.equal(s1.pzxid, created.stat.pzxid, "pzxid only follows child changes");
  const s2 = ok(await c.setData(path, "three"));
  assert.equal(s2.version, 2);
  assert.ok(s2.mzxid > s1.mzxid);
  const s3 = ok(await c.setData(path, null));
  assert.equal(s3.dataLength, 0);
  assert.deepEqual(await stat(c, path), s3, "the setData reply Stat is the node's Stat");
});

test("setData version check: matching or -1 succeeds, anything else is BadVersion", async () => {
  const c = await h.connect();
  const path = h.freshPath("setdata-version");
  ok(await c.create(path));
  assertErr(await c.setData(path, "x", 1), Err.BadVersion);
  assert.equal(ok(await c.setData(path, "x", 0)).version, 1);
  assertErr(await c.setData(path, "x", 0), Err.BadVersion);
  assert.equal(ok(await c.setData(path, "x", -1)).version, 2);
  assert.equal((await stat(c, path)).version, 2, "failed setData changed nothing");
});

test("setACL: aversion +1, data version/mzxid/mtime unchanged; the version argument checks aversion", async () => {
  const c = await h.connect();
  const path = h.freshPath("setacl");
  ok(await c.create(path, "d"));
  ok(await c.setData(path, "e"));
  const before = await stat(c, path);
  assert.equal(before.version, 1);
  assertErr(await c.setACL(path, OPEN, 1), Err.BadVersion, "version 1 is the data version, not the aversion");
  const s1 = ok(await c.setACL(path, OPEN, 0));
  assert.deepEqual(s1, { ...before, aversion: 1 });
  const s2 = ok(await c.setACL(path, OPEN, -1));
  assert.equal(s2.aversion, 2);
  assertErr(await c.setACL(`${path}-missing`, OPEN), Err.NoNode);
});

test("delete version check: BadVersion unless -1 or equal to the data version", async () => {
  const c = await h.connect();
  const path = h.freshPath("delete-version");
  ok(await c.create(path));
  ok(await c.setData(path, "x"));
  assertErr(await c.delete(path, 0), Err.BadVersion);
  assertErr(await c.delete(path, 2), Err.BadVersion);
  ok(await c.delete(path, 1));
  assertErr(await c.delete(path), Err.NoNode);
});

test("exists, getData and getChildren2 report the same Stat", async () => {
  const c = await h.connect();
  const path = h.freshPath("same-stat");
  ok(await c.create(path, "abc"));
  ok(await c.create(`${path}/k`));
  const s = await stat(c, path);
  assert.deepEqual(ok(await c.getData(path)).stat, s);
  assert.deepEqual(ok(await c.getChildren2(path)).stat, s);
  assert.deepEqual(ok(await c.getACL(path)).stat, s);
});

test("ephemerals removed by closeSession bump the parent's pzxid to the closeSession zxid", async () => {
  const owner = await h.connect();
  const observer = await h.connect();
  const parent = h.freshPath("close-pzxid");
  ok(await observer.create(parent));
  ok(await owner.create(`${parent}/e1`, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await owner.create(`${parent}/e2`, null, { flags: CreateFlag.EPHEMERAL }));
  const before = await stat(observer, parent);
  const closed = await owner.close();
  ok(closed);
  const after = await stat(observer, parent);
  assert.equal(after.numChildren, 0);
  assert.equal(after.pzxid, closed.zxid, "both ephemerals were deleted by the one closeSession txn");
  assert.equal(after.cversion, before.cversion + 2);
});

test("reply zxids: a write's reply carries its txn zxid; reads carry the last processed zxid; never decreasing", async () => {
  const c = await h.connect();
  const path = h.freshPath("zxids");
  const seen: bigint[] = [];
  const created = await c.create2(path);
  seen.push(created.zxid);
  assert.equal(ok(created).stat.czxid, created.zxid);
  const read = await c.getData(path);
  seen.push(read.zxid);
  assert.equal(read.zxid, created.zxid, "no other write happened in between");
  const failed = await c.create(path);
  assertErr(failed, Err.NodeExists);
  seen.push(failed.zxid);
  const set = await c.setData(path, "x");
  seen.push(set.zxid);
  assert.ok(set.zxid > created.zxid);
  assert.equal(ok(set).mzxid, set.zxid);
  seen.push((await c.ping()).zxid);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! >= seen[i - 1]!, `zxids never go backwards: ${seen.join(", ")}`);
});
