/**
 * Error codes and the order in which the server checks them (shared/reference §4): when a request breaks
 * several rules at once, the first failing check in ZooKeeper's order decides the reply.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CreateFlag, Err, Perm } from "../../src/jute/index.js";
import type { ACL } from "../../src/jute/index.js";
import { OPEN_ACL_UNSAFE, ok } from "../helpers/raw-client.js";
import type { RawClient } from "../helpers/raw-client.js";
import { assertErr, useServer } from "./support.js";

const h = useServer();

const world = (perms: number): ACL[] => [{ perms, id: { scheme: "world", id: "anyone" } }];

/** A fresh node whose ACL grants everything except `denied`, with an existing child `kid`. */
async function lockedNode(c: RawClient, name: string, denied: number): Promise<string> {
  const path = h.freshPath(name);
  ok(await c.create(path));
  ok(await c.create(`${path}/kid`, "k"));
  ok(await c.create(`${path}/kid/grandkid`));
  ok(await c.setACL(path, world(Perm.ALL & ~denied)));
  return path;
}

test("create: invalid flags win over a missing parent", async () => {
  const c = await h.connect();
  assertErr(await c.create("/no-such-parent/x", null, { flags: 9 }), Err.BadArguments);
});

test("create: a bad TTL wins over a missing parent", async () => {
  const c = await h.connect();
  assertErr(await c.createTTL("/no-such-parent/x", null, 0n), Err.BadArguments);
});

test("create: a path without '/' is BadArguments before any lookup", async () => {
  const c = await h.connect();
  assertErr(await c.create("relative", null, { acl: [] }), Err.BadArguments);
});

test("create: InvalidACL wins over a missing parent", async () => {
  const c = await h.connect();
  assertErr(await c.create("/no-such-parent/x", null, { acl: [] }), Err.InvalidACL);
  assertErr(await c.create("/no-such-parent/x", null, { acl: null }), Err.InvalidACL);
});

test("create: a missing parent is NoNode even under a parent that denies CREATE", async () => {
  const c = await h.connect();
  const locked = await lockedNode(c, "create-nonode", Perm.CREATE);
  assertErr(await c.create(`${locked}/missing/x`), Err.NoNode);
});

test("create: NoAuth wins over NodeExists and over full path validation", async () => {
  const c = await h.connect();
  const locked = await lockedNode(c, "create-noauth", Perm.CREATE);
  assertErr(await c.create(`${locked}/kid`), Err.NoAuth, "existing child");
  assertErr(await c.create(`${locked}/.`), Err.NoAuth, "'.' segment is only checked after the ACL");
  assertErr(await c.create(`${locked}/new`), Err.NoAuth);
});

test("create: a child of an ephemeral is NoChildrenForEphemerals; re-creating the ephemeral is NodeExists", async () => {
  const c = await h.connect();
  const parent = h.freshPath("eph-parent");
  ok(await c.create(parent, null, { flags: CreateFlag.EPHEMERAL }));
  assertErr(await c.create(`${parent}/x`), Err.NoChildrenForEphemerals);
  assertErr(await c.create(parent), Err.NodeExists);
});

test("delete: BadArguments for '/' and built-ins before anything else", async () => {
  const c = await h.connect();
  assertErr(await c.delete("/", 12345), Err.BadArguments);
  assertErr(await c.delete("/zookeeper", 12345), Err.BadArguments);
  assertErr(await c.delete("relative"), Err.BadArguments);
});

test("delete: missing parent is NoNode; no DELETE on the parent wins over a missing node", async () => {
  const c = await h.connect();
  assertErr(await c.delete("/no-such-parent/x"), Err.NoNode);
  const locked = await lockedNode(c, "delete-noauth", Perm.DELETE);
  assertErr(await c.delete(`${locked}/missing`), Err.NoAuth, "NoAuth is checked on the parent before the node lookup");
  assertErr(await c.delete(`${locked}/kid`, 99), Err.NoAuth, "NoAuth before BadVersion");
});

