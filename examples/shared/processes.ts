/**
 * Runs example programs as child processes and waits for what they print: the demos use it to play a
 * scenario (start three workers, kill the master, ...) and the tests in test/examples/ to check one. Every
 * wait is for a printed line or an exit, with a deadline; nothing sleeps.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** How long a stopped program gets to exit before it is killed. */
const STOP_GRACE_MS = 5_000;
/** Lines of output kept in an error message about a program that did not print what was expected. */
const TAIL_LINES = 20;

const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The compiled program `dist/examples/<example>/<program>.js`. */
export function exampleScript(example: string, program: string): string {
  return path.join(examplesDir, example, `${program}.js`);
}

/** Programs started here and not yet seen to exit: killed (by PID) if this process exits first. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) if (c.pid !== undefined) try { process.kill(c.pid, "SIGKILL"); } catch { /* gone */ }
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
}

export interface ExitStatus { code: number | null; signal: NodeJS.Signals | null }

/** `next`: the first line this waiter has not looked at yet; `needed`: matches still to see. */
interface LineWaiter { pattern: RegExp; next: number; needed: number; settle(match: RegExpMatchArray | Error): void }

export interface RoleProcessOptions {
  /** Receives each line (stdout and stderr) as it arrives, e.g. to show it in a demo. */
  echo?: (line: string) => void;
  /** Count stderr lines as output lines too (servers log there). */
  stderrLines?: boolean;
}

/** One running example program, its output split into lines. */
export class RoleProcess {
  readonly child: ChildProcess;
  /** Every output line so far (stdout, and stderr with `stderrLines`). */
  readonly lines: string[] = [];
  private stderrText = "";
  private waiters: LineWaiter[] = [];
  private status: ExitStatus | null = null;
  readonly exited: Promise<ExitStatus>;

  constructor(readonly name: string, script: string, args: readonly string[], options: RoleProcessOptions = {}) {
    this.child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    track(this.child);
    // A failed spawn is reported through the output and the exit ("close" follows "error").
    this.child.once("error", (err) => (this.stderrText += `cannot run ${script}: ${err.message}\n`));
    const onLine = (line: string) => {
      this.lines.push(line);
      options.echo?.(line);
      this.wake();
    };
    splitLines(this.child.stdout!, onLine);
    splitLines(this.child.stderr!, (line) => {
      this.stderrText += `${line}\n`;
      if (options.stderrLines === true) onLine(line);
      else options.echo?.(line);
    });
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        this.status = { code, signal };
        this.wake();
        resolve(this.status);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Lines printed so far: pass it as `from` to wait only for what comes next. */
  mark(): number {
    return this.lines.length;
  }

  /** Resolves with the first line at index ≥ `from` matching `pattern`; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return this.waitForCount(pattern, 1, timeoutMs, from);
  }

  /** Resolves with the `count`-th line at index ≥ `from` matching `pattern`; rejects on timeout or exit. */
  waitForCount(pattern: RegExp, count: number, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(this.failure(pattern, `not printed ${count} time(s) within ${timeoutMs} ms`)), timeoutMs);
      const settle = (outcome: RegExpMatchArray | Error) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const waiter: LineWaiter = { pattern, next: from, needed: Math.max(1, count), settle };
      this.waiters.push(waiter);
      this.wake();
    });
  }

  /** Every match of `pattern` in the lines so far. */
  matches(pattern: RegExp): RegExpMatchArray[] {
    return this.lines.map((l) => pattern.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  }

  /** Sends `signal` and waits for the exit; a program still running after the grace period is killed. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<ExitStatus> {
    if (this.status !== null) return this.status;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits (bounded) for the program to end by itself. */
  async waitForExit(timeoutMs: number): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      let match: RegExpExecArray | null = null;
      while (waiter.needed > 0 && waiter.next < this.lines.length) {
        const m = waiter.pattern.exec(this.lines[waiter.next++]!);
        if (m !== null) {
          match = m;
          waiter.needed -= 1;
        }
      }
      if (waiter.needed === 0) waiter.settle(match!);
      else if (this.status !== null) waiter.settle(this.failure(waiter.pattern, `the program exited (${this.status.code ?? this.status.signal})`));
    }
  }

  private failure(pattern: RegExp, why: string): Error {
    return new Error(`${this.name} (pid ${this.pid}): expected a line matching ${pattern}, ${why}${this.tail()}`);
  }

  private tail(): string {
    const err = this.stderrText.trim();
    return `\n--- last lines ---\n${this.lines.slice(-TAIL_LINES).join("\n")}${err === "" ? "" : `\n--- stderr ---\n${err}`}`;
  }
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) onLine(line);
  });
  stream.on("end", () => {
    if (partial !== "") onLine(partial);
  });
}

/** Stops every program (SIGTERM, then SIGKILL after a grace period) and waits for them to exit. */
export async function stopAll(programs: readonly RoleProcess[]): Promise<void> {
  await Promise.all(programs.map((p) => p.stop()));
}

/** Waits for the first of several programs to print a matching line; resolves with that program. */
export function firstToPrint(programs: readonly RoleProcess[], pattern: RegExp, timeoutMs: number, from?: ReadonlyMap<RoleProcess, number>): Promise<RoleProcess> {
  return Promise.any(programs.map((p) => p.waitFor(pattern, timeoutMs, from?.get(p) ?? 0).then(() => p))).catch((err: unknown) => {
    const reasons = err instanceof AggregateError ? err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))) : [String(err)];
    throw new Error(`none printed ${pattern}:\n${reasons.join("\n")}`);
  });
}

/** Prefixes nothing: example lines already say who is speaking. Used as `echo` by demos. */
export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}
