/**
 * A small metrics registry the runtime feeds and the AdminServer exports (`/metrics` as Prometheus text,
 * `/commands/monitor` as ZooKeeper's flat key/value dump). Names follow ZooKeeper's ServerMetrics so dashboards
 * built for ZooKeeper work; Herd-only metrics start with `herd_`.
 *
 * Recording is on the request hot path, so it is O(1) and allocates nothing: counters add to a number, a summary
 * writes into a preallocated ring of the most recent samples. Quantiles are computed only when someone reads them
 * (a scrape), from a sorted copy of that window; a sliding window reports *recent* latency, which is what an
 * operator looking at a dashboard wants (ZooKeeper's uniform reservoir needs a random source per sample).
 */
import { assert } from "../base/assert.js";
import {
  ZOOKEEPER_METRICS,
  helpText,
  type CounterName,
  type CounterSetName,
  type SummaryName,
  type SummarySetName,
} from "./metric-catalogue.js";

/** ZooKeeper's two summary detail levels: basic exports the median; advanced exports tail quantiles too. */
export type SummaryDetail = "basic" | "advanced";

/** Quantiles in Prometheus output, as ZooKeeper's Prometheus provider registers them. */
export const PROMETHEUS_QUANTILES: Readonly<Record<SummaryDetail, readonly number[]>> = {
  basic: [0.5],
  advanced: [0.5, 0.9, 0.99],
};

/** Percentiles in the monitor dump (`p50_<name>` …), advanced summaries only, as ZooKeeper's default provider. */
export const MONITOR_PERCENTILES: readonly { key: string; q: number }[] = [
  { key: "p50", q: 0.5 },
  { key: "p95", q: 0.95 },
  { key: "p99", q: 0.99 },
  { key: "p999", q: 0.999 },
];

/** Samples a summary keeps for its quantiles. */
export const SUMMARY_WINDOW_DEFAULT = 1024;
export const SUMMARY_WINDOW_MAX = 1 << 16;
/** Distinct label values one summary set accepts; later ones share `OVERFLOW_KEY` so memory stays bounded. */
export const SUMMARY_SET_KEYS_MAX = 64;
export const OVERFLOW_KEY = "other";
/** Metrics one registry holds (names are fixed at start-up; this only catches a runaway loop). */
export const METRICS_MAX = 512;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export class Counter {
  private total = 0;
  private source: (() => number) | null = null;

  constructor(readonly name: string, readonly help: string) {}

  inc(by = 1): void {
    this.total += by;
  }

  /** Reads the count from a running total kept elsewhere (a lower layer that must not import metrics). */
  bind(source: () => number): void {
    this.source = source;
  }

  get value(): number {
    return this.source === null ? this.total : this.source();
  }

  reset(): void {
    this.total = 0;
  }
}

/** Counters of one quantity split by a label (ZooKeeper's CounterSet, label `key`); keys bounded like SummarySet. */
export class CounterSet {
  private readonly byKey = new Map<string, number>();

  constructor(readonly name: string, readonly help: string, readonly labelName = "key") {}

  inc(key: string, by = 1): void {
    if (!this.byKey.has(key) && this.byKey.size >= SUMMARY_SET_KEYS_MAX) key = OVERFLOW_KEY;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + by);
  }

  entries(): IterableIterator<[string, number]> {
    return this.byKey.entries();
  }

  reset(): void {
    this.byKey.clear();
  }
}

/** A gauge is either set by the runtime or read from a callback at export time. */
export class Gauge {
  private current = 0;

  constructor(readonly name: string, readonly help: string, private readonly read: (() => number) | null = null) {}

  set(value: number): void {
    this.current = value;
  }

  inc(by = 1): void {
    this.current += by;
  }

  get value(): number {
    return this.read === null ? this.current : this.read();
  }
}

/** count/sum/min/max over all samples, quantiles over the most recent `windowSize` samples. */
export class Summary {
  private readonly window: Float64Array;
  private next = 0;
  private filled = 0;
  private n = 0;
  private total = 0;
  private lowest = 0;
  private highest = 0;

