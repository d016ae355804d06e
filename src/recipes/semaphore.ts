/**
 * Semaphore: at most `maxLeases` leases held at once across all processes, on the layout of Curator's
 * InterProcessSemaphoreV2: `<path>/leases/_c_<uuid>-lease-<seq>` (one EPHEMERAL_SEQUENTIAL node per lease)
 * and `<path>/locks`, a Mutex that admits one acquirer at a time. The acquirer holding that mutex creates its
 * lease node and waits (watching `leases`) until there are no more than `maxLeases` of them; everyone else
 * waits on the mutex, so a release wakes one acquirer, not all of them.
 */
import { NoNodeError, type NodeData, type ZooKeeperClient } from "../client/index.js";
import { toNodeBuffer } from "./codec.js";
import { Mutex } from "./mutex.js";
import {
  Deadline,
  Wakeup,
  abortError,
  checkPath,
  createProtected,
  deleteQuietly,
  dropWatcher,
  joinPath,
  nodeNameOf,
  retryIdempotent,
} from "./support.js";

/** Curator's child of the semaphore's path that holds the gate Mutex. */
export const SEMAPHORE_LOCKS = "locks";
/** Curator's child of the semaphore's path that holds the lease nodes. */
export const SEMAPHORE_LEASES = "leases";
/** Curator's lease node name (after the protected prefix). */
export const SEMAPHORE_LEASE_NAME = "lease-";

/** Leases one acquire() may ask for. */
export const SEMAPHORE_LEASES_PER_ACQUIRE_MAX = 10_000;
/** Times a lease node is re-created after it disappeared from under us while waiting. */
const LEASE_RETRIES_MAX = 5;

/** One lease: release it exactly once. */
export interface Lease {
  /** The lease node's full path. */
  readonly path: string;
  readonly nodeName: string;
  /** Deletes the lease node (gone already counts as released). */
  release(): Promise<void>;
  /** The lease node's data. */
  data(): Promise<Buffer>;
}

/** Options of a Semaphore. */
export interface SemaphoreOptions {
  /** Data stored in each lease node; default none. */
  data?: NodeData;
}

/**
 * A counting semaphore across processes (Curator's InterProcessSemaphoreV2). Every participant must use
 * the same `maxLeases`.
 *
 * ```ts
 * const slots = new Semaphore(zk, "/semaphores/db", 3);
 * const lease = await slots.acquireOne(10_000);
 * if (lease) try { await query(); } finally { await lease.release(); }
 * ```
 */
export class Semaphore {
  private readonly leasesPath: string;
  private readonly locksPath: string;
  private readonly data: Buffer | null;

  constructor(readonly client: ZooKeeperClient, readonly basePath: string, readonly maxLeases: number, options: SemaphoreOptions = {}) {
    checkPath(basePath, "semaphore path");
    if (!Number.isInteger(maxLeases) || maxLeases < 1) throw new RangeError(`maxLeases must be a positive integer, got ${maxLeases}`);
    this.leasesPath = joinPath(basePath, SEMAPHORE_LEASES);
    this.locksPath = joinPath(basePath, SEMAPHORE_LOCKS);
    this.data = toNodeBuffer(options.data ?? null);
  }

  /** One lease, or undefined when `timeoutMs` passed first. */
  async acquireOne(timeoutMs?: number, signal?: AbortSignal): Promise<Lease | undefined> {
    return (await this.acquire(1, timeoutMs, signal))?.[0];
  }

  /**
   * `qty` leases, all or none: undefined when `timeoutMs` passed before all were had (those already had are
   * returned). Rejects when the session ends or `signal` aborts, likewise returning what it had.
   */
  async acquire(qty: number, timeoutMs?: number, signal?: AbortSignal): Promise<Lease[] | undefined> {
    if (!Number.isInteger(qty) || qty < 1 || qty > SEMAPHORE_LEASES_PER_ACQUIRE_MAX) {
      throw new RangeError(`qty must be an integer in [1, ${SEMAPHORE_LEASES_PER_ACQUIRE_MAX}], got ${qty}`);
    }
    const deadline = new Deadline(timeoutMs);
    const leases: Lease[] = [];
    try {
      while (leases.length < qty) {
        const lease = await this.acquireLease(deadline, signal);
        if (lease === undefined) {
          await releaseAll(leases);
          return undefined;
        }
        leases.push(lease);
      }
      return leases;
    } catch (err) {
      await releaseAll(leases).catch(() => undefined);
      throw err;
    }
  }

  /** The names of the lease nodes now held (by anyone). */
  async leaseNodes(): Promise<string[]> {
    return retryIdempotent(() => this.client.getChildren(this.leasesPath)).catch((err: unknown) => {
      if (err instanceof NoNodeError) return [] as string[];
      throw err;
    });
  }

  private async acquireLease(deadline: Deadline, signal: AbortSignal | undefined): Promise<Lease | undefined> {
    // One Mutex object per acquisition: each acquirer is its own owner of the gate.
    const gate = new Mutex(this.client, this.locksPath);
    if (!(await gate.acquire(deadline.remainingMs() === Infinity ? undefined : deadline.remainingMs(), signal))) return undefined;
    try {
      for (let attempt = 0; attempt <= LEASE_RETRIES_MAX; attempt++) {
        const path = await createProtected(this.client, this.leasesPath, SEMAPHORE_LEASE_NAME, this.data, "ephemeralSequential");
        const outcome = await this.waitForRoom(path, deadline, signal).catch(async (err: unknown) => {
          await deleteQuietly(this.client, path).catch(() => undefined);
          throw err;
        });
        if (outcome === "granted") return this.leaseFor(path);
        if (outcome === "timeout") {
          await deleteQuietly(this.client, path);
          return undefined;
        }
      }
      throw new NoNodeError({ path: this.leasesPath, message: "our lease node kept disappearing" });
    } finally {
      await gate.release();
    }
  }

  private async waitForRoom(path: string, deadline: Deadline, signal: AbortSignal | undefined): Promise<"granted" | "timeout" | "vanished"> {
    const ourName = nodeNameOf(path);
    for (;;) {
      const wakeup = new Wakeup();
      const children = await retryIdempotent(() => this.client.getChildren(this.leasesPath, { watch: wakeup.watcher }));
      if (!children.includes(ourName)) return "vanished";
      if (children.length <= this.maxLeases) {
        dropWatcher(this.client, this.leasesPath, wakeup.watcher, "children");
        return "granted";
      }
      const how = await wakeup.wait(deadline, signal);
      if (how === "woken") continue;
      dropWatcher(this.client, this.leasesPath, wakeup.watcher, "children");
      if (how === "aborted" && signal) throw abortError(signal);
      return "timeout";
    }
  }

  private leaseFor(path: string): Lease {
    const client = this.client;
    return {
      path,
      nodeName: nodeNameOf(path),
      release: () => deleteQuietly(client, path),
      data: async () => (await retryIdempotent(() => client.getData(path))).data,
    };
  }
}

async function releaseAll(leases: readonly Lease[]): Promise<void> {
  await Promise.all(leases.map((lease) => lease.release()));
}
