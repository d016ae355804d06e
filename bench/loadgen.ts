/**
 * Runs a load generator as a child process and returns what it measured: bench/java/LoadGen.java, built on
 * Debian's ZooKeeper client (the headline), or bench/ts-loadgen.ts, built on Herd's own TypeScript client (its
 * own figures). Both take the same options and print the same JSON. LoadGen is compiled into dist/bench-java/
 * first when the class is missing or older than its source or the ZooKeeper jar. The runner learns when the
 * measured part starts and ends from the generators' "# measure-…" lines.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { terminate, trackChild } from "../test/helpers/process-io.js";
import { javaBin, javaShareDir, repoRoot, requireTool, slf4jNopJar, zookeeperJar } from "../test/helpers/interop-tools.js";
import { tsLoadGenWorkloads } from "./ts-loadgen.js";

const loadGenSource = path.join(repoRoot, "bench", "java", "LoadGen.java");
const loadGenClassDir = path.join(repoRoot, "dist", "bench-java");
const loadGenClass = path.join(loadGenClassDir, "LoadGen.class");
/** The Netty client socket (used by the churn workload) needs these beyond what zookeeper.jar's manifest lists. */
const nettyClientJars = ["netty-resolver.jar", "netty-codec.jar"].map((j) => path.join(javaShareDir, j));
/** Beyond the run itself: JVM start, connecting, creating the key set, draining. */
const loadGenSlackMs = 300_000;
/** The compiled TypeScript load generator, next to this file in dist/bench/. */
const tsLoadGenScript = fileURLToPath(new URL("./ts-loadgen.js", import.meta.url));

export interface LoadParams {
  /**
   * LoadGen's workload name (create, seqCreate, setData, getData, exists, mixed, multi, churn, watch, populate);
   * ts-loadgen implements the pipelined ones (create through multi).
   */
  workload: string;
  sessions: number;
  inflight: number;
  valueSize: number;
  keys: number;
  watchers: number;
  /** Measured window in seconds, unless `ops` is set. */
  durationS: number;
  /** A fixed number of measured ops instead of a window. */
  ops?: number;
  warmupS: number;
  /** Parent path of everything LoadGen creates. */
  prefix: string;
}

export interface LatencyUs { p50: number; p99: number; p999: number; max: number; mean: number }

export interface LoadResult {
  workload: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  latencyUs: LatencyUs;
  /** KeeperException code name (or a LoadGen failure name) to count. */
  errors: Record<string, number>;
}

export type LoadMark = "measure-start" | "measure-end";

/** Compiles LoadGen when stale; returns the class directory. */
export function ensureLoadGenCompiled(): string {
  requireTool(zookeeperJar);
  const stale = !existsSync(loadGenClass)
    || statSync(loadGenSource).mtimeMs > statSync(loadGenClass).mtimeMs
    || statSync(zookeeperJar).mtimeMs > statSync(loadGenClass).mtimeMs;
  if (stale) {
    mkdirSync(loadGenClassDir, { recursive: true });
    execFileSync("javac", ["-nowarn", "-implicit:none", "-encoding", "UTF-8", "-cp", zookeeperJar, "-d", loadGenClassDir, loadGenSource],
      { stdio: ["ignore", "inherit", "inherit"] });
  }
  return loadGenClassDir;
}

export function loadGenArgs(connect: string, p: LoadParams): string[] {
  const args = [
    "--connect", connect, "--workload", p.workload,
    "--sessions", String(p.sessions), "--inflight", String(p.inflight),
    "--value-size", String(p.valueSize), "--keys", String(p.keys), "--watchers", String(p.watchers),
    "--warmup", String(p.warmupS), "--prefix", p.prefix,
  ];
  return p.ops !== undefined ? [...args, "--ops", String(p.ops)] : [...args, "--duration", String(p.durationS)];
}

/** Runs one LoadGen process against `connect`; `onMark` is called as the measured part starts and ends. */
export function runLoadGen(connect: string, p: LoadParams, onMark: (mark: LoadMark) => void = () => {}): Promise<LoadResult> {
  const classPath = [requireTool(zookeeperJar), ...nettyClientJars.map(requireTool), requireTool(slf4jNopJar), ensureLoadGenCompiled()].join(":");
  return runGenerator("LoadGen", requireTool(javaBin), ["-cp", classPath, "LoadGen", ...loadGenArgs(connect, p)], p, onMark);
}

/**
 * Runs bench/ts-loadgen.ts (Herd's TypeScript client) against `connect`, with LoadGen's options and result shape.
 * A process of its own, so its event loop competes with neither the harness's nor a server's.
 */
export function runTsLoadGen(connect: string, p: LoadParams, onMark: (mark: LoadMark) => void = () => {}): Promise<LoadResult> {
  if (!tsLoadGenWorkloads.includes(p.workload)) {
    return Promise.reject(new Error(`ts-loadgen does not implement the ${p.workload} workload (only ${tsLoadGenWorkloads.join(", ")})`));
  }
  return runGenerator("ts-loadgen", process.execPath, [requireTool(tsLoadGenScript), ...loadGenArgs(connect, p)], p, onMark);
}

/** Spawns a generator, relays its marks, and parses the last JSON line of its stdout; bounded by the run's length. */
function runGenerator(name: string, command: string, args: string[], p: LoadParams, onMark: (mark: LoadMark) => void): Promise<LoadResult> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  trackChild(child);
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "# measure-start" || line === "# measure-end") onMark(line.slice(2) as LoadMark);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
  const budgetMs = (p.ops !== undefined ? 3_600_000 : (p.warmupS + p.durationS) * 1000) + loadGenSlackMs;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void terminate(child, "SIGKILL", 5_000);
      reject(new Error(`${name} ${p.workload} did not finish within ${budgetMs} ms\n${stderr}`));
    }, budgetMs);
    child.once("error", (e) => { clearTimeout(timer); reject(e); });
    child.once("close", (code) => {
      clearTimeout(timer);
      const json = stdout.split("\n").filter((l) => l.startsWith("{")).pop();
      if (code !== 0 || json === undefined) {
        reject(new Error(`${name} ${p.workload} failed (exit ${code})\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
        return;
      }
      resolve(JSON.parse(json) as LoadResult);
    });
  });
}
