/**
 * TreeCache, PersistentEphemeralNode and GroupMember against Herd: the cache follows creations, changes and
 * deletions anywhere in its subtree, and catches up after a dropped connection; the node comes back after
 * deletion and, with a RenewingClient, after session expiry; group views follow joins and leaves.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GroupMember, PersistentEphemeralNode, RenewingClient, TreeCache } from "../../src/recipes/index.js";
import { FaultProxy } from "../client/fault-proxy.js";
import { WAIT_MS, freshPath, useClients, useServer, waitForDeletion, withTimeout } from "./support.js";

const CFG = { tickTime: "500" };

/** Records a cache's events as strings; `until` waits (bounded) for one. */
function recordEvents(cache: TreeCache): { events: string[]; until(event: string): Promise<void> } {
  const events: string[] = [];
  const waiters = new Map<string, () => void>();
  const push = (event: string) => {
    events.push(event);
    waiters.get(event)?.();
  };
  cache.on("created", (n) => push(`created ${n.path}=${n.data.toString()}`));
  cache.on("changed", (_o, n) => push(`changed ${n.path}=${n.data.toString()}`));
  cache.on("deleted", (n) => push(`deleted ${n.path}`));
  cache.on("initialized", () => push("initialized"));
  return {
    events,
    until: (event) => events.includes(event) ? Promise.resolve() : withTimeout(new Promise<void>((resolve) => waiters.set(event, resolve)), event),
  };
}

describe("TreeCache (Herd)", () => {
  const server = useServer("herd", CFG);
  const clients = useClients();

  test("loads the subtree, then follows creations, changes and deletions at any depth", async () => {
    const zk = await clients.connect(server().connectString);
    const root = freshPath("cache");
    await zk.create(root, "r");
    await zk.create(`${root}/a`, "1");
    await zk.create(`${root}/a/deep`, "2");
    const cache = new TreeCache(zk, root);
    const log = recordEvents(cache);
    await cache.start();
    assert.deepEqual(log.events.slice(-1), ["initialized"]);
    assert.deepEqual(log.events.slice(0, -1).sort(), [`created ${root}/a/deep=2`, `created ${root}/a=1`, `created ${root}=r`]);
    assert.equal(cache.size, 3);
    assert.deepEqual(cache.childrenOf(root), ["a"]);

    await zk.create(`${root}/a/deep/deeper`, "3");
    await log.until(`created ${root}/a/deep/deeper=3`);
    await zk.setData(`${root}/a`, "1b");
    await log.until(`changed ${root}/a=1b`);
    await zk.delete(`${root}/a/deep/deeper`);
    await log.until(`deleted ${root}/a/deep/deeper`);
    assert.equal(cache.get(`${root}/a`)?.data.toString(), "1b");
    assert.equal(cache.get(`${root}/a/deep/deeper`), undefined);
    await cache.close();
    assert.equal(cache.size, 0);
  });

  test("a cache of a missing root fills as the root appears; quick changes converge to the server's state", async () => {
    const zk = await clients.connect(server().connectString);
    const root = freshPath("cache-late");
    const cache = new TreeCache(zk, root);
    const log = recordEvents(cache);
    await cache.start();
    assert.equal(cache.size, 0);
    await zk.create(root, "");
    for (let i = 0; i < 20; i++) await zk.create(`${root}/n${i}`, "0");
    for (let i = 0; i < 20; i++) await zk.setData(`${root}/n${i}`, "final");
    await zk.delete(`${root}/n0`);
    await zk.create(`${root}/last`, "x");
    await log.until(`created ${root}/last=x`);
    assert.equal(cache.size, 21, "root, n1…n19 and last");
    for (let i = 1; i < 20; i++) assert.equal(cache.get(`${root}/n${i}`)?.data.toString(), "final");
    assert.equal(cache.get(`${root}/n0`), undefined);
    await cache.close();
  });

  test("after a dropped connection it re-reads and reports what changed while away", async () => {
    const proxy = await FaultProxy.start({ host: server().host, port: server().port });
    try {
      const direct = await clients.connect(server().connectString);
      const viaProxy = await clients.connect(proxy.connectString, { sessionTimeoutMs: 10_000 });
      const root = freshPath("cache-reconnect");
      await direct.create(root, "");
      await direct.create(`${root}/keep`, "1");
      await direct.create(`${root}/drop`, "1");
      const cache = new TreeCache(viaProxy, root);
      const log = recordEvents(cache);
      await cache.start();
      proxy.mode = "refuse";
      const disconnected = new Promise<void>((resolve) => viaProxy.once("disconnected", () => resolve()));
      proxy.cutAll();
      await withTimeout(disconnected, "disconnected");
      await direct.setData(`${root}/keep`, "2");
      await direct.delete(`${root}/drop`);
      await direct.create(`${root}/new`, "3");
      proxy.mode = "forward";
      await log.until(`changed ${root}/keep=2`);
      await log.until(`deleted ${root}/drop`);
      await log.until(`created ${root}/new=3`);
      assert.deepEqual(cache.childrenOf(root), ["keep", "new"]);
      await cache.close();
    } finally {
      await proxy.close();
    }
  });
});

