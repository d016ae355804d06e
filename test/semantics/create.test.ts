/**
 * Node creation semantics (shared/reference §5, §12): create vs create2 replies, sequential suffixes, ephemeral,
 * container and TTL nodes, create flags per op code, path validation, null vs empty data, built-in znodes,
 * and the small read ops (sync, getEphemerals, getAllChildrenNumber).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AddWatchMode, CreateFlag, Err, EventType } from "../../src/jute/index.js";
import { RawClient, ok } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server-process.js";
import { SESSION_TIMEOUT_MS, assertErr, target, useServer } from "./support.js";

/** Small, so container/TTL sweeps happen within the test's patience. */
const CONTAINER_CHECK_INTERVAL_MS = 200;
/** Generous bound for a sweep to delete an eligible node (several check intervals). */
const SWEEP_WAIT_MS = 10_000;

const h = useServer({ "znode.container.checkIntervalMs": String(CONTAINER_CHECK_INTERVAL_MS) });

const TTL_MAX = (1n << 40n) - 1n;

test("create returns the path only; create2 returns path and a fresh Stat", async () => {
  const c = await h.connect();
  const path = h.freshPath("create");
  const created = await c.create(path, "abc");
  assert.equal(ok(created), path);
  const r2 = await c.create2(`${path}/child`, "hello");
  const { path: childPath, stat } = ok(r2);
  assert.equal(childPath, `${path}/child`);
  assert.equal(stat.czxid, r2.zxid, "czxid is the create txn's zxid, which is the reply zxid");
  assert.equal(stat.mzxid, r2.zxid);
  assert.equal(stat.pzxid, r2.zxid, "pzxid starts at czxid");
  assert.equal(stat.ctime, stat.mtime);
  assert.deepEqual(
    [stat.version, stat.cversion, stat.aversion, stat.ephemeralOwner, stat.dataLength, stat.numChildren],
    [0, 0, 0, 0n, 5, 0],
  );
});

test("create of an existing node is NodeExists; missing parent is NoNode", async () => {
  const c = await h.connect();
  const path = h.freshPath("exists");
  ok(await c.create(path));
  assertErr(await c.create(path), Err.NodeExists);
  assertErr(await c.create(`${path}/missing/child`), Err.NoNode);
});

test("null data reads back as null with dataLength 0; empty data as an empty buffer", async () => {
  const c = await h.connect();
  const nul = h.freshPath("null-data");
  const empty = h.freshPath("empty-data");
  ok(await c.create(nul, null));
  ok(await c.create(empty, Buffer.alloc(0)));
  const n = ok(await c.getData(nul));
  assert.equal(n.data, null, "GetDataResponse echoes null data as length -1");
  assert.equal(n.stat.dataLength, 0);
  const e = ok(await c.getData(empty));
  assert.deepEqual(e.data, Buffer.alloc(0));
  assert.equal(e.stat.dataLength, 0);
  const bytes = Buffer.from([0, 1, 2, 0xff, 0x80]);
  ok(await c.setData(nul, bytes));
  assert.deepEqual(ok(await c.getData(nul)).data, bytes, "binary data round-trips unchanged");
});

// ------------------------------------------------------------------ sequential

test("sequential suffix counts every child creation ever under the parent, never decremented", async () => {
  const c = await h.connect();
  const parent = h.freshPath("seq");
  ok(await c.create(parent));
  assert.equal(ok(await c.create(`${parent}/s-`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })), `${parent}/s-0000000000`);
  ok(await c.delete(`${parent}/s-0000000000`));
  assert.equal(ok(await c.create(`${parent}/s-`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })), `${parent}/s-0000000001`);
  ok(await c.create(`${parent}/plain`));
  assert.equal(
    ok(await c.create(`${parent}/x`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })),
    `${parent}/x0000000003`,
    "non-sequential creates count too",
  );
  const stat = ok(await c.exists(parent));
  assert.equal(stat.cversion, 5, "visible cversion = 4 creates + 1 delete");
  assert.equal(stat.numChildren, 3);
});

test("sequential name that already exists is NodeExists and does not advance the counter", async () => {
  const c = await h.connect();
  const parent = h.freshPath("seq-collide");
  ok(await c.create(parent));
  ok(await c.create(`${parent}/s-0000000001`));
  assertErr(await c.create(`${parent}/s-`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }), Err.NodeExists);
  assertErr(await c.create(`${parent}/s-`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }), Err.NodeExists);
  assert.equal(ok(await c.create(`${parent}/t-`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })), `${parent}/t-0000000001`);
});

