/**
 * Shared setup for the recipe tests: one server per file (Herd, or Apache ZooKeeper for the tests that run
 * against both), clients closed after each test, and contender processes (test/recipes/contender.ts) whose
 * output lines can be awaited. Every wait is bounded; nothing sleeps.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { after, before } from "node:test";
import { NoNodeError, type ZooKeeperClient } from "../../src/client/index.js";
import { WAIT_MS, withTimeout } from "../client/support.js";
import { repoRoot } from "../helpers/interop-tools.js";
import { terminate, trackChild, waitForExit } from "../helpers/process-io.js";
import { startServer, type ServerKind, type ServerProcess } from "../helpers/server-process.js";

export { freshPath, useClients, withTimeout, WAIT_MS } from "../client/support.js";

/** Starts one server of `kind` for the whole file and stops it at the end. */
export function useServer(kind: ServerKind, cfg: Record<string, string> = {}): () => ServerProcess {
  let server: ServerProcess | undefined;
  before(async () => {
    server = await startServer(kind, { cfg });
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    assert.ok(server, `${kind} not started`);
    return server;
  };
}

const contenderScript = path.join(repoRoot, "dist", "test", "recipes", "contender.js");

/** A contender process; `line(pattern)` waits (bounded) for a matching stdout line not yet consumed. */
export class Contender {
  readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = "";
  private exited = false;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [contenderScript, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    trackChild(this.child);
    let partial = "";
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts);
      this.wakeAll();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.child.stdin?.on("error", () => undefined);
    this.child.once("exit", () => {
      this.exited = true;
      this.wakeAll();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Waits for the next stdout line matching `pattern` and consumes it (and the lines before it). */
  line(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.lines.findIndex((l) => pattern.test(l));
        if (index >= 0) {
          const [matched] = this.lines.splice(0, index + 1).slice(-1);
          finish();
          resolve(pattern.exec(matched as string) as RegExpMatchArray);
        } else if (this.exited) {
          finish();
          reject(new Error(`pid ${this.pid} exited before printing ${pattern}; stderr:\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`pid ${this.pid}: no line ${pattern} within ${ms} ms; stderr:\n${this.stderr}`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Lines printed and not yet consumed by line(). */
  unread(): string[] {
    return [...this.lines];
  }

  /** Waits for a clean exit. */
  async exitedCleanly(ms: number): Promise<void> {
    const status = await waitForExit(this.child, ms);
    assert.equal(status.code, 0, `pid ${this.pid} exited ${status.code}/${status.signal}; stderr:\n${this.stderr}`);
  }

  /** SIGKILL: the process dies with its session still open on the server. */
  async kill9(): Promise<void> {
    await terminate(this.child, "SIGKILL", 5_000);
  }

  /** Closes stdin (latch mode closes its latch and exits), or kills after `ms`. */
  async stop(ms = 10_000): Promise<void> {
    this.child.stdin?.end();
    await waitForExit(this.child, ms).catch(() => terminate(this.child, "SIGKILL", 5_000));
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/**
 * Checks a contention log of "S pid i" / "E pid i" lines: every start is followed directly by its own end,
 * so no two holders' critical sections overlapped. Returns the number of sections.
 */
export function assertNoOverlap(log: string): number {
  const lines = log.split("\n").filter((l) => l !== "");
  assert.equal(lines.length % 2, 0, "every section has a start and an end");
  for (let i = 0; i < lines.length; i += 2) {
    const [startKind, startPid, startIter] = (lines[i] as string).split(" ");
    const [endKind, endPid, endIter] = (lines[i + 1] as string).split(" ");
    assert.deepEqual([startKind, endKind], ["S", "E"], `lines ${i + 1}-${i + 2} overlap: ${lines[i]} / ${lines[i + 1]}`);
    assert.deepEqual([endPid, endIter], [startPid, startIter], `lines ${i + 1}-${i + 2}: section of another holder`);
  }
  return lines.length / 2;
}

/** Resolves once `predicate(children of path)` holds, re-checking on each child watch (bounded by `ms`). */
export async function waitForChildren(client: ZooKeeperClient, parent: string, predicate: (children: string[]) => boolean, what: string, ms = WAIT_MS): Promise<string[]> {
  const check = async (): Promise<string[]> => {
    for (;;) {
      let changed!: () => void;
      const next = new Promise<void>((resolve) => (changed = resolve));
      const children = await client.getChildren(parent, { watch: () => changed() }).catch(async (err: unknown) => {
        if (!(err instanceof NoNodeError)) throw err;
        // No node, so no child watch: wait for its creation instead.
        if ((await client.exists(parent, { watch: () => changed() })) !== null) changed();
        return [] as string[];
      });
      if (predicate(children)) return children;
      await next;
    }
  };
  return withTimeout(check(), what, ms);
}

/** Resolves once `path` does not exist, woken by its watch (bounded by `ms`). */
export async function waitForDeletion(client: ZooKeeperClient, nodePath: string, what: string, ms = WAIT_MS): Promise<void> {
  const check = async (): Promise<void> => {
    for (;;) {
      let changed!: () => void;
      const next = new Promise<void>((resolve) => (changed = resolve));
      if ((await client.exists(nodePath, { watch: () => changed() })) === null) return;
      await next;
    }
  };
  return withTimeout(check(), what, ms);
}
