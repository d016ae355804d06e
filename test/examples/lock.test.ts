/** The lock example: processes contend for the Mutex recipe around a read-modify-write of a file. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { allMatches, assertPrinted, duplicates, exampleEnv } from "./support.js";

const WORKERS = 4;
const INCREMENTS = 15;
const RUN_MS = 60_000;

test("workers taking the Mutex in turn leave an exact count, each value counted once", async (t) => {
  const env = await exampleEnv(t);
  const dir = mkdtempSync(path.join(tmpdir(), "herd-lock-example-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "counter.txt");
  writeFileSync(file, "0\n");
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) =>
      env.run(`w${i}`, "lock", "worker", ["--name", `w${i}`, "--file", file, "--count", String(INCREMENTS)], RUN_MS),
    ),
  );
  assert.equal(Number(readFileSync(file, "utf8").trim()), WORKERS * INCREMENTS);
  // Every holder saw the value its predecessor wrote: the "from" values are 0..N-1, each once.
  const from = allMatches(workers, /holds the lock: counter (\d+) → (\d+)/).map((m) => Number(m[1]));
  assert.deepEqual(duplicates(from), []);
  assert.deepEqual([...from].sort((a, b) => a - b), Array.from({ length: WORKERS * INCREMENTS }, (_, i) => i));
});

test("the lock demo runs to its end", async (t) => {
  const env = await exampleEnv(t);
  const demo = await env.run("demo", "lock", "demo", [], RUN_MS);
  assertPrinted(demo, /final count 40, expected 40: no increment lost/);
});
