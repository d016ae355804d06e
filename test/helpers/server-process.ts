/**
 * Starts a real server process for interop tests: Herd (`node dist/src/bin/herd.js server --config zoo.cfg`)
 * or Apache ZooKeeper 3.8 from Debian (`java ... ZooKeeperServerMain zoo.cfg`), with the same zoo.cfg, so a
 * test can be validated against the reference and then run against Herd. Both listen on 127.0.0.1 only.
 * Readiness is an event: Herd's "Herd serving standalone on host:port" stdout line, ZooKeeper's log line
 * that follows server start-up. Every wait is bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { terminate, trackChild, waitForExit } from "./process-io.js";
import { javaBin, repoRoot, requireTool, slf4jSimpleJar, zookeeperJar } from "./interop-tools.js";

export type ServerKind = "herd" | "zookeeper";

export interface ServerProcess {
  kind: ServerKind;
  host: string;
  port: number;
  connectString: string;
  dataDir: string;
  pid: number;
  /** SIGTERM, wait for exit (SIGKILL if it hangs). */
  stop(): Promise<void>;
  /** SIGKILL: a crash, with no chance to flush or close. */
  kill9(): Promise<void>;
  /** Stops this process if still running, then starts a new one on the same dataDir, port and config. */
  restart(): Promise<ServerProcess>;
  /** The last lines the server printed, for failure messages. */
  logTail(): string;
}

export interface StartOptions {
  /** zoo.cfg entries; they override the defaults below. */
  cfg?: Record<string, string>;
  dataDir?: string;
}

const host = "127.0.0.1";
const startTimeoutMs = 30_000;
const stopGraceMs = 10_000;
const logTailLinesMax = 200;

/** Herd prints exactly this once its client port is listening. */
const herdReadyLine = /Herd serving standalone on (\S+):(\d+)/;
/**
 * ZooKeeperServerMain logs the container manager's settings right after the server and its connection
 * factory have started, so this line means "serving". Fixed to the Debian 3.8 build we test against.
 */
const zookeeperReadyLine = /ContainerManager - Using checkIntervalMs=/;

/** Which server the interop tests target: env HERD_TEST_TARGET, `herd` (default) or `zookeeper`. */
export function targetKind(): ServerKind {
  const value = process.env.HERD_TEST_TARGET ?? "herd";
  if (value !== "herd" && value !== "zookeeper") {
    throw new Error(`HERD_TEST_TARGET must be "herd" or "zookeeper", not ${JSON.stringify(value)}`);
  }
  return value;
}

export function startServer(kind: ServerKind, opts: StartOptions = {}): Promise<ServerProcess> {
  return kind === "herd" ? startHerd(opts) : startApacheZooKeeper(opts);
}

/** Starts the server named by HERD_TEST_TARGET. */
export function startTarget(opts: StartOptions = {}): Promise<ServerProcess> {
  return startServer(targetKind(), opts);
}

export function startHerd(opts: StartOptions = {}): Promise<ServerProcess> {
  return launch({ kind: "herd", ...prepare(opts), port: 0 });
}

export async function startApacheZooKeeper(opts: StartOptions = {}): Promise<ServerProcess> {
  // ZooKeeper 3.8 logs the configured port, not the bound one, so we choose a free port ourselves.
  return launch({ kind: "zookeeper", ...prepare(opts), port: await freePort() });
}

interface LaunchSpec {
  kind: ServerKind;
  /** Holds zoo.cfg and, unless the caller gave one, the data directory. */
  runDir: string;
  dataDir: string;
  cfg: Record<string, string>;
  /** 0 = let the server choose (Herd only). */
  port: number;
}

function prepare(opts: StartOptions): Omit<LaunchSpec, "kind" | "port"> {
  const runDir = mkdtempSync(path.join(os.tmpdir(), "herd-it-"));
  const dataDir = opts.dataDir ?? path.join(runDir, "data");
  mkdirSync(dataDir, { recursive: true });
  return { runDir, dataDir, cfg: opts.cfg ?? {} };
}

