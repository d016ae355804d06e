/**
 * A process that adds 1 to a counter kept in a plain file, `--count` times, each time inside the Mutex
 * recipe (Curator's InterProcessMutex layout) at /examples/lock/counter. Reading the file, yielding, then
 * writing it back is a race between processes: only the lock keeps increments from being lost. Run it with
 * `--no-lock` to see them lost.
 *
 *   node dist/examples/lock/worker.js --file counter.txt [--name a] [--count 10] [--no-lock] [--server host:port]
 */
import { readFile, writeFile } from "node:fs/promises";
import { setImmediate as yieldToOthers } from "node:timers/promises";
import { Mutex } from "../../src/recipes/index.js";
import { connect, Flags, onStop, runMain, say } from "../shared/cli.js";

const LOCK_PATH = "/examples/lock/counter";
const ACQUIRE_TIMEOUT_MS = 30_000;

const USAGE = "usage: node dist/examples/lock/worker.js --file counter.txt [--name a] [--count 10] [--no-lock] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { file: "value", name: "value", count: "value", "no-lock": "switch" });
  const file = flags.string("file", "");
  if (file === "") throw new Error(`--file is required\n${USAGE}`);
  const name = flags.string("name", `worker-${process.pid}`);
  const count = flags.count("count", 10);
  const locking = !flags.has("no-lock");
  const zk = await connect(flags.server, name);
  onStop(() => zk.close());
  const mutex = new Mutex(zk, LOCK_PATH, { data: name });
  for (let i = 0; i < count; i++) {
    if (locking && !(await mutex.acquire(ACQUIRE_TIMEOUT_MS))) throw new Error(`no lock within ${ACQUIRE_TIMEOUT_MS / 1000} s`);
    try {
      const before = await readCounter(file);
      await yieldToOthers(); // a window for anyone else to read the same value
      await writeFile(file, `${before + 1}\n`);
      say(name, `${locking ? "holds the lock: " : "no lock: "}counter ${before} → ${before + 1}`);
    } finally {
      if (locking) await mutex.release();
    }
  }
  say(name, `done: ${count} increments`);
  await zk.close();
}

async function readCounter(file: string): Promise<number> {
  const text = (await readFile(file, "utf8")).trim();
  return text === "" ? 0 : Number(text);
}

runMain("lock worker", main);
