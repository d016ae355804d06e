/**
 * Watch semantics (shared/reference §7): which request registers which watch, the trigger matrix, one event
 * per path per connection, events queued before replies, persistent and recursive watches, SetWatches
 * re-registration with relativeZxid, and checkWatches/removeWatches.
 *
 * "No event" is asserted without sleeping: a ping round trip after the triggering write guarantees every
 * event caused by it has already arrived (the server queues notifications before any later reply).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AddWatchMode, Err, EventType, KeeperState, WatcherType } from "../../src/jute/index.js";
import { createRequest, ok } from "../helpers/raw-client.js";
import type { RawClient } from "../helpers/raw-client.js";
import { assertErr, eventPairs, expectedNotificationZxid, isHerd, useServer } from "./support.js";

const h = useServer();
const { NodeCreated, NodeDeleted, NodeDataChanged, NodeChildrenChanged } = EventType;

async function noEvents(c: RawClient, why: string): Promise<void> {
  assert.deepEqual(eventPairs(await c.settledEvents()), [], why);
}

async function events(c: RawClient): Promise<[number, string][]> {
  return eventPairs(await c.settledEvents());
}

test("exists watch on a missing node fires NodeCreated; the parent's child watch fires NodeChildrenChanged after it", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const parent = h.freshPath("created");
  ok(await writer.create(parent));
  const path = `${parent}/n`;
  assertErr(await watcher.exists(path, true), Err.NoNode, "the watch is registered anyway");
  ok(await watcher.getChildren(parent, true));
  const created = await writer.create(path);
  ok(created);
  const got = await watcher.settledEvents();
  assert.deepEqual(eventPairs(got), [[NodeCreated, path], [NodeChildrenChanged, parent]]);
  for (const n of got) {
    assert.equal(n.event.state, KeeperState.SyncConnected);
    // 3.8.0 sends zxid -1 in notifications; Herd follows 3.9 (ZOOKEEPER-4655) and sends the txn's zxid.
    assert.equal(n.zxid, expectedNotificationZxid(created.zxid));
  }
});

test("getData and getChildren watches are not registered on a missing node", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("not-registered");
  assertErr(await watcher.getData(path, true), Err.NoNode);
  assertErr(await watcher.getChildren(path, true), Err.NoNode);
  assertErr(await watcher.getChildren2(path, true), Err.NoNode);
  ok(await writer.create(path));
  ok(await writer.create(`${path}/c`));
  await noEvents(watcher, "no watch was left behind by the failed reads");
});

test("setData fires one NodeDataChanged for getData + exists watches on the same path, then the watch is gone", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("data-changed");
  ok(await writer.create(path, "a"));
  ok(await watcher.getData(path, true));
  ok(await watcher.exists(path, true));
  ok(await writer.setData(path, "b"));
  assert.deepEqual(await events(watcher), [[NodeDataChanged, path]], "one event per path per connection");
  ok(await writer.setData(path, "c"));
  await noEvents(watcher, "standard watches are one-shot");
});

test("delete fires one NodeDeleted for data + child watches on the node, then NodeChildrenChanged on the parent", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const parent = h.freshPath("deleted");
  const path = `${parent}/n`;
  ok(await writer.create(parent));
  ok(await writer.create(path));
  ok(await watcher.getData(path, true));
  ok(await watcher.getChildren(path, true));
  ok(await watcher.getChildren(parent, true));
  ok(await writer.delete(path));
  assert.deepEqual(await events(watcher), [[NodeDeleted, path], [NodeChildrenChanged, parent]]);
});

test("exists watch on an existing node fires NodeDeleted on delete", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("exists-deleted");
  ok(await writer.create(path));
  ok(await watcher.exists(path, true));
  ok(await writer.delete(path));
  assert.deepEqual(await events(watcher), [[NodeDeleted, path]]);
});

test("a child watch fires on child create and delete, not on a child's data change or grandchildren", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const parent = h.freshPath("child-watch");
  ok(await writer.create(parent));
  ok(await writer.create(`${parent}/a`));
  ok(await watcher.getChildren(parent, true));
  ok(await writer.setData(`${parent}/a`, "x"));
  ok(await writer.create(`${parent}/a/grandchild`));
  await noEvents(watcher, "child data and grandchildren do not concern the parent's child watch");
  ok(await writer.delete(`${parent}/a/grandchild`));
  ok(await writer.create(`${parent}/b`));
  assert.deepEqual(await events(watcher), [[NodeChildrenChanged, parent]]);
  ok(await watcher.getChildren2(parent, true));
  ok(await writer.delete(`${parent}/b`));
  assert.deepEqual(await events(watcher), [[NodeChildrenChanged, parent]]);
});

test("setACL, sync, failed writes and failed multi fire nothing", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const parent = h.freshPath("no-fire");
  const path = `${parent}/n`;
  ok(await writer.create(parent));
  ok(await writer.create(path, "d"));
  ok(await writer.create(`${path}/kid`));
  ok(await watcher.getData(path, true));
  ok(await watcher.getChildren(path, true));
  ok(await watcher.getChildren(parent, true));
  ok(await writer.setACL(path, [{ perms: 31, id: { scheme: "world", id: "anyone" } }]));
  ok(await writer.sync(path));
  assertErr(await writer.setData(path, "x", 99), Err.BadVersion);
  assertErr(await writer.create(path), Err.NodeExists);
  assertErr(await writer.delete(path), Err.NotEmpty);
  const failedMulti = ok(await writer.multi([
    { op: "setData", path, data: Buffer.from("m"), version: -1 },
    createRequest(1, `${path}/new`, null),
    { op: "delete", path: `${parent}/missing`, version: -1 },
  ]));
  assert.equal(failedMulti[2]?.type, -1);
  await noEvents(watcher, "nothing changed the tree");
});

test("events of a multi fire in op order, after the multi commits", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const base = h.freshPath("multi-events");
  ok(await writer.create(base));
  ok(await writer.create(`${base}/b`, "b"));
  ok(await writer.create(`${base}/c`));
  assertErr(await watcher.exists(`${base}/a`, true), Err.NoNode);
  ok(await watcher.getData(`${base}/b`, true));
  ok(await watcher.exists(`${base}/c`, true));
  ok(await watcher.getChildren(base, true));
  ok(await writer.multi([
    createRequest(1, `${base}/a`, null),
    { op: "setData", path: `${base}/b`, data: Buffer.from("x"), version: -1 },
    { op: "delete", path: `${base}/c`, version: -1 },
  ]));
  assert.deepEqual(await events(watcher), [
    [NodeCreated, `${base}/a`],
    [NodeChildrenChanged, base],
    [NodeDataChanged, `${base}/b`],
    [NodeDeleted, `${base}/c`],
  ]);
});

test("a notification caused by the client's own write arrives before that write's reply", async () => {
  const c = await h.connect();
  const path = h.freshPath("own-write");
  ok(await c.create(path, "a"));
  ok(await c.getData(path, true));
  const before = c.frames.length;
  const set = await c.setData(path, "b");
  ok(set);
  assert.deepEqual(c.frames.slice(before), [
    { kind: "event", zxid: expectedNotificationZxid(set.zxid), type: NodeDataChanged, path },
    { kind: "reply", xid: set.xid, zxid: set.zxid, err: 0 },
  ]);
});

test("another client's change is notified before any later reply on the watching connection", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("before-reply");
  ok(await writer.create(path, "a"));
  ok(await watcher.getData(path, true));
  ok(await writer.setData(path, "b"));
  const read = await watcher.getData(path);
  assert.deepEqual(ok(read).data, Buffer.from("b"));
  const eventAt = watcher.frames.findIndex((f) => f.kind === "event" && f.type === NodeDataChanged && f.path === path);
  const replyAt = watcher.frames.findIndex((f) => f.kind === "reply" && f.xid === read.xid);
  assert.ok(eventAt >= 0 && eventAt < replyAt, "never new data before the event");
});

test("watches are per connection: only the watching connection is notified", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const bystander = await h.connect();
  const path = h.freshPath("per-connection");
  ok(await writer.create(path));
  ok(await watcher.exists(path, true));
  ok(await writer.setData(path, "x"));
  assert.deepEqual(await events(watcher), [[NodeDataChanged, path]]);
  await noEvents(bystander, "no watch there");
  await noEvents(writer, "the writer set no watch");
});

test("multiRead ignores the watch flag", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("multiread-watch");
  ok(await writer.create(path, "d"));
  ok(await watcher.multiRead([
    { op: "getData", path, watch: true },
    { op: "getChildren", path, watch: true },
  ]));
  ok(await writer.create(`${path}/c`));
  ok(await writer.setData(path, "e"));
  await noEvents(watcher, "multiRead sets no watches");
});

// ------------------------------------------------------------------ persistent and recursive

test("addWatch replies with a 4-byte ErrorResponse 0, even for a missing node", async () => {
  const c = await h.connect();
  assert.equal(ok(await c.addWatch(h.freshPath("addwatch-missing"), AddWatchMode.Persistent)), 0);
  assert.equal(ok(await c.addWatch(h.freshPath("addwatch-missing"), AddWatchMode.PersistentRecursive)), 0);
});

test("persistent watch: created/changed/children/deleted on the node itself, and it stays", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("persistent");
  ok(await watcher.addWatch(path, AddWatchMode.Persistent));
  ok(await writer.create(path, "a"));
  ok(await writer.setData(path, "b"));
  ok(await writer.setData(path, "c"));
  ok(await writer.create(`${path}/kid`));
  ok(await writer.setData(`${path}/kid`, "x"));
  ok(await writer.create(`${path}/kid/grandkid`));
  ok(await writer.delete(`${path}/kid/grandkid`));
  ok(await writer.delete(`${path}/kid`));
  ok(await writer.delete(path));
  ok(await writer.create(path));
  assert.deepEqual(await events(watcher), [
    [NodeCreated, path],
    [NodeDataChanged, path],
    [NodeDataChanged, path],
    [NodeChildrenChanged, path],
    [NodeChildrenChanged, path],
    [NodeDeleted, path],
    [NodeCreated, path],
  ]);
});

test("persistent recursive watch: the node and all descendants, never NodeChildrenChanged", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("recursive");
  ok(await watcher.addWatch(path, AddWatchMode.PersistentRecursive));
  ok(await writer.create(path, "a"));
  ok(await writer.create(`${path}/kid`));
  ok(await writer.create(`${path}/kid/grandkid`));
  ok(await writer.setData(`${path}/kid/grandkid`, "x"));
  ok(await writer.setData(path, "b"));
  ok(await writer.delete(`${path}/kid/grandkid`));
  ok(await writer.create(`${path}-sibling`));
  assert.deepEqual(await events(watcher), [
    [NodeCreated, path],
    [NodeCreated, `${path}/kid`],
    [NodeCreated, `${path}/kid/grandkid`],
    [NodeDataChanged, `${path}/kid/grandkid`],
    [NodeDataChanged, path],
    [NodeDeleted, `${path}/kid/grandkid`],
  ], "a sibling whose name merely starts with the path is not a descendant");
});

test("one event per path when standard, persistent and recursive watches overlap", async () => {
  const writer = await h.connect();
  const watcher = await h.connect();
  const path = h.freshPath("overlap");
  ok(await writer.create(path, "a"));
  ok(await writer.create(`${path}/kid`, "k"));
  ok(await watcher.getData(path, true));
  ok(await watcher.addWatch(path, AddWatchMode.Persistent));
  ok(await writer.setData(path, "b"));
  assert.deepEqual(await events(watcher), [[NodeDataChanged, path]], "standard + persistent on the same path");
  ok(await watcher.addWatch(path, AddWatchMode.PersistentRecursive));
  ok(await watcher.exists(`${path}/kid`, true));
  ok(await writer.setData(`${path}/kid`, "x"));
  assert.deepEqual(await events(watcher), [[NodeDataChanged, `${path}/kid`]], "recursive on the ancestor + exists on the node");
});

// ------------------------------------------------------------------ checkWatches / removeWatches

test("checkWatches: NoWatcher unless this connection has a watch of that type on the path", async () => {
  const c = await h.connect();
  const other = await h.connect();
  const path = h.freshPath("checkwatches");
  ok(await c.create(path));
  assertErr(await c.checkWatches(path, WatcherType.Data), Err.NoWatcher);
  assertErr(await c.checkWatches(path, WatcherType.Any), Err.NoWatcher);
  ok(await c.getData(path, true));
  ok(await c.checkWatches(path, WatcherType.Data));
  ok(await c.checkWatches(path, WatcherType.Any));
  assertErr(await c.checkWatches(path, WatcherType.Children), Err.NoWatcher);
  // 3.8.0 answers OK here when *any* connection watches the path (its containsWatcher ignores the connection,
  // fixed later upstream); Herd checks this connection's watches, as the reference describes.
  if (isHerd) assertErr(await other.checkWatches(path, WatcherType.Data), Err.NoWatcher, "watches are per connection");
  ok(await c.getChildren(path, true));
  ok(await c.checkWatches(path, WatcherType.Children));
});

test("removeWatches removes this connection's watches of that type, silently; NoWatcher when there are none", async () => {
  const writer = await h.connect();
  const c = await h.connect();
  const other = await h.connect();
  const path = h.freshPath("removewatches");
  ok(await writer.create(path));
  assertErr(await c.removeWatches(path, WatcherType.Data), Err.NoWatcher);
  ok(await c.getData(path, true));
  ok(await c.getChildren(path, true));
  ok(await other.getData(path, true));
  ok(await c.removeWatches(path, WatcherType.Data));
  ok(await c.checkWatches(path, WatcherType.Children), "the child watch is untouched");
  ok(await writer.setData(path, "x"));
  await noEvents(c, "the data watch is gone and the server sends no removal event");
  assert.deepEqual(await events(other), [[NodeDataChanged, path]], "the other connection's watch is untouched");
  assertErr(await c.checkWatches(path, WatcherType.Data), Err.NoWatcher);
  ok(await c.removeWatches(path, WatcherType.Any));
  assertErr(await c.removeWatches(path, WatcherType.Any), Err.NoWatcher);
  ok(await writer.create(`${path}/kid`));
  await noEvents(c, "the child watch was removed by Any");
});

test("removeWatches Any also removes persistent and recursive watches", async () => {
  const writer = await h.connect();
  const c = await h.connect();
  const path = h.freshPath("remove-persistent");
  ok(await writer.create(path));
  ok(await c.addWatch(path, AddWatchMode.Persistent));
  ok(await c.checkWatches(path, WatcherType.Any));
  ok(await c.removeWatches(path, WatcherType.Any));
  ok(await c.addWatch(`${path}-r`, AddWatchMode.PersistentRecursive));
  ok(await c.removeWatches(`${path}-r`, WatcherType.Any));
  ok(await writer.setData(path, "x"));
  ok(await writer.create(`${path}/kid`));
  ok(await writer.create(`${path}-r`));
  await noEvents(c, "both persistent watches were removed");
});

// ------------------------------------------------------------------ SetWatches

test("SetWatches applies the relativeZxid rules, queues fired events before its reply, registers the rest", async () => {
  const writer = await h.connect();
  const base = h.freshPath("setwatches");
  ok(await writer.create(base));
  ok(await writer.create(`${base}/quiet`, "q"));
  ok(await writer.create(`${base}/changed`, "c"));
  ok(await writer.create(`${base}/kids`));
  ok(await writer.create(`${base}/quietkids`));
  ok(await writer.ping());
  const rel = writer.lastZxid;
  ok(await writer.setData(`${base}/changed`, "c2"));
  ok(await writer.create(`${base}/kids/new`));
  ok(await writer.create(`${base}/appeared`));

  const c = await h.connect();
  const reply = await c.setWatches(rel, {
    data: [`${base}/quiet`, `${base}/changed`, `${base}/gone-data`],
    exist: [`${base}/appeared`, `${base}/still-missing`],
    child: [`${base}/kids`, `${base}/quietkids`, `${base}/gone-child`],
  });
  ok(reply);
  const fired = c.takeEvents();
  assert.deepEqual(eventPairs(fired), [
    [NodeDataChanged, `${base}/changed`],
    [NodeDeleted, `${base}/gone-data`],
    [NodeCreated, `${base}/appeared`],
    [NodeChildrenChanged, `${base}/kids`],
    [NodeDeleted, `${base}/gone-child`],
  ]);
  const lastFrame = c.frames[c.frames.length - 1];
  assert.deepEqual(lastFrame, { kind: "reply", xid: reply.xid, zxid: reply.zxid, err: 0 }, "events precede the reply");

  ok(await writer.setData(`${base}/quiet`, "q2"));
  ok(await writer.create(`${base}/still-missing`));
  ok(await writer.create(`${base}/quietkids/k`));
  ok(await writer.setData(`${base}/changed`, "c3"));
  assert.deepEqual(await events(c), [
    [NodeDataChanged, `${base}/quiet`],
    [NodeCreated, `${base}/still-missing`],
    [NodeChildrenChanged, `${base}/quietkids`],
  ], "unfired watches were registered; fired ones were not");
});

test("SetWatches sent with xid -8 (C client) is answered with xid -8", async () => {
  const c = await h.connect();
  const path = h.freshPath("setwatches-xid");
  const r = await c.setWatches(0n, { exist: [path] }, { xid: -8 });
  assert.equal(r.xid, -8);
  ok(r);
});

test("SetWatches2 registers persistent and recursive watches", async () => {
  const writer = await h.connect();
  const c = await h.connect();
  const base = h.freshPath("setwatches2");
  ok(await writer.create(base));
  ok(await writer.ping());
  ok(await c.setWatches(writer.lastZxid, { persistent: [`${base}/p`], persistentRecursive: [`${base}/r`] }));
  await noEvents(c, "persistent watches never fire on registration");
  ok(await writer.create(`${base}/p`));
  ok(await writer.create(`${base}/p/kid`));
  ok(await writer.create(`${base}/r`));
  ok(await writer.create(`${base}/r/kid`));
  ok(await writer.setData(`${base}/p`, "x"));
  assert.deepEqual(await events(c), [
    [NodeCreated, `${base}/p`],
    [NodeChildrenChanged, `${base}/p`],
    [NodeCreated, `${base}/r`],
    [NodeCreated, `${base}/r/kid`],
    [NodeDataChanged, `${base}/p`],
  ]);
});