/** Free TCP port on 127.0.0.1 (the OS picks it; a tiny reuse race is acceptable in tests). */
function freePort(): Promise<number> {
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

function zooCfgEntries(spec: LaunchSpec): Record<string, string> {
  return {
    tickTime: "2000",
    initLimit: "10",
    syncLimit: "5",
    "4lw.commands.whitelist": "*",
    extendedTypesEnabled: "true",
    // Off so parallel test servers do not fight over the default admin port 8080.
    "admin.enableServer": "false",
    ...spec.cfg,
    dataDir: spec.dataDir,
    clientPort: String(spec.port),
    clientPortAddress: host,
  };
}

function writeZooCfg(spec: LaunchSpec): string {
  const file = path.join(spec.runDir, "zoo.cfg");
  const lines = Object.entries(zooCfgEntries(spec)).map(([k, v]) => `${k}=${v}`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

function herdCommand(cfgFile: string): [string, string[]] {
  const bin = path.join(repoRoot, "dist", "src", "bin", "herd.js");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build Herd first (npx tsc -p tsconfig.json)`);
  return [process.execPath, [bin, "server", "--config", cfgFile]];
}

/**
 * zoo.cfg keys ZooKeeper does not know become `zookeeper.<key>` system properties, which covers
 * extendedTypesEnabled; the container manager reads plain `znode.container.*` properties, so those (and
 * any other `znode.` key) are also passed as -D flags.
 */
function zookeeperCommand(cfgFile: string, cfg: Record<string, string>): [string, string[]] {
  const systemProps = Object.entries(cfg)
    .filter(([k]) => k.startsWith("znode."))
    .map(([k, v]) => `-D${k}=${v}`);
  const classPath = [requireTool(zookeeperJar), requireTool(slf4jSimpleJar)].join(":");
  return [requireTool(javaBin), [
    "-Xms32m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
    `-Dzookeeper.extendedTypesEnabled=${cfg.extendedTypesEnabled ?? "true"}`,
    "-Dzookeeper.admin.enableServer=false",
    ...systemProps,
    "-cp", classPath,
    "org.apache.zookeeper.server.ZooKeeperServerMain", cfgFile,
  ]];
}

/** Keeps the last lines a child printed (both streams), so failures can show them. */
class LogTail {
  private lines: string[] = [];
  private partial = "";
  private readonly listeners = new Set<(line: string) => void>();

  attach(child: ChildProcess): void {
    child.stdout?.setEncoding("utf8").on("data", (s: string) => this.push(s));
    child.stderr?.setEncoding("utf8").on("data", (s: string) => this.push(s));
  }

  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  text(): string {
    return [...this.lines, this.partial].join("\n");
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

async function launch(spec: LaunchSpec): Promise<ServerProcess> {
  const entries = zooCfgEntries(spec);
  const cfgFile = writeZooCfg(spec);
  const [command, args] = spec.kind === "herd" ? herdCommand(cfgFile) : zookeeperCommand(cfgFile, entries);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: spec.runDir });
  trackChild(child);
  const log = new LogTail();
  log.attach(child);
  const port = await waitUntilServing(spec, child, log);
  return handle(spec, child, log, port);
}

function waitUntilServing(spec: LaunchSpec, child: ChildProcess, log: LogTail): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      void terminate(child, "SIGKILL", stopGraceMs).finally(() =>
        reject(new Error(`${spec.kind} did not start: ${why}\n--- server output ---\n${log.text()}`)));
    };
    const onLine = (line: string) => {
      if (spec.kind === "herd") {
        const m = herdReadyLine.exec(line);
        if (m !== null) { cleanup(); resolve(Number(m[2])); }
      } else if (zookeeperReadyLine.test(line)) {
        cleanup(); resolve(spec.port);
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited early (code ${code}, signal ${signal})`);
    const onError = (err: Error) => fail(err.message);
    const timer = setTimeout(() => fail(`not serving within ${startTimeoutMs} ms`), startTimeoutMs);
    const removeLineListener = log.onLine(onLine);
    const cleanup = () => {
      clearTimeout(timer);
      removeLineListener();
      child.off("exit", onExit);
      child.off("error", onError);
    };
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

function handle(spec: LaunchSpec, child: ChildProcess, log: LogTail, port: number): ServerProcess {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.kind} has no pid`);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    kind: spec.kind,
    host,
    port,
    connectString: `${host}:${port}`,
    dataDir: spec.dataDir,
    pid,
    async stop() {
      await terminate(child, "SIGTERM", stopGraceMs);
    },
    async kill9() {
      if (!running()) return;
      process.kill(pid, "SIGKILL");
      await waitForExit(child, stopGraceMs);
    },
    async restart() {
      if (running()) await terminate(child, "SIGTERM", stopGraceMs);
      // Same dataDir and config, and now the port we already hold, so clients can reconnect.
      return launch({ ...spec, port });
    },
    logTail: () => log.text(),
  };
}
