/**
 * Smoke test of `npm run bench` (bench/run.ts): quick mode, two workloads, a tiny op count, on a real Herd and a
 * real Apache ZooKeeper, through the Java load generator. Checks the results file's shape, that nothing failed,
 * and that the summary regenerates between the markers of a copy of docs/PERFORMANCE.md. Also checks the
 * option defaults the issue fixes. The numbers themselves are not judged: with 200 ops they mean nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../helpers/interop-tools.js";
import { summaryBeginMarker, summaryEndMarker, summaryMarkdown, updateDoc } from "../../bench/report.js";
import { workloadMetrics, type BenchResults, type Comparison, type WorkloadRun } from "../../bench/results.js";
import { parseBenchArgs, runBench, UsageError } from "../../bench/run.js";

const smokeWorkloads = ["getData", "create"];
const smokeOps = 200;

function assertComparison(c: Comparison, what: string): void {
  for (const side of ["herd", "zookeeper", "ratio"] as const) {
    for (const field of ["median", "min", "max"] as const) {
      assert.ok(Number.isFinite(c[side][field]) && c[side][field] >= 0, `${what} ${side}.${field} = ${c[side][field]}`);
    }
  }
}

function assertRun(run: WorkloadRun, what: string): void {
  assert.ok(run.ops >= smokeOps, `${what}: ${run.ops} ops`);
  assert.ok(run.seconds > 0 && run.opsPerSec > 0, `${what}: ${run.opsPerSec} ops/s over ${run.seconds} s`);
  const l = run.latencyUs;
  assert.ok(l.p50 > 0 && l.p50 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, `${what}: latency ${JSON.stringify(l)}`);
  assert.deepEqual(run.errors, {}, `${what}: errors`);
  assert.ok(Number.isFinite(run.cpuSeconds) && run.cpuSeconds >= 0, `${what}: cpu ${run.cpuSeconds}`);
  assert.ok(Number.isFinite(run.cpuSecondsPer1000Ops), `${what}: cpu per 1000 ops`);
}

test("quick bench of two workloads on Herd and ZooKeeper writes well-formed results with no errors", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "herd-bench-smoke-"));
  try {
    const out = path.join(dir, "results.json");
    const options = parseBenchArgs(["--quick", "--workloads", smokeWorkloads.join(","), "--ops", String(smokeOps), "--reps", "1", "--out", out]);
    assert.equal(options.docs, false, "a quick run must not touch docs/PERFORMANCE.md");
    const lines: string[] = [];
    const { file } = await runBench(options, (line) => lines.push(line));
    assert.equal(file, out);
    assert.ok(lines.some((l) => /fsync every acknowledged write/.test(l)), "the output states that both servers fsync");

    const r = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
    assert.equal(r.schema, 1);
    assert.equal(r.quick, true);
    assert.match(r.commit, /^([0-9a-f]{40}|unknown)$/);
    assert.match(r.durability, /fsync every acknowledged write/);
    assert.ok(r.machine.nproc >= 1 && r.machine.memoryBytes > 0);
    for (const key of ["cpuModel", "kernel", "node", "java", "zookeeper", "dataDirFs"] as const) {
      assert.ok(typeof r.machine[key] === "string" && r.machine[key] !== "", `machine.${key}`);
    }
    assert.equal(r.memory, null);
    assert.deepEqual(r.workloads.map((w) => w.name), smokeWorkloads);
    for (const w of r.workloads) {
      assert.deepEqual(w.runs.map((run) => `${run.server}#${run.rep}`), ["herd#1", "zookeeper#1"], `${w.name} alternates Herd, ZooKeeper`);
      for (const run of w.runs) assertRun(run, `${w.name}/${run.server}`);
      for (const metric of workloadMetrics) assertComparison(w.summary[metric], `${w.name} ${metric}`);
    }
    assert.equal(r.targets.length, 2 * smokeWorkloads.length, "a throughput and a p99 check per workload");

    const doc = path.join(dir, "PERFORMANCE.md");
    copyFileSync(path.join(repoRoot, "docs", "PERFORMANCE.md"), doc);
    updateDoc(doc, summaryMarkdown(r));
    const text = readFileSync(doc, "utf8");
    const between = text.slice(text.indexOf(summaryBeginMarker), text.indexOf(summaryEndMarker));
    assert.match(between, /\| getData \|/);
    assert.match(between, /\| create \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bench options: the issue's defaults, --large, --quick and bad input", () => {
  const full = parseBenchArgs([]);
  assert.equal(full.reps, 2);
  assert.equal(full.sessions, 8);
  assert.equal(full.inflight, 32);
  assert.equal(full.valueSize, 100);
  assert.equal(full.keys, 10_000);
  assert.equal(full.watchers, 100);
  assert.equal(full.znodes, 100_000);
  assert.equal(full.docs, true);
  assert.ok(full.workloads.includes("memory") && full.workloads.includes("watchFanout") && full.workloads.includes("churn"));
  assert.equal(parseBenchArgs(["--large"]).znodes, 1_000_000);
  const quick = parseBenchArgs(["--quick", "--duration", "5", "--workloads", "create,getData"]);
  assert.equal(quick.durationS, 5);
  assert.equal(quick.docs, false);
  assert.deepEqual(quick.workloads, ["create", "getData"]);
  assert.throws(() => parseBenchArgs(["--workloads", "nope"]), UsageError);
  assert.throws(() => parseBenchArgs(["--reps", "0"]), UsageError);
  assert.throws(() => parseBenchArgs(["--frobnicate"]), UsageError);
});
