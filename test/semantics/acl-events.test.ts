/**
 * Watch events are filtered by READ (ZooKeeper 3.8.4+/3.9.2+, CVE-2024-23944): a connection that may not read
 * a node learns nothing of its changes; the parent's ACL decides for NodeChildrenChanged. 3.8.0 does not filter,
 * so these run against Herd only.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EventType } from "../../src/jute/codes.js";
import { digestId } from "../../src/tree/acl.js";
import { ok } from "../helpers/raw-client.js";
import { isHerd, useServer } from "./support.js";

const h = useServer();
const aliceOnly = [{ perms: 31, id: { scheme: "digest", id: digestId("alice:pw") } }];

test("no data or child events for a watcher without READ", { skip: !isHerd && "3.8.0 does not filter events" }, async () => {
  const alice = await h.connect();
  ok(await alice.auth("digest", "alice:pw"));
  const stranger = await h.connect();
  const path = h.freshPath("acl-events");
  ok(await alice.create(path, "x"));
  ok(await stranger.getData(path, true));
  ok(await stranger.getChildren(path, true));
  ok(await alice.setACL(path, aliceOnly));
  ok(await alice.setData(path, "y"));
  ok(await alice.create(`${path}/child`, ""));
  assert.deepEqual(await stranger.settledEvents(), [], "the stranger may not read the node: no events");

  // Alice, who may read, does get them.
  ok(await alice.getData(path, true));
  ok(await alice.setData(path, "z"));
  const event = await alice.nextEvent(5_000);
  assert.deepEqual([event.event.type, event.event.path], [EventType.NodeDataChanged, path]);
});
