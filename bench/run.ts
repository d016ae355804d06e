/**
 * `npm run bench`: Herd against Apache ZooKeeper 3.8 on this machine, through the official Java client.
 *
 *   npm run bench -- [--workloads create,getData,...] [--reps 2] [--duration 10] [--warmup 3] [--ops N]
 *                    [--sessions 8] [--inflight 32] [--value-size 100] [--keys 10000] [--watchers 100]
 *                    [--znodes 100000] [--large] [--quick] [--out FILE] [--docs | --no-docs] [--zk-heap 1000m]
 *                    [--ensemble | --members N] [--tick-time 200] [--init-limit 10] [--sync-limit 5]
 *                    [--failover-reps 5] [--ts-client | --no-ts-client]
 *
 * For each workload it starts a fresh Herd and a fresh ZooKeeper (same zoo.cfg, fsync on), runs LoadGen against
 * them alternately (Herd, ZooKeeper, Herd, ZooKeeper, ...) so drift in the machine hits both, and samples each
 * server's CPU time around the measured part. The memory workload loads a tree into one server at a time,
 * measures RSS after a forced GC, and times a restart to the first successful read.
 * With --ensemble the same workloads run against a 3-member Herd ensemble and a 3-member ZooKeeper ensemble
 * (bench/ensemble.ts), and the failover workload kills each ensemble's leader under a write load.
 * With --ts-client (standalone servers; on by default with --quick) the create, setData, getData, mixed,
 * getLatency and setLatency workloads also run through Herd's own TypeScript client (bench/ts-loadgen.ts) on the
 * same two servers, right after LoadGen's runs and alternated the same way; they are reported as rows of their own
 * ("ts-client setData", ...) and are not judged against the targets, which are about the Java client.
 * Writes bench/results/<date>-<commit>[-ensemble].json and, for full runs, regenerates the matching summary
 * (standalone or ensemble, and the TypeScript client's) in docs/PERFORMANCE.md.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { javaBin, repoRoot, zookeeperJar } from "../test/helpers/interop-tools.js";
import { BenchEnsemble, type EnsembleSettings } from "./ensemble.js";
import { FailoverProbe } from "./failover-probe.js";
import { ensureLoadGenCompiled, runLoadGen, runTsLoadGen, type LoadMark, type LoadParams, type LoadResult } from "./loadgen.js";
import {
  resultsFileName, summaryMarkdown, summaryMarkers, tsClientMarkers, tsClientRowName, tsClientSummaryMarkdown, updateDoc,
} from "./report.js";
import {
  checkTargets, resultsSchemaVersion, summarizeFailover, summarizeMemory, summarizeWorkload,
  type BenchResults, type FailoverResult, type FailoverRun, type MachineInfo, type MemoryResult, type MemoryRun,
  type WorkloadResult, type WorkloadRun,
} from "./results.js";
import {
  restartTimed, serverKinds, serverSpec, startServer, zookeeperHeapDefault, zookeeperJvmFlags,
  type BenchServer, type ServerKind,
} from "./servers.js";
import {
  allWorkloadNames, benchPrefix, ensembleWorkloadNames, failoverProbePath, failoverWorkload, memoryWorkload,
  populatedProbePath, quickEnsembleWorkloadNames, standaloneWorkloadNames, workloadSpec, type WorkloadSpec,
} from "./workloads.js";

export interface BenchOptions {
  workloads: string[];
  reps: number;
  durationS: number;
  warmupS: number;
  /** Measured ops per run instead of a duration. */
  ops?: number;
  sessions: number;
  inflight: number;
  valueSize: number;
  keys: number;
  watchers: number;
  /** Leaves loaded by the memory workload. */
  znodes: number;
  quick: boolean;
  /** Results file; default bench/results/<date>-<commit>[-quick].json. */
  out?: string;
  /** Regenerate the summary in docs/PERFORMANCE.md. */
  docs: boolean;
  zookeeperHeap: string;
  /** Only regenerate docs/PERFORMANCE.md from this results file; run nothing. */
  report?: string;
  /** 1: standalone servers; 3 (or another odd number): ensembles of that many members. */
  members: number;
  /** zoo.cfg of the ensembles (both servers); standalone servers keep tickTime=2000. */
  tickTimeMs: number;
  initLimit: number;
  syncLimit: number;
  /** Leader kills per server in the failover workload. */
  failoverReps: number;
  /** Also run tsClientWorkloadNames (those selected) through Herd's TypeScript client; standalone only. */
  tsClient: boolean;
}

