/**
 * Mutex: a distributed, reentrant, fair lock on the znode layout of Curator's InterProcessMutex, so Node and
 * Java processes exclude each other on the same path. Each contender holds one EPHEMERAL_SEQUENTIAL node
 * `<path>/_c_<uuid>-lock-<seq>`; the lowest sequence holds the lock, and every other contender watches only
 * the node just before its own, so a release wakes exactly one waiter.
 *
 * One Mutex object is one owner: acquiring it again while held only counts (reentrancy), and each acquire
 * needs its release. Use separate objects for separate owners, even within one process.
 */
import type { NodeData, ZooKeeperClient } from "../client/index.js";
import { toNodeBuffer } from "./codec.js";
import { QueueLock, leasesVerdict } from "./lock-internals.js";
import { checkPath } from "./support.js";

/** Curator's InterProcessMutex node name (after the protected prefix). */
export const MUTEX_LOCK_NAME = "lock-";

/** Options of a Mutex. */
export interface MutexOptions {
  /** Data stored in our lock node (e.g. who we are); default none. */
  data?: NodeData;
}

/**
 * A distributed reentrant mutex (Curator's InterProcessMutex).
 *
 * ```ts
 * const mutex = new Mutex(zk, "/locks/orders");
 * if (await mutex.acquire(5_000)) {
 *   try { await work(); } finally { await mutex.release(); }
 * }
 * ```
 */
export class Mutex {
  private readonly lock: QueueLock;

  /**
   * @param client the session that will own the lock node (when it ends, the lock is released).
   * @param basePath the lock's path; created (as a container) when missing.
   */
  constructor(readonly client: ZooKeeperClient, readonly basePath: string, options: MutexOptions = {}) {
    checkPath(basePath, "lock path");
    this.lock = new QueueLock(client, {
      basePath,
      lockName: MUTEX_LOCK_NAME,
      sortNames: [MUTEX_LOCK_NAME],
      data: toNodeBuffer(options.data ?? null),
      verdict: leasesVerdict(1),
    });
  }

  /**
   * Waits for the lock. Resolves true when held (at once if this owner already holds it), false when
   * `timeoutMs` passed first (no timeout: wait as long as the session lives). Rejects when the session ends,
   * or with `signal`'s reason when aborted; our queue entry is removed in every case but success.
   */
  acquire(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    return this.lock.acquire(timeoutMs, signal);
  }

  /** Undoes one acquire; the last one deletes our node, letting the next waiter in. Throws if not held. */
  release(): Promise<void> {
    return this.lock.release();
  }

  /** True while this owner holds the lock (as far as it knows: a session that expired has lost it). */
  get isAcquired(): boolean {
    return this.lock.isAcquired;
  }

  /** Our lock node's path while held. */
  get lockPath(): string | undefined {
    return this.lock.lockPath;
  }

  /** Every contender's node (full paths) in queue order: the first holds the lock. */
  participantNodes(): Promise<string[]> {
    return this.lock.participantNodes();
  }
}
