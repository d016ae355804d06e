/**
 * Load generator for `npm run bench -- --ts-client`: the pipelined workloads of bench/java/LoadGen.java, with
 * the same options, the same key set-up and the same JSON result, driven through Herd's own TypeScript client
 * (src/client, `ZooKeeperClient`). The Java client stays the headline (it is not ours); these figures say what
 * a Node application using Herd's client gets, from Herd and from Apache ZooKeeper alike.
 *
 *   node dist/bench/ts-loadgen.js --connect host:port --workload NAME
 *        [--sessions 8] [--inflight 32] [--value-size 100] [--keys 10000] [--duration S | --ops N]
 *        [--warmup S] [--prefix /bench] [--watchers 100]
 *
 * It runs as its own process (bench/loadgen.ts starts it) so that its event loop, which every session shares,
 * is not the harness's. Workloads: create, seqCreate, setData, getData, exists, mixed (90% getData, 10%
 * setData), multi (10 setData ops per transaction). Each session keeps exactly `inflight` requests
 * outstanding: every completion issues the next request. An op is measured when it is issued after the
 * warm-up; the run ends when the duration is over or `ops` measured ops were issued, and all of them
 * completed. Latency runs from the call to the settling of its promise. "# measure-start" and
 * "# measure-end" on stdout mark the measured part (the runner samples server CPU time on them); the last line
 * is the JSON result. Exit code 0 even with errors (they are in the JSON); 2 for bad arguments, 1 if the run
 * could not be carried out at all.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { errName } from "../src/jute/codes.js";
import { createClient, NodeExistsError, ZooKeeperError, type ZooKeeperClient } from "../src/client/index.js";

/** LoadGen's workload names this generator implements (LoadGen's churn, watch and populate are Java only). */
export const tsLoadGenWorkloads: readonly string[] = ["create", "seqCreate", "setData", "getData", "exists", "mixed", "multi"];

const sessionTimeoutMs = 30_000;
const connectDeadlineMs = 30_000;
/** Longest a run may take to drain its in-flight requests after the window closes (as LoadGen). */
const drainDeadlineMs = 120_000;
/** A run by op count may take this much longer than its drain (as LoadGen). */
const opsRunDeadlineMs = 3_600_000;
const multiOps = 10;
const mixedWritePercent = 10;
/** Initial room for latencies; the recorder doubles it as needed. */
const initialLatencyCapacity = 1 << 14;

interface Options {
  connect: string;
  workload: string;
  sessions: number;
  inflight: number;
  valueSize: number;
  keys: number;
  durationS: number;
  /** Measured ops per run instead of a window; undefined for a timed run. */
  ops: number | undefined;
  warmupS: number;
  prefix: string;
  watchers: number;
}

class UsageError extends Error {}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a whole number > 0`);
  return n;
}

function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number >= 0`);
  return n;
}

