/**
 * Command-line fuzzing of a fresh Herd process, for runs longer than `npm test` allows:
 *
 *   node dist/test/fuzz/run.js --cases 20000 --seed 12345 [--concurrency 16] [--deep-chains 4] [--deep-max 4000]
 *                              [--only 17,42] [--no-restart] [--target zookeeper]
 *
 * Without --seed a random seed is chosen and printed first. --only replays single cases of a run (give the
 * same --seed and --cases). --target zookeeper runs the same cases against Apache ZooKeeper from Debian, to
 * tell a Herd bug from behaviour the reference shares. Exit status: 0 no findings, 1 findings, 2 usage error.
 */
import { parseArgs } from "node:util";
import { startServer } from "../helpers/server-process.js";
import type { ServerKind } from "../helpers/server-process.js";
import { formatReport, runFuzz } from "./fuzzer.js";
import { fuzzServerConfig } from "./server-config.js";

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: run.js --cases N [--seed S] [--concurrency C] [--deep-chains K] [--deep-max D] [--only I,J] [--no-restart] [--target herd|zookeeper]\n`);
  process.exit(2);
}

function intOption(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a non-negative integer, not ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: "string" }, seed: { type: "string" }, concurrency: { type: "string" },
      "deep-chains": { type: "string" }, "deep-max": { type: "string" }, only: { type: "string" },
      "no-restart": { type: "boolean" }, target: { type: "string" },
    },
  });
  const seed = intOption(values.seed, Math.floor(Math.random() * 0x1_0000_0000), "seed") >>> 0;
  const cases = intOption(values.cases, 1000, "cases");
  const only = values.only?.split(",").map((s) => intOption(s, 0, "only"));
  const target = (values.target ?? "herd") as ServerKind;
  if (target !== "herd" && target !== "zookeeper") usage(`--target must be herd or zookeeper`);
  process.stdout.write(`fuzz seed ${seed}, ${cases} cases, target ${target}\n`);
  const server = await startServer(target, { cfg: fuzzServerConfig });
  try {
    const report = await runFuzz(server, {
      seed, cases, only,
      concurrency: intOption(values.concurrency, 16, "concurrency"),
      deepChains: intOption(values["deep-chains"], Math.max(1, Math.floor(cases / 5000)), "deep-chains"),
      deepChainMax: intOption(values["deep-max"], 3000, "deep-max"),
      restart: values["no-restart"] !== true,
      replyTimeoutMs: 10_000,
      closeTimeoutMs: 10_000,
      stallMs: 2_000,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${formatReport(report)}\n`);
    await report.server.stop();
    process.exitCode = report.findings.length === 0 ? 0 : 1;
  } catch (e) {
    await server.stop();
    throw e;
  }
}

await main();
