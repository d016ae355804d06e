/**
 * Process-wide runtime settings of a Herd server process, applied in-process by `herd server` at startup, so
 * they hold however the server is launched (`npm start`, the `herd` bin, the benchmark's wrapper, `herd
 * ensemble`'s children) without re-executing node. An application that embeds HerdServer (src/testing) keeps
 * its own V8 settings: only the server command calls this.
 *
 * The one setting: a cap on V8's young generation (issue #7, RSS per znode). V8 doubles the young generation
 * (two semi-spaces) each time enough has survived scavenges, up to 2 × 16 MiB on x64, and gives it back only
 * at a GC that finds the allocation rate low, i.e. after tens of seconds of idleness. So a server that has
 * just been busy holds 32 MiB of young generation, 24 MiB more than at startup — 24 B a znode at 1M znodes.
 * Measured with a 1M-znode load (bench memory workload) and LoadGen setData/getData (8×32, 100 B):
 *
 *   young generation   RSS/znode at 1M   GC time per setData / getData
 *   32 MiB (V8)        230 B             3.3 µs / 0.4 µs
 *   16 MiB (this)      208–211 B         3.6 µs / 0.8 µs   (CPU per op within run-to-run noise)
 *    8 MiB             200 B             5.7 µs / 1.6 µs   (~4–7% more CPU per op)
 *
 * (208–211 B in our own loads, 209 B in `npm run bench -- --large --workloads memory`; restart to first read
 * unchanged.) `--max-semi-space-size` cannot change once the heap exists, but V8 reads
 * `--semi-space-growth-factor` at each growth. So after every GC the cap switches growth off (factor 1) when
 * one more doubling would pass the cap, and back on (factor 2) once V8 has shrunk the young generation enough
 * for one. A GC is reported asynchronously, so a burst of growths within one turn of the event loop could
 * overshoot by a doubling; a server turns its loop far more often than that. An operator who sizes the young
 * generation with node flags gets exactly what they asked for: the cap stays off.
 */
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";

/** Young generation (both semi-spaces) the server lets V8 grow to. A power of two: V8 grows by doubling. */
export const YOUNG_GENERATION_BYTES_MAX = 16 * 1024 * 1024;

/** V8's own growth factor (its default), restored below the cap. */
const GROWTH_FACTOR_DEFAULT = 2;
/** No growth. */
const GROWTH_FACTOR_NONE = 1;

/** Node/V8 flags that size the young generation; given any, the operator has chosen and the cap stays off. */
const YOUNG_GENERATION_FLAG = /^--(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|max[-_]heap[-_]size)(?:=|$)/;

/**
 * The growth factor that keeps the young generation — two semi-spaces of `semiSpaceBytes` each — at or below
 * `bytesMax`: growth stays on while one more doubling still fits.
 */
export function growthFactorFor(semiSpaceBytes: number, bytesMax: number): number {
  const youngBytesAfterGrowth = 2 * GROWTH_FACTOR_DEFAULT * semiSpaceBytes;
  return youngBytesAfterGrowth <= bytesMax ? GROWTH_FACTOR_DEFAULT : GROWTH_FACTOR_NONE;
}

/** Whether the node command line or NODE_OPTIONS already sizes the young generation. */
export function youngGenerationFlagGiven(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const flags = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)];
  return flags.some((flag) => YOUNG_GENERATION_FLAG.test(flag));
}

/**
 * Keeps the young generation at or below bytesMax by setting the growth factor after each GC. The semi-space
 * size is read and the flag set through the two functions given (V8's in production, fakes in tests); the
 * flag is set only when the factor changes.
 */
export class YoungGenerationCap {
  private factor = GROWTH_FACTOR_DEFAULT;

  constructor(
    readonly bytesMax: number,
    private readonly semiSpaceBytes: () => number,
    private readonly setGrowthFactor: (factor: number) => void,
  ) {}

  /** Call after every GC (and once at the start). */
  afterGc(): void {
    const factor = growthFactorFor(this.semiSpaceBytes(), this.bytesMax);
    if (factor === this.factor) return;
    this.setGrowthFactor(factor);
    this.factor = factor;
  }
}

/**
 * The capacity of one semi-space: what V8 grows from. Not the new space's committed size, which after V8 has
 * shrunk it (or at startup) may count one semi-space only. Page headers make this a little under the
 * semi-space's size, which only makes growthFactorFor err towards allowing the last doubling up to the cap.
 */
function v8SemiSpaceBytes(): number {
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name === "new_space") return space.space_used_size + space.space_available_size;
  }
  return 0;
}

function v8SetGrowthFactor(factor: number): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}

/** What applyServerProcessTuning did, for the startup log. */
export interface ProcessTuning {
  /** The young generation cap in bytes, or null when the node flags size it. */
  youngGenerationBytesMax: number | null;
}

/** Applies the server's process settings (see the top of this file). Call once, before the server starts. */
export function applyServerProcessTuning(bytesMax: number = YOUNG_GENERATION_BYTES_MAX): ProcessTuning {
  if (youngGenerationFlagGiven(process.execArgv, process.env.NODE_OPTIONS)) return { youngGenerationBytesMax: null };
  const cap = new YoungGenerationCap(bytesMax, v8SemiSpaceBytes, v8SetGrowthFactor);
  cap.afterGc();
  // For the life of the process: the observer holds no handle open, and costs one heap-space read per GC.
  new PerformanceObserver(() => cap.afterGc()).observe({ entryTypes: ["gc"] });
  return { youngGenerationBytesMax: bytesMax };
}
