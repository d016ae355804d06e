/**
 * Smoke test of `npm run bench` (bench/run.ts): quick mode, two workloads, a tiny op count, on a real Herd and a
 * real Apache ZooKeeper, through the Java load generator and (as quick mode does) through Herd's TypeScript
 * client (bench/ts-loadgen.ts); then the same for 3-member ensembles of each, with one
 * workload and one leader kill each (the failover workload). Checks the results files' shape, that nothing
 * failed, and that each summary regenerates between its own markers of a copy of docs/PERFORMANCE.md, leaving
 * the other section alone. Also checks the option defaults the issue fixes. The numbers themselves are not
 * judged: with 200 ops they mean nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../helpers/interop-tools.js";
import {
  ensembleBeginMarker, ensembleEndMarker, summaryBeginMarker, summaryEndMarker, summaryMarkdown, summaryMarkers,
  tsClientBeginMarker, tsClientEndMarker, tsClientMarkers, tsClientSummaryMarkdown, updateDoc,
} from "../../bench/report.js";
import {
  failoverMetrics, resultsSchemaVersion, workloadMetrics, type BenchResults, type Comparison, type FailoverRun, type WorkloadRun,
} from "../../bench/results.js";
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
    assert.equal(options.tsClient, true, "a quick run smoke-tests the TypeScript client too");
    const lines: string[] = [];
    const { file } = await runBench(options, (line) => lines.push(line));
    assert.equal(file, out);
    assert.ok(lines.some((l) => /fsync every acknowledged write/.test(l)), "the output states that both servers fsync");

    const r = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
    assert.equal(r.schema, resultsSchemaVersion);
    assert.equal(r.ensemble, null);
    assert.equal(r.failover, null);
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
    assert.equal(r.targets.length, 2 * smokeWorkloads.length, "a throughput and a p99 check per Java-client workload, none for ts-client rows");
    assert.ok(r.targets.every((t) => !t.what.startsWith("ts-client")));

    // The same workloads through Herd's TypeScript client: rows of their own, alternated the same way.
    assert.match(r.servers.tsClientLoadGenerator ?? "", /ts-loadgen/);
    assert.deepEqual(r.tsClientWorkloads?.map((w) => w.name), smokeWorkloads.map((w) => `ts-client ${w}`));
    for (const w of r.tsClientWorkloads ?? []) {
      assert.deepEqual(w.runs.map((run) => `${run.server}#${run.rep}`), ["herd#1", "zookeeper#1"], `${w.name} alternates Herd, ZooKeeper`);
      for (const run of w.runs) assertRun(run, `${w.name}/${run.server}`);
      for (const metric of workloadMetrics) assertComparison(w.summary[metric], `${w.name} ${metric}`);
    }

    const doc = path.join(dir, "PERFORMANCE.md");
    copyFileSync(path.join(repoRoot, "docs", "PERFORMANCE.md"), doc);
    updateDoc(doc, summaryMarkdown(r));
    const text = readFileSync(doc, "utf8");
    const between = text.slice(text.indexOf(summaryBeginMarker), text.indexOf(summaryEndMarker));
    assert.match(between, /\| getData \|/);
    assert.match(between, /\| create \|/);
    assert.doesNotMatch(between, /ts-client/, "the headline table holds the Java client's rows only");

    // The TypeScript client's table regenerates between its own markers and leaves the standalone section alone.
    updateDoc(doc, tsClientSummaryMarkdown(r), tsClientMarkers);
    const after = readFileSync(doc, "utf8");
    assert.equal(section(after, summaryBeginMarker, summaryEndMarker), section(text, summaryBeginMarker, summaryEndMarker));
    const tsSection = section(after, tsClientBeginMarker, tsClientEndMarker);
    assert.match(tsSection, /\| ts-client getData \|/);
    assert.match(tsSection, /Informational/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The text between a pair of markers in `doc`. */
function section(doc: string, begin: string, end: string): string {
  return doc.slice(doc.indexOf(begin), doc.indexOf(end));
}

function assertFailoverRun(run: FailoverRun, what: string): void {
  assert.ok(Number.isFinite(run.unavailableMs) && run.unavailableMs > 0, `${what}: unavailable ${run.unavailableMs} ms`);
  assert.ok(run.stallMs >= run.unavailableMs, `${what}: the stall starts before the kill`);
  assert.ok(Number.isFinite(run.rejoinMs) && run.rejoinMs > 0, `${what}: rejoin ${run.rejoinMs} ms`);
  assert.notEqual(run.newLeader, run.killedLeader, `${what}: another member leads after the kill`);
  assert.ok(run.reconnects >= 1, `${what}: the probe's session moved to a surviving member`);
  assert.equal(run.sessionsExpired, 0, `${what}: the probe's session survived the failover`);
}

