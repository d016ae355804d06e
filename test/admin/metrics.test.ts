/**
 * The metrics registry (counters, gauges, windowed summaries, bounded summary and counter sets), the JSON
 * writer, ServerMetrics' recording helpers, and the ZooKeeper 3.8 catalogue checked against a real capture.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  BufferSizeStats,
  MetricsRegistry,
  OVERFLOW_KEY,
  ServerMetrics,
  STAT_OVERHEAD_BYTES,
  Summary,
  SummarySet,
  SUMMARY_SET_KEYS_MAX,
  TimestampFifo,
  topNamespace,
} from "../../src/admin/metrics.js";
import { ZOOKEEPER_METRICS } from "../../src/admin/metric-catalogue.js";
import { repoRoot } from "../helpers/interop-tools.js";
import { toJsonText } from "../../src/admin/json-text.js";
import { AssertionError } from "../../src/base/assert.js";

test("a summary keeps count/sum/min/max over everything and quantiles over its window", () => {
  const s = new Summary("x", 4);
  assert.deepEqual([s.count, s.sum, s.min, s.max, s.avg], [0, 0, 0, 0, 0]);
  assert.ok(s.quantiles([0.5]).every(Number.isNaN));
  for (const v of [100, 1, 2, 3, 4]) s.record(v);
  assert.deepEqual([s.count, s.sum, s.min, s.max, s.avg], [5, 110, 1, 100, 22]);
  // 100 fell out of the 4-sample window: quantiles see 1..4 only.
  assert.deepEqual(s.quantiles([0, 0.25, 0.5, 0.75, 1]), [1, 1, 2, 3, 4]);
  s.reset();
  assert.equal(s.count, 0);
  assert.ok(s.quantiles([0.99]).every(Number.isNaN));
});

test("nearest-rank quantiles on a full window", () => {
  const s = new Summary("x", 1000);
  for (let i = 1000; i >= 1; i--) s.record(i);
  assert.deepEqual(s.quantiles([0.5, 0.9, 0.99, 0.999, 1]), [500, 900, 990, 999, 1000]);
});

test("recording does not allocate: a million samples leave the heap where it was", () => {
  const s = new Summary("x", 1024);
  for (let i = 0; i < 10_000; i++) s.record(i); // warm up the JIT
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) s.record(i & 1023);
  const grown = process.memoryUsage().heapUsed - before;
  // A per-call allocation of even 16 bytes would be 16 MB here.
  assert.ok(grown < 4 * 1024 * 1024, `heap grew ${grown} bytes`);
});

test("a summary set bounds its keys, folding the rest into one overflow summary", () => {
  const set = new SummarySet("lat", "help", "advanced");
  for (let i = 0; i < SUMMARY_SET_KEYS_MAX + 10; i++) set.record(`op${i}`, i);
  const keys = [...set.entries()].map(([k]) => k);
  assert.equal(keys.length, SUMMARY_SET_KEYS_MAX + 1);
  assert.equal(set.get(OVERFLOW_KEY).count, 10);
  assert.equal(set.get("op0"), set.get("op0"));
});

test("the registry rejects duplicate and malformed names", () => {
  const r = new MetricsRegistry();
  r.counter("requests", "help");
  assert.throws(() => r.counter("requests", "again"), AssertionError);
  assert.throws(() => r.gauge("bad-name", "help"), AssertionError);
  const g = r.gauge("depth", "help");
  g.set(3);
  g.inc();
  assert.equal(g.value, 4);
  let n = 0;
  assert.equal(r.gauge("live", "help", () => ++n).value, 1);
  assert.deepEqual([...r.all()].map((m) => m.kind), ["counter", "gauge", "gauge"]);
});

test("ServerMetrics.recordRequest feeds read or update latency, the per-op set and response sizes", () => {
  const m = new ServerMetrics();
  m.recordRequest("getData", false, 3, 100);
  m.recordRequest("setData", true, 7, 20);
  m.recordRequest("getData", false, 5, 40);
  assert.equal(m.readLatency.count, 2);
  assert.equal(m.updateLatency.sum, 7);
  assert.equal(m.requestLatencyByOp.get("getData").max, 5);
  assert.equal(m.responseBytes.value, 160);
  assert.deepEqual([m.clientResponseSize.last, m.clientResponseSize.min, m.clientResponseSize.max], [40, 20, 100]);
});

test("buffer size stats start at -1 as ZooKeeper's do", () => {
  const b = new BufferSizeStats();
  assert.deepEqual([b.last, b.min, b.max], [-1, -1, -1]);
  b.record(0);
  assert.deepEqual([b.last, b.min, b.max], [0, 0, 0]);
});

test("admin JSON writes bigints as exact signed 64-bit integers", () => {
  assert.equal(toJsonText({ a: 0xffffffffffffffffn, b: 72057655484219393n, c: [1, "x", null, true] }, 0),
    '{"a":-1,"b":72057655484219393,"c":[1,"x",null,true]}');
  assert.equal(toJsonText({ n: Number.NaN, u: undefined, e: {}, l: [] }, 0), '{"n":null,"u":null,"e":{},"l":[]}');
  assert.equal(toJsonText({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => toJsonText(cyclic), /nested too deeply/);
});

test("a timestamp FIFO keeps order across growth and wrap-around, and stops at its bound", () => {
  const q = new TimestampFifo(128);
  for (let i = 0; i < 50; i++) q.push(i);
  for (let i = 0; i < 40; i++) assert.equal(q.shift(), i);
  for (let i = 50; i < 150; i++) q.push(i); // wraps, grows to 128
  assert.equal(q.length, 110);
  assert.equal(q.peek(0), 40);
  assert.equal(q.peek(109), 149);
  assert.ok(Number.isNaN(q.peek(110)));
  for (let i = 150; i < 200; i++) q.push(i); // 18 fit, the rest are dropped
  assert.equal(q.length, 128);
  for (let i = 40; i < 168; i++) assert.equal(q.shift(), i);
  assert.ok(Number.isNaN(q.shift()));
});

test("top namespaces as ZooKeeper's PathUtils.getTopNamespace finds them", () => {
  assert.equal(topNamespace("/a"), "a");
  assert.equal(topNamespace("/a/b/c"), "a");
  assert.equal(topNamespace("/zookeeper/quota"), "zookeeper");
  assert.equal(topNamespace("/"), null);
  assert.equal(topNamespace(""), null);
  assert.equal(topNamespace("//x"), null);
});

test("per-namespace read and write sizes: path + data (+ a stat for reads), split by top-level component", () => {
  const m = new ServerMetrics();
  m.recordRead("/app/config", 10);
  m.recordRead("/app", 0);
  m.recordRead("/application/x", 1); // shares a prefix with /app but is another namespace
  m.recordRead("/", 5); // no namespace: not counted
  m.recordWrite("/app/x", 3);
  const reads = new Map([...m.summarySet("read_per_namespace").entries()].map(([k, s]) => [k, [s.count, s.sum]]));
  assert.deepEqual(reads, new Map([["app", [2, 11 + 10 + 68 + 4 + 68]], ["application", [1, 14 + 1 + STAT_OVERHEAD_BYTES]]]));
  assert.equal(m.summarySet("write_per_namespace").get("app").sum, 6 + 3);
});

test("group commit timing: queue size, batch size, per-txn queue and flush times", () => {
  const m = new ServerMetrics();
  for (let i = 0; i < 3; i++) m.syncQueued();
  m.syncBatchTaken(2);
  m.syncBatchDurable(2, 4);
  m.syncBatchTaken(1);
  m.syncBatchDurable(1, 1);
  assert.equal(m.counter("sync_processor_request_queued").value, 3);
  assert.deepEqual([m.summary("sync_processor_batch_size").count, m.summary("sync_processor_batch_size").sum], [2, 3]);
  assert.deepEqual([m.summary("sync_processor_queue_size").max, m.summary("sync_processor_queue_size").min], [3, 1]);
  assert.equal(m.summary("sync_processor_queue_time_ms").count, 3);
  assert.equal(m.summary("sync_processor_queue_and_flush_time_ms").count, 3);
  assert.equal(m.summary("sync_process_time").count, 3);
  assert.deepEqual([m.fsyncTime.count, m.fsyncTime.sum], [2, 5]);
  assert.equal(m.summary("sync_processor_queue_flush_time_ms").sum, 5);
});

test("prep timing pairs each prepared write with its place in the queue; a cleared queue is forgotten", () => {
  const m = new ServerMetrics();
  m.prepQueued();
  m.prepQueued();
  m.recordPrep(false, performance.now());
  assert.deepEqual([m.summary("prep_processor_queue_size").max, m.summary("prep_processor_queue_time_ms").count], [1, 1]);
  m.prepQueueCleared();
  m.recordPrep(true, performance.now());
  assert.equal(m.summary("prep_processor_queue_time_ms").count, 1, "nothing queued: no queue time");
  assert.equal(m.summary("prep_process_time").count, 2);
  assert.equal(m.summary("close_session_prep_time").count, 1);
  assert.equal(m.counter("prep_processor_request_queued").value, 2);
});

test("watch triggers are recorded only when a change fired some watchers; dead watchers only when there were any", () => {
  const m = new ServerMetrics();
  m.recordWatchTrigger("created", 0);
  m.recordWatchTrigger("childrenChanged", 3);
  assert.equal(m.summary("node_created_watch_count").count, 0);
  assert.equal(m.summary("node_children_watch_count").sum, 3);
  m.recordDeadWatchers(performance.now(), 0);
  m.recordDeadWatchers(performance.now(), 2);
  assert.deepEqual([m.counter("dead_watchers_queued").value, m.counter("dead_watchers_cleared").value], [1, 1]);
});

test("a counter set counts per key and dumps as <key>_<name>; a bound counter reads its source", () => {
  const m = new ServerMetrics();
  m.quotaExceeded("/app/limited");
  m.quotaExceeded("/app");
  assert.deepEqual([...m.counterSet("quota_exceeded_error_per_namespace").entries()], [["app", 2]]);
  const source = { queuedTotal: 7, removedTotal: 5 };
  m.bindOutstandingChanges(source);
  source.queuedTotal++;
  assert.deepEqual([m.counter("outstanding_changes_queued").value, m.counter("outstanding_changes_removed").value], [8, 5]);
});

test("hot-path recording allocates nothing: requests, namespaces, prep, group commits", () => {
  const m = new ServerMetrics();
  const burst = () => {
    for (let i = 0; i < 100_000; i++) {
      m.recordRequest("getData", false, 1, 100);
      m.recordRead("/app/node", 10);
      m.recordWrite("/app/node", 10);
      m.recordWatchTrigger("dataChanged", 1);
      m.prepQueued();
      m.recordPrep(false, 0);
      m.syncQueued();
      m.syncBatchTaken(1);
      m.syncBatchDurable(1, 1);
      m.recordApplied(0);
    }
  };
  burst(); // warm up the JIT and size the queues
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  burst();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 4 * 1024 * 1024, `heap grew ${grown} bytes`);
});

test("the catalogue has ZooKeeper 3.8.0's kind and detail for every summary in the captured monitor output", () => {
  const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "admin", "fixtures", "zookeeper-3.8.0-standalone.json"), "utf8"));
  const keys = Object.keys(fixture.monitor as Record<string, unknown>);
  const byName = new Map<string, (typeof ZOOKEEPER_METRICS)[number]>(ZOOKEEPER_METRICS.map((e) => [e.name, e]));
  for (const key of keys) {
    const summary = /^avg_(.+)$/.exec(key);
    if (summary === null || !keys.includes(`cnt_${summary[1]}`)) continue; // avg_latency is a gauge
    let name = summary[1];
    if (!byName.has(name)) name = name.replace(/^[^_]+_/, ""); // a set entry: <namespace>_<name>
    const entry = byName.get(name);
    assert.ok(entry !== undefined && (entry.kind === "summary" || entry.kind === "summarySet"), `${key} is no catalogued summary`);
    assert.equal(entry.detail, keys.includes(`p99_${summary[1]}`) ? "advanced" : "basic", key);
  }
  for (const key of keys) {
    const entry = byName.get(key);
    if (entry !== undefined) assert.equal(entry.kind, "counter", key);
  }
  assert.equal(new Set(ZOOKEEPER_METRICS.map((e) => e.name)).size, ZOOKEEPER_METRICS.length, "names are unique");
});