  constructor(readonly name: string, windowSize = SUMMARY_WINDOW_DEFAULT) {
    assert(Number.isInteger(windowSize) && windowSize > 0 && windowSize <= SUMMARY_WINDOW_MAX, `summary window ${windowSize}`);
    this.window = new Float64Array(windowSize);
  }

  record(value: number): void {
    if (this.n === 0 || value < this.lowest) this.lowest = value;
    if (this.n === 0 || value > this.highest) this.highest = value;
    this.n++;
    this.total += value;
    this.window[this.next] = value;
    this.next = this.next + 1 === this.window.length ? 0 : this.next + 1;
    if (this.filled < this.window.length) this.filled++;
  }

  get count(): number {
    return this.n;
  }
  get sum(): number {
    return this.total;
  }
  /** 0 before the first sample, as ZooKeeper reports it. */
  get min(): number {
    return this.lowest;
  }
  get max(): number {
    return this.highest;
  }
  get avg(): number {
    return this.n === 0 ? 0 : this.total / this.n;
  }

  /** Nearest-rank quantiles of the recent window, one per `qs` entry; NaN when there are no samples. */
  quantiles(qs: readonly number[]): number[] {
    if (this.filled === 0) return qs.map(() => Number.NaN);
    const sorted = this.window.slice(0, this.filled).sort();
    return qs.map((q) => sorted[Math.min(this.filled - 1, Math.max(0, Math.ceil(q * this.filled) - 1))]);
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
    this.n = 0;
    this.total = 0;
    this.lowest = 0;
    this.highest = 0;
  }
}

/** Summaries of one quantity split by a label (ZooKeeper's SummarySet, label `key`). */
export class SummarySet {
  private readonly byKey = new Map<string, Summary>();

  constructor(readonly name: string, readonly help: string, readonly detail: SummaryDetail, readonly labelName = "key", private readonly windowSize = SUMMARY_WINDOW_DEFAULT) {}

  /** The summary for `key`; allocates only the first time a key is seen. Cache it on hot paths. */
  get(key: string): Summary {
    let s = this.byKey.get(key);
    if (s !== undefined) return s;
    if (this.byKey.size >= SUMMARY_SET_KEYS_MAX) key = OVERFLOW_KEY;
    s = this.byKey.get(key);
    if (s === undefined) this.byKey.set(key, (s = new Summary(`${key}_${this.name}`, this.windowSize)));
    return s;
  }

  record(key: string, value: number): void {
    this.get(key).record(value);
  }

  entries(): IterableIterator<[string, Summary]> {
    return this.byKey.entries();
  }

  reset(): void {
    for (const s of this.byKey.values()) s.reset();
  }
}

export type Metric =
  | { kind: "counter"; metric: Counter }
  | { kind: "counterSet"; metric: CounterSet }
  | { kind: "gauge"; metric: Gauge }
  | { kind: "summary"; metric: Summary; help: string; detail: SummaryDetail }
  | { kind: "summarySet"; metric: SummarySet };

/** Named metrics in registration order; names are unique. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    const metric = new Counter(name, help);
    this.add(name, { kind: "counter", metric });
    return metric;
  }

  counterSet(name: string, help: string, labelName = "key"): CounterSet {
    const metric = new CounterSet(name, help, labelName);
    this.add(name, { kind: "counterSet", metric });
    return metric;
  }

  gauge(name: string, help: string, read: (() => number) | null = null): Gauge {
    const metric = new Gauge(name, help, read);
    this.add(name, { kind: "gauge", metric });
    return metric;
  }

  summary(name: string, help: string, detail: SummaryDetail, windowSize = SUMMARY_WINDOW_DEFAULT): Summary {
    const metric = new Summary(name, windowSize);
    this.add(name, { kind: "summary", metric, help, detail });
    return metric;
  }

  summarySet(name: string, help: string, detail: SummaryDetail, labelName = "key", windowSize = SUMMARY_WINDOW_DEFAULT): SummarySet {
    const metric = new SummarySet(name, help, detail, labelName, windowSize);
    this.add(name, { kind: "summarySet", metric });
    return metric;
  }

  all(): IterableIterator<Metric> {
    return this.metrics.values();
  }

  /** Zeroes every counter and summary (srst / stat_reset, as ZooKeeper's resetAll); gauges read live state. */
  resetAll(): void {
    for (const m of this.metrics.values()) {
      if (m.kind !== "gauge") m.metric.reset();
    }
  }

  get(name: string): Metric | undefined {
    return this.metrics.get(name);
  }

  private add(name: string, metric: Metric): void {
    assert(METRIC_NAME.test(name), `metric name ${name}`);
    assert(!this.metrics.has(name), `metric ${name} registered twice`);
    assert(this.metrics.size < METRICS_MAX, "too many metrics");
    this.metrics.set(name, metric);
  }
}

