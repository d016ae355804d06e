/**
 * Unit tests of src/watches/watch-manager.ts against the trigger matrix of shared/reference §7: which table
 * each change fires, one-shot consumption, one event per watcher per change, persistent watches staying,
 * recursive watches firing for descendants but never for NodeChildrenChanged, and has/remove by WatcherType.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventType, WatcherType, type EventTypeCode } from "../../src/jute/codes.js";
import { DataTree, type TreeChange } from "../../src/tree/data-tree.js";
import { WatchManager, type Watcher } from "../../src/watches/watch-manager.js";
import { TxnScript } from "./tree-support.js";

interface Event {
  type: EventTypeCode;
  path: string;
  zxid: bigint;
}

/** A watcher (one connection) that records what it was sent. */
class Recorder implements Watcher {
  readonly events: Event[] = [];
  constructor(readonly name: string) {}
  notify(type: EventTypeCode, path: string, zxid: bigint): void {
    this.events.push({ type, path, zxid });
  }
  take(): Event[] {
    return this.events.splice(0);
  }
}

type Registration = "data" | "child" | "persistent" | "recursive";

function register(wm: WatchManager, kind: Registration, path: string, w: Watcher): void {
  if (kind === "data") wm.addData(path, w);
  else if (kind === "child") wm.addChild(path, w);
  else if (kind === "persistent") wm.addPersistent(path, w);
  else wm.addRecursive(path, w);
}

/** The watchers of the matrix, each with one registration. P = /a/b, parent = /a. */
const REGISTRATIONS: [string, Registration, string][] = [
  ["dataP", "data", "/a/b"],
  ["childP", "child", "/a/b"],
  ["persP", "persistent", "/a/b"],
  ["recP", "recursive", "/a/b"],
  ["dataParent", "data", "/a"],
  ["childParent", "child", "/a"],
  ["persParent", "persistent", "/a"],
  ["recParent", "recursive", "/a"],
  ["recRoot", "recursive", "/"],
  ["dataChild", "data", "/a/b/c"],
  ["recChild", "recursive", "/a/b/c"],
  ["recSibling", "recursive", "/a/bb"],
  ["childSibling", "child", "/a/bb"],
];

/** [change, event type, watchers that must get exactly one event] */
const MATRIX: [TreeChange, EventTypeCode, string[]][] = [
  [{ kind: "created", path: "/a/b", acl: [] }, EventType.NodeCreated, ["dataP", "persP", "recP", "recParent", "recRoot"]],
  [{ kind: "deleted", path: "/a/b", acl: [] }, EventType.NodeDeleted, ["dataP", "childP", "persP", "recP", "recParent", "recRoot"]],
  [{ kind: "dataChanged", path: "/a/b", acl: [] }, EventType.NodeDataChanged, ["dataP", "persP", "recP", "recParent", "recRoot"]],
  // Recursive watches never get NodeChildrenChanged, not even on the path itself.
  [{ kind: "childrenChanged", path: "/a/b", acl: [] }, EventType.NodeChildrenChanged, ["childP", "persP"]],
  [{ kind: "childrenChanged", path: "/a", acl: [] }, EventType.NodeChildrenChanged, ["childParent", "persParent"]],
  [{ kind: "created", path: "/a/bb", acl: [] }, EventType.NodeCreated, ["recParent", "recRoot", "recSibling"]],
  [{ kind: "deleted", path: "/a/b/c", acl: [] }, EventType.NodeDeleted, ["dataChild", "recChild", "recP", "recParent", "recRoot"]],
  [{ kind: "dataChanged", path: "/", acl: [] }, EventType.NodeDataChanged, ["recRoot"]],
  [{ kind: "childrenChanged", path: "/", acl: [] }, EventType.NodeChildrenChanged, []],
];

function matrixFixture(): { wm: WatchManager; watchers: Map<string, Recorder> } {
  const wm = new WatchManager();
  const watchers = new Map<string, Recorder>();
  for (const [name, kind, path] of REGISTRATIONS) {
    const w = new Recorder(name);
    watchers.set(name, w);
    register(wm, kind, path, w);
  }
  return { wm, watchers };
}

test("trigger matrix (§7): which registrations each change fires", () => {
  for (const [change, type, expected] of MATRIX) {
    const { wm, watchers } = matrixFixture();
    wm.trigger(change, 42n);
    const fired = [...watchers.values()].filter((w) => w.events.length > 0).map((w) => w.name).sort();
    assert.deepEqual(fired, [...expected].sort(), `${change.kind} ${change.path}`);
    for (const name of expected) {
      assert.deepEqual(watchers.get(name)!.events, [{ type, path: change.path, zxid: 42n }], `${change.kind} ${change.path} → ${name}`);
    }
  }
});

