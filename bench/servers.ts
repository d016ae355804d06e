/**
 * Starts the two servers the benchmark compares, configured as they would run in production rather than as the
 * interop tests run them (test/helpers/server-process.ts pins ZooKeeper to a small heap, the serial collector and
 * the C1 compiler to start fast; that would handicap it here):
 *   Herd:      node --expose-gc dist/bench/herd-gc.js server --config zoo.cfg   (Herd's CLI plus a GC hook)
 *   ZooKeeper: java -Xmx<heap> ... ZooKeeperServerMain zoo.cfg                    (JVM defaults otherwise: G1, C2)
 * Both get the same zoo.cfg on a port we choose, data on the same file system, and fsync on (the default).
 * An ensemble member (bench/ensemble.ts) is started the same way from a zoo.cfg laid out for it with server.N
 * lines and a myid file; ZooKeeper then runs QuorumPeerMain, and the member counts as started once it serves as
 * leader or synced follower.
 * A handle reads the process's CPU time and RSS from /proc, forces a full GC, stops or kills it, and restarts it
 * on the same data while timing how long until the first read succeeds.
 */
// herd-gc.ts is spawned, never imported; this reference keeps it in every build that compiles this file.
/// <reference path="./herd-gc.ts" />
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { terminate, trackChild } from "../test/helpers/process-io.js";
import { javaBin, repoRoot, requireTool, slf4jSimpleJar, zookeeperJar } from "../test/helpers/interop-tools.js";
import { gcDoneLine, gcSignal } from "./gc-signal.js";
import { cpuSeconds, rssBytes } from "./procfs.js";
import { firstReadMs } from "./probe.js";

export type ServerKind = "herd" | "zookeeper";
export const serverKinds: readonly ServerKind[] = ["herd", "zookeeper"];

const host = "127.0.0.1";
const startTimeoutMs = 120_000;
const stopGraceMs = 30_000;
const gcTimeoutMs = 120_000;
const logTailLinesMax = 100;
/** ZooKeeper's own default heap (ZK_SERVER_HEAP in upstream zkEnv.sh); Debian's scripts set none. */
export const zookeeperHeapDefault = "1000m";

const herdReadyLine = /Herd serving standalone on \S+:\d+/;
/** Logged right after ZooKeeperServerMain has started serving (Debian 3.8 build, slf4j-simple at info). */
const zookeeperReadyLine = /ContainerManager - Using checkIntervalMs=/;
/** An ensemble member serves once it leads an established epoch or follows in sync (Herd's role log line). */
const herdMemberServingLine = /role (leading|following) \(synced\)/;
/** The same moment in QuorumPeerMain's log: the peer entered ZAB's broadcast phase. */
const zookeeperMemberServingLine = /Peer state changed: (leading|following) - broadcast/;

/** An ensemble member whose zoo.cfg, data directory and myid file are already laid out (planLocalEnsemble). */
export interface EnsembleMember {
  id: number;
  cfgFile: string;
  dataDir: string;
}

export interface ServerSpec {
  kind: ServerKind;
  /** Holds zoo.cfg and the data directory (standalone), or the whole ensemble's layout (members). */
  runDir: string;
  port: number;
  zookeeperHeap: string;
  /** Set for an ensemble member: its zoo.cfg is used as is instead of the standalone one. */
  member?: EnsembleMember;
}

export interface BenchServer {
  readonly spec: ServerSpec;
  readonly pid: number;
  readonly connectString: string;
  readonly dataDir: string;
  /** User + system CPU seconds the server has used so far. */
  cpuSeconds(): number;
  rssBytes(): number;
  /** A full, blocking garbage collection in the server; resolves when it is over. */
  forceGc(): Promise<void>;
  stop(): Promise<void>;
  /** kill -9, resolving once the process has exited. */
  kill(): Promise<void>;
  /** The last lines the server printed, for failure messages. */
  logTail(): string;
}

