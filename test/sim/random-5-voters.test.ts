/** Randomized simulator runs, 5 voters + 1 observer, over the fixed seed list (see randomized.ts). */
import { test } from "node:test";
import { runSeeds, SEEDS } from "./randomized.js";

test(`5 voters and an observer survive faults over ${SEEDS.length} seeds, converging on one state`, () => {
  runSeeds(5, 1, SEEDS);
});
