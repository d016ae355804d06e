/**
 * The shape of a benchmark results file (bench/results/<date>-<commit>[-ensemble].json) and the arithmetic that
 * turns repeated runs into a summary: the median of each server's runs, and the Herd/ZooKeeper ratio computed per
 * repetition (Herd's run i against ZooKeeper's run i, which ran right after it) with its median and range.
 * A run measures either standalone servers or ensembles (`ensemble` says which); only ensembles have `failover`.
 * `tsClientWorkloads` holds the same measurements made through Herd's own TypeScript client (`--ts-client`):
 * informational rows, never judged against the targets, which are about the Java client's headline rows.
 */
import type { EnsembleSettings } from "./ensemble.js";
import type { LatencyUs } from "./loadgen.js";
import type { ServerKind } from "./servers.js";
import type { WorkloadParams } from "./workloads.js";

/**
 * 2 added `ensemble` and `failover`; 3 added `tsClientWorkloads` and `servers.tsClientLoadGenerator`. An older
 * file reads as a run without them (version 1: a standalone run).
 */
export const resultsSchemaVersion = 3;

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  node: string;
  java: string;
  zookeeper: string;
  /** File system type of the servers' data directories (where fsync goes). */
  dataDirFs: string;
  /** 1-minute load average when the run started and ended: other work on the machine adds noise. */
  loadAverageStart: number;
  loadAverageEnd: number;
}

export interface WorkloadRun {
  server: ServerKind;
  rep: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  latencyUs: LatencyUs;
  errors: Record<string, number>;
  /** Server CPU (user + system) during the measured part. */
  cpuSeconds: number;
  cpuSecondsPer1000Ops: number;
}

export interface Spread { median: number; min: number; max: number }

/** One metric for both servers and their ratio (Herd / ZooKeeper). */
export interface Comparison { herd: Spread; zookeeper: Spread; ratio: Spread }

export const workloadMetrics = ["opsPerSec", "p50Us", "p99Us", "p999Us", "cpuSecondsPer1000Ops"] as const;
export type WorkloadMetric = (typeof workloadMetrics)[number];

export interface WorkloadResult {
  name: string;
  description: string;
  focus: "throughput" | "latency";
  params: WorkloadParams;
  runs: WorkloadRun[];
  summary: Record<WorkloadMetric, Comparison>;
}

export interface MemoryRun {
  server: ServerKind;
  rep: number;
  /** Znodes created by the load (leaves and inner nodes). */
  znodes: number;
  loadSeconds: number;
  loadErrors: Record<string, number>;
  /** After a forced full GC, before loading and after. */
  rssEmptyBytes: number;
  rssLoadedBytes: number;
  /** (loaded - empty) / znodes. */
  rssPerZnodeBytes: number;
  /** loaded / znodes: includes the runtime's fixed cost. */
  rssTotalPerZnodeBytes: number;
  /** From spawning the restarted process to the first successful getData. */
  restartToFirstReadMs: number;
  rssAfterRestartBytes: number;
}

export const memoryMetrics = ["rssPerZnodeBytes", "rssTotalPerZnodeBytes", "restartToFirstReadMs"] as const;
export type MemoryMetric = (typeof memoryMetrics)[number];

export interface MemoryResult {
  leaves: number;
  valueSize: number;
  runs: MemoryRun[];
  summary: Record<MemoryMetric, Comparison>;
}

/** One kill -9 of an ensemble's leader, measured by bench/failover-probe.ts. */
export interface FailoverRun {
  server: ServerKind;
  rep: number;
  /** Member ids (1-based): the leader killed, and the one that leads afterwards. */
  killedLeader: number;
  newLeader: number;
  /** From the kill to the acknowledgement of the first write sent after it: how long writes were unavailable. */
  unavailableMs: number;
  /** From the last write acknowledged before the kill to the first acknowledged after it. */
  stallMs: number;
  /** From starting the killed member again to it serving as a synced follower. */
  rejoinMs: number;
  /** Writes acknowledged during the repetition. */
  acks: number;
  reconnects: number;
  failedAttempts: number;
  sessionsExpired: number;
  writeErrors: Record<string, number>;
}

export const failoverMetrics = ["unavailableMs", "stallMs", "rejoinMs"] as const;
export type FailoverMetric = (typeof failoverMetrics)[number];

export interface FailoverResult {
  /** The members the probe's session could use: every member but the leader at the time. */
  connectsTo: string;
  valueSize: number;
  runs: FailoverRun[];
  summary: Record<FailoverMetric, Comparison>;
}

export interface TargetCheck {
  what: string;
  /** Herd / ZooKeeper, median over repetitions. */
  ratio: number;
  target: string;
  met: boolean;
  /** For an absolute target (failover): the value judged, in `unit`; the check is on it, not on `ratio`. */
  value?: number;
  unit?: "ms";
}

