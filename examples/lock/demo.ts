/**
 * The lock demo: four processes each add 1 to a shared counter file ten times, taking turns through the
 * Mutex recipe; the final count is exactly 40. With `--no-lock` the same race loses increments.
 *
 *   node dist/examples/lock/demo.js [--workers 4] [--count 10] [--no-lock] [--server host:port]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Flags, onStop, runMain, say } from "../shared/cli.js";
import { exampleScript, printLine, RoleProcess, stopAll } from "../shared/processes.js";

const USAGE = "usage: node dist/examples/lock/demo.js [--workers 4] [--count 10] [--no-lock] [--server host:port]";
const RUN_TIMEOUT_MS = 120_000;

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { workers: "value", count: "value", "no-lock": "switch" });
  const workerCount = flags.count("workers", 4);
  const count = flags.count("count", 10);
  const dir = mkdtempSync(path.join(tmpdir(), "herd-lock-demo-"));
  const file = path.join(dir, "counter.txt");
  writeFileSync(file, "0\n");
  try {
    const mode = flags.has("no-lock") ? "WITHOUT the lock" : "taking the lock for each";
    say("demo", `${workerCount} workers add 1 to ${file} ${count} times each, ${mode}`);
    const extra = flags.has("no-lock") ? ["--no-lock"] : [];
    const workers = Array.from({ length: workerCount }, (_, i) => {
      const name = String.fromCharCode("a".charCodeAt(0) + i);
      const args = ["--name", name, "--file", file, "--count", String(count), "--server", flags.server, ...extra];
      return new RoleProcess(name, exampleScript("lock", "worker"), args, { echo: printLine });
    });
    onStop(async () => {
      await stopAll(workers);
      rmSync(dir, { recursive: true, force: true });
    });
    const statuses = await Promise.all(workers.map((w) => w.waitForExit(RUN_TIMEOUT_MS)));
    if (statuses.some((s) => s.code !== 0)) throw new Error("a worker failed");
    const final = Number(readFileSync(file, "utf8").trim());
    const expected = workerCount * count;
    say("demo", `final count ${final}, expected ${expected}: ${final === expected ? "no increment lost" : `${expected - final} increments lost`}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain("demo", main);
