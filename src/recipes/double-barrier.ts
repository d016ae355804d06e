/**
 * DoubleBarrier: `memberQty` processes enter together and leave together (Curator's
 * DistributedDoubleBarrier). Entering creates an ephemeral `<path>/<uuid>`; the member that sees
 * `memberQty` children creates `<path>/ready`, which wakes everyone waiting on an exists-watch. Leaving:
 * each member deletes its node; the lowest-named member waits for the highest, every other member for the
 * lowest, so a departure wakes one member instead of all, and the last one out deletes `ready`.
 */
import { randomUUID } from "node:crypto";
import { NoNodeError, NodeExistsError, type ZooKeeperClient } from "../client/index.js";
import { Deadline, Wakeup, abortError, checkPath, createWithParents, deleteQuietly, dropWatcher, joinPath, retryIdempotent } from "./support.js";

/** Curator's name of the node that opens the barrier. */
export const DOUBLE_BARRIER_READY = "ready";

/**
 * A barrier that `memberQty` participants enter and leave together.
 *
 * ```ts
 * const barrier = new DoubleBarrier(zk, "/barriers/round-7", 3);
 * if (await barrier.enter(30_000)) {
 *   await compute();
 *   await barrier.leave(30_000);
 * }
 * ```
 */
export class DoubleBarrier {
  private readonly ourPath: string;
  private readonly readyPath: string;

  constructor(readonly client: ZooKeeperClient, readonly barrierPath: string, readonly memberQty: number) {
    checkPath(barrierPath, "barrier path");
    if (!Number.isInteger(memberQty) || memberQty < 1) throw new RangeError(`memberQty must be a positive integer, got ${memberQty}`);
    this.ourPath = joinPath(barrierPath, randomUUID());
    this.readyPath = joinPath(barrierPath, DOUBLE_BARRIER_READY);
  }

  /**
   * Enters and waits for `memberQty` members: true once they are all in, false after `timeoutMs` (our node
   * is then removed again).
   */
  async enter(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = new Deadline(timeoutMs);
    await createWithParents(this.client, this.ourPath, null, "ephemeral").catch((err: unknown) => {
      if (!(err instanceof NodeExistsError)) throw err; // a retried create that had gone through
    });
    try {
      const entered = await this.waitForMembers(deadline, signal);
      if (!entered) await deleteQuietly(this.client, this.ourPath);
      return entered;
    } catch (err) {
      await deleteQuietly(this.client, this.ourPath).catch(() => undefined);
      throw err;
    }
  }

  /** Leaves and waits for every member to leave: true once all have, false after `timeoutMs`. */
  async leave(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = new Deadline(timeoutMs);
    const ourName = this.ourPath.slice(this.barrierPath.length + 1);
    let ourNodeExists = true;
    for (;;) {
      const members = await this.members();
      if (members.length === 0) break;
      const ourIndex = members.indexOf(ourName);
      if (ourIndex < 0 && ourNodeExists) throw new NoNodeError({ path: this.ourPath, message: "our barrier node is missing (did we enter?)" });
      if (members.length === 1 && ourIndex === 0) {
        await deleteQuietly(this.client, this.ourPath);
        break;
      }
      // The lowest waits for the highest; everyone else leaves and waits for the lowest.
      const watched = joinPath(this.barrierPath, (ourIndex === 0 ? members[members.length - 1] : members[0]) as string);
      if (ourIndex !== 0 && ourNodeExists) {
        await deleteQuietly(this.client, this.ourPath);
        ourNodeExists = false;
      }
      const wakeup = new Wakeup();
      if ((await retryIdempotent(() => this.client.exists(watched, { watch: wakeup.watcher }))) === null) {
        dropWatcher(this.client, watched, wakeup.watcher, "data");
        continue;
      }
      const how = await wakeup.wait(deadline, signal);
      if (how === "woken") continue;
      dropWatcher(this.client, watched, wakeup.watcher, "data");
      if (how === "aborted" && signal) throw abortError(signal);
      return false;
    }
    await deleteQuietly(this.client, this.readyPath);
    return true;
  }

  private async waitForMembers(deadline: Deadline, signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      const wakeup = new Wakeup();
      if ((await retryIdempotent(() => this.client.exists(this.readyPath, { watch: wakeup.watcher }))) !== null) {
        dropWatcher(this.client, this.readyPath, wakeup.watcher, "data");
        return true;
      }
      const children = await retryIdempotent(() => this.client.getChildren(this.barrierPath));
      if (children.length >= this.memberQty) {
        await this.client.create(this.readyPath).catch((err: unknown) => {
          if (!(err instanceof NodeExistsError)) throw err;
        });
        return true; // our exists-watch fires on the creation and is consumed by it
      }
      const how = await wakeup.wait(deadline, signal);
      if (how === "woken") continue;
      dropWatcher(this.client, this.readyPath, wakeup.watcher, "data");
      if (how === "aborted" && signal) throw abortError(signal);
      return false;
    }
  }

  /** Members' node names, sorted, without `ready`. */
  private async members(): Promise<string[]> {
    const children = await retryIdempotent(() => this.client.getChildren(this.barrierPath)).catch((err: unknown) => {
      if (err instanceof NoNodeError) return [] as string[];
      throw err;
    });
    return children.filter((name) => name !== DOUBLE_BARRIER_READY).sort();
  }
}
