/**
 * A master, or a backup waiting to become one. Candidates race to create the ephemeral /master; the winner
 * is the master, the others watch /master and race again when it goes (the master stopped, or its session
 * expired after it died). Everything the master knows is read from ZooKeeper, so a backup that takes over
 * carries on where the old master stopped:
 *
 *   - tasks in /tasks are assigned to live workers, at most `--per-worker` at a time each;
 *   - the tasks of a worker whose /workers node is gone are moved back to /tasks to be assigned again.
 *
 * Each pass re-reads the state; watches on /workers, /tasks and /status (a completion frees a worker) only
 * ask for another pass.
 *
 *   node dist/examples/master-worker/master.js [--name m1] [--per-worker 2] [--session-timeout-ms 4000] [--root /examples/master-worker] [--server host:port]
 */
import { ConnectionLossError, NoNodeError, NodeExistsError, NotEmptyError, type WatchEvent, type ZooKeeperClient } from "../../src/client/index.js";
import { Flags, isStopping, onStop, runMain, say, serialPasses, SESSION_TIMEOUT_MS_DEFAULT } from "../shared/cli.js";
import { ASSIGN, connectUnderRoot, inSubmissionOrder, MASTER, ROOT_DEFAULT, STATUS, TASKS, WORKERS } from "./layout.js";

const USAGE = "usage: node dist/examples/master-worker/master.js [--name m1] [--per-worker 2] [--session-timeout-ms 4000] [--root /examples/master-worker] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", "per-worker": "value", "session-timeout-ms": "value", root: "value" });
  const name = flags.string("name", `master-${process.pid}`);
  const perWorker = Math.max(1, flags.count("per-worker", 2));
  const sessionTimeoutMs = flags.count("session-timeout-ms", SESSION_TIMEOUT_MS_DEFAULT);
  const zk = await connectUnderRoot(flags.server, flags.string("root", ROOT_DEFAULT), name, { sessionTimeoutMs });
  onStop(() => zk.close());
  await becomeMaster(zk, name);
  say(name, "is now the master");
  runAssignments(zk, name, perWorker);
}

/** Returns once this process holds /master; until then it is a backup, woken only when /master goes. */
async function becomeMaster(zk: ZooKeeperClient, name: string): Promise<void> {
  let lastSeenMaster: string | undefined;
  for (;;) {
    if (await tryCreateMaster(zk, name)) return;
    // exists() leaves a watch that fires when /master changes or goes; if it is already gone, race again now.
    const gone = new Promise<void>((resolve, reject) => {
      zk.exists(MASTER, { watch: () => resolve() }).then((stat) => stat === null && resolve(), reject);
    });
    const holder = await readMaster(zk);
    if (holder !== undefined && holder !== lastSeenMaster) {
      lastSeenMaster = holder;
      say(name, `is a backup; the master is ${holder}`);
    }
    await gone;
    if (lastSeenMaster !== undefined) say(name, `the master ${lastSeenMaster} is gone; trying to take over`);
  }
}

async function tryCreateMaster(zk: ZooKeeperClient, name: string): Promise<boolean> {
  try {
    await zk.create(MASTER, name, { mode: "ephemeral" });
    return true;
  } catch (err) {
    if (err instanceof NodeExistsError) return false;
    // The create may have been applied before the connection broke: ours if it carries our session.
    if (err instanceof ConnectionLossError) return (await zk.exists(MASTER))?.ephemeralOwner === zk.sessionId;
    throw err;
  }
}

async function readMaster(zk: ZooKeeperClient): Promise<string | undefined> {
  try {
    return (await zk.getData(MASTER)).data.toString("utf8");
  } catch (err) {
    if (err instanceof NoNodeError) return undefined;
    throw err;
  }
}

function runAssignments(zk: ZooKeeperClient, name: string, perWorker: number): void {
  const onChange = (event: WatchEvent) => {
    if (event.type.startsWith("Node")) requestPass();
  };
  const requestPass = serialPasses(
    () => assignmentPass(zk, name, perWorker, onChange),
    (err) => {
      if (!isStopping()) say(name, `a pass failed (${err instanceof Error ? err.message : String(err)}); looking again once connected`);
    },
  );
  zk.on("reconnected", requestPass);
  requestPass();
}

/** One look at the whole state: reclaim the tasks of departed workers, then hand out waiting tasks. */
async function assignmentPass(zk: ZooKeeperClient, name: string, perWorker: number, onChange: (e: WatchEvent) => void): Promise<void> {
  // /assign before /workers: a worker creates both in one transaction, so any /assign/<w> seen here whose
  // /workers/<w> is missing from the later read really belongs to a worker that is gone.
  const assigned = await zk.getChildren(ASSIGN);
  const workers = new Set(await zk.getChildren(WORKERS, { watch: onChange }));
  await zk.getChildren(STATUS, { watch: onChange });
  const load = new Map<string, number>();
  for (const worker of assigned) {
    const tasks = inSubmissionOrder(await zk.getChildren(`${ASSIGN}/${worker}`));
    if (workers.has(worker)) load.set(worker, tasks.length);
    else await reclaim(zk, name, worker, tasks);
  }
  for (const task of inSubmissionOrder(await zk.getChildren(TASKS, { watch: onChange }))) {
    const worker = leastLoaded(load, perWorker);
    if (worker === undefined) return; // everyone is busy: a completion or a new worker brings another pass
    if (await assign(zk, task, worker)) {
      load.set(worker, load.get(worker)! + 1);
      say(name, `assigned ${task} to ${worker}`);
    }
  }
}

function leastLoaded(load: ReadonlyMap<string, number>, perWorker: number): string | undefined {
  let best: string | undefined;
  for (const [worker, count] of load) {
    if (count < perWorker && (best === undefined || count < load.get(best)!)) best = worker;
  }
  return best;
}

/** Moves /tasks/<task> to /assign/<worker>/<task> in one transaction. False if either side changed meanwhile. */
async function assign(zk: ZooKeeperClient, task: string, worker: string): Promise<boolean> {
  try {
    const { data } = await zk.getData(`${TASKS}/${task}`);
    await zk.transaction().create(`${ASSIGN}/${worker}/${task}`, data).delete(`${TASKS}/${task}`).commit();
    return true;
  } catch (err) {
    if (err instanceof NoNodeError || err instanceof NodeExistsError) return false;
    throw err;
  }
}

/** A worker's node is gone (it stopped, or its session expired): its unfinished tasks go back to /tasks. */
async function reclaim(zk: ZooKeeperClient, name: string, worker: string, tasks: readonly string[]): Promise<void> {
  for (const task of tasks) {
    const from = `${ASSIGN}/${worker}/${task}`;
    try {
      const { data } = await zk.getData(from);
      await zk.transaction().create(`${TASKS}/${task}`, data).delete(from).commit();
      say(name, `worker ${worker} is gone; moved its unfinished ${task} back to ${TASKS}`);
    } catch (err) {
      if (!(err instanceof NoNodeError || err instanceof NodeExistsError)) throw err;
    }
  }
  try {
    await zk.delete(`${ASSIGN}/${worker}`);
    if (tasks.length === 0) say(name, `worker ${worker} is gone; it had no unfinished task`);
  } catch (err) {
    if (!(err instanceof NoNodeError || err instanceof NotEmptyError)) throw err;
  }
}

runMain("master", main);