function parseOptions(args: readonly string[]): Options {
  const o: Partial<Options> = {
    sessions: 8, inflight: 32, valueSize: 100, keys: 10_000, durationS: 10, ops: undefined, warmupS: 0, prefix: "/bench", watchers: 100,
  };
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const v = args[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case "--connect": o.connect = v; break;
      case "--workload": o.workload = v; break;
      case "--sessions": o.sessions = positive(flag, v); break;
      case "--inflight": o.inflight = positive(flag, v); break;
      case "--value-size": o.valueSize = Math.floor(nonNegative(flag, v)); break;
      case "--keys": o.keys = positive(flag, v); break;
      case "--duration": o.durationS = nonNegative(flag, v); break;
      case "--ops": o.ops = Math.floor(nonNegative(flag, v)); break;
      case "--warmup": o.warmupS = nonNegative(flag, v); break;
      case "--prefix": o.prefix = v; break;
      case "--watchers": o.watchers = positive(flag, v); break;
      default: throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (o.connect === undefined || o.workload === undefined) throw new UsageError("--connect and --workload are required");
  if (!tsLoadGenWorkloads.includes(o.workload)) {
    throw new UsageError(`workload ${o.workload} is not implemented here (only ${tsLoadGenWorkloads.join(", ")})`);
  }
  return o as Options;
}

// ---- measurement -----------------------------------------------------------------------------------------------

/** Latencies (µs) and errors of measured ops; one for the whole process, since every session shares one thread. */
class Recorder {
  private latenciesUs = new Float64Array(initialLatencyCapacity);
  count = 0;
  lastCompletionMs = 0;
  readonly errors = new Map<string, number>();

  latency(us: number, completedAtMs: number): void {
    if (this.count === this.latenciesUs.length) {
      const grown = new Float64Array(this.count * 2);
      grown.set(this.latenciesUs);
      this.latenciesUs = grown;
    }
    this.latenciesUs[this.count++] = us;
    if (completedAtMs > this.lastCompletionMs) this.lastCompletionMs = completedAtMs;
  }

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  sortedLatenciesUs(): Float64Array {
    return this.latenciesUs.slice(0, this.count).sort();
  }
}

/** A failure as LoadGen names it: the KeeperException code name (NONODE, CONNECTIONLOSS, ...). */
function errorCodeName(e: unknown): string {
  if (e instanceof ZooKeeperError) return errName(e.code).toUpperCase();
  return `CLIENT_${e instanceof Error ? e.name : typeof e}`.toUpperCase();
}

/** Three decimals, as LoadGen prints them. */
function round3(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : 0;
}

function percentileUs(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
}

function meanUs(sorted: Float64Array): number {
  if (sorted.length === 0) return 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return sum / sorted.length;
}

/** LoadGen's JSON line, field for field. */
function resultJson(o: Options, rec: Recorder, measureStartMs: number): string {
  const sorted = rec.sortedLatenciesUs();
  const seconds = (Math.max(rec.lastCompletionMs, measureStartMs) - measureStartMs) / 1000;
  const errors = Object.fromEntries([...rec.errors.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({
    workload: o.workload,
    sessions: o.sessions,
    inflight: o.inflight,
    valueSize: o.valueSize,
    keys: o.keys,
    ops: rec.count,
    seconds: round3(seconds),
    opsPerSec: round3(seconds > 0 ? rec.count / seconds : 0),
    latencyUs: {
      p50: round3(percentileUs(sorted, 0.5)),
      p99: round3(percentileUs(sorted, 0.99)),
      p999: round3(percentileUs(sorted, 0.999)),
      max: round3(sorted.length === 0 ? 0 : sorted[sorted.length - 1]),
      mean: round3(meanUs(sorted)),
    },
    errors,
  });
}

/** Tells the runner (which samples the server's CPU time on these lines) where the measured part begins and ends. */
function mark(what: "measure-start" | "measure-end"): void {
  // stdout to a pipe is written synchronously on Linux, so the runner sees the mark now, not after the run.
  process.stdout.write(`# ${what}\n`);
}

// ---- sessions --------------------------------------------------------------------------------------------------

async function connectAll(connect: string, n: number): Promise<ZooKeeperClient[]> {
  const sessions: ZooKeeperClient[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const zk = createClient(connect, { sessionTimeoutMs });
      sessions.push(zk);
      await zk.whenConnected(connectDeadlineMs);
    }
  } catch (e) {
    await closeAll(sessions);
    throw e;
  }
  return sessions;
}

async function closeAll(sessions: readonly ZooKeeperClient[]): Promise<void> {
  await Promise.all(sessions.map((zk) => zk.close()));
}

/** Creates a persistent node and any missing ancestors; an existing node is fine. */
async function ensurePath(zk: ZooKeeperClient, path: string): Promise<void> {
  let at = "";
  for (const part of path.slice(1).split("/")) {
    at += `/${part}`;
    try {
      await zk.create(at, Buffer.alloc(0));
    } catch (e) {
      // Left by an earlier run on this server (LoadGen's or ours): reuse it.
      if (!(e instanceof NodeExistsError)) throw e;
    }
  }
}

/**
 * Creates `paths` with `data`, keeping up to sessions x inflight creates outstanding (untimed set-up work), as
 * LoadGen does. Existing nodes are accepted; other failures are recorded.
 */
async function createAll(sessions: readonly ZooKeeperClient[], inflight: number, paths: readonly string[], data: Buffer,
  rec: Recorder): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      try {
        await sessions[i % sessions.length].create(paths[i], data);
      } catch (e) {
        if (!(e instanceof NodeExistsError)) rec.error(errorCodeName(e));
      }
    }
  };
  const workers = Math.min(paths.length, sessions.length * inflight);
  await withDeadline(Promise.all(Array.from({ length: workers }, worker)), drainDeadlineMs, "creates did not complete");
}

function keyPath(keyDir: string, i: number): string {
  return `${keyDir}/k${i}`;
}

function randomKey(keyDir: string, keys: number): string {
  return keyPath(keyDir, Math.floor(Math.random() * keys));
}

/** A run id keeps repeated runs against one server from colliding on created names. */
function runId(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

function needsKeys(workload: string): boolean {
  return workload !== "create" && workload !== "seqCreate";
}

// ---- the window ------------------------------------------------------------------------------------------------

type Phase = "warmup" | "measure" | "stop";

/** What the window is doing, shared by every request chain. */
class Window {
  phase: Phase = "warmup";
  measureStartMs = 0;
  private liveChains: number;
  private resolveAllDone!: () => void;
  /** Settles when every chain has ended. */
  readonly allChainsDone = new Promise<void>((resolve) => { this.resolveAllDone = resolve; });

  /** @param budget measured ops still allowed (--ops); Infinity for a timed run */
  constructor(public budget: number, chains: number) {
    this.liveChains = chains;
    if (chains === 0) this.resolveAllDone();
  }

  beginMeasuring(): void {
    mark("measure-start");
    this.measureStartMs = performance.now();
    this.phase = "measure";
  }

  chainDone(): void {
    if (--this.liveChains === 0) this.resolveAllDone();
  }
}

/** Rejects with `what` if `p` has not settled within `ms`. */
function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e); });
  });
}

