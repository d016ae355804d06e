/**
 * Barrier: processes wait while a node exists (Curator's DistributedBarrier). `setBarrier` creates it,
 * `removeBarrier` deletes it, and `waitOnBarrier` returns once it is gone, woken by an exists-watch.
 */
import { NoNodeError, NodeExistsError, type ZooKeeperClient } from "../client/index.js";
import { Deadline, Wakeup, abortError, checkPath, createWithParents, dropWatcher, retryIdempotent } from "./support.js";

/**
 * A barrier that holds waiters back until it is removed.
 *
 * ```ts
 * const barrier = new Barrier(zk, "/barriers/deploy");
 * await barrier.setBarrier();              // coordinator
 * await barrier.waitOnBarrier(60_000);      // workers: true once removed
 * await barrier.removeBarrier();            // coordinator lets everyone through
 * ```
 */
export class Barrier {
  constructor(readonly client: ZooKeeperClient, readonly barrierPath: string) {
    checkPath(barrierPath, "barrier path");
  }

  /** Raises the barrier (idempotent). Missing parents are created as containers. */
  async setBarrier(): Promise<void> {
    await createWithParents(this.client, this.barrierPath, null, "persistent").catch((err: unknown) => {
      if (!(err instanceof NodeExistsError)) throw err;
    });
  }

  /** Lowers the barrier (idempotent), releasing every waiter. */
  async removeBarrier(): Promise<void> {
    await retryIdempotent(() => this.client.delete(this.barrierPath)).catch((err: unknown) => {
      if (!(err instanceof NoNodeError)) throw err;
    });
  }

  /** Resolves true once the barrier is down (at once if it is), false after `timeoutMs`. */
  async waitOnBarrier(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = new Deadline(timeoutMs);
    for (;;) {
      const wakeup = new Wakeup();
      if ((await retryIdempotent(() => this.client.exists(this.barrierPath, { watch: wakeup.watcher }))) === null) {
        dropWatcher(this.client, this.barrierPath, wakeup.watcher, "data");
        return true;
      }
      const how = await wakeup.wait(deadline, signal);
      if (how === "woken") continue;
      dropWatcher(this.client, this.barrierPath, wakeup.watcher, "data");
      if (how === "aborted" && signal) throw abortError(signal);
      return false;
    }
  }
}
