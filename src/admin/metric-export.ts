/**
 * Metrics out: the server's gauges (read from the AdminView at export time) plus everything in its
 * MetricsRegistry, written two ways —
 *  - `prometheusText`: Prometheus text exposition format 0.0.4, named as ZooKeeper's PrometheusMetricsProvider
 *    (simpleclient 0.9) exports them: the bare ZooKeeper metric name, no `zk_` prefix and no `_total` suffix
 *    on counters; summaries as `name{quantile="0.5"}`, `name_count`, `name_sum` (quantiles 0.5 for basic
 *    summaries, 0.5/0.9/0.99 for advanced); summary sets carry their label (ZooKeeper's is `key`).
 *  - `monitorValues`: the flat map of `/commands/monitor`, named as ZooKeeper's default provider dumps them:
 *    gauges and counters by name, summaries as `avg_/min_/max_/cnt_/sum_<name>` plus `p50_/p95_/p99_/p999_<name>`
 *    for advanced ones; a summary set's entries as `avg_<key>_<name>` …
 *
 * Mapping of what Herd exports (ZooKeeper name → source):
 *   avg_latency, min_latency, max_latency        view.stats (the srvr latency, ms)
 *   packets_received, packets_sent               view.stats
 *   num_alive_connections                        view.connections
 *   outstanding_requests                         view.outstandingRequests
 *   uptime                                       now − view.startedMs (ms)
 *   znode_count, approximate_data_size           view.tree
 *   watch_count                                  view.watches.summary().count
 *   ephemerals_count                             sum of view.tree.ephemerals
 *   global_sessions                              view.sessions (local_sessions is 0: Herd has none)
 *   open_file_descriptor_count, max_file_descriptor_count   /proc/self (0 where not available)
 *   synced_followers, synced_observers, pending_syncs, last/min/max_proposal_size   leader only (leaderGauges)
 *   every metric of ZooKeeper 3.8's ServerMetrics (metric-catalogue.ts), auth_failed_count and
 *   last/min/max_client_response_size                                     view.metrics (ServerMetrics)
 *   process_cpu_seconds_total, process_start_time_seconds, process_open_fds, process_max_fds,
 *   process_resident_memory_bytes                Prometheus' standard process metrics (ZooKeeper exports them
 *                                                through simpleclient_hotspot)
 * Herd only: herd_request_latency{op} (latency by op type), herd_server_state{state} (1 for the current state).
 */
import * as fs from "node:fs";
import type { AdminView } from "./admin-view.js";
import { VERSION_LINE } from "./four-letter-words.js";
import { MONITOR_PERCENTILES, PROMETHEUS_QUANTILES, type Metric, type Summary, type SummaryDetail } from "./metrics.js";

export interface GaugeReading {
  name: string;
  help: string;
  value: number;
}

/** The gauges ZooKeeperServer registers, in its order, read from the view now. */
export function serverGauges(view: AdminView, nowMs: number): GaugeReading[] {
  const s = view.stats;
  let connections = 0;
  for (const _ of view.connections) connections++;
  let ephemerals = 0;
  for (const paths of view.tree.ephemerals.values()) ephemerals += paths.size;
  const fds = fileDescriptors();
  return [
    { name: "avg_latency", help: "Average request latency in ms since the last stat reset", value: round4(s.latencyAvg) },
    { name: "max_latency", help: "Largest request latency in ms since the last stat reset", value: s.latencyMaxMs },
    { name: "min_latency", help: "Smallest request latency in ms since the last stat reset", value: s.latencyMin },
    { name: "packets_received", help: "Packets received since the last stat reset", value: s.packetsReceived },
    { name: "packets_sent", help: "Packets sent since the last stat reset", value: s.packetsSent },
    { name: "num_alive_connections", help: "Open client connections", value: connections },
    { name: "outstanding_requests", help: "Requests received but not yet answered", value: view.outstandingRequests },
    { name: "uptime", help: "Milliseconds since the server started", value: nowMs - view.startedMs },
    { name: "znode_count", help: "Znodes in the tree", value: view.tree.nodeCount() },
    { name: "watch_count", help: "Watches registered", value: view.watches.summary().count },
    { name: "ephemerals_count", help: "Ephemeral znodes", value: ephemerals },
    { name: "approximate_data_size", help: "Approximate bytes of data and paths in the tree", value: view.tree.approximateDataSize() },
    { name: "global_sessions", help: "Sessions", value: view.sessions.sessions.size },
    { name: "local_sessions", help: "Local sessions (always 0 in Herd)", value: 0 },
    { name: "open_file_descriptor_count", help: "Open file descriptors", value: fds.open },
    { name: "max_file_descriptor_count", help: "File descriptor limit", value: fds.max },
    { name: "connection_drop_probability", help: "Probability of dropping a new connection (always 0 in Herd)", value: 0 },
    { name: "outstanding_tls_handshake", help: "TLS handshakes in progress (Herd has no TLS port)", value: 0 },
    { name: "non_mtls_remote_conn_count", help: "Remote connections without mutual TLS (not tracked by Herd)", value: 0 },
    { name: "non_mtls_local_conn_count", help: "Local connections without mutual TLS (not tracked by Herd)", value: 0 },
  ];
}

