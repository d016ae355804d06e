/**
 * Watches through the client, against Herd and Apache ZooKeeper 3.8: one-shot callbacks, client-side fan-out
 * onto a single server watch, persistent and recursive watches, the async-iterator form, removal, and the
 * mixing of standard and persistent watches on one path (which 3.8 cannot hold server-side).
 *
 * "No further event" is asserted without sleeping: a later marker event (on another path, same connection)
 * arrives after anything the earlier change could have caused, because a server sends events in zxid order.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NoWatcherError, type ZooKeeperClient } from "../../src/client/index.js";
import { fourLetterWord } from "../helpers/raw-client.js";
import { EventRecorder, SERVER_KINDS, freshPath, nextClientEvent, rejectionOf, useClients, useServers, withTimeout } from "./support.js";

const servers = useServers();
const clients = useClients();

/** Changes a marker node and waits for `zk`'s watch on it: every earlier event for `zk` has then arrived. */
async function settle(zk: ZooKeeperClient, writer: ZooKeeperClient): Promise<void> {
  const marker = freshPath("marker");
  await writer.create(marker);
  const fired = new EventRecorder();
  await zk.getData(marker, { watch: fired.watcher });
  await writer.setData(marker, "x");
  await fired.next("marker event");
}

for (const kind of SERVER_KINDS) {
  describe(`client watches against ${kind}`, () => {
    const connect = () => clients.connect(servers.get(kind).connectString);

    test("one-shot data, exists and child watches fire once with the right event", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("oneshot");
      const data = new EventRecorder();
      const creation = new EventRecorder();
      const kids = new EventRecorder();
      assert.equal(await zk.exists(p, { watch: creation.watcher }), null);
      await writer.create(p, "0");
      assert.deepEqual(await creation.next(), { type: "NodeCreated", path: p });
      await zk.getData(p, { watch: data.watcher });
      await zk.getChildren(p, { watch: kids.watcher });
      await writer.setData(p, "1");
      assert.deepEqual(await data.next(), { type: "NodeDataChanged", path: p });
      await writer.create(`${p}/c`);
      assert.deepEqual(await kids.next(), { type: "NodeChildrenChanged", path: p });
      await writer.setData(p, "2");
      await writer.create(`${p}/d`);
      await settle(zk, writer);
      assert.deepEqual([data.unread(), kids.unread(), creation.unread()], [[], [], []], "one-shot watches fire once");
    });

    test("delete fires NodeDeleted to data and child watchers", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("deleted");
      await writer.create(p);
      const data = new EventRecorder();
      const kids = new EventRecorder();
      await zk.getData(p, { watch: data.watcher });
      await zk.getChildren(p, { watch: kids.watcher });
      await writer.delete(p);
      assert.deepEqual(await data.next(), { type: "NodeDeleted", path: p });
      assert.deepEqual(await kids.next(), { type: "NodeDeleted", path: p });
    });

    test("several watchers on one path share one server watch and all fire", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("fanout");
      await writer.create(p);
      const watchers = [new EventRecorder(), new EventRecorder(), new EventRecorder()];
      await zk.getData(p, { watch: watchers[0].watcher });
      await zk.getData(p, { watch: watchers[1].watcher });
      await zk.exists(p, { watch: watchers[2].watcher });
      const server = servers.get(kind);
      const perConnection = await fourLetterWord(server.host, server.port, "wchc");
      const lines = perConnection.split("\n").filter((l) => l.trim() === p);
      assert.equal(lines.length, 1, `one server watch for ${p}:\n${perConnection}`);
      await writer.setData(p, "x");
      for (const w of watchers) assert.deepEqual(await w.next(), { type: "NodeDataChanged", path: p });
    });

    test("persistent watch keeps firing; recursive covers descendants without NodeChildrenChanged", async () => {
      // Two sessions: ZooKeeper 3.8 keeps a single persistent mode per (connection, path).
      const zk = await connect();
      const zk2 = await connect();
      const writer = await connect();
      const p = freshPath("persist");
      const persistent = new EventRecorder();
      const recursive = new EventRecorder();
      await zk.addWatch(p, persistent.watcher, "persistent");
      await zk2.addWatch(p, recursive.watcher, "persistentRecursive");
      await writer.create(p);
      await writer.setData(p, "1");
      await writer.create(`${p}/kid`);
      await writer.setData(`${p}/kid`, "2");
      await writer.delete(`${p}/kid`);
      await settle(zk, writer);
      await settle(zk2, writer);
      assert.deepEqual(persistent.events.map((e) => e.type), ["NodeCreated", "NodeDataChanged", "NodeChildrenChanged", "NodeChildrenChanged"]);
      assert.deepEqual(recursive.events.map((e) => `${e.type} ${e.path}`), [
        `NodeCreated ${p}`,
        `NodeDataChanged ${p}`,
        `NodeCreated ${p}/kid`,
        `NodeDataChanged ${p}/kid`,
        `NodeDeleted ${p}/kid`,
      ]);
    });

    test("async iterator over a recursive watch; breaking out removes the watch", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("iter");
      await writer.create(p);
      const stream = zk.watch(p, { recursive: true });
      await stream.ready;
      await writer.create(`${p}/a`);
      await writer.setData(`${p}/a`, "x");
      await writer.delete(`${p}/a`);
      const seen: string[] = [];
      await withTimeout((async () => {
        for await (const event of stream) {
          seen.push(`${event.type} ${event.path}`);
          if (seen.length === 3) break;
        }
      })(), "three events from the stream");
      assert.deepEqual(seen, [`NodeCreated ${p}/a`, `NodeDataChanged ${p}/a`, `NodeDeleted ${p}/a`]);
      const server = servers.get(kind);
      assert.ok(!(await fourLetterWord(server.host, server.port, "wchp")).includes(`${p}\n`), "the server watch is gone");
      assert.deepEqual(await stream.next(), { value: undefined, done: true });
    });

    test("removeWatches: removed watcher is told, others keep the server watch; NoWatcher for strangers", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("remove");
      await writer.create(p);
      const kept = new EventRecorder();
      const dropped = new EventRecorder();
      await zk.getData(p, { watch: kept.watcher });
      await zk.getData(p, { watch: dropped.watcher });
      await zk.removeWatches(p, dropped.watcher, "data");
      assert.deepEqual(await dropped.next(), { type: "DataWatchRemoved", path: p });
      assert.ok((await rejectionOf(zk.removeWatches(p, dropped.watcher))) instanceof NoWatcherError);
      await writer.setData(p, "1");
      assert.deepEqual(await kept.next(), { type: "NodeDataChanged", path: p });

      const child = new EventRecorder();
      await zk.getChildren(p, { watch: child.watcher });
      const persistent = new EventRecorder();
      await zk.addWatch(p, persistent.watcher);
      await zk.removeAllWatches(p, "any");
      assert.deepEqual(await child.next(), { type: "ChildWatchRemoved", path: p });
      assert.deepEqual(await persistent.next(), { type: "PersistentWatchRemoved", path: p });
      await writer.create(`${p}/c`);
      await settle(zk, writer);
      assert.deepEqual([child.unread(), persistent.unread()], [[], []]);
      const server = servers.get(kind);
      assert.ok(!(await fourLetterWord(server.host, server.port, "wchp")).includes(`${p}\n`), "nothing left on the server");
    });

    test("a one-shot watch on a path with a persistent watch leaves the persistent one intact", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("mixed");
      await writer.create(p);
      const persistent = new EventRecorder();
      const oneShot = new EventRecorder();
      await zk.addWatch(p, persistent.watcher);
      await zk.getData(p, { watch: oneShot.watcher });
      await writer.setData(p, "1");
      await writer.setData(p, "2");
      assert.deepEqual(await oneShot.next(), { type: "NodeDataChanged", path: p });
      assert.deepEqual((await persistent.next()).type, "NodeDataChanged");
      assert.deepEqual((await persistent.next()).type, "NodeDataChanged", "still persistent after the one-shot fired");
    });

    test("removing a persistent watch re-arms the one-shot watches it was serving", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("rearm");
      await writer.create(p);
      const persistent = new EventRecorder();
      const oneShot = new EventRecorder();
      const kids = new EventRecorder();
      await zk.addWatch(p, persistent.watcher);
      await zk.getData(p, { watch: oneShot.watcher });
      await zk.getChildren(p, { watch: kids.watcher });
      await zk.removeWatches(p, persistent.watcher, "persistent");
      await writer.setData(p, "1");
      await writer.create(`${p}/c`);
      assert.deepEqual(await oneShot.next(), { type: "NodeDataChanged", path: p });
      assert.deepEqual(await kids.next(), { type: "NodeChildrenChanged", path: p });
      assert.deepEqual(persistent.events.map((e) => e.type), ["PersistentWatchRemoved"]);
    });

    test("a throwing watcher is reported on 'error' and does not break the connection", async () => {
      const zk = await connect();
      const writer = await connect();
      const p = freshPath("throws");
      await writer.create(p);
      const reported = nextClientEvent(zk, "error");
      await zk.getData(p, { watch: () => { throw new Error("watcher bug"); } });
      await writer.setData(p, "1");
      assert.equal((await reported)[0].message, "watcher bug");
      assert.equal((await zk.getData(p)).data.toString(), "1");
    });
  });
}