/** Free TCP port on 127.0.0.1 (the OS picks it; a tiny reuse race is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function serverSpec(kind: ServerKind, runDir: string, zookeeperHeap: string): Promise<ServerSpec> {
  mkdirSync(path.join(runDir, "data"), { recursive: true });
  return { kind, runDir, port: await freePort(), zookeeperHeap };
}

/** Starts the server and resolves once it says it is serving. */
export async function startServer(spec: ServerSpec): Promise<BenchServer> {
  const { child, log } = spawnServer(spec);
  try {
    await log.waitFor(readyLine(spec), startTimeoutMs, child);
  } catch (e) {
    await terminate(child, "SIGKILL", stopGraceMs);
    throw e;
  }
  return handle(spec, child, log);
}

/**
 * Stops `server`, starts it again on the same data and port, and measures from the moment the new process is
 * spawned to the first getData of `probePath` that succeeds.
 */
export async function restartTimed(server: BenchServer, probePath: string): Promise<{ server: BenchServer; firstReadMs: number }> {
  await server.stop();
  const { child, log, spawnedAtMs } = spawnServer(server.spec);
  try {
    const [ms] = await Promise.all([
      firstReadMs(host, server.spec.port, probePath, spawnedAtMs, startTimeoutMs),
      log.waitFor(readyLine(server.spec), startTimeoutMs, child),
    ]);
    return { server: handle(server.spec, child, log), firstReadMs: ms };
  } catch (e) {
    await terminate(child, "SIGKILL", stopGraceMs);
    throw e;
  }
}

function readyLine(spec: ServerSpec): RegExp {
  if (spec.member !== undefined) return spec.kind === "herd" ? herdMemberServingLine : zookeeperMemberServingLine;
  return spec.kind === "herd" ? herdReadyLine : zookeeperReadyLine;
}

function spawnServer(spec: ServerSpec): { child: ChildProcess; log: LineLog; spawnedAtMs: number } {
  const cfgFile = spec.member?.cfgFile ?? writeZooCfg(spec);
  const mainClass = spec.member !== undefined ? zookeeperQuorumMain : zookeeperStandaloneMain;
  const [command, args] = spec.kind === "herd" ? herdCommand(cfgFile) : zookeeperCommand(cfgFile, spec.zookeeperHeap, mainClass);
  const spawnedAtMs = performance.now();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: spec.runDir });
  trackChild(child);
  const log = new LineLog();
  log.attach(child);
  return { child, log, spawnedAtMs };
}

/**
 * Settings every zoo.cfg of the benchmark carries, standalone or ensemble; everything else is each server's
 * default (forceSync=yes, snapCount=100000).
 */
export const sharedZooCfgEntries: Readonly<Record<string, string>> = {
  // The watch fan-out opens 100+ sessions from one address; the default cap is 60.
  maxClientCnxns: "0",
  "admin.enableServer": "false",
  // srvr finds an ensemble's leader.
  "4lw.commands.whitelist": "*",
};

/** The same settings for both. */
function zooCfgEntries(spec: ServerSpec): Record<string, string> {
  return {
    tickTime: "2000",
    dataDir: path.join(spec.runDir, "data"),
    clientPort: String(spec.port),
    clientPortAddress: host,
    ...sharedZooCfgEntries,
  };
}

function writeZooCfg(spec: ServerSpec): string {
  const file = path.join(spec.runDir, "zoo.cfg");
  const lines = Object.entries(zooCfgEntries(spec)).map(([k, v]) => `${k}=${v}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

function herdCommand(cfgFile: string): [string, string[]] {
  const herdBin = path.join(repoRoot, "dist", "src", "bin", "herd.js");
  if (!existsSync(herdBin)) throw new Error(`${herdBin} is missing: run \`npm run build\` first`);
  const wrapper = path.join(repoRoot, "dist", "bench", "herd-gc.js");
  if (!existsSync(wrapper)) throw new Error(`${wrapper} is missing: compile bench/ (tsc -p bench/tsconfig.json)`);
  return [process.execPath, ["--expose-gc", wrapper, "server", "--config", cfgFile]];
}

