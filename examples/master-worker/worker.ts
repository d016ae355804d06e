/**
 * A worker: registers itself (its /assign/<name> directory and its ephemeral /workers/<name>, in one
 * transaction), watches its assignment directory and runs what the master puts there, one task at a time.
 * Completing a task is one transaction too: create /status/<task> and delete /assign/<name>/<task>. If the
 * task was taken away meanwhile (this worker was declared gone), the transaction fails and the result is
 * dropped, so no task is ever completed twice.
 *
 *   node dist/examples/master-worker/worker.js [--name w1] [--work-ms 500] [--session-timeout-ms 4000] [--root /examples/master-worker] [--server host:port]
 */
import { NoNodeError, NodeExistsError, type WatchEvent, type ZooKeeperClient } from "../../src/client/index.js";
import { Flags, isStopping, onStop, runMain, say, serialPasses, SESSION_TIMEOUT_MS_DEFAULT } from "../shared/cli.js";
import { ASSIGN, connectUnderRoot, inSubmissionOrder, ROOT_DEFAULT, STATUS, WORKERS } from "./layout.js";

const USAGE = "usage: node dist/examples/master-worker/worker.js [--name w1] [--work-ms 500] [--session-timeout-ms 4000] [--root /examples/master-worker] [--server host:port]";
/** Attempts to register while an earlier worker of the same name is still being cleaned up. */
const REGISTER_ATTEMPTS_MAX = 10;
const REGISTER_WAIT_MS = 30_000;

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", "work-ms": "value", "session-timeout-ms": "value", root: "value" });
  const name = flags.string("name", `worker-${process.pid}`);
  const workMs = flags.count("work-ms", 500);
  const zk = await connectUnderRoot(flags.server, flags.string("root", ROOT_DEFAULT), name, {
    sessionTimeoutMs: flags.count("session-timeout-ms", SESSION_TIMEOUT_MS_DEFAULT),
  });
  onStop(() => zk.close());
  await register(zk, name);
  say(name, `registered; each task takes it ${workMs} ms`);
  runAssignedTasks(zk, name, workMs);
}

async function register(zk: ZooKeeperClient, name: string): Promise<void> {
  for (let attempt = 0; attempt < REGISTER_ATTEMPTS_MAX; attempt++) {
    try {
      await zk.transaction()
        .create(`${ASSIGN}/${name}`)
        .create(`${WORKERS}/${name}`, `pid ${process.pid}`, { mode: "ephemeral" })
        .commit();
      return;
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
    say(name, `a worker named ${name} is still registered (an earlier run?); waiting until the master has cleaned up after it`);
    await waitUntilGone(zk, `${ASSIGN}/${name}`, REGISTER_WAIT_MS);
    await waitUntilGone(zk, `${WORKERS}/${name}`, REGISTER_WAIT_MS);
  }
  throw new Error(`could not register as ${name}`);
}

/** Resolves when `path` does not exist, or after `timeoutMs`. */
function waitUntilGone(zk: ZooKeeperClient, path: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    zk.exists(path, { watch: done }).then((stat) => stat === null && done(), reject);
  });
}

/** Runs assigned tasks in order, one at a time; the watch on our directory asks for another look. */
function runAssignedTasks(zk: ZooKeeperClient, name: string, workMs: number): void {
  const finished = new Set<string>();
  const onChange = (event: WatchEvent) => {
    if (event.type.startsWith("Node")) requestPass();
  };
  const requestPass = serialPasses(async () => {
    const mine = `${ASSIGN}/${name}`;
    for (const task of inSubmissionOrder(await zk.getChildren(mine, { watch: onChange }))) {
      if (finished.has(task)) continue;
      finished.add(task);
      try {
        await runTask(zk, name, task, workMs);
      } catch (err) {
        finished.delete(task); // still assigned if the completion did not go through: the next pass retries it
        throw err;
      }
    }
  }, (err) => {
    if (!isStopping()) say(name, `could not run its assignments: ${err instanceof Error ? err.message : String(err)}`);
  });
  zk.on("reconnected", requestPass);
  requestPass();
}

async function runTask(zk: ZooKeeperClient, name: string, task: string, workMs: number): Promise<void> {
  const assigned = `${ASSIGN}/${name}/${task}`;
  let job: string;
  try {
    job = (await zk.getData(assigned)).data.toString("utf8");
  } catch (err) {
    if (err instanceof NoNodeError) return; // taken away before we started
    throw err;
  }
  say(name, `started ${task} (${job})`);
  await new Promise((resolve) => setTimeout(resolve, workMs)); // the work itself
  try {
    await zk.transaction().create(`${STATUS}/${task}`, `${job}: done by ${name}`).delete(assigned).commit();
    say(name, `completed ${task}`);
  } catch (err) {
    if (!(err instanceof NoNodeError || err instanceof NodeExistsError)) throw err;
    say(name, `${task} was taken away from it meanwhile; result dropped`);
  }
}

runMain("worker", main);