test("a sequential create may end with '/': the name is just the suffix", async () => {
  const c = await h.connect();
  const parent = h.freshPath("seq-slash");
  ok(await c.create(parent));
  assert.equal(ok(await c.create(`${parent}/`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })), `${parent}/0000000000`);
  assertErr(await c.create(`${parent}/`), Err.BadArguments, "a non-sequential path must not end with '/'");
});

// ------------------------------------------------------------------ ephemeral

test("ephemeral nodes carry the owner session id and cannot have children", async () => {
  const c = await h.connect();
  const parent = h.freshPath("eph");
  ok(await c.create(parent));
  const eph = ok(await c.create2(`${parent}/e`, null, { flags: CreateFlag.EPHEMERAL }));
  assert.equal(eph.stat.ephemeralOwner, c.sessionId);
  assertErr(await c.create(`${parent}/e/child`), Err.NoChildrenForEphemerals);
  assertErr(await c.create(`${parent}/e/s-`, null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }), Err.NoChildrenForEphemerals);
  assertErr(await c.create(`${parent}/e`, null, { flags: CreateFlag.EPHEMERAL }), Err.NodeExists);
  const seq = ok(await c.create2(`${parent}/es-`, null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL }));
  assert.equal(seq.path, `${parent}/es-0000000001`);
  assert.equal(seq.stat.ephemeralOwner, c.sessionId);
});