/** Largest/smallest/last response size, as ZooKeeper's client_response stats (-1 before the first). */
export class BufferSizeStats {
  last = -1;
  min = -1;
  max = -1;

  record(bytes: number): void {
    this.last = bytes;
    if (this.min === -1 || bytes < this.min) this.min = bytes;
    if (bytes > this.max) this.max = bytes;
  }

  reset(): void {
    this.last = -1;
    this.min = -1;
    this.max = -1;
  }
}

/** Times queued in FIFO order (a txn waiting for the log, a write waiting for prep); grows by doubling, bounded. */
export class TimestampFifo {
  private ring = new Float64Array(64);
  private head = 0;
  private size = 0;

  constructor(private readonly capacityMax = TIMESTAMP_FIFO_MAX) {}

  get length(): number {
    return this.size;
  }

  /** Past capacityMax the time is not kept: the metrics fed from this queue skip what they cannot time. */
  push(timeMs: number): void {
    if (this.size === this.ring.length) {
      if (this.ring.length >= this.capacityMax) return;
      this.grow();
    }
    this.ring[(this.head + this.size) & (this.ring.length - 1)] = timeMs;
    this.size++;
  }

  /** The oldest time, removed; NaN when empty. */
  shift(): number {
    if (this.size === 0) return Number.NaN;
    const t = this.ring[this.head];
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.size--;
    return t;
  }

  /** The i-th oldest time without removing it; NaN past the end. */
  peek(i: number): number {
    return i < this.size ? this.ring[(this.head + i) & (this.ring.length - 1)] : Number.NaN;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const bigger = new Float64Array(this.ring.length * 2);
    for (let i = 0; i < this.size; i++) bigger[i] = this.peek(i);
    this.ring = bigger;
    this.head = 0;
  }
}

/** Entries a TimestampFifo keeps at most (a power of two). */
export const TIMESTAMP_FIFO_MAX = 1 << 20;

/**
 * ZooKeeper's top-level namespace of a path: the first component ("/a/b" → "a"), none for "/". Java's
 * `split("/")[1]`, which this mirrors, also yields "" for a path starting "//" (not a valid znode path).
 */
export function topNamespace(path: string): string | null {
  if (path.charCodeAt(0) !== 0x2f || path.length < 2) return null;
  const end = path.indexOf("/", 1);
  const ns = end < 0 ? path.slice(1) : path.slice(1, end);
  return ns.length === 0 ? null : ns;
}

/**
 * A SummarySet keyed by top-level namespace. The summary of the namespace used last is kept with its "/<ns>"
 * prefix, so a run of requests under one namespace records without slicing the path (no allocation).
 */
class NamespaceSummaries {
  private lastPrefix = "";
  private last: Summary | null = null;

  constructor(private readonly set: SummarySet) {}

  record(path: string, value: number): void {
    const p = this.lastPrefix;
    const cached = this.last !== null && path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 0x2f);
    if (!cached) {
      const ns = topNamespace(path);
      if (ns === null) return;
      this.lastPrefix = "/" + ns;
      this.last = this.set.get(ns);
    }
    this.last!.record(value);
  }
}

/** ZooKeeper's fixed size of a Stat, added to every read it counts per namespace. */
export const STAT_OVERHEAD_BYTES = 6 * 8 + 5 * 4;

/** The watch events ZooKeeper counts triggered watchers for (Herd's TreeChange kinds). */
export type WatchEventKind = "created" | "deleted" | "dataChanged" | "childrenChanged";