/** Ensemble sizes the harness accepts: odd, so a majority is well defined, and few enough for one machine. */
const membersMax = 7;
export const ensembleDefaults = { members: 3, tickTimeMs: 200, initLimit: 10, syncLimit: 5 } as const;

/**
 * The workloads --ts-client also runs through Herd's TypeScript client. Opt-in for a full run: with the default
 * reps, warm-up and duration they add about 6 minutes (6 workloads x 4 runs x 13 s, plus set-up).
 */
export const tsClientWorkloadNames: readonly string[] = ["create", "setData", "getData", "mixed", "getLatency", "setLatency"];

export const usage = `usage: npm run bench -- [options]
  --workloads a,b,...   any of ${allWorkloadNames.join(", ")}
                        (default: all that apply: memory is standalone only, failover ensemble only;
                        --quick --ensemble: ${quickEnsembleWorkloadNames.join(",")})
  --reps N              repetitions per server, alternating Herd and ZooKeeper (default 2; quick 1)
  --duration S          measured seconds per run (default 10; quick 2)
  --warmup S            unmeasured seconds before each run (default 3; quick 0.5; 0 with --ops)
  --ops N               a fixed number of measured ops per run instead of --duration
  --sessions N          client sessions (default 8)
  --inflight N          requests in flight per session (default 32)
  --value-size N        bytes per value (default 100)
  --keys N              key set for read/update workloads (default 10000; quick 1000)
  --watchers N          sessions watching one node in watchFanout (default 100)
  --znodes N            leaves loaded by the memory workload (default 100000; --large 1000000; quick 5000)
  --large               the memory workload loads 1M znodes
  --quick               every workload briefly, to smoke-test the harness
  --out FILE            results file (default bench/results/<date>-<commit>[-ensemble].json)
  --docs / --no-docs    regenerate the summary (standalone or ensemble section) in docs/PERFORMANCE.md
                        (default: on, except quick or --ops runs)
  --zk-heap SIZE        ZooKeeper's -Xmx (default ${zookeeperHeapDefault}, ZooKeeper's own default)
  --ensemble            run against a ${ensembleDefaults.members}-member Herd ensemble and a ${ensembleDefaults.members}-member ZooKeeper ensemble
  --members N           ensemble size (odd, up to ${membersMax}; 1 = standalone servers, the default)
  --tick-time MS        the ensembles' tickTime (default ${ensembleDefaults.tickTimeMs})
  --init-limit N        the ensembles' initLimit in ticks (default ${ensembleDefaults.initLimit})
  --sync-limit N        the ensembles' syncLimit in ticks (default ${ensembleDefaults.syncLimit})
  --failover-reps N     leader kills per server in the failover workload (default 5; quick 1)
  --ts-client           also run ${tsClientWorkloadNames.join(", ")} (those selected) through Herd's
                        own TypeScript client, as informational rows apart from the Java client's; standalone
                        only (default: off, about 6 more minutes; on with --quick unless --no-ts-client)
  --report FILE         run nothing: regenerate the summary in docs/PERFORMANCE.md from a results file`;

export class UsageError extends Error {}

const docFile = path.join(repoRoot, "docs", "PERFORMANCE.md");
const resultsDir = path.join(repoRoot, "bench", "results");

export const durabilityStatement =
  "Both servers fsync every acknowledged write: ZooKeeper with its default forceSync=yes, Herd by fdatasync of its " +
  "transaction log before replying (group commit). Their data directories are on the same file system.";

/** What fsync means in an ensemble: the quorum, not one server, has the write on disk before the reply. */
export const ensembleDurabilityStatement =
  `${durabilityStatement} In an ensemble every member fsyncs a proposal before acknowledging it, and a write is ` +
  "answered once a majority of members (the leader included) has acknowledged it.";