describe("PersistentEphemeralNode (Herd)", () => {
  const server = useServer("herd", CFG);
  const clients = useClients();

  test("created, re-created after deletion, data updates kept, deleted on close", async () => {
    const zk = await clients.connect(server().connectString);
    const other = await clients.connect(server().connectString);
    const nodePath = `${freshPath("pen")}/me`;
    const node = new PersistentEphemeralNode(zk, nodePath, "v1");
    node.start();
    assert.equal(await node.waitForInitialCreate(WAIT_MS), true);
    assert.equal((await other.getData(nodePath)).stat.ephemeralOwner, zk.sessionId);
    const recreated = new Promise<void>((resolve) => node.once("created", () => resolve()));
    await other.delete(nodePath);
    await withTimeout(recreated, "re-created");
    assert.equal((await other.getData(nodePath)).data.toString(), "v1");
    await node.setData("v2");
    assert.equal((await other.getData(nodePath)).data.toString(), "v2");
    await node.close();
    assert.equal(await other.exists(nodePath), null);
  });

  test("sequential mode keeps a protected sequential node", async () => {
    const zk = await clients.connect(server().connectString);
    const base = freshPath("pen-seq");
    const node = new PersistentEphemeralNode(zk, `${base}/worker-`, "x", { mode: "ephemeralSequential" });
    node.start();
    assert.equal(await node.waitForInitialCreate(WAIT_MS), true);
    assert.match(node.actualPath ?? "", /\/_c_[0-9a-f-]{36}-worker-\d{10}$/);
    await node.close();
    assert.deepEqual(await zk.getChildren(base), []);
  });

  test("with a RenewingClient it is re-created in a new session after expiry", async () => {
    const proxy = await FaultProxy.start({ host: server().host, port: server().port });
    const renewing = new RenewingClient(proxy.connectString, { sessionTimeoutMs: 1_000 });
    try {
      const observer = await clients.connect(server().connectString);
      const nodePath = `${freshPath("pen-renew")}/me`;
      const node = new PersistentEphemeralNode(renewing, nodePath, "alive");
      node.start();
      assert.equal(await node.waitForInitialCreate(WAIT_MS), true);
      const firstOwner = (await observer.getData(nodePath)).stat.ephemeralOwner;
      const recreated = new Promise<void>((resolve) => node.once("created", () => resolve()));
      proxy.mode = "refuse";
      proxy.cutAll();
      await waitForDeletion(observer, nodePath, "expired session's node removed");
      proxy.mode = "forward";
      await withTimeout(recreated, "re-created in the new session");
      const { data, stat } = await observer.getData(nodePath);
      assert.equal(data.toString(), "alive");
      assert.notEqual(stat.ephemeralOwner, firstOwner);
      assert.equal(stat.ephemeralOwner, renewing.client.sessionId);
      await node.close();
    } finally {
      await renewing.close();
      await proxy.close();
    }
  });
});

describe("GroupMember (Herd)", () => {
  const server = useServer("herd", CFG);
  const clients = useClients();

  test("members see each other join, change their payload and leave", async () => {
    const [a, b] = await Promise.all([clients.connect(server().connectString), clients.connect(server().connectString)]);
    const groupPath = freshPath("group");
    const alice = new GroupMember(a, groupPath, "alice", "a:1");
    await alice.start();
    assert.deepEqual([...alice.currentMembers().keys()], ["alice"]);
    const bob = new GroupMember(b, groupPath, "bob", "b:1");
    const aliceSeesBob = waitForMembers(alice, (m) => m.get("bob")?.toString() === "b:1");
    await bob.start();
    await aliceSeesBob;
    assert.equal((await waitForMembers(bob, (m) => m.has("alice"))).get("alice")?.toString(), "a:1");
    const changed = waitForMembers(alice, (m) => m.get("bob")?.toString() === "b:2");
    await bob.setThisData("b:2");
    await changed;
    const gone = waitForMembers(alice, (m) => !m.has("bob"));
    await bob.close();
    await gone;
    await alice.close();
  });
});

function waitForMembers(member: GroupMember, predicate: (members: Map<string, Buffer>) => boolean): Promise<Map<string, Buffer>> {
  return withTimeout(new Promise((resolve) => {
    const check = () => {
      const members = member.currentMembers();
      if (!predicate(members)) return;
      member.off("membersChanged", check);
      resolve(members);
    };
    member.on("membersChanged", check);
    check();
  }), "group view");
}
