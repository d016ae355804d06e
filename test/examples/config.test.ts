/** The configuration example: services follow a config node; a late one starts from the current config. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertPrinted, exampleEnv, STEP_MS } from "./support.js";

const CHANGES = [["color=blue"], ["replicas=3"], ["color=red", "replicas=5"], ["replicas="]];

test("services apply the config at start and every change after it; a later service gets the current one", async (t) => {
  const env = await exampleEnv(t);
  const first = await env.run("set-config", "config", "set-config", ["color=green", "replicas=1"]);
  assertPrinted(first, /wrote config version 0: \{"color":"green","replicas":"1"\}/);
  const services = ["svc-a", "svc-b"].map((name) => env.start(name, "config", "service", ["--name", name]));
  await Promise.all(services.map((s) => s.waitFor(/applied config version 0: \{"color":"green","replicas":"1"\}/, STEP_MS)));

  // One change at a time, each applied by every service before the next: every change is seen.
  for (const [i, change] of CHANGES.entries()) {
    await env.run("set-config", "config", "set-config", change);
    await Promise.all(services.map((s) => s.waitFor(new RegExp(`applied config version ${i + 1}:`), STEP_MS)));
  }
  const finalText = '{"color":"red"}';
  for (const service of services) {
    const versions = service.matches(/applied config version (\d+):/).map((m) => Number(m[1]));
    assert.deepEqual(versions, [0, 1, 2, 3, 4], `${service.name} applied each version once, in order`);
    assertPrinted(service, new RegExp(`applied config version 4: ${escape(finalText)}$`));
  }

  const late = env.start("svc-c", "config", "service", ["--name", "svc-c"]);
  const applied = await late.waitFor(/applied config version (\d+): (.*)$/, STEP_MS);
  assert.equal(applied[1], "4");
  assert.equal(applied[2], finalText);
});

test("a service started before any config exists waits for one", async (t) => {
  const env = await exampleEnv(t);
  const service = env.start("svc", "config", "service", ["--name", "svc"]);
  await service.waitFor(/no config at \/examples\/config\/app yet; waiting/, STEP_MS);
  await env.run("set-config", "config", "set-config", ["mode=fast"]);
  await service.waitFor(/applied config version 0: \{"mode":"fast"\}/, STEP_MS);
});

test("the config demo runs to its end", async (t) => {
  const env = await exampleEnv(t);
  const demo = await env.run("demo", "config", "demo");
  assertPrinted(demo, /\[svc-c\] applied config version 3: \{"color":"red","replicas":"5"\}/);
  assertPrinted(demo, /done: every service applied every change/);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
