/**
 * Unit tests of src/pipeline/pending-changes.ts: the outstanding-changes overlay prep validates against.
 * Lookups fall through to the tree, records shadow it (including deletions), `applied(zxid)` drops exactly the
 * records written by txns up to that zxid (a later record for the same path survives), and a multi's
 * ScratchView stays private until committed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Perm } from "../../src/jute/codes.js";
import { DataTree } from "../../src/tree/data-tree.js";
import { PendingChanges, ScratchView, type NodeState } from "../../src/pipeline/pending-changes.js";
import { applyAll, TxnScript } from "./tree-support.js";

const state = (version: number, extra: Partial<NodeState> = {}): NodeState => ({
  acl: [{ perms: Perm.ALL, id: { scheme: "world", id: "anyone" } }],
  version,
  createCount: 0,
  aversion: 0,
  ephemeralOwner: 0n,
  numChildren: 0,
  ...extra,
});

function treeWithA(): DataTree {
  const s = new TxnScript();
  return applyAll(new DataTree(), [s.create("/a"), s.create("/a/b"), s.setData("/a", null, 1)]);
}

test("lookup falls through to the tree and reports the prep-relevant fields", () => {
  const tree = treeWithA();
  const view = new PendingChanges(tree);
  assert.deepEqual(view.lookup("/a"), {
    acl: tree.get("/a")!.acl,
    version: 1,
    createCount: 1,
    aversion: 0,
    ephemeralOwner: 0n,
    numChildren: 1,
  });
  assert.equal(view.lookup("/missing"), null);
  assert.equal(view.lookup("/")!.numChildren, 2);
  assert.equal(view.size(), 0);
});

test("records shadow the tree, including deletions and creations", () => {
  const tree = treeWithA();
  const view = new PendingChanges(tree);
  view.record("/a/b", 10n, null);
  view.record("/new", 10n, state(0));
  view.record("/a", 11n, state(7));
  assert.equal(view.lookup("/a/b"), null, "pending delete hides a node the tree still has");
  assert.deepEqual(view.lookup("/new"), state(0), "pending create is visible before the tree has it");
  assert.equal(view.lookup("/a")!.version, 7);
  assert.equal(view.size(), 3);
  assert.deepEqual(
    [...view.entries()].map(([path, rec]) => [path, rec.zxid]),
    [["/a/b", 10n], ["/new", 10n], ["/a", 11n]],
  );
});

test("applied(zxid) drops exactly the records of applied zxids; a later record of the same path survives", () => {
  const view = new PendingChanges(treeWithA());
  // zxid 5: create /x (records / and /x); zxid 6: create /x/y (records /x and /x/y); zxid 7: setData /a.
  view.record("/", 5n, state(0, { createCount: 2 }));
  view.record("/x", 5n, state(0));
  view.record("/x", 6n, state(0, { numChildren: 1, createCount: 1 }));
  view.record("/x/y", 6n, state(0));
  view.record("/a", 7n, state(2));

  view.applied(4n);
  assert.equal(view.size(), 4, "nothing at or below zxid 4");

  view.applied(5n);
  const afterFive = new Map([...view.entries()].map(([p, r]) => [p, r.zxid]));
  assert.deepEqual(afterFive, new Map([["/x", 6n], ["/x/y", 6n], ["/a", 7n]]), "/ dropped; /x kept for zxid 6");
  assert.equal(view.lookup("/x")!.numChildren, 1, "the zxid-6 state of /x is still what prep sees");
  assert.equal(view.lookup("/")!.createCount, 1, "/ now comes from the tree again");

  view.applied(6n);
  assert.deepEqual([...view.entries()].map(([p]) => p), ["/a"]);
  assert.equal(view.lookup("/x"), null, "falls back to the tree, which (in this test) never got /x");

  view.applied(7n);
  assert.equal(view.size(), 0);
  assert.equal(view.lookup("/a")!.version, 1, "tree value again");
});

test("applied(zxid) of a txn that recorded nothing (an error txn) still drops everything before it", () => {
  const view = new PendingChanges(treeWithA());
  view.record("/p", 3n, state(0));
  view.record("/q", 4n, state(0));
  view.applied(5n);
  assert.equal(view.size(), 0);
});

test("applied is idempotent and safe on an empty view", () => {
  const view = new PendingChanges(treeWithA());
  view.applied(1n);
  view.record("/p", 3n, state(0));
  view.applied(3n);
  view.applied(3n);
  view.applied(2n);
  assert.equal(view.size(), 0);
});

test("ScratchView: reads through to its base, keeps its writes private until commitTo", () => {
  const tree = treeWithA();
  const shared = new PendingChanges(tree);
  shared.record("/s", 1n, state(4));
  const scratch = new ScratchView(shared);
  assert.equal(scratch.lookup("/s")!.version, 4, "sees the shared pending record");
  assert.equal(scratch.lookup("/a")!.version, 1, "sees the tree");

  scratch.record("/s", 2n, null);
  scratch.record("/m", 2n, state(0));
  scratch.record("/m", 2n, state(1));
  assert.equal(scratch.lookup("/s"), null, "a private delete hides the base's node");
  assert.equal(scratch.lookup("/m")!.version, 1, "latest private state wins");
  assert.equal(shared.lookup("/m"), null, "not visible outside before commit");
  assert.equal(shared.lookup("/s")!.version, 4);

  scratch.commitTo(shared, 2n);
  assert.equal(shared.lookup("/s"), null);
  assert.equal(shared.lookup("/m")!.version, 1);
  assert.deepEqual(
    [...shared.entries()].map(([p, r]) => [p, r.zxid]),
    [["/s", 2n], ["/m", 2n]],
    "each path recorded once, under the multi's zxid",
  );
  shared.applied(2n);
  assert.equal(shared.size(), 0);
});

test("a long pipeline: records of thousands of txns retire in order as they apply, with the counters exact", () => {
  const view = new PendingChanges(treeWithA());
  // 5,000 txns in flight, each recording its own path and rewriting a shared one; applied in uneven steps, so
  // the queue is compacted partway (more than 1,024 retired with most still waiting) and again at the end.
  for (let z = 1; z <= 5000; z++) {
    view.record(`/n${z}`, BigInt(z), state(0));
    view.record("/shared", BigInt(z), state(z));
  }
  assert.equal(view.size(), 5001);
  const steps = [1, 700, 1500, 1501, 2999, 4999, 5000];
  for (const upTo of steps) {
    view.applied(BigInt(upTo));
    assert.equal(view.size(), 5000 - upTo + (upTo < 5000 ? 1 : 0), `after applying up to ${upTo}`);
    assert.equal(view.lookup(`/n${upTo}`), null, `/n${upTo} retired`);
    if (upTo < 5000) {
      assert.equal(view.lookup(`/n${upTo + 1}`)!.version, 0, `/n${upTo + 1} still pending`);
      assert.equal(view.lookup("/shared")!.version, 5000, "the latest record of /shared survives earlier zxids");
    }
  }
  assert.equal(view.queuedTotal, 10000);
  assert.equal(view.removedTotal, 10000);
  view.record("/after", 5001n, state(0));
  view.applied(5001n);
  assert.equal(view.size(), 0, "the queue still works once drained");
});

test("ScratchView: a path recorded twice in one multi commits its last state once", () => {
  const tree = treeWithA();
  const shared = new PendingChanges(tree);
  const scratch = new ScratchView(shared);
  scratch.record("/m", 9n, state(0));
  scratch.record("/a", 9n, state(2));
  scratch.record("/m", 9n, null);
  assert.equal(scratch.lookup("/m"), null);
  assert.equal(scratch.lookup("/a")!.version, 2);
  scratch.commitTo(shared, 9n);
  assert.deepEqual([...shared.entries()].map(([p, r]) => [p, r.state === null ? null : r.state.version]), [["/m", null], ["/a", 2]]);
  assert.equal(shared.queuedTotal, 2);
});
