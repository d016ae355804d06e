/**
 * Real ensembles for tests: each member a `herd server --config` child process on 127.0.0.1, laid out by
 * planLocalEnsemble. Waiting is on events: the role lines members log ("role following (synced) …").
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connectStringOf, planLocalEnsemble, type EnsemblePlanOptions, type MemberPlan } from "../../src/testing/local-ensemble.js";
import { terminate, trackChild } from "./process-io.js";
import { repoRoot } from "./interop-tools.js";

const WAIT_MS_DEFAULT = 30_000;

export class MemberProcess {
  child: ChildProcess | null = null;
  readonly lines: string[] = [];
  private waiters: { pattern: RegExp; from: number; resolve(line: string): void }[] = [];

  constructor(readonly plan: MemberPlan) {}

  get id(): number {
    return this.plan.id;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const bin = path.join(repoRoot, "dist", "src", "bin", "herd.js");
    const child = spawn(process.execPath, [bin, "server", "--config", this.plan.cfgFile], { stdio: ["ignore", "pipe", "pipe"] });
    trackChild(child);
    this.child = child;
    let partial = "";
    const onData = (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const line of parts) this.onLine(line);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
  }

  private onLine(line: string): void {
    this.lines.push(line);
    const index = this.lines.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index < w.from || !w.pattern.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line matching pattern logged at or after line index `from`. */
  waitForLine(pattern: RegExp, from = 0, timeoutMs = WAIT_MS_DEFAULT): Promise<string> {
    const seen = this.lines.slice(from).find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server ${this.id}: no line matching ${pattern} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join("\n")}`)), timeoutMs);
      this.waiters.push({ pattern, from, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  /** Waits for this member to serve in the given role (logged after line `from`). */
  waitForRole(role: "leading" | "following" | "observing" | "any", from = 0, timeoutMs = WAIT_MS_DEFAULT): Promise<string> {
    const what = role === "any" ? "(leading|following|observing)" : role;
    return this.waitForLine(new RegExp(`role ${what} \\(synced\\)`), from, timeoutMs);
  }

  async kill9(): Promise<void> {
    if (!this.alive) return;
    await terminate(this.child!, "SIGKILL", 5_000);
  }

  async stop(): Promise<void> {
    if (this.child === null) return;
    if (this.alive) process.kill(this.pid, "SIGCONT");
    await terminate(this.child, "SIGTERM", 10_000);
  }

  pause(): void {
    process.kill(this.pid, "SIGSTOP");
  }

  resume(): void {
    process.kill(this.pid, "SIGCONT");
  }
}

export interface TestEnsemble {
  members: MemberProcess[];
  connectString: string;
  baseDir: string;
  member(id: number): MemberProcess;
  stopAll(): Promise<void>;
}

export async function launchEnsemble(opts: Omit<EnsemblePlanOptions, "baseDir"> & { start?: boolean }): Promise<TestEnsemble> {
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "herd-ensemble-"));
  const plans = await planLocalEnsemble({ ...opts, baseDir });
  const members = plans.map((p) => new MemberProcess(p));
  if (opts.start !== false) for (const m of members) m.start();
  return {
    members,
    connectString: connectStringOf(plans),
    baseDir,
    member: (id) => members[id - 1],
    async stopAll() {
      await Promise.all(members.map((m) => m.stop()));
      fs.rmSync(baseDir, { recursive: true, force: true });
    },
  };
}

/** Each member's log position now, so later waits only see what happens from here on. */
export function logMarks(ensemble: TestEnsemble): Map<number, number> {
  return new Map(ensemble.members.map((m) => [m.id, m.lines.length]));
}

/**
 * The first live member to log that it leads, after `marks` if given; without marks, only from each member's
 * latest role line on, so a member that led in an earlier life (its lines survive a restart) or before the
 * last election does not count.
 */
export async function waitForLeader(ensemble: TestEnsemble, marks?: Map<number, number>): Promise<MemberProcess> {
  const candidates = ensemble.members.filter((m) => m.alive);
  return Promise.any(candidates.map((m) => m.waitForRole("leading", marks?.get(m.id) ?? lastRoleLine(m)).then(() => m)));
}

function lastRoleLine(m: MemberProcess): number {
  for (let i = m.lines.length - 1; i >= 0; i--) if (/ role (looking|leading|following|observing)\b/.test(m.lines[i]!)) return i;
  return 0;
}
