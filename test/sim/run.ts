/**
 * Command-line driver of the randomized simulator:
 *   npm run sim -- --seeds 200                 seeds 1..200 for 3, 5 and 7 voters (+1 observer each)
 *   npm run sim -- --seed 4711 --voters 5      reproduce one run (prints its transcript on failure)
 *   options: --from S (first seed), --voters 3,5,7, --observers 1, --ticks T (fault phase), --verbose
 * Exits 1 if any seed fails; every failure prints its seed and the transcript tail.
 */
import { runSimulation, SimulationFailure } from "./simulation.js";

interface Args {
  from: number;
  seeds: number;
  voters: number[];
  observers: number;
  ticks: number;
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { from: 1, seeds: 20, voters: [3, 5, 7], observers: 1, ticks: 120, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case "--seeds": args.seeds = positive(value()); break;
      case "--from": args.from = positive(value()); break;
      case "--seed": args.from = positive(value()); args.seeds = 1; break;
      case "--voters": args.voters = value().split(",").map(positive); break;
      case "--observers": args.observers = Number(value()); break;
      case "--ticks": args.ticks = positive(value()); break;
      case "--verbose": args.verbose = true; break;
      default: throw new Error(`unknown option ${argv[i]} (see test/sim/run.ts)`);
    }
  }
  return args;
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${text}`);
  return n;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const failures: string[] = [];
  for (const voters of args.voters) {
    const started = Date.now();
    let acked = 0;
    let establishments = 0;
    for (let seed = args.from; seed < args.from + args.seeds; seed++) {
      try {
        const stats = runSimulation({ voters, observers: args.observers, seed, faultTicks: args.ticks });
        acked += stats.acked;
        establishments += stats.establishments;
        if (args.verbose) console.log(`voters=${voters} seed=${seed} acked=${stats.acked} leaders=${stats.establishments} ` +
          `crashes=${stats.crashes} partitions=${stats.partitions} pauses=${stats.pauses} ticks=${stats.ticks} [${stats.profile}]`);
      } catch (error) {
        if (!(error instanceof SimulationFailure)) throw error;
        failures.push(`voters=${voters} seed=${seed}`);
        console.log(`FAIL voters=${voters} observers=${args.observers}\n${error.message}\n`);
      }
    }
    console.log(`${voters} voters + ${args.observers} observer(s): ${args.seeds} seeds from ${args.from}, ` +
      `${acked} acknowledged writes, ${establishments} leaders established, ${Date.now() - started} ms`);
  }
  if (failures.length > 0) {
    console.log(`${failures.length} failing: ${failures.join("; ")}`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
