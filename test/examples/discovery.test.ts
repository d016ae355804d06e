/** The discovery example: servers register ephemeral nodes; a client follows the list and spreads requests. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertPrinted, exampleEnv, EXPIRY_BOUND_MS, SESSION_TIMEOUT_MS, STEP_MS } from "./support.js";

const timeout = ["--session-timeout-ms", String(SESSION_TIMEOUT_MS)];
const REQUESTS_AFTER_DROP = 6;

test("the client spreads requests over registered servers; a killed server drops out within its session timeout", async (t) => {
  const env = await exampleEnv(t);
  const servers = ["s1", "s2", "s3"].map((name) => env.start(name, "discovery", "server", ["--name", name, ...timeout]));
  await Promise.all(servers.map((s) => s.waitFor(/registered \/examples\/discovery\/servers\//, STEP_MS)));
  const client = env.start("c1", "discovery", "client", ["--name", "c1", "--interval-ms", "50"]);
  await client.waitFor(/servers now: s1 \S+, s2 \S+, s3 \S+$/, STEP_MS);
  // Spread: each server answers.
  await Promise.all(["s1", "s2", "s3"].map((s) => client.waitFor(new RegExp(`→ ${s}: hello from ${s}`), STEP_MS)));

  const mark = client.mark();
  const killedAt = Date.now();
  await servers[1]!.stop("SIGKILL");
  await client.waitFor(/servers now: s1 \S+, s3 \S+$/, STEP_MS, mark);
  const dropMs = Date.now() - killedAt;
  t.diagnostic(`s2 left the client's list ${dropMs} ms after kill -9 (session timeout ${SESSION_TIMEOUT_MS} ms)`);
  assert.ok(dropMs <= EXPIRY_BOUND_MS, `took ${dropMs} ms`);

  // From the list change on, requests go only to s1 and s3, and all succeed. The client sends one request
  // at a time; the one in flight when the list changed may still have gone to s2, so it is skipped.
  const after = client.mark();
  await client.waitForCount(/request \d+ → /, REQUESTS_AFTER_DROP + 1, STEP_MS, after);
  const requests = client.lines.slice(after).filter((l) => /request \d+ → /.test(l)).slice(1);
  const targets = requests.map((l) => /request \d+ → (s\d+)/.exec(l)![1]!);
  assert.ok(targets.every((s) => s === "s1" || s === "s3"), `targets after the drop: ${targets.join(" ")}`);
  assert.ok(targets.includes("s1") && targets.includes("s3"));
  assert.deepEqual(requests.filter((l) => l.includes("failed")), []);
});

test("a server stopped cleanly leaves the list at once", async (t) => {
  const env = await exampleEnv(t);
  const servers = ["s1", "s2"].map((name) => env.start(name, "discovery", "server", ["--name", name, ...timeout]));
  await Promise.all(servers.map((s) => s.waitFor(/registered/, STEP_MS)));
  const client = env.start("c1", "discovery", "client", ["--name", "c1", "--interval-ms", "50"]);
  await client.waitFor(/servers now: s1 \S+, s2 \S+$/, STEP_MS);
  const mark = client.mark();
  const stoppedAt = Date.now();
  await servers[0]!.stop("SIGTERM");
  await client.waitFor(/servers now: s2 \S+$/, STEP_MS, mark);
  assert.ok(Date.now() - stoppedAt < SESSION_TIMEOUT_MS, "a closed session's ephemeral goes without waiting for a timeout");
});

test("the discovery demo runs to its end", async (t) => {
  const env = await exampleEnv(t);
  const demo = await env.run("demo", "discovery", "demo", timeout, 30_000);
  assertPrinted(demo, /s2 left the client's list \d+ ms after the kill/);
  assertPrinted(demo, /\[c1\] request \d+ → s4: hello from s4/);
});