/**
 * The metrics a Herd server records: every metric of ZooKeeper 3.8's ServerMetrics (metric-catalogue.ts), under
 * ZooKeeper's names, plus a few ZooKeeperServer gauges kept here and Herd's own `herd_` metrics. The runtime
 * feeds them through the fields and `record*` methods below; each is O(1) and allocates nothing once warm
 * (a per-namespace or per-op key allocates its summary the first time it is seen).
 *
 * Durations measured inside the server use performance.now() and keep fractions of a millisecond; request
 * latencies and cross-server latencies (txn header times) are whole wall-clock milliseconds, as in ZooKeeper.
 */
export class ServerMetrics {
  readonly registry = new MetricsRegistry();
  private readonly catalogued = registerCatalogue(this.registry);

  // Request path (ZooKeeper's ServerStats and FinalRequestProcessor).
  readonly readLatency = this.summary("readlatency");
  readonly updateLatency = this.summary("updatelatency");
  readonly bytesReceived = this.counter("bytes_received_count");
  readonly responseBytes = this.counter("response_bytes");
  readonly watchBytes = this.counter("watch_bytes");
  readonly propagationLatency = this.summary("propagation_latency");
  readonly staleReplies = this.counter("stale_replies");
  readonly largeRequestsRejected = this.counter("large_requests_rejected");
  readonly requestThrottleWaits = this.counter("request_throttle_wait_count");

  // Connections and sessions.
  readonly connectionRequests = this.counter("connection_request_count");
  readonly connectionRejected = this.counter("connection_rejected");
  readonly connectionDrops = this.counter("connection_drop_count");
  readonly connectionRevalidations = this.counter("connection_revalidate_count");
  readonly revalidations = this.counter("revalidate_count");
  readonly closedWhileNotServing = this.counter("cnxn_closed_without_zk_server_running");
  readonly unsuccessfulHandshakes = this.counter("unsuccessful_handshake");
  readonly staleSessionsExpired = this.counter("stale_sessions_expired");
  readonly unrecoverableErrors = this.counter("unrecoverable_error_count");

  // Persistence.
  readonly fsyncTime = this.summary("fsynctime");
  readonly snapshotTime = this.summary("snapshottime");

  /** Herd only: request latency split by op name (`create`, `getData`, …). */
  readonly requestLatencyByOp = this.registry.summarySet("herd_request_latency", "Request latency in milliseconds by op", "advanced", "op");
  /** ZooKeeperServer's `auth_failed_count` gauge (a count it keeps in ServerStats). */
  readonly authFailed = this.registry.gauge("auth_failed_count", "Authentication failures");
  readonly clientResponseSize = new BufferSizeStats();
  /** Leader only: sizes of the txns it proposed (ZooKeeper's last/min/max_proposal_size leader gauges). */
  readonly proposalSize = new BufferSizeStats();

  /** Arrow so a connection can hold it as its notification hook without a closure per connection. */
  readonly recordWatchBytes = (bytes: number): void => this.watchBytes.inc(bytes);

  private readonly readsByNamespace = new NamespaceSummaries(this.summarySet("read_per_namespace"));
  private readonly writesByNamespace = new NamespaceSummaries(this.summarySet("write_per_namespace"));
  private readonly watchersTriggered: Readonly<Record<WatchEventKind, Summary>> = {
    created: this.summary("node_created_watch_count"),
    deleted: this.summary("node_deleted_watch_count"),
    dataChanged: this.summary("node_changed_watch_count"),
    childrenChanged: this.summary("node_children_watch_count"),
  };
  private readonly deadWatchersQueued = this.counter("dead_watchers_queued");
  private readonly deadWatchersCleared = this.counter("dead_watchers_cleared");
  private readonly deadWatchersCleanerLatency = this.summary("dead_watchers_cleaner_latency");
  private readonly prepQueue = new TimestampFifo();
  private readonly prepQueuedCount = this.counter("prep_processor_request_queued");
  private readonly prepQueueTime = this.summary("prep_processor_queue_time_ms");
  private readonly prepQueueSize = this.summary("prep_processor_queue_size");
  private readonly prepProcessTime = this.summary("prep_process_time");
  private readonly closeSessionPrepTime = this.summary("close_session_prep_time");
  private readonly syncQueue = new TimestampFifo();
  private syncBatchStartedMs = 0;
  private readonly syncQueuedCount = this.counter("sync_processor_request_queued");
  private readonly syncQueueSize = this.summary("sync_processor_queue_size");
  private readonly syncBatchSize = this.summary("sync_processor_batch_size");
  private readonly syncQueueTime = this.summary("sync_processor_queue_time_ms");
  private readonly syncFlushTime = this.summary("sync_processor_queue_flush_time_ms");
  private readonly syncQueueAndFlushTime = this.summary("sync_processor_queue_and_flush_time_ms");
  private readonly syncProcessTime = this.summary("sync_process_time");

