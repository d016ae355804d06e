/**
 * Quota accounting: StatsTrack text parsing/formatting (values from ZooKeeper's StatsTrack), quota-node paths,
 * and QuotaTracker over a small in-memory tree driven through the same node writes zkCli's setquota/delquota
 * make, checking usage, verdicts and the stats-node contents it asks the server to store.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatStatsTrack, parseStatsTrack, QuotaSyntaxError, QuotaTracker, quotaNodeOf, statValue,
} from "../../src/tree/quotas.js";
import type { QuotaNodeView, QuotaStatsWrite, QuotaTreeView, QuotaVerdict, StatsTrack } from "../../src/tree/quotas.js";
import { DataTree } from "../../src/tree/data-tree.js";

// ------------------------------------------------------------ StatsTrack text

const parseCases: { text: string; want: Record<string, number> }[] = [
  { text: "count=10,bytes=100", want: { count: 10, bytes: 100 } },
  { text: "count=-1,bytes=-1=;byteHardLimit=100;countHardLimit=5", want: { count: -1, bytes: -1, byteHardLimit: 100, countHardLimit: 5 } },
  { text: "count=5;bytes=7", want: { count: 5, bytes: 7 } },
  { text: ",,count=1,;;bytes=2;", want: { count: 1, bytes: 2 } },
  { text: "count=,bytes=3", want: { count: -1, bytes: 3 } },
  { text: "count=+4,custom=9", want: { count: 4, custom: 9 } },
  { text: "", want: {} },
];

for (const c of parseCases) {
  test(`parseStatsTrack(${JSON.stringify(c.text)})`, () => {
    const parsed = parseStatsTrack(c.text);
    assert.ok(!(parsed instanceof QuotaSyntaxError), String(parsed));
    assert.deepEqual(Object.fromEntries(parsed), c.want);
  });
}

for (const bad of ["count", "count=abc", "count=1.5", "bytes=9223372036854775808", ",=x"]) {
  test(`parseStatsTrack rejects ${JSON.stringify(bad)}`, () => {
    assert.ok(parseStatsTrack(bad) instanceof QuotaSyntaxError);
  });
}

const formatCases: { track: Record<string, number>; text: string }[] = [
  { track: { count: 3, bytes: 4 }, text: "count=3,bytes=4" },
  { track: {}, text: "count=-1,bytes=-1" },
  { track: { countHardLimit: 5, count: -1, byteHardLimit: 100, bytes: -1 }, text: "count=-1,bytes=-1=;byteHardLimit=100;countHardLimit=5" },
  { track: { bytes: 0, count: 0 }, text: "count=0,bytes=0" },
];

for (const c of formatCases) {
  test(`formatStatsTrack → ${c.text}, and back`, () => {
    const track = new Map(Object.entries(c.track));
    assert.equal(formatStatsTrack(track), c.text);
    const again = parseStatsTrack(c.text) as StatsTrack;
    assert.equal(statValue(again, "count"), statValue(track, "count"));
    assert.equal(statValue(again, "byteHardLimit"), statValue(track, "byteHardLimit"));
  });
}

const nodeCases: { path: string; want: ReturnType<typeof quotaNodeOf> }[] = [
  { path: "/zookeeper/quota/a/zookeeper_limits", want: { kind: "limits", target: "/a" } },
  { path: "/zookeeper/quota/a/b c/zookeeper_stats", want: { kind: "stats", target: "/a/b c" } },
  { path: "/zookeeper/quota/zookeeper_limits", want: null },
  { path: "/zookeeper/quota/a", want: null },
  { path: "/a/zookeeper_limits", want: null },
  { path: "/zookeeper/quotax/a/zookeeper_limits", want: null },
];

for (const c of nodeCases) {
  test(`quotaNodeOf(${c.path})`, () => assert.deepEqual(quotaNodeOf(c.path), c.want));
}

// ------------------------------------------------------------ a tree to drive the tracker

interface FakeNode { data: Buffer | null; children: Set<string> }

/** Enough of a DataTree: nodes by path, with creates/deletes/setData that notify the tracker like the server will. */
class FakeTree {
  readonly nodes = new Map<string, FakeNode>([["/", { data: null, children: new Set() }]]);
  tracker: QuotaTracker;
  lastWrites: QuotaStatsWrite[] = [];

  constructor(enforceQuota: boolean) {
    for (const p of ["/zookeeper", "/zookeeper/quota"]) this.put(p, null);
    this.tracker = new QuotaTracker(this, { enforceQuota });
  }

