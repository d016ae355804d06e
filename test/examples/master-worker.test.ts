/**
 * The master-worker example: kill the master (a backup takes over, no task lost), kill a worker holding tasks
 * (they are reassigned), and check that every task was completed exactly once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "../../src/client/index.js";
import { ROOT_DEFAULT } from "../../examples/master-worker/layout.js";
import { allMatches, assertPrinted, duplicates, exampleEnv, EXPIRY_BOUND_MS, SESSION_TIMEOUT_MS, STEP_MS } from "./support.js";

const TASKS = 20;
const timeout = ["--session-timeout-ms", String(SESSION_TIMEOUT_MS)];

test("master and worker failures lose no task, and no task completes twice", async (t) => {
  const env = await exampleEnv(t);
  const m1 = env.start("m1", "master-worker", "master", ["--name", "m1", ...timeout]);
  await m1.waitFor(/\[m1\] is now the master/, STEP_MS);
  const m2 = env.start("m2", "master-worker", "master", ["--name", "m2", ...timeout]);
  await m2.waitFor(/\[m2\] is a backup; the master is m1/, STEP_MS);
  // w3 is slow: whatever it is given is still running when it is killed.
  const workers = [
    env.start("w1", "master-worker", "worker", ["--name", "w1", "--work-ms", "100", ...timeout]),
    env.start("w2", "master-worker", "worker", ["--name", "w2", "--work-ms", "100", ...timeout]),
    env.start("w3", "master-worker", "worker", ["--name", "w3", "--work-ms", "600000", ...timeout]),
  ];
  const [, , w3] = workers as [typeof m1, typeof m1, typeof m1];
  await Promise.all(workers.map((w) => w.waitFor(/registered/, STEP_MS)));
  const client = env.start("client", "master-worker", "submit", ["--count", String(TASKS), "--timeout-ms", "60000"]);
  const [, stuckTask] = await w3.waitFor(/started (task-\d+)/, STEP_MS);
  await client.waitForCount(/task-\d+ done:/, 4, STEP_MS);

  // The master dies: the backup takes over once the master's session has expired.
  const killedAt = Date.now();
  await m1.stop("SIGKILL");
  await m2.waitFor(/\[m2\] is now the master/, STEP_MS);
  const takeoverMs = Date.now() - killedAt;
  t.diagnostic(`m2 took over ${takeoverMs} ms after kill -9 of m1`);
  assert.ok(takeoverMs <= EXPIRY_BOUND_MS, `took ${takeoverMs} ms`);

  // A worker dies holding tasks: the new master moves them back, and others run them.
  await w3.stop("SIGKILL");
  await m2.waitFor(new RegExp(`worker w3 is gone; moved its unfinished ${stuckTask} back`), STEP_MS);
  await client.waitFor(new RegExp(`all ${TASKS} tasks done`), 30_000);
  assert.equal((await client.waitForExit(STEP_MS)).code, 0);

  const completed = allMatches(workers, /completed (task-\d+)/).map((m) => m[1]!);
  assert.deepEqual(duplicates(completed), [], "no task completed twice");
  const submitted = client.matches(/submitted (task-\d+)/).map((m) => m[1]!);
  assert.equal(submitted.length, TASKS);
  assert.deepEqual([...completed].sort(), [...submitted].sort(), "every submitted task completed");
  assert.equal(w3.matches(/completed/).length, 0);
  const reported = client.matches(/(task-\d+) done: .* done by (w\d)/);
  assert.equal(reported.length, TASKS);
  assert.ok(reported.some(([, task, by]) => task === stuckTask && by !== "w3"), `${stuckTask} ran elsewhere`);

  // What ZooKeeper holds agrees: every task has a status, nothing is waiting or assigned.
  const zk = createClient(`${env.server.connectString}${ROOT_DEFAULT}`);
  try {
    assert.equal((await zk.getChildren("/status")).length, TASKS);
    assert.deepEqual(await zk.getChildren("/tasks"), []);
    assert.deepEqual((await zk.getChildren("/assign")).sort(), ["w1", "w2"]);
    for (const w of ["w1", "w2"]) assert.deepEqual(await zk.getChildren(`/assign/${w}`), []);
    assert.equal((await zk.getData("/master")).data.toString(), "m2");
  } finally {
    await zk.close();
  }
});

test("the master-worker demo runs to its end", async (t) => {
  const env = await exampleEnv(t);
  const demo = await env.run("demo", "master-worker", "demo", [...timeout, "--tasks", "12", "--work-ms", "150"], 45_000);
  assertPrinted(demo, /\[m2\] is now the master/);
  assertPrinted(demo, /done: 12 tasks, each completed by exactly one worker/);
});
