/**
 * Every op of the client and its errors, against Herd and Apache ZooKeeper 3.8 alike: create modes, reads,
 * writes, versions, ACLs and auth, chroot, transactions (success and failure), multiRead, the 3.6+ ops, path
 * validation and what happens after close.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BadArgumentsError,
  BadVersionError,
  CREATOR_ALL_ACL,
  InvalidACLError,
  NoAuthError,
  NoChildrenForEphemeralsError,
  NoNodeError,
  NodeExistsError,
  NotConnectedError,
  NotEmptyError,
  OPEN_ACL_UNSAFE,
  Perms,
  READ_ACL_UNSAFE,
  RuntimeInconsistencyError,
  ZooKeeperError,
  createClient,
  digestAcl,
  digestId,
} from "../../src/client/index.js";
import { EventRecorder, SERVER_KINDS, freshPath, nextClientEvent, rejectionOf, useClients, useServers } from "./support.js";

const servers = useServers();
const clients = useClients();

for (const kind of SERVER_KINDS) {
  describe(`client ops against ${kind}`, () => {
    const connect = (suffix = "", opts = {}) => clients.connect(servers.get(kind).connectString + suffix, opts);

    test("getData tells null data from empty data; reconfig is refused while disabled", async () => {
      const zk = await connect();
      const nullNode = freshPath("null");
      const emptyNode = freshPath("empty");
      await zk.create(nullNode, null);
      await zk.create(emptyNode, Buffer.alloc(0));
      const n = await zk.getData(nullNode);
      assert.deepEqual([n.data.length, n.dataIsNull, n.stat.dataLength], [0, true, 0]);
      const e = await zk.getData(emptyNode);
      assert.deepEqual([e.data.length, e.dataIsNull, e.stat.dataLength], [0, false, 0]);
      assert.equal((await zk.getData("/")).dataIsNull, false, "the root holds empty data, not null");
      // Both servers run without reconfigEnabled: ZooKeeper answers ReconfigDisabled (-123).
      const refused = await rejectionOf(zk.reconfig({ joining: null, leaving: "9", members: null, fromConfigVersion: -1n }));
      assert.ok(refused instanceof ZooKeeperError);
      assert.equal(refused.code, -123);
    });

    test("create, getData, setData, exists, delete with versions", async () => {
      const zk = await connect();
      const p = freshPath("crud");
      assert.equal(await zk.create(p, "v0"), p);
      const { data, stat } = await zk.getData(p);
      assert.equal(data.toString(), "v0");
      assert.equal(stat.version, 0);
      assert.equal(stat.dataLength, 2);
      assert.equal(typeof stat.czxid, "bigint");
      const stat1 = await zk.setData(p, Buffer.from("v1"), 0);
      assert.equal(stat1.version, 1);
      const stale = await rejectionOf(zk.setData(p, "v2", 0));
      assert.ok(stale instanceof BadVersionError);
      assert.equal(stale.path, p);
      assert.equal(stale.code, -103);
      assert.deepEqual(await zk.exists(p), stat1);
      assert.ok((await rejectionOf(zk.delete(p, 7))) instanceof BadVersionError);
      await zk.delete(p, 1);
      assert.equal(await zk.exists(p), null);
      assert.ok((await rejectionOf(zk.getData(p))) instanceof NoNodeError);
      assert.ok((await rejectionOf(zk.delete(p))) instanceof NoNodeError);
      assert.ok((await rejectionOf(zk.setData(p, "x"))) instanceof NoNodeError);
    });

    test("create errors: NodeExists, NoNode parent, NotEmpty, NoChildrenForEphemerals", async () => {
      const zk = await connect();
      const p = freshPath("errs");
      await zk.create(p);
      const exists = await rejectionOf(zk.create(p));
      assert.ok(exists instanceof NodeExistsError && exists instanceof ZooKeeperError);
      assert.equal(exists.path, p);
      assert.ok((await rejectionOf(zk.create(`${p}/missing/child`))) instanceof NoNodeError);
      await zk.create(`${p}/c`);
      assert.ok((await rejectionOf(zk.delete(p))) instanceof NotEmptyError);
      await zk.create(`${p}/eph`, null, { mode: "ephemeral" });
      assert.ok((await rejectionOf(zk.create(`${p}/eph/x`))) instanceof NoChildrenForEphemeralsError);
    });

    test("create modes: ephemeral, sequential, container, TTL, and create2 stats", async () => {
      const zk = await connect();
      const p = freshPath("modes");
      const made = await zk.create(p, "d", { withStat: true });
      assert.equal(made.path, p);
      assert.equal(made.stat.dataLength, 1);
      const eph = await zk.create(`${p}/e`, null, { mode: "ephemeral", withStat: true });
      assert.equal(eph.stat.ephemeralOwner, zk.sessionId);
      const s1 = await zk.create(`${p}/s-`, "", { mode: "persistentSequential" });
      const s2 = await zk.create(`${p}/s-`, "", { mode: "ephemeralSequential" });
      assert.match(s1, /\/s-\d{10}$/);
      assert.ok(s2 > s1, "sequence numbers grow");
      const container = await zk.create(`${p}/box`, "", { mode: "container", withStat: true });
      assert.equal(container.stat.ephemeralOwner, 0n);
      assert.equal(await zk.create(`${p}/ttl`, "", { mode: "persistentWithTtl", ttlMs: 60_000 }), `${p}/ttl`);
      assert.match(await zk.create(`${p}/ttls-`, "", { mode: "persistentSequentialWithTtl", ttlMs: 60_000 }), /\/ttls-\d{10}$/);
      assert.ok((await rejectionOf(zk.create(`${p}/bad`, "", { mode: "persistentWithTtl" }))) instanceof BadArgumentsError);
      assert.ok((await rejectionOf(zk.create(`${p}/bad`, "", { ttlMs: 5 }))) instanceof BadArgumentsError);
      assert.deepEqual((await zk.getEphemerals(p)).sort(), [`${p}/e`, s2].sort());
    });

    test("getChildren with and without stat, getAllChildrenNumber, sync, whoAmI", async () => {
      const zk = await connect();
      const p = freshPath("kids");
      await zk.create(p);
      for (const name of ["a", "b", "c"]) await zk.create(`${p}/${name}`);
      await zk.create(`${p}/a/deep`);
      assert.deepEqual((await zk.getChildren(p)).sort(), ["a", "b", "c"]);
      const withStat = await zk.getChildren(p, { withStat: true });
      assert.deepEqual(withStat.children.sort(), ["a", "b", "c"]);
      assert.equal(withStat.stat.numChildren, 3);
      assert.equal(await zk.getAllChildrenNumber(p), 4);
      assert.ok((await rejectionOf(zk.getChildren(`${p}/zz`))) instanceof NoNodeError);
      assert.equal(await zk.sync(p), p);
      const identities = await zk.whoAmI();
      assert.ok(identities.some((i) => i.authScheme === "ip" && i.user === "127.0.0.1"));
    });

    test("ACLs: digest auth, CREATOR_ALL_ACL, READ_ACL_UNSAFE, getACL/setACL", async () => {
      const owner = await connect();
      const stranger = await connect();
      const p = freshPath("acl");
      assert.ok((await rejectionOf(owner.create(`${p}-x`, "", { acl: CREATOR_ALL_ACL }))) instanceof InvalidACLError);
      await owner.addAuth("digest", "alice:secret");
      assert.ok((await owner.whoAmI()).some((i) => i.authScheme === "digest" && i.user === "alice"));
      await owner.create(p, "private", { acl: CREATOR_ALL_ACL });
      const { acl, stat } = await owner.getACL(p);
      assert.deepEqual(acl, [{ perms: Perms.ALL, id: { scheme: "digest", id: digestId("alice", "secret") } }]);
      assert.deepEqual(acl, [digestAcl("alice", "secret")]);
      assert.equal(stat.aversion, 0);
      assert.ok((await rejectionOf(stranger.getData(p))) instanceof NoAuthError);
      await stranger.addAuth("digest", "alice:secret");
      assert.equal((await stranger.getData(p)).data.toString(), "private");
      const after = await owner.setACL(p, READ_ACL_UNSAFE, 0);
      assert.equal(after.aversion, 1);
      assert.ok((await rejectionOf(owner.setData(p, "x"))) instanceof NoAuthError);
      assert.ok((await rejectionOf(owner.setACL(p, OPEN_ACL_UNSAFE, 0))) instanceof NoAuthError, "no ADMIN any more");
    });

    test("chroot: paths are prefixed going out and stripped coming back", async () => {
      const root = await connect();
      const base = freshPath("chroot");
      await root.create(base);
      const zk = await connect(base);
      assert.equal(zk.chrootPath, base);
      assert.equal(await zk.create("/a", "x"), "/a");
      assert.equal((await root.getData(`${base}/a`)).data.toString(), "x");
      assert.match(await zk.create("/a/s-", "", { mode: "persistentSequential" }), /^\/a\/s-\d{10}$/);
      assert.deepEqual(await zk.getChildren("/"), ["a"]);
      assert.equal(await zk.sync("/a"), "/a");
      await zk.create("/e", "", { mode: "ephemeral" });
      assert.deepEqual(await zk.getEphemerals(), ["/e"]);
      const changed = new EventRecorder();
      await zk.getData("/a", { watch: changed.watcher });
      await root.setData(`${base}/a`, "y");
      assert.deepEqual(await changed.next(), { type: "NodeDataChanged", path: "/a" });
      const [created] = await zk.transaction().create("/t", "").commit();
      assert.equal(created.path, "/t");
      const missing = await rejectionOf(zk.getData("/nope"));
      assert.ok(missing instanceof NoNodeError);
      assert.equal(missing.path, "/nope");
    });

    test("transaction: typed results on success; all-or-nothing failure with per-op results", async () => {
      const zk = await connect();
      const p = freshPath("txn");
      await zk.create(p, "0");
      const results = await zk.transaction()
        .create(`${p}/a`, "a")
        .setData(p, "1", 0)
        .check(p, 1)
        .create(`${p}/s-`, "", { mode: "persistentSequential" })
        .delete(`${p}/a`)
        .commit();
      assert.equal(results.length, 5);
      const [create, set, check, seq, del] = results;
      assert.deepEqual([create.type, create.path], ["create", `${p}/a`]);
      assert.equal(set.stat.version, 1);
      assert.equal(check.type, "check");
      assert.match(seq.path, /\/s-\d{10}$/);
      assert.equal(del.type, "delete");

      const failed = await rejectionOf(zk.transaction().create(`${p}/b`).check(p, 99).setData(p, "never").commit());
      assert.ok(failed instanceof BadVersionError);
      assert.equal(failed.failedOpIndex, 1);
      assert.equal(failed.path, p);
      assert.deepEqual(failed.opResults?.map((r) => r.code), [0, -103, -2]);
      assert.ok(failed.opResults?.[2].error instanceof RuntimeInconsistencyError);
      assert.equal(await zk.exists(`${p}/b`), null, "nothing of a failed transaction is applied");
      assert.equal((await zk.getData(p)).data.toString(), "1");
      const [box, ttl] = await zk.transaction()
        .create(`${p}/box`, "", { mode: "container" })
        .create(`${p}/ttl`, "", { mode: "persistentWithTtl", ttlMs: 60_000 })
        .commit();
      assert.ok(box.stat !== undefined && ttl.stat !== undefined, "container and TTL creates answer with a Stat");
      const invalid = await rejectionOf(zk.transaction().create("relative").commit());
      assert.ok(invalid instanceof BadArgumentsError);
    });

    test("multiRead: each op succeeds or fails on its own", async () => {
      const zk = await connect();
      const p = freshPath("mread");
      await zk.create(p, "data");
      await zk.create(`${p}/kid`);
      const [data, kids, missing] = await zk.multiRead([
        { type: "getData", path: p },
        { type: "getChildren", path: p },
        { type: "getData", path: `${p}/nope` },
      ] as const);
      assert.ok(data.type === "getData" && data.data.toString() === "data");
      assert.ok(kids.type === "getChildren");
      assert.deepEqual(kids.children, ["kid"]);
      assert.ok(missing.type === "error" && missing.error instanceof NoNodeError);
      assert.equal(missing.error.path, `${p}/nope`);
    });

    test("invalid paths are refused before anything is sent", async () => {
      const zk = await connect();
      for (const bad of ["", "relative", "/trailing/", "/a//b", "/a/./b", "/a/../b", "/nul\u0000", "/emoji\u{1F600}"]) {
        assert.ok((await rejectionOf(zk.getData(bad))) instanceof BadArgumentsError, JSON.stringify(bad));
      }
      assert.ok((await rejectionOf(zk.create("/seq/", "", { mode: "persistent" }))) instanceof BadArgumentsError);
      assert.throws(() => createClient("127.0.0.1:99999"), BadArgumentsError);
      assert.throws(() => createClient("127.0.0.1:2181/bad/"), BadArgumentsError);
    });

    test("close: ephemerals go, later calls fail with NotConnectedError", async () => {
      const observer = await connect();
      const zk = await connect();
      const p = freshPath("closing");
      await zk.create(p, "", { mode: "ephemeral" });
      const closed = nextClientEvent(zk, "closed");
      await zk.close();
      await closed;
      assert.equal(zk.state, "closed");
      assert.equal(await observer.exists(p), null, "closeSession removed the ephemeral");
      const after = await rejectionOf(zk.getData(p));
      assert.ok(after instanceof NotConnectedError);
      assert.equal(after.reason, "closed");
      await zk.close(); // idempotent
    });
  });
}
