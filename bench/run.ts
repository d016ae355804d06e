/**
 * `npm run bench`: Herd against Apache ZooKeeper 3.8 on this machine, through the official Java client.
 *
 *   npm run bench -- [--workloads create,getData,...] [--reps 2] [--duration 10] [--warmup 3] [--ops N]
 *                    [--sessions 8] [--inflight 32] [--value-size 100] [--keys 10000] [--watchers 100]
 *                    [--znodes 100000] [--large] [--quick] [--out FILE] [--docs | --no-docs] [--zk-heap 1000m]
 *
 * For each workload it starts a fresh Herd and a fresh ZooKeeper (same zoo.cfg, fsync on), runs LoadGen against
 * them alternately (Herd, ZooKeeper, Herd, ZooKeeper, ...) so drift in the machine hits both, and samples each
 * server's CPU time around the measured part. The memory workload loads a tree into one server at a time,
 * measures RSS after a forced GC, and times a restart to the first successful read.
 * Writes bench/results/<date>-<commit>.json and, for full runs, regenerates the summary in docs/PERFORMANCE.md.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { javaBin, repoRoot, zookeeperJar } from "../test/helpers/interop-tools.js";
import { ensureLoadGenCompiled, runLoadGen, type LoadParams, type LoadResult } from "./loadgen.js";
import { resultsFileName, summaryMarkdown, updateDoc } from "./report.js";
import {
  checkTargets, resultsSchemaVersion, summarizeMemory, summarizeWorkload,
  type BenchResults, type MachineInfo, type MemoryResult, type MemoryRun, type WorkloadResult, type WorkloadRun,
} from "./results.js";
import {
  restartTimed, serverKinds, serverSpec, startServer, zookeeperHeapDefault, zookeeperJvmFlags,
  type BenchServer, type ServerKind,
} from "./servers.js";
import { allWorkloadNames, benchPrefix, memoryWorkload, populatedProbePath, workloadSpec, type WorkloadSpec } from "./workloads.js";

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
}

export const usage = `usage: npm run bench -- [options]
  --workloads a,b,...   any of ${allWorkloadNames.join(", ")} (default: all)
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
  --out FILE            results file (default bench/results/<date>-<commit>.json)
  --docs / --no-docs    regenerate the summary in docs/PERFORMANCE.md (default: on, except quick or --ops runs)
  --zk-heap SIZE        ZooKeeper's -Xmx (default ${zookeeperHeapDefault}, ZooKeeper's own default)
  --report FILE         run nothing: regenerate the summary in docs/PERFORMANCE.md from a results file`;

export class UsageError extends Error {}

const docFile = path.join(repoRoot, "docs", "PERFORMANCE.md");
const resultsDir = path.join(repoRoot, "bench", "results");

export const durabilityStatement =
  "Both servers fsync every acknowledged write: ZooKeeper with its default forceSync=yes, Herd by fdatasync of its " +
  "transaction log before replying (group commit). Their data directories are on the same file system.";

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
    "--keys", "--watchers", "--znodes", "--out", "--zk-heap", "--report"]);
  const switches = new Set(["--large", "--quick", "--docs", "--no-docs", "--help", "-h"]);
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
  const workloads = text("--workloads")?.split(",").map((w) => w.trim()).filter((w) => w !== "") ?? [...allWorkloadNames];
  for (const w of workloads) {
    if (!allWorkloadNames.includes(w)) throw new UsageError(`unknown workload ${w} (known: ${allWorkloadNames.join(", ")})`);
  }
  const num = (flag: string, fallback: number) => (text(flag) !== undefined ? positiveNumber(flag, text(flag)) : fallback);
  const int = (flag: string, fallback: number) => (text(flag) !== undefined ? positiveInt(flag, text(flag)) : fallback);
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
  };
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
  log(`Herd vs Apache ZooKeeper. ${durabilityStatement}`);
  try {
    const workloads: WorkloadResult[] = [];
    for (const name of o.workloads) {
      const spec = workloadSpec(name);
      if (spec !== undefined) workloads.push(await benchWorkload(spec, o, scratch, log));
    }
    const memory = o.workloads.includes(memoryWorkload) ? await benchMemory(o, scratch, log) : null;
    const results: BenchResults = {
      schema: resultsSchemaVersion,
      startedAt,
      finishedAt: new Date().toISOString(),
      ...gitState(),
      command: ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" "),
      quick: o.quick,
      machine: machineInfo(scratch, loadAverageStart),
      durability: durabilityStatement,
      servers: {
        herd: `node ${process.version} --expose-gc dist/bench/herd-gc.js (Herd's CLI plus a SIGUSR2 GC hook), zoo.cfg defaults`,
        zookeeper: `java ${zookeeperJvmFlags(o.zookeeperHeap).join(" ")} ZooKeeperServerMain (JVM defaults otherwise), zoo.cfg defaults`,
        loadGenerator: "bench/java/LoadGen.java on Debian's zookeeper.jar async API (NIO client socket; Netty for churn)",
      },
      options: { ...o },
      workloads,
      memory,
      targets: checkTargets(workloads, memory),
    };
    const file = o.out ?? path.join(resultsDir, resultsFileName(results));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    const summary = summaryMarkdown(results);
    log("");
    log(summary);
    log("");
    log(`results: ${path.relative(process.cwd(), file) || file}`);
    if (o.docs) {
      updateDoc(docFile, summary);
      log(`summary regenerated in ${path.relative(process.cwd(), docFile)}`);
    }
    return { file, results };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
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

/** Fresh servers for the workload, then Herd, ZooKeeper, Herd, ZooKeeper, ... on the same two processes. */
async function benchWorkload(spec: WorkloadSpec, o: BenchOptions, scratch: string, log: Log): Promise<WorkloadResult> {
  const servers = new Map<ServerKind, BenchServer>();
  const runs: WorkloadRun[] = [];
  try {
    for (const kind of serverKinds) servers.set(kind, await startFresh(kind, o, scratch));
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const kind of serverKinds) {
        const run = await measuredRun(servers.get(kind)!, loadParams(spec, o), rep);
        runs.push(run);
        log(`${spec.name.padEnd(12)} ${kind.padEnd(9)} rep ${rep}: ${Math.round(run.opsPerSec)} ops/s, ` +
          `p50 ${Math.round(run.latencyUs.p50)} µs, p99 ${Math.round(run.latencyUs.p99)} µs, ` +
          `${run.cpuSecondsPer1000Ops.toFixed(3)} CPU-s/1k ops${errorText(run.errors)}`);
      }
    }
  } finally {
    for (const server of servers.values()) await stopAndRemove(server);
  }
  return { name: spec.name, description: spec.description, focus: spec.focus, params: spec.params(o), runs, summary: summarizeWorkload(runs) };
}

function errorText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? "" : `, errors ${entries.map(([k, v]) => `${k}=${v}`).join(" ")}`;
}

/** One LoadGen run; the server's CPU time is read as LoadGen starts and ends its measured part. */
async function measuredRun(server: BenchServer, params: LoadParams, rep: number): Promise<WorkloadRun> {
  let cpuStart = server.cpuSeconds();
  let cpuEnd: number | undefined;
  const result: LoadResult = await runLoadGen(server.connectString, params, (mark) => {
    if (mark === "measure-start") cpuStart = server.cpuSeconds();
    else cpuEnd = server.cpuSeconds();
  });
  const cpu = (cpuEnd ?? server.cpuSeconds()) - cpuStart;
  return {
    server: server.spec.kind,
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
    updateDoc(docFile, summaryMarkdown(results));
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