test("ephemerals can be deleted by another session with DELETE on the parent", async () => {
  const owner = await h.connect();
  const other = await h.connect();
  const path = h.freshPath("eph-del");
  ok(await owner.create(path, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await other.delete(path));
  assertErr(await owner.exists(path), Err.NoNode);
});

test("getEphemerals lists only the caller's ephemerals, filtered by string prefix", async () => {
  const a = await h.connect();
  const b = await h.connect();
  const base = h.freshPath("geteph");
  ok(await a.create(base));
  ok(await a.create(`${base}/a1`, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await a.create(`${base}/a2`, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await a.create(`${base}/p`));
  ok(await b.create(`${base}/b1`, null, { flags: CreateFlag.EPHEMERAL }));
  assert.deepEqual(ok(await a.getEphemerals(base)).sort(), [`${base}/a1`, `${base}/a2`]);
  assert.deepEqual(ok(await a.getEphemerals(`${base}/a`)).sort(), [`${base}/a1`, `${base}/a2`]);
  assert.deepEqual(ok(await a.getEphemerals(`${base}/a1`)), [`${base}/a1`]);
  assert.deepEqual(ok(await b.getEphemerals("/")), [`${base}/b1`], "'/' lists all of the caller's ephemerals");
});

// ------------------------------------------------------------------ flags per op code

test("create flags outside 0..6 are BadArguments", async () => {
  const c = await h.connect();
  const parent = h.freshPath("flags");
  ok(await c.create(parent));
  for (const flags of [7, -1, 100]) {
    assertErr(await c.create(`${parent}/f`, null, { flags }), Err.BadArguments, `flags ${flags}`);
  }
});

test("TTL flags (5, 6) through create or create2 are BadArguments", async () => {
  const c = await h.connect();
  const parent = h.freshPath("ttl-flags");
  ok(await c.create(parent));
  assertErr(await c.create(`${parent}/t`, null, { flags: 5 }), Err.BadArguments);
  assertErr(await c.create2(`${parent}/t`, null, { flags: 6 }), Err.BadArguments);
});

test("op 1 with the container flag creates an ordinary persistent node; op 19 with flags 0 a container", async () => {
  const c = await h.connect();
  const parent = h.freshPath("container-flags");
  ok(await c.create(parent));
  const plain = ok(await c.create2(`${parent}/flag4`, null, { flags: CreateFlag.CONTAINER }));
  assert.equal(plain.path, `${parent}/flag4`);
  assert.equal(plain.stat.ephemeralOwner, 0n);
  const container = ok(await c.createContainer(`${parent}/c`, null, { flags: 0 }));
  assert.equal(container.path, `${parent}/c`);
  assert.equal(container.stat.ephemeralOwner, 0n, "containers show ephemeralOwner 0");
});

// ------------------------------------------------------------------ containers and TTL sweeps

/** Waits for NodeDeleted(path) on a client that has an exists watch on it. */
async function waitForDeletion(c: RawClient, path: string): Promise<void> {
  const n = await c.nextEvent(SWEEP_WAIT_MS);
  assert.deepEqual([n.event.type, n.event.path], [EventType.NodeDeleted, path]);
}

test("an emptied container is deleted by the sweep; never-used containers and flag-4 plain nodes are kept", async () => {
  const c = await h.connect();
  const watcher = await h.connect();
  const base = h.freshPath("containers");
  ok(await c.create(base));
  const used = `${base}/used`;
  const neverUsed = `${base}/never-used`;
  const plain = `${base}/plain-flag4`;
  ok(await c.createContainer(neverUsed));
  ok(await c.create(plain, null, { flags: CreateFlag.CONTAINER }));
  ok(await c.create(`${plain}/child`));
  ok(await c.delete(`${plain}/child`));
  ok(await c.createContainer(used));
  ok(await c.create(`${used}/child`));
  ok(await watcher.exists(used, true));
  ok(await c.delete(`${used}/child`));
  await waitForDeletion(watcher, used);
  // Both kept nodes existed, childless, before `used` was emptied, so the sweep that deleted it saw them too.
  ok(await c.exists(neverUsed), "a container that never had a child is kept");
  ok(await c.exists(plain), "op 1 with flags 4 is not a container");
});

test("a container with a child is kept; children can be created under containers", async () => {
  const c = await h.connect();
  const watcher = await h.connect();
  const base = h.freshPath("container-busy");
  ok(await c.create(base));
  const busy = `${base}/busy`;
  const emptied = `${base}/emptied`;
  ok(await c.createContainer(busy));
  ok(await c.create(`${busy}/a`));
  ok(await c.create(`${busy}/b`));
  ok(await c.delete(`${busy}/a`));
  ok(await c.createContainer(emptied));
  ok(await c.create(`${emptied}/x`));
  ok(await watcher.exists(emptied, true));
  ok(await c.delete(`${emptied}/x`));
  await waitForDeletion(watcher, emptied);
  assert.equal(ok(await c.exists(busy)).numChildren, 1);
});

test("a TTL node is deleted once its TTL has passed since the last modification", async () => {
  const c = await h.connect();
  const watcher = await h.connect();
  const base = h.freshPath("ttl");
  ok(await c.create(base));
  const path = `${base}/short`;
  const long = ok(await c.createTTL(`${base}/long`, null, TTL_MAX));
  assert.equal(long.stat.ephemeralOwner, 0n);
  // A persistent watch set before the create sees both the creation and the sweep, however fast the sweep is.
  assert.equal(ok(await watcher.addWatch(path, AddWatchMode.Persistent)), 0);
  const created = ok(await c.createTTL(path, "x", 1n));
  assert.equal(created.path, path);
  assert.equal(created.stat.ephemeralOwner, 0n, "TTL nodes show ephemeralOwner 0");
  const first = await watcher.nextEvent(SWEEP_WAIT_MS);
  assert.deepEqual([first.event.type, first.event.path], [EventType.NodeCreated, path]);
  await waitForDeletion(watcher, path);
  ok(await c.exists(`${base}/long`), "a TTL far in the future keeps the node");
});

test("createTTL: sequential TTL (flags 6) gets a suffix; bad TTLs and non-TTL flags are BadArguments", async () => {
  const c = await h.connect();
  const base = h.freshPath("ttl-args");
  ok(await c.create(base));
  assert.equal(ok(await c.createTTL(`${base}/s-`, null, 60_000n, { flags: 6 })).path, `${base}/s-0000000000`);
  for (const ttl of [0n, -1n, TTL_MAX + 1n]) {
    assertErr(await c.createTTL(`${base}/t`, null, ttl), Err.BadArguments, `ttl ${ttl}`);
  }
  for (const flags of [0, 1, 2, 4]) {
    assertErr(await c.createTTL(`${base}/t`, null, 1000n, { flags }), Err.BadArguments, `op 21 with flags ${flags}`);
  }
  ok(await c.createTTL(`${base}/max`, null, TTL_MAX), "the largest TTL is 2^40-1");
});

test("createTTL is Unimplemented when extended types are disabled", async () => {
  const server = await startServer(target, { cfg: { tickTime: "2000", extendedTypesEnabled: "false" } });
  try {
    const c = await RawClient.connect(server.host, server.port, { timeoutMs: SESSION_TIMEOUT_MS });
    try {
      assertErr(await c.createTTL("/ttl-disabled", null, 1000n), Err.Unimplemented);
      ok(await c.create("/plain-still-works"));
    } finally {
      c.destroy();
    }
  } finally {
    await server.stop();
  }
});

// ------------------------------------------------------------------ paths

test("path validation on create: BadArguments for malformed paths, after the parent checks", async () => {
  const c = await h.connect();
  const parent = h.freshPath("paths");
  ok(await c.create(parent));
  const bad = ["nope", "", `${parent}/.`, `${parent}/..`, `${parent}/a\u0000b`, `${parent}/\u0001`,
    `${parent}/\u007f`, `${parent}/\u009f`, `${parent}/\u{1F600}`, `${parent}/\ue000`, `${parent}/\ufff0`, `${parent}/\uffff`];
  for (const path of bad) {
    assertErr(await c.create(path), Err.BadArguments, `create ${JSON.stringify(path)}`);
  }
  // Full validation runs after the parent lookup, so a bad segment in the parent part is just a missing parent.
  assertErr(await c.create(`${parent}//x`), Err.NoNode, "empty segment: the parent path ends with '/' and does not exist");
  assertErr(await c.create(`${parent}/./x`), Err.NoNode, "'.' segment in the parent part");
  for (const good of [`${parent}/a.b`, `${parent}/...`, `${parent}/é ü`, `${parent}/\u00a0`, `${parent}/\ufeff`]) {
    assert.equal(ok(await c.create(good), `create ${JSON.stringify(good)}`), good);
  }
});

test("setData validates the path; read ops do not (they answer NoNode)", async () => {
  const c = await h.connect();
  assertErr(await c.setData("nope", "x"), Err.BadArguments);
  assertErr(await c.setData("/a/./b", "x"), Err.BadArguments);
  assertErr(await c.getData("nope"), Err.NoNode);
  assertErr(await c.getChildren("nope"), Err.NoNode);
  assertErr(await c.exists("nope"), Err.NoNode);
  assertErr(await c.exists("/a\u0000b"), Err.BadArguments, "exists checks for NUL");
});

// ------------------------------------------------------------------ built-in znodes

test("built-in znodes: /, /zookeeper, /zookeeper/quota, /zookeeper/config", async () => {
  const c = await h.connect();
  const root = ok(await c.getData("/"));
  assert.deepEqual([root.stat.czxid, root.stat.mzxid, root.stat.ctime, root.stat.mtime], [0n, 0n, 0n, 0n]);
  const zk = ok(await c.getData("/zookeeper"));
  assert.equal(zk.stat.numChildren, 2);
  assert.equal(zk.stat.cversion, -2, "0 creates recorded, 2 built-in children");
  assert.deepEqual(ok(await c.getChildren("/zookeeper")).sort(), ["config", "quota"]);
  const config = ok(await c.getData("/zookeeper/config"));
  assert.deepEqual(config.data, Buffer.alloc(0), "standalone config is empty, not null");
  assert.equal(config.stat.aversion, -1);
  const open = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
  assert.deepEqual(ok(await c.getACL("/zookeeper")).acl, open);
  assert.deepEqual(ok(await c.getACL("/zookeeper/quota")).acl, open);
  assert.deepEqual(ok(await c.getACL("/zookeeper/config")).acl, [{ perms: 1, id: { scheme: "world", id: "anyone" } }]);
  assertErr(await c.setData("/zookeeper/config", "x"), Err.NoAuth);
});

test("deleting /, /zookeeper, /zookeeper/quota or /zookeeper/config is BadArguments", async () => {
  const c = await h.connect();
  for (const path of ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]) {
    assertErr(await c.delete(path), Err.BadArguments, `delete ${path}`);
  }
});

test("children can be created under /zookeeper", async () => {
  const c = await h.connect();
  const path = `/zookeeper${h.freshPath("user-child")}`;
  ok(await c.create(path));
  ok(await c.delete(path));
});

// ------------------------------------------------------------------ small read ops

test("sync echoes the path and never checks it", async () => {
  const c = await h.connect();
  assert.equal(ok(await c.sync("/does/not/exist")), "/does/not/exist");
  assert.equal(ok(await c.sync("garbage")), "garbage");
});

test("getAllChildrenNumber counts all descendants, not the node itself", async () => {
  const c = await h.connect();
  const base = h.freshPath("count");
  ok(await c.create(base));
  assert.equal(ok(await c.getAllChildrenNumber(base)), 0);
  ok(await c.create(`${base}/a`));
  ok(await c.create(`${base}/a/b`));
  ok(await c.create(`${base}/a/b/c`));
  ok(await c.create(`${base}/d`));
  assert.equal(ok(await c.getAllChildrenNumber(base)), 4);
  assert.equal(ok(await c.getAllChildrenNumber("/zookeeper")), 2);
  assertErr(await c.getAllChildrenNumber(`${base}/missing`), Err.NoNode);
});

test("getChildren and getChildren2 list names, not paths", async () => {
  const c = await h.connect();
  const base = h.freshPath("children");
  ok(await c.create(base));
  for (const name of ["x", "y", "z"]) ok(await c.create(`${base}/${name}`));
  assert.deepEqual(ok(await c.getChildren(base)).sort(), ["x", "y", "z"]);
  const r = ok(await c.getChildren2(base));
  assert.deepEqual(r.children.sort(), ["x", "y", "z"]);
  assert.equal(r.stat.numChildren, 3);
  assert.equal(r.stat.cversion, 3);
  assertErr(await c.getChildren2(`${base}/missing`), Err.NoNode);
});