test("one-shot watches are consumed; persistent and recursive ones stay", () => {
  const { wm, watchers } = matrixFixture();
  const change: TreeChange = { kind: "deleted", path: "/a/b", acl: [] };
  wm.trigger(change, 1n);
  for (const w of watchers.values()) w.take();
  wm.trigger(change, 2n);
  const fired = [...watchers.values()].filter((w) => w.events.length > 0).map((w) => w.name).sort();
  assert.deepEqual(fired, ["persP", "recP", "recParent", "recRoot"]);
});

test("a data watch fired by NodeCreated is gone for the following NodeDataChanged", () => {
  const wm = new WatchManager();
  const w = new Recorder("w");
  wm.addData("/n", w);
  wm.trigger({ kind: "created", path: "/n", acl: [] }, 1n);
  wm.trigger({ kind: "dataChanged", path: "/n", acl: [] }, 2n);
  assert.deepEqual(w.take().map((e) => e.type), [EventType.NodeCreated]);
});

test("a child watch is not consumed by changes that do not fire it", () => {
  const wm = new WatchManager();
  const w = new Recorder("w");
  wm.addChild("/n", w);
  wm.trigger({ kind: "created", path: "/n", acl: [] }, 1n);
  wm.trigger({ kind: "dataChanged", path: "/n", acl: [] }, 2n);
  assert.equal(w.take().length, 0);
  wm.trigger({ kind: "childrenChanged", path: "/n", acl: [] }, 3n);
  assert.deepEqual(w.take(), [{ type: EventType.NodeChildrenChanged, path: "/n", zxid: 3n }]);
});

test("one event per watcher per change, however many of its registrations match", () => {
  const wm = new WatchManager();
  const w = new Recorder("w");
  for (const kind of ["data", "child", "persistent", "recursive"] as const) register(wm, kind, "/a/b", w);
  wm.addRecursive("/a", w);
  wm.addRecursive("/", w);
  wm.addData("/a/b", w); // registering twice is still one registration
  wm.trigger({ kind: "deleted", path: "/a/b", acl: [] }, 9n);
  assert.deepEqual(w.take(), [{ type: EventType.NodeDeleted, path: "/a/b", zxid: 9n }]);
});

test("every watcher on a path gets the event", () => {
  const wm = new WatchManager();
  const ws = [new Recorder("1"), new Recorder("2"), new Recorder("3")];
  for (const w of ws) wm.addData("/n", w);
  wm.trigger({ kind: "dataChanged", path: "/n", acl: [] }, 5n);
  for (const w of ws) assert.equal(w.take().length, 1, w.name);
});

test("changes from real txns fire in tree order: data event, then the parent's child event", () => {
  const tree = new DataTree();
  const wm = new WatchManager();
  const s = new TxnScript();
  const w = new Recorder("w");
  const apply = (t: ReturnType<TxnScript["create"]>) => {
    for (const change of tree.applyTxn(t.header, t.body)) wm.trigger(change, t.header.zxid);
  };
  apply(s.create("/p"));
  wm.addData("/p/c", w); // exists() on a missing node
  wm.addChild("/p", w);
  apply(s.create("/p/c"));
  wm.addData("/p/c", w);
  wm.addChild("/p", w);
  apply(s.delete("/p/c"));
  assert.deepEqual(w.take(), [
    { type: EventType.NodeCreated, path: "/p/c", zxid: 2n },
    { type: EventType.NodeChildrenChanged, path: "/p", zxid: 2n },
    { type: EventType.NodeDeleted, path: "/p/c", zxid: 3n },
    { type: EventType.NodeChildrenChanged, path: "/p", zxid: 3n },
  ]);
});

/** [registrations on /n, WatcherType, has?] */
const HAS_CASES: [Registration[], number, boolean][] = [
  [["data"], WatcherType.Data, true],
  [["data"], WatcherType.Children, false],
  [["data"], WatcherType.Any, true],
  [["data"], WatcherType.Persistent, false],
  [["child"], WatcherType.Children, true],
  [["child"], WatcherType.Data, false],
  [["child"], WatcherType.Any, true],
  [["persistent"], WatcherType.Persistent, true],
  [["persistent"], WatcherType.PersistentRecursive, false],
  [["persistent"], WatcherType.Data, false],
  [["persistent"], WatcherType.Any, true],
  [["recursive"], WatcherType.PersistentRecursive, true],
  [["recursive"], WatcherType.Persistent, false],
  [["recursive"], WatcherType.Any, true],
  [[], WatcherType.Any, false],
  [["data", "child"], 0, false],
  [["data", "child"], 6, false],
];

