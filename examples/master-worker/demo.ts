/**
 * The master-worker demo: masters m1 and m2 (one leads, one is a backup), workers w1 w2 w3 and a client
 * submitting 12 tasks. Midway the master is killed with SIGKILL: once its session times out the backup takes
 * over. Then a worker is killed while it runs a task: the master moves its tasks back and they run elsewhere.
 * At the end every task is done, and each was completed by exactly one worker.
 *
 *   node dist/examples/master-worker/demo.js [--tasks 12 (at least 10)] [--work-ms 600] [--session-timeout-ms 4000] [--server host:port]
 */
import { connect, deleteTree, Flags, onStop, runMain, say, SESSION_TIMEOUT_MS_DEFAULT } from "../shared/cli.js";
import { exampleScript, firstToPrint, printLine, RoleProcess, stopAll } from "../shared/processes.js";
import { ROOT_DEFAULT } from "./layout.js";

const USAGE = "usage: node dist/examples/master-worker/demo.js [--tasks 12 (at least 10)] [--work-ms 600] [--session-timeout-ms 4000] [--server host:port]";
const STEP_TIMEOUT_MS = 20_000;

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { tasks: "value", "work-ms": "value", "session-timeout-ms": "value" });
  const taskCount = Math.max(10, flags.count("tasks", 12)); // enough to outlast the failover
  const workMs = flags.count("work-ms", 600);
  const sessionTimeoutMs = flags.count("session-timeout-ms", SESSION_TIMEOUT_MS_DEFAULT);
  const zk = await connect(flags.server, "demo");
  await deleteTree(zk, ROOT_DEFAULT);
  await zk.close();
  say("demo", `cleared ${ROOT_DEFAULT}; starting masters m1 and m2, workers w1 w2 w3, and a client with ${taskCount} tasks`);

  const programs: RoleProcess[] = [];
  onStop(() => stopAll(programs));
  const start = (name: string, program: string, extra: string[]) => {
    const args = ["--name", name, "--server", flags.server, ...extra];
    const p = new RoleProcess(name, exampleScript("master-worker", program), args, { echo: printLine });
    programs.push(p);
    return p;
  };
  const timeout = ["--session-timeout-ms", String(sessionTimeoutMs)];
  try {
    const m1 = start("m1", "master", timeout);
    await m1.waitFor(/is now the master/, STEP_TIMEOUT_MS);
    const m2 = start("m2", "master", timeout);
    await m2.waitFor(/is a backup/, STEP_TIMEOUT_MS);
    const workers = ["w1", "w2", "w3"].map((w) => start(w, "worker", [...timeout, "--work-ms", String(workMs)]));
    await Promise.all(workers.map((w) => w.waitFor(/registered/, STEP_TIMEOUT_MS)));
    const client = start("client", "submit", ["--count", String(taskCount)]);

    await client.waitForCount(/task-\d+ done:/, Math.floor(taskCount / 4), STEP_TIMEOUT_MS);
    say("demo", `killing the master m1 with SIGKILL; m2 takes over once m1's session times out (${sessionTimeoutMs} ms)`);
    const killedAt = Date.now();
    await m1.stop("SIGKILL");
    await m2.waitFor(/is now the master/, sessionTimeoutMs + STEP_TIMEOUT_MS);
    say("demo", `m2 took over ${Date.now() - killedAt} ms after the kill`);

    const marks = new Map(workers.map((w) => [w, w.mark()]));
    const busy = await firstToPrint(workers, /started task-/, STEP_TIMEOUT_MS, marks);
    say("demo", `killing worker ${busy.name} with SIGKILL while it runs a task; m2 reassigns its tasks once its session times out`);
    await busy.stop("SIGKILL");

    await client.waitFor(/all \d+ tasks done/, 2 * sessionTimeoutMs + taskCount * workMs + STEP_TIMEOUT_MS);
    const completions = workers.flatMap((w) => w.matches(/completed (task-\d+)/).map((m) => m[1]!));
    const once = new Set(completions).size === completions.length && completions.length === taskCount;
    say("demo", once ? `done: ${taskCount} tasks, each completed by exactly one worker` : `PROBLEM: ${completions.length} completions for ${taskCount} tasks`);
    if (!once) process.exitCode = 1;
  } finally {
    await stopAll(programs);
  }
}

runMain("demo", main);