  get(path: string): QuotaNodeView | undefined {
    const node = this.nodes.get(path);
    return node === undefined ? undefined : { data: node.data, children: [...node.children], numChildren: node.children.size };
  }

  /** Adds a node without telling the tracker (a tree as loaded from a snapshot). */
  put(path: string, data: string | null): void {
    this.nodes.set(path, { data: data === null ? null : Buffer.from(data), children: new Set() });
    const slash = path.lastIndexOf("/");
    this.nodes.get(slash === 0 ? "/" : path.slice(0, slash))!.children.add(path.slice(slash + 1));
  }

  create(path: string, data: string | null = null): void {
    assert.ok(!this.nodes.has(path), `${path} exists`);
    this.put(path, data);
    this.store(this.tracker.created(path, this.nodes.get(path)!.data));
  }

  delete(path: string): void {
    const node = this.nodes.get(path);
    assert.ok(node && node.children.size === 0, `${path} missing or has children`);
    this.nodes.delete(path);
    const slash = path.lastIndexOf("/");
    this.nodes.get(slash === 0 ? "/" : path.slice(0, slash))!.children.delete(path.slice(slash + 1));
    this.store(this.tracker.deleted(path, node.data?.length ?? 0));
  }

  setData(path: string, data: string | null): void {
    const node = this.nodes.get(path)!;
    const old = node.data;
    node.data = data === null ? null : Buffer.from(data);
    this.store(this.tracker.dataChanged(path, old?.length ?? 0, node.data));
  }

  /** What zkCli's setquota creates. */
  setQuota(path: string, limits: string): void {
    let quotaPath = "/zookeeper/quota";
    for (const part of path.split("/").slice(1)) {
      quotaPath += `/${part}`;
      if (!this.nodes.has(quotaPath)) this.create(quotaPath);
    }
    this.create(`${quotaPath}/zookeeper_limits`, limits);
    this.create(`${quotaPath}/zookeeper_stats`, "count=0,bytes=0");
  }

  text(path: string): string | undefined {
    return this.nodes.get(path)?.data?.toString();
  }

  private store(writes: QuotaStatsWrite[]): void {
    this.lastWrites = writes;
    for (const w of writes) this.nodes.get(w.path)!.data = w.data;
  }
}

const ok: QuotaVerdict = { kind: "ok" };

test("setquota recounts the subtree (the root itself included) into the stats node", () => {
  const t = new FakeTree(true);
  t.create("/a", "12345");
  t.create("/a/b", "xy");
  t.create("/a/b/c", null);
  t.create("/ab", "not under /a");
  t.setQuota("/a", "count=10,bytes=-1");
  assert.deepEqual(t.tracker.usageOf("/a"), { count: 3, bytes: 7 });
  assert.equal(t.text("/zookeeper/quota/a/zookeeper_stats"), "count=3,bytes=7");
  assert.equal(t.tracker.quotaRootOf("/a/b/c/d"), "/a");
  assert.equal(t.tracker.quotaRootOf("/a"), "/a");
  assert.equal(t.tracker.quotaRootOf("/ab"), undefined, "prefixes match whole path components");
  assert.equal(t.tracker.quotaRootOf("/"), undefined);
});

test("creates, deletes and setData move the usage and rewrite the stats node", () => {
  const t = new FakeTree(false);
  t.create("/a");
  t.setQuota("/a", "count=-1,bytes=-1");
  const steps: { op: () => void; usage: { count: number; bytes: number } }[] = [
    { op: () => t.create("/a/x", "hello"), usage: { count: 2, bytes: 5 } },
    { op: () => t.create("/a/x/y", "!"), usage: { count: 3, bytes: 6 } },
    { op: () => t.setData("/a/x", "hi"), usage: { count: 3, bytes: 3 } },
    { op: () => t.setData("/a/x", null), usage: { count: 3, bytes: 1 } },
    { op: () => t.delete("/a/x/y"), usage: { count: 2, bytes: 0 } },
    { op: () => t.create("/b", "outside"), usage: { count: 2, bytes: 0 } },
  ];
  for (const s of steps) {
    s.op();
    assert.deepEqual(t.tracker.usageOf("/a"), s.usage);
    assert.equal(t.text("/zookeeper/quota/a/zookeeper_stats"), `count=${s.usage.count},bytes=${s.usage.bytes}`);
  }
  assert.deepEqual(t.lastWrites, [], "a node outside every quota writes nothing");
});

