/**
 * A contender run as its own process by the recipe tests (node dist/test/recipes/contender.js MODE ...), so
 * that locks and elections are exercised across real processes and sessions, not just across objects.
 *
 *   mutex CONNECT LOCK_PATH COUNTER_FILE LOG_FILE ITERATIONS
 *     ITERATIONS times: take a Mutex, do a deliberately slow read-modify-write of the counter file, append
 *     "S pid i" / "E pid i" around it to the log file, release. Prints "done" and exits 0.
 *   rwlock CONNECT LOCK_PATH COUNTER_FILE LOG_FILE ITERATIONS
 *     The same with the write half of a ReadWriteLock.
 *   latch CONNECT LATCH_PATH ID SESSION_TIMEOUT_MS
 *     Joins a LeaderLatch; prints "joined ID", then "leader ID" / "follower ID" on each change; runs until
 *     killed or until stdin closes (then closes the latch and exits).
 */
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { createClient } from "../../src/client/index.js";
import { LeaderLatch, Mutex, ReadWriteLock } from "../../src/recipes/index.js";

const ACQUIRE_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const [mode, connectString, path, ...rest] = process.argv.slice(2);
  if (mode === undefined || connectString === undefined || path === undefined) throw new Error("usage: contender MODE CONNECT PATH ...");
  switch (mode) {
    case "mutex":
    case "rwlock":
      return contend(mode, connectString, path, rest);
    case "latch":
      return runLatch(connectString, path, rest);
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

async function contend(mode: "mutex" | "rwlock", connectString: string, lockPath: string, [counterFile, logFile, iterationsText]: string[]): Promise<void> {
  if (counterFile === undefined || logFile === undefined || iterationsText === undefined) throw new Error("missing arguments");
  const zk = createClient(connectString, { sessionTimeoutMs: 10_000 });
  await zk.whenConnected(10_000);
  const lock = mode === "mutex" ? new Mutex(zk, lockPath) : new ReadWriteLock(zk, lockPath).writeLock;
  for (let i = 0; i < Number(iterationsText); i++) {
    if (!(await lock.acquire(ACQUIRE_TIMEOUT_MS))) throw new Error(`iteration ${i}: lock not acquired within ${ACQUIRE_TIMEOUT_MS} ms`);
    try {
      await appendFile(logFile, `S ${process.pid} ${i}\n`);
      // Read, yield to the event loop (and the OS) through separate file operations, then write: without
      // mutual exclusion, concurrent holders lose increments.
      const count = Number((await readFile(counterFile, "utf8")).trim() || "0");
      await appendFile(logFile, "");
      await writeFile(counterFile, `${count + 1}\n`);
      await appendFile(logFile, `E ${process.pid} ${i}\n`);
    } finally {
      await lock.release();
    }
  }
  await zk.close();
  process.stdout.write("done\n");
}

async function runLatch(connectString: string, latchPath: string, [id, sessionTimeoutText]: string[]): Promise<void> {
  if (id === undefined) throw new Error("missing id");
  const zk = createClient(connectString, { sessionTimeoutMs: Number(sessionTimeoutText ?? "4000") });
  await zk.whenConnected(10_000);
  const latch = new LeaderLatch(zk, latchPath, { id });
  latch.on("isLeader", () => process.stdout.write(`leader ${id}\n`));
  latch.on("notLeader", () => process.stdout.write(`follower ${id}\n`));
  await latch.start();
  process.stdout.write(`joined ${id} ${latch.hasLeadership ? "leader" : "follower"}\n`);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once("end", resolve));
  await latch.close();
  await zk.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
