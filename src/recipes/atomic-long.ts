/**
 * AtomicLong: a 64-bit counter changed by optimistic compare-and-set, on the format of Curator's
 * DistributedAtomicLong (8 big-endian bytes; a missing node reads as 0 and is created by the first write).
 * Each attempt reads the value and its version and writes with that version; a concurrent writer makes the
 * attempt fail and it is retried, a bounded number of times. Optionally, when optimism runs out, a Mutex
 * is taken and the change retried under it (Curator's "promoted to lock").
 */
import { BadVersionError, NoNodeError, NodeExistsError, type ZooKeeperClient } from "../client/index.js";
import { decodeInt64, encodeInt64 } from "./codec.js";
import { Mutex } from "./mutex.js";
import { checkPath, createWithParents, retryIdempotent } from "./support.js";

/** Outcome of a change: whether it was applied, and the value before and after (Curator's AtomicValue). */
export interface AtomicResult {
  succeeded: boolean;
  /** The value the last attempt read. */
  preValue: bigint;
  /** The value written if succeeded, else preValue. */
  postValue: bigint;
  /** Attempts made (optimistic, then under the lock). */
  attempts: number;
}

/** Options of an AtomicLong. */
export interface AtomicLongOptions {
  /** Optimistic attempts after the first. Default 10. */
  retries?: number;
  /** Back-off ceiling between attempts, doubling from 1 ms. Default 64. */
  backoffMaxMs?: number;
  /** After failed optimism, retry under a Mutex at `path` (waiting at most `timeoutMs` for it). */
  promotedLock?: { path: string; timeoutMs: number; retries?: number };
}

/** The largest `retries` accepted. */
export const ATOMIC_RETRIES_MAX = 1_000;

/**
 * A distributed 64-bit counter (Curator's DistributedAtomicLong).
 *
 * ```ts
 * const hits = new AtomicLong(zk, "/counters/hits");
 * const r = await hits.increment();
 * if (r.succeeded) console.log(`now ${r.postValue}`);
 * ```
 */
export class AtomicLong {
  private readonly retries: number;
  private readonly backoffMaxMs: number;
  private readonly promotedLock: AtomicLongOptions["promotedLock"];

  constructor(readonly client: ZooKeeperClient, readonly path: string, options: AtomicLongOptions = {}) {
    checkPath(path, "counter path");
    this.retries = options.retries ?? 10;
    if (!Number.isInteger(this.retries) || this.retries < 0 || this.retries > ATOMIC_RETRIES_MAX) {
      throw new RangeError(`retries must be an integer in [0, ${ATOMIC_RETRIES_MAX}]`);
    }
    this.backoffMaxMs = options.backoffMaxMs ?? 64;
    this.promotedLock = options.promotedLock;
    if (this.promotedLock) checkPath(this.promotedLock.path, "lock path");
  }

  /** The current value (0 when the node does not exist). */
  async get(): Promise<bigint> {
    return (await this.read()).value;
  }

  increment(): Promise<AtomicResult> {
    return this.add(1n);
  }

  decrement(): Promise<AtomicResult> {
    return this.add(-1n);
  }

  add(delta: bigint): Promise<AtomicResult> {
    return this.change((value) => value + delta);
  }

  subtract(delta: bigint): Promise<AtomicResult> {
    return this.change((value) => value - delta);
  }

  /** Sets `newValue` (retrying on contention). */
  trySet(newValue: bigint): Promise<AtomicResult> {
    return this.change(() => newValue);
  }

  /** One attempt: sets `newValue` only if the value is `expected` now. Never retried. */
  async compareAndSet(expected: bigint, newValue: bigint): Promise<AtomicResult> {
    const { value, version } = await this.read();
    const failed = { succeeded: false, preValue: value, postValue: value, attempts: 1 };
    if (version === undefined || value !== expected) return failed;
    try {
      await this.client.setData(this.path, encodeInt64(newValue), version);
      return { succeeded: true, preValue: value, postValue: newValue, attempts: 1 };
    } catch (err) {
      if (err instanceof BadVersionError || err instanceof NoNodeError) return failed;
      throw err;
    }
  }

  /** Sets the value whatever it is. */
  async forceSet(newValue: bigint): Promise<void> {
    const bytes = encodeInt64(newValue);
    try {
      await this.client.setData(this.path, bytes);
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
      await createWithParents(this.client, this.path, bytes, "persistent").catch((e: unknown) => {
        if (!(e instanceof NodeExistsError)) throw e;
        return this.client.setData(this.path, bytes);
      });
    }
  }

  /** Creates the node with `value` if it does not exist; true if this call created it. */
  async initialize(value: bigint): Promise<boolean> {
    try {
      await createWithParents(this.client, this.path, encodeInt64(value), "persistent");
      return true;
    } catch (err) {
      if (err instanceof NodeExistsError) return false;
      throw err;
    }
  }

  private async change(next: (value: bigint) => bigint): Promise<AtomicResult> {
    const result: AtomicResult = { succeeded: false, preValue: 0n, postValue: 0n, attempts: 0 };
    if (await this.attempts(next, result, this.retries)) return result;
    const lock = this.promotedLock;
    if (lock === undefined) return result;
    const mutex = new Mutex(this.client, lock.path);
    if (!(await mutex.acquire(lock.timeoutMs))) return result;
    try {
      await this.attempts(next, result, lock.retries ?? this.retries);
      return result;
    } finally {
      await mutex.release();
    }
  }

  /** Up to 1 + `retries` attempts with a growing, jittered pause between them; fills `result`. */
  private async attempts(next: (value: bigint) => bigint, result: AtomicResult, retries: number): Promise<boolean> {
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await pause(Math.random() * Math.min(this.backoffMaxMs, 2 ** attempt));
      result.attempts += 1;
      if (await this.tryOnce(next, result)) return true;
    }
    return false;
  }

  private async tryOnce(next: (value: bigint) => bigint, result: AtomicResult): Promise<boolean> {
    const { value, version } = await this.read();
    const newValue = next(value);
    result.preValue = value;
    result.postValue = value;
    try {
      if (version === undefined) await createWithParents(this.client, this.path, encodeInt64(newValue), "persistent");
      else await this.client.setData(this.path, encodeInt64(newValue), version);
    } catch (err) {
      if (err instanceof BadVersionError || err instanceof NodeExistsError || err instanceof NoNodeError) return false;
      throw err;
    }
    result.succeeded = true;
    result.postValue = newValue;
    return true;
  }

  /** The value and its version; no version when the node does not exist. */
  private async read(): Promise<{ value: bigint; version: number | undefined }> {
    try {
      const { data, stat } = await retryIdempotent(() => this.client.getData(this.path));
      return { value: decodeInt64(data, this.path), version: stat.version };
    } catch (err) {
      if (err instanceof NoNodeError) return { value: 0n, version: undefined };
      throw err;
    }
  }
}

/** Contention back-off between attempts (not a wait for an event). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