interface VerdictCase {
  what: string;
  limits: string;
  enforce: boolean;
  check: (t: QuotaTracker) => QuotaVerdict;
  want: QuotaVerdict;
}

/** /q holds 2 nodes (itself and /q/n) and 10 bytes ("0123456789" in /q/n) when these run. */
const verdictCases: VerdictCase[] = [
  { what: "under the soft count limit", limits: "count=3,bytes=-1", enforce: true, check: (q) => q.checkCreate("/q/m", 0), want: ok },
  {
    what: "over the soft count limit is only a warning", limits: "count=2,bytes=-1", enforce: true,
    check: (q) => q.checkCreate("/q/m", 0),
    want: { kind: "softExceeded", root: "/q", excesses: [{ resource: "count", hard: false, value: 3, limit: 2 }] },
  },
  {
    what: "over the hard count limit with enforceQuota", limits: "count=-1,bytes=-1=;countHardLimit=2", enforce: true,
    check: (q) => q.checkCreate("/q/n/deeper", 0),
    want: { kind: "hardExceeded", root: "/q", excesses: [{ resource: "count", hard: true, value: 3, limit: 2 }] },
  },
  {
    what: "over the hard count limit without enforceQuota is a warning", limits: "count=-1,bytes=-1=;countHardLimit=2", enforce: false,
    check: (q) => q.checkCreate("/q/m", 0),
    want: { kind: "softExceeded", root: "/q", excesses: [{ resource: "count", hard: true, value: 3, limit: 2 }] },
  },
  {
    what: "a hard limit replaces the soft one (soft 1 is not checked)", limits: "count=1,bytes=-1=;countHardLimit=5", enforce: true,
    check: (q) => q.checkCreate("/q/m", 0), want: ok,
  },
  { what: "exactly at the hard byte limit", limits: "count=-1,bytes=-1=;byteHardLimit=15", enforce: true, check: (q) => q.checkCreate("/q/m", 5), want: ok },
  {
    what: "one byte over the hard byte limit", limits: "count=-1,bytes=-1=;byteHardLimit=15", enforce: true,
    check: (q) => q.checkCreate("/q/m", 6),
    want: { kind: "hardExceeded", root: "/q", excesses: [{ resource: "bytes", hard: true, value: 16, limit: 15 }] },
  },
  {
    what: "a create of empty data is not a byte check", limits: "count=-1,bytes=-1=;byteHardLimit=1", enforce: true,
    check: (q) => q.checkCreate("/q/m", 0), want: ok,
  },
  {
    what: "soft count and hard bytes together: refused, both reported", limits: "count=2,bytes=-1=;byteHardLimit=10", enforce: true,
    check: (q) => q.checkCreate("/q/m", 1),
    want: {
      kind: "hardExceeded", root: "/q",
      excesses: [{ resource: "count", hard: false, value: 3, limit: 2 }, { resource: "bytes", hard: true, value: 11, limit: 10 }],
    },
  },
  { what: "setData to the same length is not checked", limits: "count=-1,bytes=-1=;byteHardLimit=5", enforce: true, check: (q) => q.checkSetData("/q/n", 10, 10), want: ok },
  {
    what: "setData that shrinks but stays over a hard limit is refused (as in ZooKeeper)", limits: "count=-1,bytes=-1=;byteHardLimit=5", enforce: true,
    check: (q) => q.checkSetData("/q/n", 10, 8),
    want: { kind: "hardExceeded", root: "/q", excesses: [{ resource: "bytes", hard: true, value: 8, limit: 5 }] },
  },
  { what: "setData does not check count", limits: "count=-1,bytes=-1=;countHardLimit=1", enforce: true, check: (q) => q.checkSetData("/q/n", 10, 11), want: ok },
  { what: "a path outside the quota", limits: "count=-1,bytes=-1=;countHardLimit=1", enforce: true, check: (q) => q.checkCreate("/qq", 0), want: ok },
  { what: "unparsable limits check nothing", limits: "count=lots", enforce: true, check: (q) => q.checkCreate("/q/m", 0), want: ok },
];

for (const c of verdictCases) {
  test(`verdict: ${c.what}`, () => {
    const t = new FakeTree(c.enforce);
    t.create("/q");
    t.create("/q/n", "0123456789");
    t.setQuota("/q", c.limits);
    assert.deepEqual(t.tracker.usageOf("/q"), { count: 2, bytes: 10 });
    assert.deepEqual(c.check(t.tracker), c.want);
  });
}

