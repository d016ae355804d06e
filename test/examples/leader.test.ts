/** The leader example: election among processes; a killed leader is replaced. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { firstToPrint } from "../../examples/shared/processes.js";
import { assertPrinted, exampleEnv, EXPIRY_BOUND_MS, SESSION_TIMEOUT_MS, STEP_MS } from "./support.js";

const timeout = ["--session-timeout-ms", String(SESSION_TIMEOUT_MS)];

test("killing the leader elects another: after its session times out (SIGKILL), at once (SIGTERM)", async (t) => {
  const env = await exampleEnv(t);
  const c1 = env.start("c1", "leader", "candidate", ["--name", "c1", ...timeout]);
  await c1.waitFor(/\[c1\] is now the leader/, STEP_MS);
  const rest = ["c2", "c3"].map((name) => env.start(name, "leader", "candidate", ["--name", name, ...timeout]));
  await Promise.all(rest.map((c) => c.waitFor(/the leader is c1/, STEP_MS)));

  const marks = new Map(rest.map((c) => [c, c.mark()]));
  const killedAt = Date.now();
  await c1.stop("SIGKILL");
  const second = await firstToPrint(rest, /is now the leader/, STEP_MS, marks);
  const failoverMs = Date.now() - killedAt;
  t.diagnostic(`after kill -9 of the leader, ${second.name} led ${failoverMs} ms later (session timeout ${SESSION_TIMEOUT_MS} ms)`);
  assert.ok(failoverMs <= EXPIRY_BOUND_MS, `took ${failoverMs} ms`);
  const third = rest.find((c) => c !== second)!;
  await third.waitFor(new RegExp(`the leader is ${second.name}`), STEP_MS, marks.get(third));
  assert.equal(third.matches(/is now the leader/).length, 0, "only one leader at a time");

  const mark = third.mark();
  const stoppedAt = Date.now();
  await second.stop("SIGTERM");
  await third.waitFor(/is now the leader/, STEP_MS, mark);
  const handoverMs = Date.now() - stoppedAt;
  t.diagnostic(`after SIGTERM of the leader, ${third.name} led ${handoverMs} ms later`);
  // A leader that closes its session hands over without waiting for any timeout.
  assert.ok(handoverMs < SESSION_TIMEOUT_MS, `took ${handoverMs} ms`);
});

test("the leader demo runs to its end", async (t) => {
  const env = await exampleEnv(t);
  const demo = await env.run("demo", "leader", "demo", timeout, 30_000);
  assertPrinted(demo, /took over \d+ ms after the kill/);
  assertPrinted(demo, /took over \d+ ms after the stop/);
});
