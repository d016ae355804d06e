/**
 * A real N-member Herd ensemble for Node test suites: each member a `herd server` child process on free
 * 127.0.0.1 ports with temporary data directories. start() resolves once every member serves (leader elected,
 * followers synced), so tests begin on a working ensemble.
 *
 *   const cluster = await TestingCluster.start({ size: 3 });
 *   const client = createClient(cluster.connectString);
 *   await cluster.killServer(await cluster.leader());   // kill -9 the leader
 *   await cluster.close();
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "../client/index.js";
import { connectStringOf, planLocalEnsemble, type MemberPlan } from "./local-ensemble.js";

export interface TestingClusterOptions {
  size?: number;
  observers?: number;
  tickTimeMs?: number;
  /** How long start() and leader() wait for the ensemble to serve. */
  startTimeoutMs?: number;
}

const HERD_BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "herd.js");
const live = new Set<ChildProcess>();
let exitHook = false;

class Member {
  child: ChildProcess | null = null;
  role: string | null = null;
  private listeners: (() => void)[] = [];

  constructor(readonly plan: MemberPlan) {}

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (!exitHook) {
      exitHook = true;
      process.on("exit", () => {
        for (const c of live) if (c.exitCode === null) c.kill("SIGKILL");
      });
    }
    this.role = null;
    const child = spawn(process.execPath, [HERD_BIN, "server", "--config", this.plan.cfgFile], { stdio: ["ignore", "ignore", "pipe"] });
    live.add(child);
    child.once("exit", () => {
      live.delete(child);
      this.role = null;
      this.notify();
    });
    let partial = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        const m = /role (\w+)( \(synced\))?/.exec(line);
        if (m) {
          this.role = m[2] ? m[1] : null;
          this.notify();
        }
      }
    });
    this.child = child;
  }

  private notify(): void {
    for (const l of this.listeners.splice(0)) l();
  }

  /** Resolves at the next change of role or liveness. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === null || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  }
}

export class TestingCluster {
  private constructor(
    private readonly members: Member[],
    private readonly baseDir: string,
    private readonly timeoutMs: number,
  ) {}

  static async start(opts: TestingClusterOptions = {}): Promise<TestingCluster> {
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "herd-cluster-"));
    const plans = await planLocalEnsemble({ size: opts.size ?? 3, observers: opts.observers ?? 0, baseDir, tickTimeMs: opts.tickTimeMs ?? 250 });
    const cluster = new TestingCluster(plans.map((p) => new Member(p)), baseDir, opts.startTimeoutMs ?? 30_000);
    for (const m of cluster.members) m.start();
    await cluster.until(() => cluster.members.every((m) => m.role !== null), "every member to serve");
    return cluster;
  }

  get connectString(): string {
    return connectStringOf(this.members.map((m) => m.plan));
  }

  /** Member ids with their client ports and whether they run. */
  get servers(): { id: number; port: number; alive: boolean; role: string | null }[] {
    return this.members.map((m) => ({ id: m.plan.id, port: m.plan.clientPort, alive: m.alive, role: m.role }));
  }

  /** The id of the serving leader (waits for one). */
  async leader(): Promise<number> {
    await this.until(() => this.members.some((m) => m.role === "leading"), "a leader");
    return this.members.find((m) => m.role === "leading")!.plan.id;
  }

  /** kill -9 one member: a crash, as a test of failover wants it. */
  async killServer(id: number): Promise<void> {
    await this.member(id).kill("SIGKILL");
  }

  /** Starts a stopped or killed member again on its data; resolves once it serves. */
  async restartServer(id: number): Promise<void> {
    const m = this.member(id);
    await m.kill("SIGTERM");
    m.start();
    await this.until(() => m.role !== null, `server ${id} to serve again`);
  }

  /**
   * Ends a session as an expiry would (its ephemerals go; its client learns it expired on its next connect):
   * attach to the session with its id and password and close it, as Curator's KillSession does.
   */
  async expireSession(sessionId: bigint, sessionPassword: Buffer): Promise<void> {
    const killer = createClient(this.connectString, { sessionId, sessionPassword, sessionTimeoutMs: 10_000 });
    try {
      await killer.whenConnected(this.timeoutMs);
    } finally {
      await killer.close();
    }
  }

  /** Stops every member; data stays until close(). */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill("SIGTERM")));
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.baseDir, { recursive: true, force: true });
  }

  private member(id: number): Member {
    const m = this.members.find((x) => x.plan.id === id);
    if (m === undefined) throw new Error(`no server ${id} in this cluster`);
    return m;
  }

  /** Waits (bounded) for a condition on the members' roles, re-checking at each role change. */
  private async until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`TestingCluster: timed out waiting for ${what}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ...this.members.map((m) => m.changed()),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
  }
}