export interface BenchResults {
  schema: number;
  startedAt: string;
  finishedAt: string;
  commit: string;
  /** The working tree had uncommitted changes. */
  dirty: boolean;
  command: string;
  quick: boolean;
  machine: MachineInfo;
  durability: string;
  servers: { herd: string; zookeeper: string; loadGenerator: string; tsClientLoadGenerator?: string };
  options: Record<string, unknown>;
  /** The ensembles measured; null (or absent, in a version 1 file) for standalone servers. */
  ensemble?: EnsembleSettings | null;
  /** Through the Java client: the headline rows, judged against the targets. */
  workloads: WorkloadResult[];
  /**
   * Through Herd's TypeScript client (`--ts-client`), named "ts-client <workload>"; informational, not judged.
   * Empty without --ts-client; absent before schema 3.
   */
  tsClientWorkloads?: WorkloadResult[];
  memory: MemoryResult | null;
  /** Ensemble runs only. */
  failover?: FailoverResult | null;
  targets: TargetCheck[];
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Compares a metric over runs paired by repetition number. */
export function compare<R extends { server: ServerKind; rep: number }>(runs: readonly R[], metric: (r: R) => number): Comparison {
  const of = (kind: ServerKind) => runs.filter((r) => r.server === kind).sort((a, b) => a.rep - b.rep);
  const herd = of("herd");
  const zookeeper = of("zookeeper");
  const ratios: number[] = [];
  for (const h of herd) {
    const z = zookeeper.find((r) => r.rep === h.rep);
    if (z !== undefined && metric(z) !== 0) ratios.push(metric(h) / metric(z));
  }
  return { herd: spread(herd.map(metric)), zookeeper: spread(zookeeper.map(metric)), ratio: spread(ratios) };
}

export function workloadMetric(run: WorkloadRun, metric: WorkloadMetric): number {
  switch (metric) {
    case "opsPerSec": return run.opsPerSec;
    case "p50Us": return run.latencyUs.p50;
    case "p99Us": return run.latencyUs.p99;
    case "p999Us": return run.latencyUs.p999;
    case "cpuSecondsPer1000Ops": return run.cpuSecondsPer1000Ops;
  }
}

export function summarizeWorkload(runs: readonly WorkloadRun[]): Record<WorkloadMetric, Comparison> {
  const entries = workloadMetrics.map((m) => [m, compare(runs, (r) => workloadMetric(r, m))] as const);
  return Object.fromEntries(entries) as Record<WorkloadMetric, Comparison>;
}

export function summarizeMemory(runs: readonly MemoryRun[]): Record<MemoryMetric, Comparison> {
  const entries = memoryMetrics.map((m) => [m, compare(runs, (r) => r[m])] as const);
  return Object.fromEntries(entries) as Record<MemoryMetric, Comparison>;
}

export function summarizeFailover(runs: readonly FailoverRun[]): Record<FailoverMetric, Comparison> {
  const entries = failoverMetrics.map((m) => [m, compare(runs, (r) => r[m])] as const);
  return Object.fromEntries(entries) as Record<FailoverMetric, Comparison>;
}

/**
 * The targets: throughput >= 1.5x, p99 <= 0.5x, RSS per znode <= 0.3x, restart <= 0.35x of ZooKeeper,
 * standalone and ensemble alike; and in a 3-member ensemble, kill -9 of the leader to the first acknowledged
 * write within 1 s (absolute, judged on Herd's slowest repetition). Only the Java client's rows are judged: the
 * TypeScript client's (`tsClientWorkloads`) are informational and never passed to checkTargets.
 */
export const targets = { throughputMin: 1.5, p99Max: 0.5, rssPerZnodeMax: 0.3, restartMax: 0.35, failoverMsMax: 1000 } as const;

export function checkTargets(
  workloads: readonly WorkloadResult[],
  memory: MemoryResult | null,
  failover: FailoverResult | null = null,
  ensemble: EnsembleSettings | null = null,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  // Ensemble checks are named apart, so a standalone and an ensemble row of the same workload never read alike.
  const tag = ensemble === null ? "" : "ensemble ";
  for (const w of workloads) {
    const throughput = w.summary.opsPerSec.ratio.median;
    checks.push({ what: `${tag}${w.name} throughput`, ratio: throughput, target: `>= ${targets.throughputMin}`, met: throughput >= targets.throughputMin });
    const p99 = w.summary.p99Us.ratio.median;
    checks.push({ what: `${tag}${w.name} p99 latency`, ratio: p99, target: `<= ${targets.p99Max}`, met: p99 <= targets.p99Max });
  }
  if (failover !== null) {
    const slowest = failover.summary.unavailableMs.herd.max;
    checks.push({
      what: `${tag}failover (kill -9 of the leader to the first acknowledged write, Herd's slowest repetition)`,
      ratio: failover.summary.unavailableMs.ratio.median,
      target: `<= ${targets.failoverMsMax} ms`,
      met: slowest <= targets.failoverMsMax,
      value: slowest,
      unit: "ms",
    });
  }
  if (memory !== null) {
    const rss = memory.summary.rssPerZnodeBytes.ratio.median;
    checks.push({ what: "RSS per znode", ratio: rss, target: `<= ${targets.rssPerZnodeMax}`, met: rss <= targets.rssPerZnodeMax });
    const restart = memory.summary.restartToFirstReadMs.ratio.median;
    checks.push({ what: "restart to first read", ratio: restart, target: `<= ${targets.restartMax}`, met: restart <= targets.restartMax });
  }
  return checks;
}