  constructor() {
    const size = this.clientResponseSize;
    this.registry.gauge("last_client_response_size", "Size in bytes of the last client response", () => size.last);
    this.registry.gauge("max_client_response_size", "Largest client response in bytes", () => size.max);
    this.registry.gauge("min_client_response_size", "Smallest client response in bytes", () => size.min);
  }

  /** A catalogued counter by ZooKeeper name (resolve once, then use the handle). */
  counter(name: CounterName): Counter {
    const m = this.catalogued.get(name);
    assert(m?.kind === "counter", `${name} is not a catalogued counter`);
    return m.metric;
  }

  summary(name: SummaryName): Summary {
    const m = this.catalogued.get(name);
    assert(m?.kind === "summary", `${name} is not a catalogued summary`);
    return m.metric;
  }

  summarySet(name: SummarySetName): SummarySet {
    const m = this.catalogued.get(name);
    assert(m?.kind === "summarySet", `${name} is not a catalogued summary set`);
    return m.metric;
  }

  counterSet(name: CounterSetName): CounterSet {
    const m = this.catalogued.get(name);
    assert(m?.kind === "counterSet", `${name} is not a catalogued counter set`);
    return m.metric;
  }

  /** One answered request: its latency by kind and by op, and the size of its reply. */
  recordRequest(op: string, isWrite: boolean, latencyMs: number, responseBytes: number): void {
    (isWrite ? this.updateLatency : this.readLatency).record(latencyMs);
    this.requestLatencyByOp.get(op).record(latencyMs);
    this.responseBytes.inc(responseBytes);
    this.clientResponseSize.record(responseBytes);
  }

  /** A successful getData/exists/getChildren: the path, plus the data or child-name bytes it returned. */
  recordRead(path: string, bytes: number): void {
    this.readsByNamespace.record(path, path.length + bytes + STAT_OVERHEAD_BYTES);
  }

  /** An applied create/setData (bytes of data) or delete (0). */
  recordWrite(path: string, bytes: number): void {
    this.writesByNamespace.record(path, path.length + bytes);
  }

  /** One change fired `watchers` watchers; ZooKeeper records only changes that fired some. */
  recordWatchTrigger(kind: WatchEventKind, watchers: number): void {
    if (watchers > 0) this.watchersTriggered[kind].record(watchers);
  }

  /**
   * A closed connection's watches were removed: `startedMs` (performance.now()) is taken before the removal and
   * `removed` is what it returned, so one call times it.
   */
  recordDeadWatchers(startedMs: number, removed: number): void {
    if (removed === 0) return;
    this.deadWatchersQueued.inc();
    this.deadWatchersCleared.inc();
    this.deadWatchersCleanerLatency.record(performance.now() - startedMs);
  }

  /** A committed txn was applied; its header time was set by the server that prepared it. */
  recordApplied(txnTimeMs: number): void {
    const ms = Date.now() - txnTimeMs;
    if (ms >= 0) this.propagationLatency.record(ms); // clocks of different servers may disagree
  }

  /** A write entered prep's queue (standalone: prepared at once; leader: its backlog). */
  prepQueued(): void {
    this.prepQueuedCount.inc();
    this.prepQueue.push(performance.now());
  }

  /** The leader dropped its backlog (role change): nothing queued will be prepared. */
  prepQueueCleared(): void {
    this.prepQueue.clear();
  }