test("delete: BadVersion wins over NotEmpty", async () => {
  const c = await h.connect();
  const parent = h.freshPath("delete-order");
  ok(await c.create(parent));
  ok(await c.create(`${parent}/child`));
  assertErr(await c.delete(parent, 5), Err.BadVersion);
  assertErr(await c.delete(parent, 0), Err.NotEmpty);
  assertErr(await c.delete(parent, -1), Err.NotEmpty);
});

test("delete: the node's own ACL is irrelevant", async () => {
  const c = await h.connect();
  const parent = h.freshPath("delete-own-acl");
  ok(await c.create(parent));
  ok(await c.create(`${parent}/x`, null, { acl: world(0) }));
  ok(await c.delete(`${parent}/x`));
});

test("setData: BadArguments (path) before NoNode; NoNode before NoAuth; NoAuth before BadVersion", async () => {
  const c = await h.connect();
  assertErr(await c.setData("/no-such/./x", "d"), Err.BadArguments);
  assertErr(await c.setData("/no-such-node-here", "d", 7), Err.NoNode);
  const locked = await lockedNode(c, "setdata-noauth", 0);
  ok(await c.setACL(`${locked}/kid`, world(Perm.ALL & ~Perm.WRITE)));
  assertErr(await c.setData(`${locked}/kid`, "d", 42), Err.NoAuth);
});

test("setACL: BadArguments (path) before InvalidACL before NoNode; NoAuth before BadVersion", async () => {
  const c = await h.connect();
  assertErr(await c.setACL("relative", []), Err.BadArguments);
  assertErr(await c.setACL("/no-such-node-here", []), Err.InvalidACL);
  assertErr(await c.setACL("/no-such-node-here", OPEN_ACL_UNSAFE), Err.NoNode);
  const path = h.freshPath("setacl-noauth");
  ok(await c.create(path, null, { acl: world(Perm.ALL & ~Perm.ADMIN) }));
  assertErr(await c.setACL(path, OPEN_ACL_UNSAFE, 42), Err.NoAuth);
});

test("reads: NoNode for missing nodes, NoAuth without READ", async () => {
  const c = await h.connect();
  assertErr(await c.getData("/no-such-node-here"), Err.NoNode);
  assertErr(await c.getChildren("/no-such-node-here"), Err.NoNode);
  assertErr(await c.getACL("/no-such-node-here"), Err.NoNode);
  const path = h.freshPath("read-noauth");
  ok(await c.create(path, "d", { acl: world(Perm.ALL & ~Perm.READ & ~Perm.ADMIN) }));
  assertErr(await c.getData(path), Err.NoAuth);
  assertErr(await c.getChildren(path), Err.NoAuth);
  assertErr(await c.getChildren2(path), Err.NoAuth);
  assertErr(await c.getAllChildrenNumber(path), Err.NoAuth);
  assertErr(await c.getACL(path), Err.NoAuth, "getACL needs READ or ADMIN");
});

test("check inside multi: NoNode, then NoAuth before BadVersion", async () => {
  const c = await h.connect();
  const path = h.freshPath("check-order");
  ok(await c.create(path, null, { acl: world(Perm.ALL & ~Perm.READ) }));
  const missing = ok(await c.multi([{ op: "check", path: `${path}-missing`, version: 3 }]));
  assert.deepEqual(missing, [{ type: -1, err: Err.NoNode }]);
  const noauth = ok(await c.multi([{ op: "check", path, version: 3 }]));
  assert.deepEqual(noauth, [{ type: -1, err: Err.NoAuth }]);
});

test("missing paths: sync succeeds, exists is NoNode", async () => {
  const c = await h.connect();
  ok(await c.sync("/no-such-node-here"));
  assertErr(await c.exists("/no-such-node-here"), Err.NoNode);
});