function positiveNumber(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a non-negative number`);
  return n;
}

function positiveInt(flag: string, value: string | undefined): number {
  const n = positiveNumber(flag, value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a whole number >= 1`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const given = new Map<string, string | true>();
  const valued = new Set(["--workloads", "--reps", "--duration", "--warmup", "--ops", "--sessions", "--inflight", "--value-size",
    "--keys", "--watchers", "--znodes", "--out", "--zk-heap", "--report", "--members", "--tick-time", "--init-limit",
    "--sync-limit", "--failover-reps"]);
  const switches = new Set(["--large", "--quick", "--docs", "--no-docs", "--help", "-h", "--ensemble", "--ts-client", "--no-ts-client"]);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (switches.has(flag)) given.set(flag, true);
    else if (valued.has(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      given.set(flag, value);
    } else throw new UsageError(`unknown option ${argv[i]}`);
  }
  if (given.has("--help") || given.has("-h")) throw new UsageError("");
  const text = (flag: string) => { const v = given.get(flag); return typeof v === "string" ? v : undefined; };
  const quick = given.has("--quick");
  const large = given.has("--large");
  const ops = text("--ops") !== undefined ? positiveInt("--ops", text("--ops")) : undefined;
  const num = (flag: string, fallback: number) => (text(flag) !== undefined ? positiveNumber(flag, text(flag)) : fallback);
  const int = (flag: string, fallback: number) => (text(flag) !== undefined ? positiveInt(flag, text(flag)) : fallback);
  const members = int("--members", given.has("--ensemble") ? ensembleDefaults.members : 1);
  if (members !== 1 && (members < 3 || members % 2 === 0 || members > membersMax)) {
    throw new UsageError(`--members must be 1 or an odd number from 3 to ${membersMax}`);
  }
  if (given.has("--ensemble") && members === 1) throw new UsageError("--ensemble with --members 1 says two different things");
  const workloads = selectedWorkloads(text("--workloads"), members, quick);
  if (given.has("--ts-client") && given.has("--no-ts-client")) throw new UsageError("--ts-client and --no-ts-client contradict each other");
  if (given.has("--ts-client") && members > 1) throw new UsageError("--ts-client measures standalone servers only");
  // A quick run smoke-tests every part of the harness, the TypeScript client's runs included.
  const tsClient = given.has("--ts-client") || (quick && members === 1 && !given.has("--no-ts-client"));
  return {
    workloads,
    reps: int("--reps", quick ? 1 : 2),
    durationS: num("--duration", quick ? 2 : 10),
    warmupS: num("--warmup", ops !== undefined ? 0 : quick ? 0.5 : 3),
    ops,
    sessions: int("--sessions", 8),
    inflight: int("--inflight", 32),
    valueSize: text("--value-size") !== undefined ? Math.floor(positiveNumber("--value-size", text("--value-size"))) : 100,
    keys: int("--keys", quick ? 1000 : 10_000),
    watchers: int("--watchers", 100),
    znodes: int("--znodes", large ? 1_000_000 : quick ? 5000 : 100_000),
    quick,
    out: text("--out"),
    docs: given.has("--docs") || (!given.has("--no-docs") && !quick && ops === undefined),
    zookeeperHeap: text("--zk-heap") ?? zookeeperHeapDefault,
    report: text("--report"),
    members,
    tickTimeMs: int("--tick-time", ensembleDefaults.tickTimeMs),
    initLimit: int("--init-limit", ensembleDefaults.initLimit),
    syncLimit: int("--sync-limit", ensembleDefaults.syncLimit),
    failoverReps: int("--failover-reps", quick ? 1 : 5),
    tsClient,
  };
}

/** --workloads, checked against the topology; by default every workload that applies to it. */
function selectedWorkloads(listed: string | undefined, members: number, quick: boolean): string[] {
  const ensemble = members > 1;
  if (listed === undefined) {
    if (!ensemble) return [...standaloneWorkloadNames];
    return [...(quick ? quickEnsembleWorkloadNames : ensembleWorkloadNames)];
  }
  const workloads = listed.split(",").map((w) => w.trim()).filter((w) => w !== "");
  for (const w of workloads) {
    if (!allWorkloadNames.includes(w)) throw new UsageError(`unknown workload ${w} (known: ${allWorkloadNames.join(", ")})`);
    if (w === memoryWorkload && ensemble) throw new UsageError("the memory workload measures standalone servers only");
    if (w === failoverWorkload && !ensemble) throw new UsageError("the failover workload needs ensembles (--ensemble)");
  }
  return workloads;
}

/** The ensembles' zoo.cfg settings, or null for standalone servers. */
export function ensembleSettings(o: BenchOptions): EnsembleSettings | null {
  return o.members === 1 ? null : { members: o.members, tickTimeMs: o.tickTimeMs, initLimit: o.initLimit, syncLimit: o.syncLimit };
}