  /** Prep of the oldest queued write, started at `startedMs` (performance.now()), just finished. */
  recordPrep(isCloseSession: boolean, startedMs: number): void {
    const ms = performance.now() - startedMs;
    const queuedMs = this.prepQueue.shift();
    if (!Number.isNaN(queuedMs)) this.prepQueueTime.record(Math.max(0, startedMs - queuedMs));
    this.prepQueueSize.record(this.prepQueue.length);
    this.prepProcessTime.record(ms);
    if (isCloseSession) this.closeSessionPrepTime.record(ms);
  }

  /** A txn was queued for the txn log. */
  syncQueued(): void {
    this.syncQueuedCount.inc();
    this.syncQueue.push(performance.now());
  }

  /** The txn log took the oldest `records` queued txns as one group commit (TxnLog onBatch). */
  syncBatchTaken(records: number): void {
    const now = performance.now();
    this.syncBatchStartedMs = now;
    this.syncQueueSize.record(this.syncQueue.length);
    this.syncBatchSize.record(records);
    for (let i = 0; i < records && i < this.syncQueue.length; i++) this.syncQueueTime.record(now - this.syncQueue.peek(i));
  }

  /** That group commit is durable; its write and fsync took `elapsedMs` (TxnLog onDurable). */
  syncBatchDurable(records: number, elapsedMs: number): void {
    const now = performance.now();
    this.fsyncTime.record(elapsedMs);
    this.syncFlushTime.record(elapsedMs);
    for (let i = 0; i < records; i++) {
      const queuedMs = this.syncQueue.shift();
      if (Number.isNaN(queuedMs)) break;
      this.syncQueueAndFlushTime.record(now - queuedMs);
      this.syncProcessTime.record(now - this.syncBatchStartedMs);
    }
  }

  /** The database was loaded: started at `startedMs`, snapshot restored at `snapshotLoadedMs` (performance.now()). */
  recordRecovery(startedMs: number, snapshotLoadedMs: number, txnsReplayed: number): void {
    const now = performance.now();
    this.summary("startup_snap_load_time").record(snapshotLoadedMs - startedMs);
    this.summary("startup_txns_load_time").record(now - snapshotLoadedMs);
    this.summary("startup_txns_loaded").record(txnsReplayed);
    this.summary("dbinittime").record(now - startedMs);
  }

  /** A write exceeded a hard quota set on `quotaRoot`. */
  quotaExceeded(quotaRoot: string): void {
    const ns = topNamespace(quotaRoot);
    if (ns !== null) this.counterSet("quota_exceeded_error_per_namespace").inc(ns);
  }

  /** Outstanding change records are counted by the overlay itself (pipeline code does not import metrics). */
  bindOutstandingChanges(source: { readonly queuedTotal: number; readonly removedTotal: number }): void {
    this.counter("outstanding_changes_queued").bind(() => source.queuedTotal);
    this.counter("outstanding_changes_removed").bind(() => source.removedTotal);
  }
}

type CataloguedMetric = Extract<Metric, { kind: "counter" | "counterSet" | "summary" | "summarySet" }>;

/** Registers every catalogued ZooKeeper metric, in catalogue order; returns them by name. */
function registerCatalogue(registry: MetricsRegistry): Map<string, CataloguedMetric> {
  const byName = new Map<string, CataloguedMetric>();
  for (const entry of ZOOKEEPER_METRICS) {
    const help = helpText(entry);
    switch (entry.kind) {
      case "counter":
        byName.set(entry.name, { kind: "counter", metric: registry.counter(entry.name, help) });
        break;
      case "counterSet":
        byName.set(entry.name, { kind: "counterSet", metric: registry.counterSet(entry.name, help) });
        break;
      case "summary":
        byName.set(entry.name, { kind: "summary", metric: registry.summary(entry.name, help, entry.detail), help, detail: entry.detail });
        break;
      case "summarySet":
        byName.set(entry.name, { kind: "summarySet", metric: registry.summarySet(entry.name, help, entry.detail) });
        break;
    }
  }
  return byName;
}