// ---------------------------------------------------------------- monitor (ZooKeeper's default provider dump)

export function monitorValues(view: AdminView, nowMs: number): Record<string, string | number> {
  const out: Record<string, string | number> = { version: VERSION_LINE, server_state: view.serverState ?? "standalone" };
  for (const g of serverGauges(view, nowMs)) out[g.name] = g.value;
  for (const g of leaderGauges(view)) out[g.name] = g.value;
  for (const m of view.metrics.registry.all()) dumpMetric(m, out);
  return out;
}

/** ZooKeeper's LeaderZooKeeperServer gauges, on the leader only (Herd cannot tell learners before they sync). */
export function leaderGauges(view: AdminView): GaugeReading[] {
  const learners = view.learnerCounts?.() ?? null;
  if (learners === null) return [];
  const proposals = view.metrics.proposalSize;
  return [
    { name: "synced_followers", help: "Followers in sync with this leader", value: learners.syncedFollowers },
    { name: "synced_non_voting_followers", help: "Non-voting followers in sync (Herd has none)", value: 0 },
    { name: "synced_observers", help: "Observers in sync with this leader", value: learners.syncedObservers },
    { name: "pending_syncs", help: "Learner syncs in progress", value: learners.pendingSyncs },
    { name: "last_proposal_size", help: "Size in bytes of the last proposal (-1 before the first)", value: proposals.last },
    { name: "max_proposal_size", help: "Largest proposal in bytes (-1 before the first)", value: proposals.max },
    { name: "min_proposal_size", help: "Smallest proposal in bytes (-1 before the first)", value: proposals.min },
  ];
}

function dumpMetric(m: Metric, out: Record<string, string | number>): void {
  switch (m.kind) {
    case "counter":
    case "gauge":
      out[m.metric.name] = m.metric.value;
      return;
    case "counterSet":
      for (const [key, value] of m.metric.entries()) out[`${key}_${m.metric.name}`] = value;
      return;
    case "summary":
      dumpSummary(m.metric.name, m.metric, m.detail, out);
      return;
    case "summarySet":
      for (const [key, s] of m.metric.entries()) dumpSummary(`${key}_${m.metric.name}`, s, m.metric.detail, out);
      return;
  }
}

function dumpSummary(name: string, s: Summary, detail: SummaryDetail, out: Record<string, string | number>): void {
  // Durations timed inside the server keep fractions of a millisecond; four decimals are plenty to print.
  out[`avg_${name}`] = round4(s.avg);
  out[`min_${name}`] = round4(s.min);
  out[`max_${name}`] = round4(s.max);
  out[`cnt_${name}`] = s.count;
  out[`sum_${name}`] = round4(s.sum);
  if (detail !== "advanced") return;
  const values = s.quantiles(MONITOR_PERCENTILES.map((p) => p.q));
  MONITOR_PERCENTILES.forEach((p, i) => (out[`${p.key}_${name}`] = Number.isNaN(values[i]) ? 0 : Math.round(values[i])));
}