/** Resolves after `ms`, or earlier when `early` settles (a run by duration whose chains all ended). */
function waitOut(ms: number, early: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void early.then(() => { clearTimeout(timer); resolve(); });
  });
}

/**
 * Runs the warm-up then the measured window around `start`, which must launch every chain; waits (bounded) for
 * all chains to end. Waiting out the warm-up and the duration is the measurement itself, not a wait for an event.
 */
async function runWindow(o: Options, window: Window, start: () => void): Promise<void> {
  if (o.warmupS <= 0) window.beginMeasuring();
  start();
  if (o.warmupS > 0) {
    await waitOut(o.warmupS * 1000, window.allChainsDone);
    window.beginMeasuring();
  }
  if (o.ops === undefined) {
    await waitOut(o.durationS * 1000, window.allChainsDone);
    window.phase = "stop";
  }
  await withDeadline(window.allChainsDone, drainDeadlineMs + (o.ops !== undefined ? opsRunDeadlineMs : 0), "requests did not complete");
  mark("measure-end");
}

// ---- pipelined workloads ---------------------------------------------------------------------------------------

/** Issues one request of the workload on session `index`; the promise settles when the reply is in. */
type Request = (zk: ZooKeeperClient, index: number) => Promise<unknown>;

function pipelinedRequest(o: Options, runDir: string, keyDir: string): Request {
  const data = Buffer.alloc(o.valueSize, "v");
  const created = new Array<number>(o.sessions).fill(0);
  switch (o.workload) {
    case "create":
      return (zk, i) => zk.create(`${runDir}/n${i}-${created[i]++}`, data);
    case "seqCreate":
      return (zk) => zk.create(`${runDir}/n-`, data, { mode: "persistentSequential" });
    case "setData":
      return (zk) => zk.setData(randomKey(keyDir, o.keys), data, -1);
    case "getData":
      return (zk) => zk.getData(randomKey(keyDir, o.keys));
    case "exists":
      return (zk) => zk.exists(randomKey(keyDir, o.keys));
    case "mixed":
      return (zk) => (Math.random() * 100 < mixedWritePercent
        ? zk.setData(randomKey(keyDir, o.keys), data, -1)
        : zk.getData(randomKey(keyDir, o.keys)));
    case "multi":
      return (zk) => {
        const txn = zk.transaction();
        for (let k = 0; k < multiOps; k++) txn.setData(randomKey(keyDir, o.keys), data, -1);
        return txn.commit();
      };
    default:
      throw new UsageError(`workload ${o.workload} is not implemented here`);
  }
}

/** One request chain: issues, records on completion, issues the next, until the window closes or the budget is spent. */
function startChain(zk: ZooKeeperClient, index: number, request: Request, window: Window, rec: Recorder): void {
  const next = (): void => {
    const measured = window.phase === "measure";
    if (window.phase === "stop" || (measured && window.budget-- <= 0)) {
      window.chainDone();
      return;
    }
    const t0 = performance.now();
    const completed = (failure: unknown): void => {
      const now = performance.now();
      if (measured) {
        rec.latency((now - t0) * 1000, now);
        if (failure !== undefined) rec.error(errorCodeName(failure));
      }
      next();
    };
    request(zk, index).then(() => completed(undefined), (e: unknown) => completed(e ?? new Error("rejected without a reason")));
  };
  next();
}

async function runPipelined(o: Options): Promise<string> {
  const sessions = await connectAll(o.connect, o.sessions);
  try {
    const runDir = `${o.prefix}/run-${runId()}`;
    // One key set per (value size, key count), shared with LoadGen's runs against the same server.
    const keyDir = `${o.prefix}/keys-${o.valueSize}-${o.keys}`;
    const rec = new Recorder();
    await ensurePath(sessions[0], runDir);
    if (needsKeys(o.workload)) {
      await ensurePath(sessions[0], keyDir);
      const keys = Array.from({ length: o.keys }, (_, i) => keyPath(keyDir, i));
      await createAll(sessions, o.inflight, keys, Buffer.alloc(o.valueSize, "v"), rec);
    }
    const window = new Window(o.ops ?? Infinity, o.sessions * o.inflight);
    const request = pipelinedRequest(o, runDir, keyDir);
    await runWindow(o, window, () => {
      sessions.forEach((zk, i) => { for (let s = 0; s < o.inflight; s++) startChain(zk, i, request, window, rec); });
    });
    return resultJson(o, rec, window.measureStartMs);
  } finally {
    await closeAll(sessions);
  }
}

async function main(args: readonly string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`ts-loadgen: ${e.message}\n`);
    return 2;
  }
  process.stdout.write(`${await runPipelined(o)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`ts-loadgen: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