test("nested quotas: only the nearest root is charged and checked", () => {
  const t = new FakeTree(true);
  t.create("/a");
  t.create("/a/b");
  t.setQuota("/a", "count=-1,bytes=-1=;countHardLimit=100");
  t.setQuota("/a/b", "count=-1,bytes=-1=;countHardLimit=1");
  assert.deepEqual(t.tracker.usageOf("/a"), { count: 2, bytes: 0 }, "recounted before /a/b became a root");
  assert.deepEqual(t.tracker.usageOf("/a/b"), { count: 1, bytes: 0 });
  assert.equal(t.tracker.checkCreate("/a/b/c", 0).kind, "hardExceeded");
  assert.equal(t.tracker.checkCreate("/a/c", 0).kind, "ok");
  t.create("/a/b/c");
  assert.deepEqual(t.tracker.usageOf("/a/b"), { count: 2, bytes: 0 });
  assert.deepEqual(t.tracker.usageOf("/a"), { count: 2, bytes: 0 }, "the outer root is not charged");
});

test("delquota: removing the limits node ends checks; removing the stats node ends accounting", () => {
  const t = new FakeTree(true);
  t.create("/a");
  t.setQuota("/a", "count=-1,bytes=-1=;countHardLimit=1");
  assert.equal(t.tracker.checkCreate("/a/x", 0).kind, "hardExceeded");
  t.delete("/zookeeper/quota/a/zookeeper_limits");
  assert.equal(t.tracker.quotaRootOf("/a/x"), undefined);
  assert.equal(t.tracker.checkCreate("/a/x", 0).kind, "ok");
  t.create("/a/x");
  assert.deepEqual(t.tracker.usageOf("/a"), { count: 1, bytes: 0 }, "not a root any more: not charged");
  t.delete("/zookeeper/quota/a/zookeeper_stats");
  assert.equal(t.tracker.usageOf("/a"), undefined);
  assert.deepEqual(t.tracker.quotaRoots(), []);
});

test("a limits node without a stats node checks nothing and counts nothing", () => {
  const t = new FakeTree(true);
  t.create("/a");
  t.create("/zookeeper/quota/a");
  t.create("/zookeeper/quota/a/zookeeper_limits", "count=-1,bytes=-1=;countHardLimit=0");
  assert.equal(t.tracker.quotaRootOf("/a/x"), "/a");
  assert.equal(t.tracker.checkCreate("/a/x", 0).kind, "ok");
  t.create("/a/x");
  assert.deepEqual(t.lastWrites, []);
});

test("changing the limits node's data changes the limits at once", () => {
  const t = new FakeTree(true);
  t.create("/a");
  t.setQuota("/a", "count=-1,bytes=-1=;countHardLimit=1");
  assert.equal(t.tracker.checkCreate("/a/x", 0).kind, "hardExceeded");
  t.setData("/zookeeper/quota/a/zookeeper_limits", "count=-1,bytes=-1=;countHardLimit=2");
  assert.equal(t.tracker.checkCreate("/a/x", 0).kind, "ok");
});

test("a client writing the stats node resets the usage (the stats node is the counter)", () => {
  const t = new FakeTree(true);
  t.create("/a", "abc");
  t.setQuota("/a", "count=-1,bytes=-1");
  t.setData("/zookeeper/quota/a/zookeeper_stats", "count=0,bytes=0,note=7");
  t.create("/a/x", "z");
  assert.deepEqual(t.tracker.usageOf("/a"), { count: 1, bytes: 1 });
  assert.equal(t.text("/zookeeper/quota/a/zookeeper_stats"), "count=1,bytes=1=;note=7", "other keys are kept");
});

test("a quota on / is ignored, as ZooKeeper ignores it", () => {
  const t = new FakeTree(true);
  t.create("/zookeeper/quota/zookeeper_limits", "count=-1,bytes=-1=;countHardLimit=0");
  t.create("/zookeeper/quota/zookeeper_stats", "count=0,bytes=0");
  assert.equal(t.tracker.quotaRootOf("/x"), undefined);
  assert.equal(t.tracker.checkCreate("/x", 0).kind, "ok");
});

