/**
 * Shared body of the randomized simulator tests: a fixed list of seeds per cluster shape, so `npm test` is
 * deterministic; a failure names the seed (rerun it with `npm run sim -- --seed N --voters V`).
 */
import assert from "node:assert/strict";
import { runSimulation } from "./simulation.js";

export function runSeeds(voters: number, observers: number, seeds: readonly number[]): void {
  let acked = 0;
  let establishments = 0;
  for (const seed of seeds) {
    const stats = runSimulation({ voters, observers, seed });
    acked += stats.acked;
    establishments += stats.establishments;
  }
  assert.ok(acked > seeds.length * 10, `the workload got writes through (${acked} acknowledged)`);
  assert.ok(establishments >= seeds.length, "every run established at least one leader");
}

/** Seeds every `npm test` runs, for each shape. */
export const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