test("has(path, watcher, WatcherType)", () => {
  for (const [kinds, type, expected] of HAS_CASES) {
    const wm = new WatchManager();
    const w = new Recorder("w");
    for (const k of kinds) register(wm, k, "/n", w);
    assert.equal(wm.has("/n", w, type), expected, `[${kinds}] type ${type}`);
    assert.equal(wm.has("/other", w, type), false);
    assert.equal(wm.has("/n", new Recorder("stranger"), type), false);
  }
});

test("remove(path, watcher, WatcherType): removes only that type, false when there was none", () => {
  for (const [kinds, type, expected] of HAS_CASES) {
    const wm = new WatchManager();
    const w = new Recorder("w");
    for (const k of kinds) register(wm, k, "/n", w);
    assert.equal(wm.remove("/n", w, type), expected, `[${kinds}] type ${type}`);
    assert.equal(wm.has("/n", w, type), false, `[${kinds}] type ${type} gone`);
    assert.equal(wm.remove("/n", w, type), false, `[${kinds}] type ${type} second remove`);
  }
});

test("remove of one type keeps the others and other watchers", () => {
  const wm = new WatchManager();
  const w = new Recorder("w");
  const other = new Recorder("other");
  for (const k of ["data", "child", "persistent", "recursive"] as const) register(wm, k, "/n", w);
  wm.addData("/n", other);
  assert.equal(wm.remove("/n", w, WatcherType.Data), true);
  assert.equal(wm.has("/n", w, WatcherType.Children), true);
  assert.equal(wm.has("/n", w, WatcherType.Persistent), true);
  assert.equal(wm.has("/n", other, WatcherType.Data), true);
  assert.equal(wm.remove("/n", w, WatcherType.Any), true);
  for (const t of [WatcherType.Data, WatcherType.Children, WatcherType.Persistent, WatcherType.PersistentRecursive]) {
    assert.equal(wm.has("/n", w, t), false);
  }
  wm.trigger({ kind: "deleted", path: "/n", acl: [] }, 1n);
  assert.equal(w.events.length, 0);
  assert.equal(other.events.length, 1);
});

test("removeWatcher drops every watch of one connection and nothing else", () => {
  const { wm, watchers } = matrixFixture();
  const gone = watchers.get("recRoot")!;
  const before = wm.summary().count;
  wm.removeWatcher(gone);
  wm.removeWatcher(watchers.get("dataP")!);
  assert.equal(wm.summary().count, before - 2);
  wm.trigger({ kind: "deleted", path: "/a/b", acl: [] }, 1n);
  assert.equal(gone.events.length, 0);
  assert.equal(watchers.get("dataP")!.events.length, 0);
  assert.equal(watchers.get("childP")!.events.length, 1);
  assert.equal(watchers.get("recParent")!.events.length, 1);
});

test("summary counts watches and groups watchers by path", () => {
  const wm = new WatchManager();
  const a = new Recorder("a");
  const b = new Recorder("b");
  wm.addData("/x", a);
  wm.addChild("/x", a);
  wm.addData("/x", b);
  wm.addRecursive("/y", b);
  const { count, paths } = wm.summary();
  assert.equal(count, 4);
  assert.deepEqual([...paths.keys()].sort(), ["/x", "/y"]);
  assert.equal(paths.get("/x")!.size, 2);
  wm.trigger({ kind: "dataChanged", path: "/x", acl: [] }, 1n);
  assert.equal(wm.summary().count, 2, "fired one-shot data watches are gone");
});

test("recursive watches match ancestors the same way with few or many recursive watches", () => {
  for (const extra of [0, 40]) {
    const hits: string[] = [];
    const wm = new WatchManager();
    const watcher = (name: string) => ({ notify: () => void hits.push(name) });
    for (let i = 0; i < extra; i++) wm.addRecursive(`/other-${i}`, watcher(`other-${i}`));
    wm.addRecursive("/", watcher("root"));
    wm.addRecursive("/a", watcher("a"));
    wm.addRecursive("/a/b", watcher("ab"));
    wm.addRecursive("/a/bb", watcher("abb"));
    wm.trigger({ kind: "dataChanged", path: "/a/b/c", acl: [] }, 1n);
    assert.deepEqual(hits.sort(), ["a", "ab", "root"], `with ${extra} other recursive watches`);
  }
});
