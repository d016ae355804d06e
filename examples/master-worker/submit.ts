/**
 * A client of the master-worker system: submits `--count` tasks as sequential nodes /tasks/task-<seq>, then
 * waits for each task's /status node and prints its result. Exits 0 once every task is done.
 *
 *   node dist/examples/master-worker/submit.js [--name client] [--count 10] [--timeout-ms 120000] [--root /examples/master-worker] [--server host:port]
 */
import type { WatchEvent, ZooKeeperClient } from "../../src/client/index.js";
import { Flags, runMain, say, serialPasses } from "../shared/cli.js";
import { connectUnderRoot, ROOT_DEFAULT, STATUS, TASKS } from "./layout.js";

const USAGE = "usage: node dist/examples/master-worker/submit.js [--name client] [--count 10] [--timeout-ms 120000] [--root /examples/master-worker] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", count: "value", "timeout-ms": "value", root: "value" });
  const name = flags.string("name", "client");
  const count = flags.count("count", 10);
  const timeoutMs = flags.count("timeout-ms", 120_000);
  const zk = await connectUnderRoot(flags.server, flags.string("root", ROOT_DEFAULT), name);
  const submitted: string[] = [];
  for (let i = 1; i <= count; i++) {
    const job = `job ${i} of ${name}`;
    const task = (await zk.create(`${TASKS}/task-`, job, { mode: "persistentSequential" })).slice(TASKS.length + 1);
    submitted.push(task);
    say(name, `submitted ${task} (${job})`);
  }
  const allDone = await waitForResults(zk, name, submitted, timeoutMs);
  await zk.close();
  if (!allDone) process.exit(1);
}

/** Prints each result as its /status node appears; false if some are missing after `timeoutMs`. */
function waitForResults(zk: ZooKeeperClient, name: string, tasks: readonly string[], timeoutMs: number): Promise<boolean> {
  const waiting = new Set(tasks);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      say(name, `gave up after ${timeoutMs} ms; still not done: ${[...waiting].join(", ")}`);
      resolve(false);
    }, timeoutMs);
    const onChange = (event: WatchEvent) => {
      if (event.type.startsWith("Node")) requestPass();
    };
    const requestPass = serialPasses(async () => {
      const done = new Set(await zk.getChildren(STATUS, { watch: onChange }));
      for (const task of [...waiting]) {
        if (!done.has(task)) continue;
        waiting.delete(task);
        say(name, `${task} done: ${(await zk.getData(`${STATUS}/${task}`)).data.toString("utf8")}`);
      }
      if (waiting.size > 0) return;
      clearTimeout(timer);
      say(name, `all ${tasks.length} tasks done`);
      resolve(true);
    }, (err) => say(name, `could not read ${STATUS}: ${err instanceof Error ? err.message : String(err)}`));
    requestPass();
  });
}

runMain("submit", main);
