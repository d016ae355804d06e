// The server's young generation cap (src/bin/process-tuning.ts): growth stays on only while one more doubling
// fits, the flag is set only on a change, node flags that size the young generation turn the cap off, and in
// a real node process the young generation stays under the cap while unchecked it grows past it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { growthFactorFor, youngGenerationFlagGiven, YoungGenerationCap } from "../../src/bin/process-tuning.js";

const MiB = 1024 * 1024;
/** What V8 reports as a semi-space's capacity: its size less page headers. */
const usable = (semiSpaceBytes: number) => Math.floor(semiSpaceBytes * 0.98);

test("growth stays on while one more doubling of both semi-spaces fits under the cap", () => {
  assert.equal(growthFactorFor(usable(1 * MiB), 16 * MiB), 2);
  assert.equal(growthFactorFor(usable(4 * MiB), 16 * MiB), 2, "4 → 8 MiB semi-spaces: 16 MiB, the cap itself");
  assert.equal(growthFactorFor(usable(8 * MiB), 16 * MiB), 1);
  assert.equal(growthFactorFor(usable(16 * MiB), 16 * MiB), 1, "already past the cap (before it was applied)");
  assert.equal(growthFactorFor(4 * MiB + 1, 16 * MiB), 1);
});

test("the cap sets the growth factor only when it changes, both ways", () => {
  const semiSpaces = [1, 2, 4, 8, 8, 8, 1, 2, 4, 8].map((m) => usable(m * MiB));
  let at = 0;
  const set: number[] = [];
  const cap = new YoungGenerationCap(16 * MiB, () => semiSpaces[at], (factor) => set.push(factor));
  for (at = 0; at < semiSpaces.length; at++) cap.afterGc();
  // V8 shrank the young generation (8 → 1 MiB): growth comes back on until the cap again.
  assert.deepEqual(set, [1, 2, 1]);
});

test("node flags that size the young generation turn the cap off", () => {
  assert.equal(youngGenerationFlagGiven([], undefined), false);
  assert.equal(youngGenerationFlagGiven(["--expose-gc", "--max-old-space-size=4096"], "--enable-source-maps"), false);
  assert.equal(youngGenerationFlagGiven(["--max-semi-space-size=64"], undefined), true);
  assert.equal(youngGenerationFlagGiven(["--max_semi_space_size", "64"], undefined), true);
  assert.equal(youngGenerationFlagGiven([], "--enable-source-maps  --min-semi-space-size=4"), true);
  assert.equal(youngGenerationFlagGiven(["--semi-space-growth-factor=4"], undefined), true);
  assert.equal(youngGenerationFlagGiven(["--max-heap-size=512"], undefined), true);
});

/**
 * A node process that applies the tuning (cap in bytes; 0: not at all), then allocates objects of which a
 * sliding window survives, yielding to the event loop between small batches as a server does, and prints the
 * largest young generation it saw and the cap it reported. Bounded: a fixed number of batches.
 */
const childScript = `
import v8 from "node:v8";
const [moduleUrl, capArg] = process.argv.slice(1);
const { applyServerProcessTuning } = await import(moduleUrl);
const cap = Number(capArg);
const reported = cap > 0 ? applyServerProcessTuning(cap).youngGenerationBytesMax : null;
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
let most = young();
let window = [];
for (let batch = 0; batch < 3000; batch++) {
  for (let i = 0; i < 2000; i++) {
    window.push({ batch, i, pair: [i, batch] });
    if (window.length > 60000) window = window.slice(30000);
  }
  await new Promise((resolve) => setImmediate(resolve));
  most = Math.max(most, young());
}
process.stdout.write(JSON.stringify({ most, reported }));
`;

function runChild(capBytes: number, nodeFlags: string[] = []): Promise<{ most: number; reported: number | null }> {
  const moduleUrl = new URL("../../src/bin/process-tuning.js", import.meta.url).href;
  const child = spawn(process.execPath, [...nodeFlags, "--input-type=module", "-e", childScript, moduleUrl, String(capBytes)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => { out += chunk; });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => { err += chunk; });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== 0) reject(new Error(`child exited with ${code}: ${err}`));
      else resolve(JSON.parse(out) as { most: number; reported: number | null });
    });
  });
}

test("in a node process the young generation stays under the cap; unchecked it grows past it", async () => {
  const capBytes = 4 * MiB;
  const unchecked = await runChild(0);
  assert.ok(unchecked.most > capBytes, `without the cap the young generation reached only ${unchecked.most} bytes`);
  const capped = await runChild(capBytes);
  assert.equal(capped.reported, capBytes);
  assert.ok(capped.most <= capBytes, `with a ${capBytes}-byte cap the young generation reached ${capped.most} bytes`);
});

test("a node flag sizing the young generation leaves it to V8", async () => {
  const result = await runChild(4 * MiB, ["--max-semi-space-size=2"]);
  assert.equal(result.reported, null);
});