test("rebuild from a loaded tree gives the same roots and usage as live tracking", () => {
  const live = new FakeTree(true);
  live.create("/a", "1");
  live.create("/a/b", "22");
  live.create("/c");
  live.setQuota("/a", "count=5,bytes=-1");
  live.setQuota("/c", "count=-1,bytes=-1=;byteHardLimit=3");
  live.create("/a/b/x", "333");
  live.create("/c/y", "4444");
  // Stats nodes hold stale text, as a snapshot might; rebuild recounts them.
  const loaded = new FakeTree(true);
  for (const [path, node] of live.nodes) {
    if (path === "/" || loaded.nodes.has(path)) continue;
    loaded.put(path, path.endsWith("zookeeper_stats") ? "count=0,bytes=0" : node.data?.toString() ?? null);
  }
  const writes = loaded.tracker.rebuild();
  assert.deepEqual(writes.map((w) => [w.path, w.data.toString()]).sort(), [
    ["/zookeeper/quota/a/zookeeper_stats", "count=3,bytes=6"],
    ["/zookeeper/quota/c/zookeeper_stats", "count=2,bytes=4"],
  ]);
  assert.deepEqual(loaded.tracker.quotaRoots().sort(), ["/a", "/c"]);
  for (const root of ["/a", "/c"]) assert.deepEqual(loaded.tracker.usageOf(root), live.tracker.usageOf(root));
  assert.equal(loaded.tracker.checkCreate("/c/z", 1).kind, "hardExceeded");
});

test("a tree 5000 levels deep: rebuild and lookups without recursion", () => {
  const t = new FakeTree(true);
  t.create("/deep");
  t.setQuota("/deep", "count=-1,bytes=-1=;countHardLimit=10000");
  let path = "/deep";
  for (let i = 0; i < 5000; i++) {
    path += "/d";
    t.put(path, "x");
  }
  t.tracker.rebuild();
  assert.deepEqual(t.tracker.usageOf("/deep"), { count: 5001, bytes: 5000 });
  assert.equal(t.tracker.quotaRootOf(`${path}/leaf`), "/deep");
  assert.equal(t.tracker.checkCreate(`${path}/leaf`, 0).kind, "ok");
});

test("replays a quota session observed on ZooKeeper 3.8 (Debian) with enforceQuota=true", () => {
  // Each step: what the client did, and the error code and stats text ZooKeeper answered.
  const t = new FakeTree(true);
  const stats = () => t.text("/zookeeper/quota/a/zookeeper_stats");
  const attempt = (verdict: QuotaVerdict, apply: () => void) => {
    if (verdict.kind === "hardExceeded") return -125;
    apply();
    return 0;
  };
  t.create("/a", "12345");
  t.create("/a/b", "xy");
  t.create("/zookeeper/quota/a");
  t.create("/zookeeper/quota/a/zookeeper_limits", "count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=4");
  t.create("/zookeeper/quota/a/zookeeper_stats", "count=0,bytes=0");
  assert.equal(stats(), "count=2,bytes=7");
  assert.equal(attempt(t.tracker.checkCreate("/a/c", 3), () => t.create("/a/c", "abc")), 0);
  assert.equal(stats(), "count=3,bytes=10");
  assert.equal(attempt(t.tracker.checkCreate("/a/d", 1), () => t.create("/a/d", "z")), -125);
  assert.equal(attempt(t.tracker.checkCreate("/a/d", 0), () => t.create("/a/d")), 0);
  assert.equal(stats(), "count=4,bytes=10");
  assert.equal(attempt(t.tracker.checkCreate("/a/e", 0), () => t.create("/a/e")), -125);
  assert.equal(attempt(t.tracker.checkSetData("/a/c", 3, 2), () => t.setData("/a/c", "ab")), 0);
  assert.equal(stats(), "count=4,bytes=9");
  t.setData("/zookeeper/quota/a/zookeeper_limits", "count=-1,bytes=-1=;byteHardLimit=5;countHardLimit=40");
  assert.equal(attempt(t.tracker.checkSetData("/a/c", 2, 1), () => t.setData("/a/c", "a")), -125, "shrinking, still over");
  assert.equal(stats(), "count=4,bytes=9");
  t.setData("/zookeeper/quota/a/zookeeper_stats", "count=0,bytes=0,note=7");
  t.create("/a/f", "q");
  assert.equal(stats(), "count=1,bytes=1=;note=7");
});

test("the real DataTree fits QuotaTreeView, and a fresh tree has no quotas", () => {
  const view: QuotaTreeView = new DataTree();
  const tracker = new QuotaTracker(view, { enforceQuota: true });
  assert.deepEqual(tracker.rebuild(), []);
  assert.deepEqual(tracker.quotaRoots(), []);
});
