/**
 * ACLs and authentication (shared/reference §8): the world, auth, digest, ip and super schemes, which
 * permission each op needs on which node, ACL validation, getACL masking, auth packets and AuthFailed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Err, Perm } from "../../src/jute/index.js";
import type { ACL } from "../../src/jute/index.js";
import { RawClient, ok, withTimeout } from "../helpers/raw-client.js";
import { SESSION_TIMEOUT_MS, SUPER_DIGEST_CFG, SUPER_PASSWORD, assertErr, isHerd, useServer } from "./support.js";

const h = useServer(SUPER_DIGEST_CFG);

const world = (perms: number): ACL[] => [{ perms, id: { scheme: "world", id: "anyone" } }];
const digestId = (userPassword: string) =>
  `${userPassword.slice(0, userPassword.indexOf(":"))}:${createHash("sha1").update(userPassword).digest("base64")}`;
const digest = (perms: number, userPassword: string): ACL => ({ perms, id: { scheme: "digest", id: digestId(userPassword) } });

test("digest ids are user:base64(sha1(user:password))", () => {
  assert.equal(digestId("alice:secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
});

test("ACL validation: world id must be anyone; empty/null list, unknown scheme, malformed ids are InvalidACL", async () => {
  const c = await h.connect();
  const base = h.freshPath("acl-validation");
  ok(await c.create(base));
  const invalid: (ACL[] | null)[] = [
    [],
    null,
    [{ perms: 31, id: { scheme: "world", id: "someone" } }],
    [{ perms: 31, id: { scheme: "nosuchscheme", id: "x" } }],
    [{ perms: 31, id: { scheme: "digest", id: "nocolon" } }],
    [{ perms: 31, id: { scheme: "ip", id: "1.2.3" } }],
    [{ perms: 31, id: { scheme: "ip", id: "127.0.0.1/33" } }],
    [{ perms: 31, id: { scheme: "auth", id: "" } }],
  ];
  for (const acl of invalid) {
    assertErr(await c.create(`${base}/x`, null, { acl }), Err.InvalidACL, `create with ${JSON.stringify(acl)}`);
  }
  ok(await c.create(`${base}/ok`));
  for (const acl of invalid) {
    assertErr(await c.setACL(`${base}/ok`, acl), Err.InvalidACL, `setACL with ${JSON.stringify(acl)}`);
  }
});

test("the 'auth' scheme needs an authenticated identity; the ip identity does not count", async () => {
  const c = await h.connect();
  ok(await c.auth("ip", "127.0.0.1"), "ip auth packets succeed");
  const path = h.freshPath("auth-no-identity");
  assertErr(await c.create(path, null, { acl: [{ perms: 31, id: { scheme: "auth", id: "" } }] }), Err.InvalidACL);
});

test("the 'auth' scheme expands to every digest identity of the caller, keeping the perms", async () => {
  const c = await h.connect();
  ok(await c.auth("digest", "alice:secret"));
  ok(await c.auth("digest", "bob:pw"));
  const path = h.freshPath("auth-expand");
  const perms = Perm.READ | Perm.CREATE | Perm.ADMIN;
  ok(await c.create(path, null, { acl: [{ perms, id: { scheme: "auth", id: "ignored" } }] }));
  const created = ok(await c.getACL(path)).acl;
  assert.deepEqual(created, [digest(perms, "alice:secret"), digest(perms, "bob:pw")], "ADMIN lets getACL show the digests");
  ok(await c.setACL(path, [{ perms: Perm.ALL, id: { scheme: "auth", id: "" } }]));
  assert.deepEqual(ok(await c.getACL(path)).acl, [digest(Perm.ALL, "alice:secret"), digest(Perm.ALL, "bob:pw")]);
});

test("digest ACL: only the matching identity gets access", async () => {
  const alice = await h.connect();
  const bob = await h.connect();
  const anon = await h.connect();
  ok(await alice.auth("digest", "alice:secret"));
  ok(await bob.auth("digest", "bob:pw"));
  const path = h.freshPath("digest");
  ok(await alice.create(path, "secret data", { acl: [digest(Perm.ALL, "alice:secret")] }));
  assert.deepEqual(ok(await alice.getData(path)).data, Buffer.from("secret data"));
  assertErr(await bob.getData(path), Err.NoAuth);
  assertErr(await anon.getData(path), Err.NoAuth);
  assertErr(await anon.setData(path, "x"), Err.NoAuth);
  ok(await alice.setData(path, "new"));
});

test("digest auth never fails: any string becomes an identity", async () => {
  const c = await h.connect();
  ok(await c.auth("digest", "nocolon"));
  ok(await c.ping(), "the connection stays open");
  const who = ok(await c.whoAmI());
  assert.ok(who.some((i) => i.authScheme === "digest" && i.user === "nocolon"), JSON.stringify(who));
});

test("identities accumulate on the connection; whoAmI lists them with the ip identity", async () => {
  const c = await h.connect();
  assert.deepEqual(ok(await c.whoAmI()), [{ authScheme: "ip", user: "127.0.0.1" }]);
  ok(await c.auth("digest", "alice:secret"));
  const who = ok(await c.whoAmI());
  assert.deepEqual(
    [...who].sort((a, b) => a.authScheme.localeCompare(b.authScheme)),
    [{ authScheme: "digest", user: "alice" }, { authScheme: "ip", user: "127.0.0.1" }],
  );
});

test("ip ACL: exact address and prefix match the client; other networks do not", async () => {
  const c = await h.connect();
  const base = h.freshPath("ip");
  ok(await c.create(base));
  const ip = (id: string): ACL[] => [{ perms: Perm.ALL, id: { scheme: "ip", id } }];
  for (const [name, id, allowed] of [["exact", "127.0.0.1", true], ["prefix", "127.0.0.0/8", true], ["other", "10.0.0.0/8", false], ["other-host", "10.1.2.3", false]] as const) {
    ok(await c.create(`${base}/${name}`, "d", { acl: ip(id) }));
    assertErr(await c.getData(`${base}/${name}`), allowed ? Err.OK : Err.NoAuth, `ip ACL ${id}`);
  }
});

test("duplicate ACL entries are removed; different perms for the same id are kept", async () => {
  const c = await h.connect();
  const path = h.freshPath("dedupe");
  ok(await c.create(path, null, { acl: [...world(31), ...world(31), ...world(1)] }));
  assert.deepEqual(ok(await c.getACL(path)).acl, [...world(31), ...world(1)]);
});

test("CREATE is checked on the parent", async () => {
  const c = await h.connect();
  const parent = h.freshPath("perm-create");
  ok(await c.create(parent, null, { acl: world(Perm.ALL & ~Perm.CREATE) }));
  assertErr(await c.create(`${parent}/x`), Err.NoAuth);
  ok(await c.setACL(parent, world(Perm.CREATE)));
  ok(await c.create(`${parent}/x`, null, { acl: world(0) }), "CREATE alone suffices");
});

test("DELETE is checked on the parent, not the node", async () => {
  const c = await h.connect();
  const parent = h.freshPath("perm-delete");
  ok(await c.create(parent));
  ok(await c.create(`${parent}/x`, null, { acl: world(0) }));
  ok(await c.create(`${parent}/y`, null, { acl: world(Perm.ALL) }));
  ok(await c.delete(`${parent}/x`), "a node with no permissions can be deleted");
  ok(await c.setACL(parent, world(Perm.ALL & ~Perm.DELETE)));
  assertErr(await c.delete(`${parent}/y`), Err.NoAuth, "a node with all permissions cannot, if the parent denies DELETE");
});

test("setData needs WRITE, setACL needs ADMIN, reads need READ", async () => {
  const c = await h.connect();
  const base = h.freshPath("perm-node");
  ok(await c.create(base));
  ok(await c.create(`${base}/w`, "d", { acl: world(Perm.WRITE) }));
  ok(await c.setData(`${base}/w`, "e"));
  assertErr(await c.getData(`${base}/w`), Err.NoAuth);
  assertErr(await c.setACL(`${base}/w`, world(Perm.ALL)), Err.NoAuth);
  ok(await c.create(`${base}/a`, "d", { acl: world(Perm.ADMIN) }));
  assertErr(await c.setData(`${base}/a`, "e"), Err.NoAuth);
  ok(await c.setACL(`${base}/a`, world(Perm.READ)));
  assert.deepEqual(ok(await c.getData(`${base}/a`)).data, Buffer.from("d"));
  assert.deepEqual(ok(await c.getChildren(`${base}/a`)), []);
});

test("getACL needs READ or ADMIN; without ADMIN digest ids are masked to user:x", async () => {
  const owner = await h.connect();
  ok(await owner.auth("digest", "alice:secret"));
  const base = h.freshPath("getacl");
  ok(await owner.create(base));
  const readOnly = [digest(Perm.READ, "alice:secret"), ...world(Perm.READ)];
  ok(await owner.create(`${base}/r`, null, { acl: readOnly }));
  const masked = [{ perms: Perm.READ, id: { scheme: "digest", id: "alice:x" } }, ...world(Perm.READ)];
  assert.deepEqual(ok(await owner.getACL(`${base}/r`)).acl, masked, "even the owner lacks ADMIN here");
  const withAdmin = [digest(Perm.READ, "alice:secret"), ...world(Perm.ADMIN)];
  ok(await owner.create(`${base}/a`, null, { acl: withAdmin }));
  assert.deepEqual(ok(await owner.getACL(`${base}/a`)).acl, withAdmin, "ADMIN alone allows getACL, unmasked");
  ok(await owner.create(`${base}/none`, null, { acl: world(Perm.WRITE) }));
  assertErr(await owner.getACL(`${base}/none`), Err.NoAuth);
});

test("exists does no READ check in 3.8.0; Herd follows 3.8.4+/3.9.2 and answers NoAuth", async () => {
  const c = await h.connect();
  const path = h.freshPath("exists-read");
  ok(await c.create(path, "d", { acl: world(Perm.ALL & ~Perm.READ) }));
  const r = await c.exists(path);
  // ZOOKEEPER-2590: 3.8.0 (the reference binary) returns the Stat; Herd implements the later READ check.
  if (isHerd) assertErr(r, Err.NoAuth);
  else assert.equal(ok(r).dataLength, 1);
});

test("multiRead sub-ops check READ per op", async () => {
  const c = await h.connect();
  const path = h.freshPath("multiread-acl");
  ok(await c.create(path, "d", { acl: world(Perm.ALL & ~Perm.READ) }));
  ok(await c.create(`${path}-open`, "e"));
  const results = ok(await c.multiRead([
    { op: "getData", path, watch: false },
    { op: "getData", path: `${path}-open`, watch: false },
  ]));
  assert.deepEqual(results[0], { type: -1, err: Err.NoAuth });
  assert.equal(results[1]?.type, 4);
});

test("auth with an unknown scheme: AuthFailed (xid -4, zxid 0), then close; the session survives", async () => {
  const c = await h.connect();
  const failed = await c.auth("nosuchscheme", "whatever");
  assert.deepEqual([failed.xid, failed.zxid, failed.err], [-4, 0n, Err.AuthFailed]);
  await withTimeout(c.closed, 5_000, "server closes after AuthFailed");
  const again = await h.connect({ sessionId: c.sessionId, passwd: c.passwd });
  assert.equal(again.sessionId, c.sessionId, "the session is not closed by a failed auth");
});

test("a successful auth reply is xid -4, zxid 0, err 0", async () => {
  const c = await h.connect();
  const r = await c.auth("digest", "alice:secret");
  assert.deepEqual([r.xid, r.zxid, r.err], [-4, 0n, 0]);
});

test("super (superDigest configured): bypasses every ACL check", async () => {
  const owner = await h.connect();
  const base = h.freshPath("super");
  ok(await owner.create(base, null, { acl: world(0) }));
  const admin = await RawClient.connect(h.server.host, h.server.port, { timeoutMs: SESSION_TIMEOUT_MS });
  try {
    assertErr(await admin.getData(base), Err.NoAuth);
    ok(await admin.auth("digest", SUPER_PASSWORD));
    ok(await admin.getData(base));
    ok(await admin.create(`${base}/child`));
    ok(await admin.setData(base, "x"));
    ok(await admin.setACL(base, world(0)));
    assert.deepEqual(ok(await admin.getACL(base)).acl, world(0));
    ok(await admin.delete(`${base}/child`));
    ok(await admin.setData("/zookeeper/config", Buffer.alloc(0)), "even the read-only config node");
  } finally {
    admin.destroy();
  }
});