// ---------------------------------------------------------------- Prometheus text format 0.0.4

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function prometheusText(view: AdminView, nowMs: number): string {
  const lines: string[] = [];
  for (const g of [...serverGauges(view, nowMs), ...leaderGauges(view)]) family(lines, g.name, g.help, "gauge", [sample(g.name, null, g.value)]);
  for (const m of view.metrics.registry.all()) writeMetric(lines, m);
  const state = view.serverState ?? "standalone";
  family(lines, "herd_server_state", "1 for the state this server is in", "gauge", [sample("herd_server_state", [["state", state]], 1)]);
  writeProcessMetrics(lines);
  return lines.join("\n") + "\n";
}

type Labels = [string, string][] | null;

function family(lines: string[], name: string, help: string, type: "gauge" | "counter" | "summary", samples: string[]): void {
  lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, ...samples);
}

function sample(name: string, labels: Labels, value: number): string {
  const labelText = labels === null || labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
  return `${name}${labelText} ${formatValue(value)}`;
}

function writeMetric(lines: string[], m: Metric): void {
  switch (m.kind) {
    case "counter":
      family(lines, m.metric.name, m.metric.help, "counter", [sample(m.metric.name, null, m.metric.value)]);
      return;
    case "counterSet": {
      const set = m.metric;
      family(lines, set.name, set.help, "counter", [...set.entries()].map(([key, value]) => sample(set.name, [[set.labelName, key]], value)));
      return;
    }
    case "gauge":
      family(lines, m.metric.name, m.metric.help, "gauge", [sample(m.metric.name, null, m.metric.value)]);
      return;
    case "summary":
      family(lines, m.metric.name, m.help, "summary", summarySamples(m.metric.name, [], m.metric, m.detail));
      return;
    case "summarySet": {
      const set = m.metric;
      const samples: string[] = [];
      for (const [key, s] of set.entries()) samples.push(...summarySamples(set.name, [[set.labelName, key]], s, set.detail));
      family(lines, set.name, set.help, "summary", samples);
      return;
    }
  }
}

function summarySamples(name: string, labels: [string, string][], s: Summary, detail: SummaryDetail): string[] {
  const qs = PROMETHEUS_QUANTILES[detail];
  const values = s.quantiles(qs);
  return [
    ...qs.map((q, i) => sample(name, [...labels, ["quantile", String(q)]], values[i])),
    sample(`${name}_count`, labels, s.count),
    sample(`${name}_sum`, labels, s.sum),
  ];
}

function writeProcessMetrics(lines: string[]): void {
  const cpu = process.cpuUsage();
  const fds = fileDescriptors();
  const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 10) / 100;
  family(lines, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds", "counter", [
    sample("process_cpu_seconds_total", null, (cpu.user + cpu.system) / 1e6),
  ]);
  family(lines, "process_start_time_seconds", "Start time of the process since unix epoch in seconds", "gauge", [
    sample("process_start_time_seconds", null, startSeconds),
  ]);
  family(lines, "process_open_fds", "Number of open file descriptors", "gauge", [sample("process_open_fds", null, fds.open)]);
  family(lines, "process_max_fds", "Maximum number of open file descriptors", "gauge", [sample("process_max_fds", null, fds.max)]);
  family(lines, "process_resident_memory_bytes", "Resident memory size in bytes", "gauge", [
    sample("process_resident_memory_bytes", null, process.memoryUsage.rss()),
  ]);
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** ZooKeeper reports averages with four decimals. */
export function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

/** Open descriptors and the soft limit, from Linux /proc; zeros elsewhere. */
function fileDescriptors(): { open: number; max: number } {
  let open = 0;
  let max = 0;
  try {
    open = fs.readdirSync("/proc/self/fd").length;
    const limits = /^Max open files\s+(\d+)/m.exec(fs.readFileSync("/proc/self/limits", "utf8"));
    if (limits !== null) max = Number(limits[1]);
  } catch {
    // Not Linux: report zeros rather than fail the scrape.
  }
  return { open, max };
}
