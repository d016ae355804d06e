/**
 * The shape of a benchmark results file (bench/results/<date>-<commit>.json) and the arithmetic that turns
 * repeated runs into a summary: the median of each server's runs, and the Herd/ZooKeeper ratio computed per
 * repetition (Herd's run i against ZooKeeper's run i, which ran right after it) with its median and range.
 */
import type { LatencyUs } from "./loadgen.js";
import type { ServerKind } from "./servers.js";
import type { WorkloadParams } from "./workloads.js";

export const resultsSchemaVersion = 1;

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

export interface TargetCheck {
  what: string;
  /** Herd / ZooKeeper, median over repetitions. */
  ratio: number;
  target: string;
  met: boolean;
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
  servers: { herd: string; zookeeper: string; loadGenerator: string };
  options: Record<string, unknown>;
  workloads: WorkloadResult[];
  memory: MemoryResult | null;
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

/** The targets: throughput >= 1.5x, p99 <= 0.5x, RSS per znode <= 0.3x, restart <= 0.35x of ZooKeeper. */
export const targets = { throughputMin: 1.5, p99Max: 0.5, rssPerZnodeMax: 0.3, restartMax: 0.35 } as const;

export function checkTargets(workloads: readonly WorkloadResult[], memory: MemoryResult | null): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const w of workloads) {
    const throughput = w.summary.opsPerSec.ratio.median;
    checks.push({ what: `${w.name} throughput`, ratio: throughput, target: `>= ${targets.throughputMin}`, met: throughput >= targets.throughputMin });
    const p99 = w.summary.p99Us.ratio.median;
    checks.push({ what: `${w.name} p99 latency`, ratio: p99, target: `<= ${targets.p99Max}`, met: p99 <= targets.p99Max });
  }
  if (memory !== null) {
    const rss = memory.summary.rssPerZnodeBytes.ratio.median;
    checks.push({ what: "RSS per znode", ratio: rss, target: `<= ${targets.rssPerZnodeMax}`, met: rss <= targets.rssPerZnodeMax });
    const restart = memory.summary.restartToFirstReadMs.ratio.median;
    checks.push({ what: "restart to first read", ratio: restart, target: `<= ${targets.restartMax}`, met: restart <= targets.restartMax });
  }
  return checks;
}