type Log = (line: string) => void;

/** Runs the selected workloads and writes the results file (and the docs summary when asked). */
export async function runBench(
  o: BenchOptions,
  log: Log = (line) => process.stdout.write(`${line}\n`),
): Promise<{ file: string; results: BenchResults }> {
  ensureLoadGenCompiled();
  const startedAt = new Date().toISOString();
  const loadAverageStart = os.loadavg()[0];
  const scratch = mkdtempSync(path.join(os.tmpdir(), "herd-bench-"));
  const ensemble = ensembleSettings(o);
  const durability = ensemble === null ? durabilityStatement : ensembleDurabilityStatement;
  log(`Herd vs Apache ZooKeeper${ensemble === null ? "" : `, ${ensemble.members}-member ensembles (${ensembleCfgText(ensemble)})`}. ${durability}`);
  try {
    let workloads: WorkloadResult[] = [];
    const tsClientWorkloads: WorkloadResult[] = [];
    let memory: MemoryResult | null = null;
    let failover: FailoverResult | null = null;
    if (ensemble === null) {
      for (const name of o.workloads) {
        const spec = workloadSpec(name);
        if (spec === undefined) continue;
        const measured = await benchWorkload(spec, o, scratch, log);
        workloads.push(measured.java);
        if (measured.tsClient !== null) tsClientWorkloads.push(measured.tsClient);
      }
      memory = o.workloads.includes(memoryWorkload) ? await benchMemory(o, scratch, log) : null;
    } else {
      ({ workloads, failover } = await benchEnsembles(ensemble, o, scratch, log));
    }
    const results: BenchResults = {
      schema: resultsSchemaVersion,
      startedAt,
      finishedAt: new Date().toISOString(),
      ...gitState(),
      command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
      quick: o.quick,
      machine: machineInfo(scratch, loadAverageStart),
      durability,
      servers: serverDescriptions(o, ensemble),
      options: { ...o },
      ensemble,
      workloads,
      tsClientWorkloads,
      memory,
      failover,
      // The Java client's rows only: the TypeScript client's are informational.
      targets: checkTargets(workloads, memory, failover, ensemble),
    };
    const file = o.out ?? path.join(resultsDir, resultsFileName(results));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    const summary = summaryMarkdown(results);
    const tsClientSummary = tsClientSummaryMarkdown(results);
    log("");
    log(summary);
    if (tsClientSummary !== "") log(`\nThrough Herd's TypeScript client:\n\n${tsClientSummary}`);
    log("");
    log(`results: ${path.relative(process.cwd(), file) || file}`);
    if (o.docs) {
      updateDoc(docFile, summary, summaryMarkers(results));
      log(`${ensemble === null ? "standalone" : "ensemble"} summary regenerated in ${path.relative(process.cwd(), docFile)}`);
      if (tsClientSummary !== "") {
        updateDoc(docFile, tsClientSummary, tsClientMarkers);
        log(`TypeScript client summary regenerated in ${path.relative(process.cwd(), docFile)}`);
      }
    }
    return { file, results };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function ensembleCfgText(e: EnsembleSettings): string {
  return `tickTime=${e.tickTimeMs}, initLimit=${e.initLimit}, syncLimit=${e.syncLimit}`;
}

function serverDescriptions(o: BenchOptions, ensemble: EnsembleSettings | null): BenchResults["servers"] {
  const loadGenerator = "bench/java/LoadGen.java on Debian's zookeeper.jar async API (NIO client socket; Netty for churn)";
  const herd = `node ${process.version} --expose-gc dist/bench/herd-gc.js (Herd's CLI plus a SIGUSR2 GC hook)`;
  const zookeeper = `java ${zookeeperJvmFlags(o.zookeeperHeap).join(" ")}`;
  if (ensemble === null) {
    return {
      herd: `${herd}, zoo.cfg defaults`,
      zookeeper: `${zookeeper} ZooKeeperServerMain (JVM defaults otherwise), zoo.cfg defaults`,
      loadGenerator,
      ...(o.tsClient ? { tsClientLoadGenerator: `bench/ts-loadgen.ts on Herd's src/client (node ${process.version}, one process)` } : {}),
    };
  }
  const cfg = `${ensemble.members} members on 127.0.0.1, zoo.cfg ${ensembleCfgText(ensemble)}, defaults otherwise`;
  return {
    herd: `${herd} per member; ${cfg}`,
    zookeeper: `${zookeeper} QuorumPeerMain (JVM defaults otherwise) per member; ${cfg}`,
    loadGenerator: `${loadGenerator}; sessions spread over every member, one-session workloads on one follower; ` +
      "failover: bench/failover-probe.ts (raw wire protocol, re-attaches its session at once)",
  };
}

async function startFresh(kind: ServerKind, o: BenchOptions, scratch: string): Promise<BenchServer> {
  const runDir = mkdtempSync(path.join(scratch, `${kind}-`));
  return startServer(await serverSpec(kind, runDir, o.zookeeperHeap));
}

async function stopAndRemove(server: BenchServer): Promise<void> {
  await server.stop();
  rmSync(server.spec.runDir, { recursive: true, force: true });
}

function loadParams(spec: WorkloadSpec, o: BenchOptions): LoadParams {
  return {
    ...spec.params(o),
    durationS: o.durationS,
    ops: o.ops,
    warmupS: o.warmupS,
    prefix: benchPrefix,
  };
}

/** What LoadGen runs against: a standalone server or an ensemble, with the CPU time of its process(es). */
interface LoadTarget {
  kind: ServerKind;
  /** Where the workload's sessions connect. */
  connectStringFor(spec: WorkloadSpec): Promise<string>;
  cpuSeconds(): number;
}

function serverTarget(server: BenchServer): LoadTarget {
  return { kind: server.spec.kind, connectStringFor: async () => server.connectString, cpuSeconds: () => server.cpuSeconds() };
}

/**
 * Throughput workloads spread their sessions over every member (the Java client picks one at random per
 * session). A one-session latency workload connects to a follower, as most of an ensemble's clients do: left to
 * chance, one server's run could land on its leader and the other's on a follower, and the ratio would measure
 * that.
 */
function ensembleTarget(ensemble: BenchEnsemble): LoadTarget {
  return {
    kind: ensemble.kind,
    async connectStringFor(spec) {
      if (spec.focus !== "latency") return ensemble.connectString;
      const leader = await ensemble.settledLeaderIndex(settleTimeoutMs);
      return ensemble.connectStringOf([leader === 0 ? 1 : 0]);
    },
    cpuSeconds: () => ensemble.cpuSeconds(),
  };
}

/**
 * Fresh servers for the workload, then Herd, ZooKeeper, Herd, ZooKeeper, ... on the same two processes through
 * LoadGen; with --ts-client, the same again through Herd's TypeScript client (after LoadGen's runs, so the
 * headline rows see the servers exactly as they would without it).
 */
async function benchWorkload(spec: WorkloadSpec, o: BenchOptions, scratch: string, log: Log):
  Promise<{ java: WorkloadResult; tsClient: WorkloadResult | null }> {
  const servers = new Map<ServerKind, BenchServer>();
  try {
    for (const kind of serverKinds) servers.set(kind, await startFresh(kind, o, scratch));
    const targets = [...servers.values()].map(serverTarget);
    const java = await alternateRuns(spec, targets, o, log);
    const tsClient = o.tsClient && tsClientWorkloadNames.includes(spec.name)
      ? await alternateRuns(spec, targets, o, log, { rowName: tsClientRowName(spec.name), run: runTsLoadGen })
      : null;
    return { java, tsClient };
  } finally {
    for (const server of servers.values()) await stopAndRemove(server);
  }
}

/** A load generator process and the name its rows get: LoadGen (the headline) or Herd's TypeScript client. */
interface LoadGenerator {
  rowName: string;
  run(connect: string, params: LoadParams, onMark: (mark: LoadMark) => void): Promise<LoadResult>;
}

/** Runs `spec` o.reps times on each target in turn (Herd, ZooKeeper, Herd, ZooKeeper, ...). */
async function alternateRuns(spec: WorkloadSpec, targets: readonly LoadTarget[], o: BenchOptions, log: Log,
  generator: LoadGenerator = { rowName: spec.name, run: runLoadGen }): Promise<WorkloadResult> {
  const runs: WorkloadRun[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    for (const target of targets) {
      const run = await measuredRun(target, loadParams(spec, o), rep, await target.connectStringFor(spec), generator);
      runs.push(run);
      log(`${generator.rowName.padEnd(12)} ${target.kind.padEnd(9)} rep ${rep}: ${Math.round(run.opsPerSec)} ops/s, ` +
        `p50 ${Math.round(run.latencyUs.p50)} µs, p99 ${Math.round(run.latencyUs.p99)} µs, ` +
        `${run.cpuSecondsPer1000Ops.toFixed(3)} CPU-s/1k ops${errorText(run.errors)}`);
    }
  }
  return {
    name: generator.rowName, description: spec.description, focus: spec.focus, params: spec.params(o), runs, summary: summarizeWorkload(runs),
  };
}

type EnsemblePair = Map<ServerKind, BenchEnsemble>;

async function startEnsembles(settings: EnsembleSettings, o: BenchOptions, scratch: string, log: Log): Promise<EnsemblePair> {
  const pair: EnsemblePair = new Map();
  try {
    for (const kind of serverKinds) {
      const startedAtMs = performance.now();
      pair.set(kind, await BenchEnsemble.start(kind, settings, mkdtempSync(path.join(scratch, `${kind}-ensemble-`)), o.zookeeperHeap));
      log(`${kind} ensemble of ${settings.members} formed in ${Math.round(performance.now() - startedAtMs)} ms`);
    }
  } catch (e) {
    await stopEnsembles(pair);
    throw e;
  }
  return pair;
}

async function stopEnsembles(pair: EnsemblePair): Promise<void> {
  for (const ensemble of pair.values()) await ensemble.stop();
}

/**
 * Every selected LoadGen workload on a fresh pair of ensembles (as standalone runs get fresh servers), then the
 * failover workload on a fresh pair. --quick shares one pair among them all: starting six servers costs seconds,
 * and a quick run only has to show that each part works.
 */
async function benchEnsembles(settings: EnsembleSettings, o: BenchOptions, scratch: string, log: Log):
  Promise<{ workloads: WorkloadResult[]; failover: FailoverResult | null }> {
  const shared = o.quick ? await startEnsembles(settings, o, scratch, log) : null;
  const withEnsembles = async <T>(use: (pair: EnsemblePair) => Promise<T>): Promise<T> => {
    const pair = shared ?? await startEnsembles(settings, o, scratch, log);
    try {
      return await use(pair);
    } finally {
      if (shared === null) await stopEnsembles(pair);
    }
  };
  try {
    const workloads: WorkloadResult[] = [];
    for (const name of o.workloads) {
      const spec = workloadSpec(name);
      if (spec === undefined) continue;
      workloads.push(await withEnsembles((pair) => alternateRuns(spec, [...pair.values()].map(ensembleTarget), o, log)));
    }
    // Last, because it kills members (the killed one is back in the ensemble before it returns).
    const failover = o.workloads.includes(failoverWorkload) ? await withEnsembles((pair) => benchFailover(pair, o, log)) : null;
    return { workloads, failover };
  } finally {
    if (shared !== null) await stopEnsembles(shared);
  }
}

/** Writes acknowledged before the kill (the probe's steady state), and after the first one back. */
const failoverAcksBefore = 100;
const failoverAcksAfter = 20;
/** Bounds each wait in a failover repetition; a failover that takes longer is a failure, not a data point. */
const failoverWaitMs = 120_000;
/** How long an ensemble may take to show one leader and only followers in `srvr` before a run begins. */
const settleTimeoutMs = 30_000;

/** Kills each ensemble's leader o.failoverReps times, alternating Herd and ZooKeeper. */
async function benchFailover(pair: EnsemblePair, o: BenchOptions, log: Log): Promise<FailoverResult> {
  const runs: FailoverRun[] = [];
  for (let rep = 1; rep <= o.failoverReps; rep++) {
    for (const [kind, ensemble] of pair) {
      const run = await failoverRun(ensemble, rep, o.valueSize);
      runs.push(run);
      log(`${"failover".padEnd(12)} ${kind.padEnd(9)} rep ${rep}: leader ${run.killedLeader} killed, first write acknowledged ` +
        `${Math.round(run.unavailableMs)} ms later (stall ${Math.round(run.stallMs)} ms), new leader ${run.newLeader}, ` +
        `${run.reconnects} reconnect(s), ${run.failedAttempts} refused attempt(s); member ${run.killedLeader} rejoined in ` +
        `${Math.round(run.rejoinMs)} ms${errorText(run.writeErrors)}${run.sessionsExpired > 0 ? `, ${run.sessionsExpired} session(s) expired` : ""}`);
    }
  }
  return { connectsTo: "every member but the leader", valueSize: o.valueSize, runs, summary: summarizeFailover(runs) };
}

/**
 * One repetition: the probe writes through the followers; kill -9 of the leader; time to the first write sent
 * after the kill that is acknowledged; then the killed member is started again and must rejoin as a follower.
 */
async function failoverRun(ensemble: BenchEnsemble, rep: number, valueSize: number): Promise<FailoverRun> {
  const leader = await ensemble.settledLeaderIndex(settleTimeoutMs);
  const followers = Array.from({ length: ensemble.size }, (_, i) => i).filter((i) => i !== leader);
  const probe = new FailoverProbe(followers.map((i) => ensemble.clientPort(i)), failoverProbePath, valueSize);
  let probeStopped = false;
  try {
    await probe.start();
    await probe.waitForAcks(failoverAcksBefore, failoverWaitMs);
    const killedAtMs = performance.now();
    await ensemble.kill(leader);
    const first = await probe.firstAckSentAfter(killedAtMs, failoverWaitMs);
    const lastBefore = probe.lastAckBefore(killedAtMs);
    await probe.waitForAcks(probe.ackCount + failoverAcksAfter, failoverWaitMs);
    probeStopped = true;
    const stats = await probe.stop();
    const restartAtMs = performance.now();
    await ensemble.restart(leader);
    const rejoinMs = performance.now() - restartAtMs;
    return {
      server: ensemble.kind,
      rep,
      killedLeader: leader + 1,
      newLeader: (await ensemble.settledLeaderIndex(settleTimeoutMs)) + 1,
      unavailableMs: first.ackedAtMs - killedAtMs,
      stallMs: first.ackedAtMs - (lastBefore?.ackedAtMs ?? killedAtMs),
      rejoinMs,
      acks: stats.acks,
      reconnects: stats.reconnects,
      failedAttempts: stats.failedAttempts,
      sessionsExpired: stats.sessionsExpired,
      writeErrors: stats.writeErrors,
    };
  } catch (e) {
    throw new Error(`${ensemble.kind} failover rep ${rep}: ${e instanceof Error ? e.message : String(e)}
${ensemble.logTails()}`);
  } finally {
    if (!probeStopped) await probe.stop().catch(() => { /* already failing */ });
  }
}

function errorText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? "" : `, errors ${entries.map(([k, v]) => `${k}=${v}`).join(" ")}`;
}

/** One generator run; the server's (every member's) CPU time is read as it starts and ends its measured part. */
async function measuredRun(target: LoadTarget, params: LoadParams, rep: number, connect: string, generator: LoadGenerator):
  Promise<WorkloadRun> {
  let cpuStart = target.cpuSeconds();
  let cpuEnd: number | undefined;
  const result: LoadResult = await generator.run(connect, params, (mark) => {
    if (mark === "measure-start") cpuStart = target.cpuSeconds();
    else cpuEnd = target.cpuSeconds();
  });
  const cpu = (cpuEnd ?? target.cpuSeconds()) - cpuStart;
  return {
    server: target.kind,
    rep,
    ops: result.ops,
    seconds: result.seconds,
    opsPerSec: result.opsPerSec,
    latencyUs: result.latencyUs,
    errors: result.errors,
    cpuSeconds: cpu,
    cpuSecondsPer1000Ops: result.ops > 0 ? (cpu / result.ops) * 1000 : NaN,
  };
}

/** One server at a time: load, GC, RSS; restart, time to first read; GC, RSS. */
async function benchMemory(o: BenchOptions, scratch: string, log: Log): Promise<MemoryResult> {
  const runs: MemoryRun[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    for (const kind of serverKinds) {
      const run = await memoryRun(kind, rep, o, scratch);
      runs.push(run);
      log(`${"memory".padEnd(12)} ${kind.padEnd(9)} rep ${rep}: ${run.znodes} znodes in ${run.loadSeconds.toFixed(1)} s, ` +
        `RSS ${Math.round(run.rssEmptyBytes / 1048576)} → ${Math.round(run.rssLoadedBytes / 1048576)} MiB ` +
        `(${Math.round(run.rssPerZnodeBytes)} B/znode), restart to first read ${Math.round(run.restartToFirstReadMs)} ms` +
        `${errorText(run.loadErrors)}`);
    }
  }
  return { leaves: o.znodes, valueSize: o.valueSize, runs, summary: summarizeMemory(runs) };
}

async function memoryRun(kind: ServerKind, rep: number, o: BenchOptions, scratch: string): Promise<MemoryRun> {
  let server = await startFresh(kind, o, scratch);
  try {
    await server.forceGc();
    const rssEmptyBytes = server.rssBytes();
    const load = await runLoadGen(server.connectString, {
      workload: "populate", sessions: o.sessions, inflight: o.inflight, valueSize: o.valueSize, keys: o.keys,
      watchers: o.watchers, durationS: 0, ops: o.znodes, warmupS: 0, prefix: benchPrefix,
    });
    await server.forceGc();
    const rssLoadedBytes = server.rssBytes();
    const restarted = await restartTimed(server, populatedProbePath);
    server = restarted.server;
    await server.forceGc();
    return {
      server: kind,
      rep,
      znodes: load.ops,
      loadSeconds: load.seconds,
      loadErrors: load.errors,
      rssEmptyBytes,
      rssLoadedBytes,
      rssPerZnodeBytes: (rssLoadedBytes - rssEmptyBytes) / load.ops,
      rssTotalPerZnodeBytes: rssLoadedBytes / load.ops,
      restartToFirstReadMs: restarted.firstReadMs,
      rssAfterRestartBytes: server.rssBytes(),
    };
  } finally {
    await stopAndRemove(server);
  }
}

function commandOutput(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: repoRoot }).trim();
  } catch {
    return "";
  }
}

