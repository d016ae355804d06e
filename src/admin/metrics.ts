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

  constructor(readonly name: string, readonly help: string) {}

  inc(by = 1): void {
    this.total += by;
  }

  get value(): number {
    return this.total;
  }

  reset(): void {
    this.total = 0;
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

/**
 * The metrics a Herd server records, by ZooKeeper name where ZooKeeper has one (see docs in admin-server.ts for
 * the full `/metrics` mapping). The runtime calls the `record*` methods; each is O(1) with no allocation once
 * an op name has been seen.
 */
export class ServerMetrics {
  readonly registry = new MetricsRegistry();
  /** ZooKeeper `readlatency`: ms from a read request's arrival to its reply. */
  readonly readLatency = this.registry.summary("readlatency", "Read request latency in milliseconds", "advanced");
  /** ZooKeeper `updatelatency`: ms from a write request's arrival to its reply (after fsync and apply). */
  readonly updateLatency = this.registry.summary("updatelatency", "Write request latency in milliseconds", "advanced");
  /** Herd only: the same latency split by op name (`create`, `getData`, …). */
  readonly requestLatencyByOp = this.registry.summarySet("herd_request_latency", "Request latency in milliseconds by op", "advanced", "op");
  /** ZooKeeper `fsynctime`: ms one txn log fsync took. */
  readonly fsyncTime = this.registry.summary("fsynctime", "Txn log fsync time in milliseconds", "basic");
  /** ZooKeeper `snapshottime`: ms writing one snapshot took. */
  readonly snapshotTime = this.registry.summary("snapshottime", "Snapshot write time in milliseconds", "basic");
  /** ZooKeeper `bytes_received_count`: bytes read from client sockets. */
  readonly bytesReceived = this.registry.counter("bytes_received_count", "Bytes received from clients");
  /** ZooKeeper `response_bytes`: bytes of replies and notifications written to clients. */
  readonly responseBytes = this.registry.counter("response_bytes", "Bytes sent to clients");
  /** ZooKeeper `connection_request_count`: ConnectRequests received. */
  readonly connectionRequests = this.registry.counter("connection_request_count", "Connection requests received");
  /** ZooKeeper `auth_failed_count`. */
  readonly authFailed = this.registry.gauge("auth_failed_count", "Authentication failures");
  readonly clientResponseSize = new BufferSizeStats();

  constructor() {
    const size = this.clientResponseSize;
    this.registry.gauge("last_client_response_size", "Size in bytes of the last client response", () => size.last);
    this.registry.gauge("max_client_response_size", "Largest client response in bytes", () => size.max);
    this.registry.gauge("min_client_response_size", "Smallest client response in bytes", () => size.min);
  }

  /** One answered request: its latency by kind and by op, and the size of its reply. */
  recordRequest(op: string, isWrite: boolean, latencyMs: number, responseBytes: number): void {
    (isWrite ? this.updateLatency : this.readLatency).record(latencyMs);
    this.requestLatencyByOp.get(op).record(latencyMs);
    this.responseBytes.inc(responseBytes);
    this.clientResponseSize.record(responseBytes);
  }
}