/** The JVM flags the comparison runs ZooKeeper with (recorded in the results). */
export function zookeeperJvmFlags(heap: string): string[] {
  return [`-Xmx${heap}`, "-Dzookeeper.admin.enableServer=false", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info"];
}

const zookeeperStandaloneMain = "org.apache.zookeeper.server.ZooKeeperServerMain";
const zookeeperQuorumMain = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

function zookeeperCommand(cfgFile: string, heap: string, mainClass: string): [string, string[]] {
  const classPath = [requireTool(zookeeperJar), requireTool(slf4jSimpleJar)].join(":");
  return [requireTool(javaBin), [
    ...zookeeperJvmFlags(heap),
    "-cp", classPath,
    mainClass, cfgFile,
  ]];
}

function handle(spec: ServerSpec, child: ChildProcess, log: LineLog): BenchServer {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.kind} has no pid`);
  return {
    spec,
    pid,
    connectString: `${host}:${spec.port}`,
    dataDir: spec.member?.dataDir ?? path.join(spec.runDir, "data"),
    cpuSeconds: () => cpuSeconds(pid),
    rssBytes: () => rssBytes(pid),
    forceGc: () => (spec.kind === "herd" ? herdGc(child, log) : zookeeperGc(pid)),
    async stop() {
      await terminate(child, "SIGTERM", stopGraceMs);
    },
    async kill() {
      await terminate(child, "SIGKILL", stopGraceMs);
    },
    logTail: () => log.text(),
  };
}

async function herdGc(child: ChildProcess, log: LineLog): Promise<void> {
  const done = log.waitFor(new RegExp(gcDoneLine), gcTimeoutMs, child);
  if (child.pid !== undefined) process.kill(child.pid, gcSignal);
  await done;
}

const execFileAsync = promisify(execFile);

/** `jcmd <pid> GC.run` runs System.gc() (a full collection) and returns when it is over; jmap as a fallback. */
async function zookeeperGc(pid: number): Promise<void> {
  try {
    await execFileAsync("jcmd", [String(pid), "GC.run"], { timeout: gcTimeoutMs });
  } catch {
    await execFileAsync("jmap", ["-histo:live", String(pid)], { timeout: gcTimeoutMs, maxBuffer: 64 * 1024 * 1024 });
  }
}

/** Lines a child printed on either stream: a bounded tail for messages, and waiting for a pattern. */
class LineLog {
  private lines: string[] = [];
  private partial = "";
  private readonly listeners = new Set<(line: string) => void>();

  attach(child: ChildProcess): void {
    child.stdout?.setEncoding("utf8").on("data", (s: string) => this.push(s));
    child.stderr?.setEncoding("utf8").on("data", (s: string) => this.push(s));
  }

  text(): string {
    return [...this.lines, this.partial].join("\n");
  }

  /** Resolves at the next line matching `pattern`; rejects if the child exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs: number, child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        cleanup();
        reject(new Error(`waiting for ${pattern}: ${why}\n--- server output ---\n${this.text()}`));
      };
      const onLine = (line: string) => {
        if (pattern.test(line)) { cleanup(); resolve(); }
      };
      const onExit = (code: number | null, signal: string | null) => fail(`exited (code ${code}, signal ${signal})`);
      const onError = (err: Error) => fail(err.message);
      const timer = setTimeout(() => fail(`not seen within ${timeoutMs} ms`), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(onLine);
        child.off("exit", onExit);
        child.off("error", onError);
      };
      this.listeners.add(onLine);
      child.once("exit", onExit);
      child.once("error", onError);
    });
  }

  private push(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > logTailLinesMax) this.lines.shift();
      for (const listener of this.listeners) listener(line);
    }
  }
}
