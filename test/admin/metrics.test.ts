/** The metrics registry: counters, gauges, windowed summaries, bounded summary sets, and the JSON writer. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BufferSizeStats,
  MetricsRegistry,
  OVERFLOW_KEY,
  ServerMetrics,
  Summary,
  SummarySet,
  SUMMARY_SET_KEYS_MAX,
} from "../../src/admin/metrics.js";
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