test("quick bench on 3-member ensembles: a workload through every member, then kill -9 of each leader", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "herd-bench-smoke-"));
  try {
    const out = path.join(dir, "results.json");
    const options = parseBenchArgs(["--quick", "--ensemble", "--workloads", "setData,failover", "--ops", String(smokeOps),
      "--failover-reps", "1", "--out", out]);
    assert.equal(options.docs, false);
    const { file } = await runBench(options, () => {});
    const r = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
    assert.equal(r.schema, resultsSchemaVersion);
    assert.deepEqual(r.ensemble, { members: 3, tickTimeMs: 200, initLimit: 10, syncLimit: 5 });
    assert.match(r.durability, /majority of members/);
    assert.equal(r.memory, null);
    assert.deepEqual(r.workloads.map((w) => w.name), ["setData"]);
    const [setData] = r.workloads;
    assert.deepEqual(setData.runs.map((run) => `${run.server}#${run.rep}`), ["herd#1", "zookeeper#1"]);
    for (const run of setData.runs) assertRun(run, `ensemble setData/${run.server}`);

    assert.ok(r.failover !== null && r.failover !== undefined, "failover results");
    assert.deepEqual(r.failover.runs.map((run) => `${run.server}#${run.rep}`), ["herd#1", "zookeeper#1"]);
    for (const run of r.failover.runs) assertFailoverRun(run, `failover/${run.server}`);
    for (const metric of failoverMetrics) assertComparison(r.failover.summary[metric], `failover ${metric}`);
    assert.deepEqual(r.targets.map((t) => t.what.split(" (")[0]),
      ["ensemble setData throughput", "ensemble setData p99 latency", "ensemble failover"]);
    assert.equal(r.targets[2].unit, "ms");
    assert.equal(r.targets[2].met, r.failover.summary.unavailableMs.herd.max <= 1000);

    // The ensemble summary goes to its own section; the standalone one stays as it was.
    const doc = path.join(dir, "PERFORMANCE.md");
    copyFileSync(path.join(repoRoot, "docs", "PERFORMANCE.md"), doc);
    const standaloneBefore = section(readFileSync(doc, "utf8"), summaryBeginMarker, summaryEndMarker);
    updateDoc(doc, summaryMarkdown(r), summaryMarkers(r));
    const text = readFileSync(doc, "utf8");
    assert.equal(section(text, summaryBeginMarker, summaryEndMarker), standaloneBefore);
    const ensembleSection = section(text, ensembleBeginMarker, ensembleEndMarker);
    assert.match(ensembleSection, /\| ensemble setData \|/);
    assert.match(ensembleSection, /\| unavailable \(kill → first write\) \|/);
    assert.match(ensembleSection, /tickTime=200 ms, initLimit=10, syncLimit=5/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a version 1 results file (before ensembles) regenerates the standalone section", () => {
  assert.deepEqual(summaryMarkers({}), { begin: summaryBeginMarker, end: summaryEndMarker });
  assert.deepEqual(summaryMarkers({ ensemble: null }), { begin: summaryBeginMarker, end: summaryEndMarker });
  assert.deepEqual(summaryMarkers({ ensemble: { members: 3, tickTimeMs: 200, initLimit: 10, syncLimit: 5 } }),
    { begin: ensembleBeginMarker, end: ensembleEndMarker });
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
  assert.equal(full.members, 1);
  assert.ok(!full.workloads.includes("failover"), "failover needs ensembles");
  assert.equal(full.tsClient, false, "the TypeScript client's rows are opt-in for a full run");
  assert.equal(parseBenchArgs(["--ts-client"]).tsClient, true);
  assert.equal(parseBenchArgs(["--quick"]).tsClient, true);
  assert.equal(parseBenchArgs(["--quick", "--no-ts-client"]).tsClient, false);
  assert.equal(parseBenchArgs(["--quick", "--ensemble"]).tsClient, false);
  assert.throws(() => parseBenchArgs(["--ensemble", "--ts-client"]), UsageError);
  assert.throws(() => parseBenchArgs(["--ts-client", "--no-ts-client"]), UsageError);
});

test("bench options: --ensemble, --members and the ensemble-only and standalone-only workloads", () => {
  const ensemble = parseBenchArgs(["--ensemble"]);
  assert.equal(ensemble.members, 3);
  assert.deepEqual([ensemble.tickTimeMs, ensemble.initLimit, ensemble.syncLimit], [200, 10, 5]);
  assert.equal(ensemble.failoverReps, 5);
  assert.equal(ensemble.docs, true);
  assert.ok(ensemble.workloads.includes("failover") && ensemble.workloads.includes("setLatency"));
  assert.ok(!ensemble.workloads.includes("memory"), "memory is measured on standalone servers");
  assert.deepEqual(parseBenchArgs(["--members", "3"]).members, 3);
  assert.equal(parseBenchArgs(["--members", "5", "--tick-time", "100", "--sync-limit", "3"]).syncLimit, 3);
  const quick = parseBenchArgs(["--quick", "--ensemble"]);
  assert.deepEqual(quick.workloads, ["setData", "getData", "failover"]);
  assert.equal(quick.failoverReps, 1);
  assert.throws(() => parseBenchArgs(["--members", "2"]), UsageError);
  assert.throws(() => parseBenchArgs(["--members", "9"]), UsageError);
  assert.throws(() => parseBenchArgs(["--ensemble", "--members", "1"]), UsageError);
  assert.throws(() => parseBenchArgs(["--workloads", "failover"]), UsageError);
  assert.throws(() => parseBenchArgs(["--ensemble", "--workloads", "memory"]), UsageError);
});
