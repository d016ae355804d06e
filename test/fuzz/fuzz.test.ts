/**
 * Black-box fuzzing of a real Herd process, bounded for `npm test` (a few hundred cases, well under 30 s):
 * garbage, mutated and hostile frames on many connections, then the server must be alive, answer a
 * well-behaved client, keep a protected tree byte-identical, and do all of that again after a restart.
 * The seed is fixed so runs are repeatable; HERD_FUZZ_SEED / HERD_FUZZ_CASES override it. Longer runs:
 * `node dist/test/fuzz/run.js --cases N --seed S`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startHerd } from "../helpers/server-process.js";
import { formatReport, runFuzz } from "./fuzzer.js";
import { fuzzServerConfig } from "./server-config.js";

const SEED_DEFAULT = 20_240_601;
const CASES_DEFAULT = 400;

function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${value}`);
  return n;
}

test("fuzzed frames neither crash nor wedge Herd, and leave others' data alone", async () => {
  const seed = envInt("HERD_FUZZ_SEED", SEED_DEFAULT) >>> 0;
  const cases = envInt("HERD_FUZZ_CASES", CASES_DEFAULT);
  const server = await startHerd({ cfg: fuzzServerConfig });
  let report;
  try {
    report = await runFuzz(server, {
      seed, cases,
      concurrency: 8,
      deepChains: 1,
      deepChainMax: 400,
      restart: true,
      replyTimeoutMs: 10_000,
      closeTimeoutMs: 10_000,
      stallMs: 2_000,
      log: () => {},
    });
  } finally {
    await (report?.server ?? server).stop();
  }
  assert.ok(report.casesRun > 0);
  assert.equal(report.findings.length, 0, `fuzz seed ${seed} found problems:\n${formatReport(report)}`);
});
