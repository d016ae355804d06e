/**
 * Child-process plumbing for interop tests: run a program to completion under a deadline, or drive an
 * interactive one line by line and wait (bounded) for patterns in its output. Every wait here is for an
 * event (output, exit) with a deadline; nothing sleeps.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** Processes we spawned and have not seen exit; killed by PID if the test process exits first. */
const liveChildren = new Set<ChildProcess>();
/** Children whose stdio has fully closed (the "close" event is not replayed to late listeners). */
const closedChildren = new WeakSet<ChildProcess>();
let exitHookInstalled = false;

/** Registers a spawned child so a crashing or interrupted test run cannot leave it behind. */
export function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", killLiveChildren);
    // Default SIGINT/SIGTERM handling skips "exit" hooks: kill the children, then die of the same signal.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        killLiveChildren();
        process.kill(process.pid, signal);
      });
    }
  }
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
  child.once("close", () => closedChildren.add(child));
}

function killLiveChildren(): void {
  for (const c of liveChildren) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try { process.kill(c.pid, "SIGKILL"); } catch { /* already gone */ }
    }
  }
}

export interface ExitStatus { code: number | null; signal: NodeJS.Signals | null }

/** Resolves when the child exits; rejects after `timeoutMs` (the child is left running for the caller). */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<ExitStatus> {
  return waitForEnd(child, "exit", timeoutMs);
}

/**
 * Like waitForExit, but "close" also waits until the child's stdio streams have ended, so all its output
 * has been read.
 */
function waitForEnd(child: ChildProcess, event: "exit" | "close", timeoutMs: number): Promise<ExitStatus> {
  const ended = event === "exit" ? child.exitCode !== null || child.signalCode !== null : closedChildren.has(child);
  if (ended) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off(event, onExit);
      reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    child.once(event, onExit);
  });
}

/** Sends `signal` to the child (by its PID) and waits for it to exit; escalates to SIGKILL after `graceMs`. */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) return waitForExit(child, 0);
  if (child.pid !== undefined) {
    try { process.kill(child.pid, signal); } catch { /* exited meanwhile */ }
  }
  try {
    return await waitForExit(child, graceMs);
  } catch {
    if (child.pid !== undefined) {
      try { process.kill(child.pid, "SIGKILL"); } catch { /* exited meanwhile */ }
    }
    return waitForExit(child, 10_000);
  }
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface RunOptions {
  input?: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a program to completion; on timeout it is killed and the promise rejects with its output so far. */
export async function runProgram(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env, cwd: opts.cwd });
  trackChild(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => { stdout += s; });
  child.stderr.setEncoding("utf8").on("data", (s: string) => { stderr += s; });
  const spawnError = new Promise<never>((_, reject) => child.once("error", reject));
  child.stdin.on("error", () => { /* the program may exit without reading all input */ });
  child.stdin.end(opts.input ?? "");
  try {
    const status = await Promise.race([waitForEnd(child, "close", opts.timeoutMs), spawnError]);
    return { ...status, stdout, stderr };
  } catch (err) {
    await terminate(child, "SIGKILL", 5_000);
    throw new Error(`${command} ${args.join(" ")}: ${(err as Error).message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
  }
}

/**
 * An interactive program whose stdout and stderr are read as one text stream. `expect` waits for a pattern
 * after the previous match, so a test reads the transcript in order, like a person at a terminal.
 */
export class InteractiveProgram {
  readonly child: ChildProcess;
  private transcript = "";
  private cursor = 0;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(command: string, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: env ?? process.env });
    trackChild(this.child);
    const append = (s: string) => {
      this.transcript += s;
      for (const wake of this.waiters) wake();
    };
    this.child.stdout?.setEncoding("utf8").on("data", append);
    this.child.stderr?.setEncoding("utf8").on("data", append);
    this.child.stdin?.on("error", () => { /* reported through expect() when the program dies */ });
    this.child.once("close", () => {
      this.closed = true;
      for (const wake of this.waiters) wake();
    });
  }

  /** Everything the program printed so far. */
  output(): string {
    return this.transcript;
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Waits until the program has exited and all its output was read. */
  async waitForClose(timeoutMs: number): Promise<ExitStatus> {
    return waitForEnd(this.child, "close", timeoutMs);
  }

  /** Closes the program's stdin (many shells exit on EOF). */
  endInput(): void {
    this.child.stdin?.end();
  }

  /** Waits for `pattern` to appear after the last match; returns the match and moves past it. */
  expect(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const flags = pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`;
    const re = new RegExp(pattern.source, flags);
    return new Promise((resolve, reject) => {
      const finish = (err: Error | null, m?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.waiters.delete(onData);
        if (err !== null) reject(err); else resolve(m as RegExpMatchArray);
      };
      const onData = () => {
        re.lastIndex = this.cursor;
        const m = re.exec(this.transcript);
        if (m !== null) {
          this.cursor = m.index + m[0].length;
          finish(null, m);
        } else if (this.closed) {
          finish(this.failure(pattern, "the program exited"));
        }
      };
      const timer = setTimeout(() => finish(this.failure(pattern, `not seen within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(onData);
      onData();
    });
  }

  private failure(pattern: RegExp, why: string): Error {
    return new Error(`expected ${pattern} (${why}); unread output:\n${this.transcript.slice(this.cursor)}`);
  }
}
