/** The naming example: ids from sequential nodes, taken by many processes at once. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertPrinted, duplicates, exampleEnv } from "./support.js";

const CLIENTS = 5;
const IDS_EACH = 20;

test("ids taken by many processes at once are unique, and each process's ids increase", async (t) => {
  const env = await exampleEnv(t);
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) => env.run(`c${i}`, "naming", "id-client", ["--name", `c${i}`, "--count", String(IDS_EACH)])),
  );
  const perClient = clients.map((c) => c.matches(/got id (\d+)/).map((m) => Number(m[1])));
  for (const ids of perClient) {
    assert.equal(ids.length, IDS_EACH);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `ids must increase: ${ids.join(" ")}`);
  }
  const all = perClient.flat();
  assert.deepEqual(duplicates(all), []);
  assert.equal(all.length, CLIENTS * IDS_EACH);
});

test("the naming demo runs to its end", async (t) => {
  const env = await exampleEnv(t);
  const demo = await env.run("demo", "naming", "demo");
  assertPrinted(demo, /15 ids handed out, all different/);
  assertPrinted(demo, /each client's ids went up/);
});