/** Read-only git queries: the commit measured and whether the tree had changes. */
function gitState(): { commit: string; dirty: boolean } {
  const commit = commandOutput("git", ["rev-parse", "HEAD"]) || "unknown";
  const dirty = commandOutput("git", ["status", "--porcelain", "--untracked-files=no"]) !== "";
  return { commit, dirty };
}

/**
 * The JVM ("OpenJDK 64-Bit Server VM 17.0.15+6-Debian-1deb12u1", from its own properties on stderr) and the
 * ZooKeeper jar ("3.8.0 (Debian package 3.8.0-11+deb12u2)", from the jar and dpkg), with one JVM start.
 */
function javaAndZookeeperVersions(): { java: string; zookeeper: string } {
  const r = spawnSync(javaBin, ["-XshowSettings:properties", "-cp", zookeeperJar, "org.apache.zookeeper.version.VersionInfoMain"],
    { encoding: "utf8" });
  const text = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  const jvmVersion = /java\.runtime\.version = (\S+)/.exec(text)?.[1];
  const vm = /java\.vm\.name = (.+)/.exec(text)?.[1]?.trim() ?? "Java";
  const zookeeper = /ZooKeeper, version (\S+)/.exec(text)?.[1] ?? "unknown";
  const debian = commandOutput("dpkg-query", ["-W", "-f", "${Version}", "zookeeper"]);
  return {
    java: jvmVersion === undefined ? "java unknown" : `${vm} ${jvmVersion}`,
    zookeeper: debian === "" ? zookeeper : `${zookeeper} (Debian package ${debian})`,
  };
}

function machineInfo(dataDir: string, loadAverageStart: number): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    node: process.version,
    ...javaAndZookeeperVersions(),
    dataDirFs: commandOutput("df", ["--output=fstype", dataDir]).split("\n").pop()?.trim() || "unknown",
    loadAverageStart,
    loadAverageEnd: os.loadavg()[0],
  };
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      // --help asked for the usage (stdout, success); anything else is a mistake (stderr, EX_USAGE).
      if (e.message === "") process.stdout.write(`${usage}\n`);
      else process.stderr.write(`bench: ${e.message}\n${usage}\n`);
      return e.message === "" ? 0 : 64;
    }
    throw e;
  }
  if (options.report !== undefined) {
    const results = JSON.parse(readFileSync(options.report, "utf8")) as BenchResults;
    updateDoc(docFile, summaryMarkdown(results), summaryMarkers(results));
    const tsClientSummary = tsClientSummaryMarkdown(results);
    if (tsClientSummary !== "") updateDoc(docFile, tsClientSummary, tsClientMarkers);
    process.stdout.write(`summary regenerated in ${path.relative(process.cwd(), docFile)} from ${options.report}\n`);
    return 0;
  }
  await runBench(options);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
