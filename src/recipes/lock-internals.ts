/**
 * The queue every lock recipe stands in (Curator's LockInternals layout): each contender creates an
 * EPHEMERAL_SEQUENTIAL node `<base>/_c_<uuid>-<lockName><sequence>`; contenders are ordered by the sequence
 * (the text after the lock name), and a predicate over that order says whether ours holds the lock or which
 * single node to watch. Watching only that node, with getData so no watch is left on a missing node, means a
 * release wakes one waiter, not all of them (no herd effect).
 *
 * Connection loss during the create is survived with the protected prefix (see createProtected); our node
 * vanishing while we wait (deleted by hand) makes us queue again, a bounded number of times.
 */
import { NoNodeError, type ZooKeeperClient } from "../client/index.js";
import {
  Deadline,
  Wakeup,
  abortError,
  createProtected,
  deleteQuietly,
  dropWatcher,
  joinPath,
  newProtectedPrefix,
  nodeNameOf,
  retryIdempotent,
  sortBySequence,
} from "./support.js";

/** Whether our node holds the lock, or which node (by name) to wait for. */
export type LockVerdict = { holds: true } | { holds: false; watch: string };

/** What distinguishes one kind of lock queue from another. */
export interface LockQueueSpec {
  basePath: string;
  /** Part of our node's name before the sequence: "lock-", "__READ__", "__WRIT__", "latch-". */
  lockName: string;
  /** Every lock name the queue's nodes may carry, to find their sequence when sorting. */
  sortNames: readonly string[];
  /** Data of our node (Curator stores the participant id here). */
  data: Buffer | null;
  /** Given the sorted children and our node's name, does it hold? */
  verdict(sortedChildren: readonly string[], ourName: string): LockVerdict;
  /**
   * A fixed node name (created EPHEMERAL, not sequential) instead of `<prefix><lockName>` + sequence: how a
   * read lock taken by the write-lock holder sorts right next to the write node.
   */
  fixedName?(prefix: string): string | undefined;
}

/** Times a queue entry is re-created after it disappeared from under us while waiting. */
const REQUEUES_MAX = 5;

/** The children of `basePath` in lock order ([] when the base does not exist). */
export async function sortedChildren(client: ZooKeeperClient, basePath: string, sortNames: readonly string[]): Promise<string[]> {
  const children = await retryIdempotent(() => client.getChildren(basePath)).catch((err: unknown) => {
    if (err instanceof NoNodeError) return [] as string[];
    throw err;
  });
  return sortBySequence(children, sortNames);
}

/**
 * Queues for the lock and waits until the verdict says we hold it. Resolves with our node's path, or
 * undefined when the deadline passed first (our node is then deleted). Rejects (after deleting our node) when
 * the session ends, or with the signal's reason when aborted.
 */
export async function acquireLockNode(client: ZooKeeperClient, spec: LockQueueSpec, deadline: Deadline, signal?: AbortSignal): Promise<string | undefined> {
  for (let queued = 0; queued <= REQUEUES_MAX; queued++) {
    const ourPath = await createEntry(client, spec);
    try {
      const outcome = await waitForTurn(client, spec, ourPath, deadline, signal);
      if (outcome === "holds") return ourPath;
      await deleteQuietly(client, ourPath);
      if (outcome === "timeout") return undefined;
      // "vanished": our node was deleted under us; queue again.
    } catch (err) {
      await deleteQuietly(client, ourPath).catch(() => undefined);
      throw err;
    }
  }
  throw new NoNodeError({ path: spec.basePath, message: `our lock node kept disappearing (${REQUEUES_MAX + 1} times)` });
}

async function createEntry(client: ZooKeeperClient, spec: LockQueueSpec): Promise<string> {
  const prefix = newProtectedPrefix();
  const fixed = spec.fixedName?.(prefix);
  if (fixed !== undefined) return createProtected(client, spec.basePath, fixed.slice(prefix.length), spec.data, "ephemeral", prefix);
  return createProtected(client, spec.basePath, spec.lockName, spec.data, "ephemeralSequential", prefix);
}

async function waitForTurn(client: ZooKeeperClient, spec: LockQueueSpec, ourPath: string, deadline: Deadline, signal: AbortSignal | undefined): Promise<"holds" | "timeout" | "vanished"> {
  const ourName = nodeNameOf(ourPath);
  for (;;) {
    if (signal?.aborted) throw abortError(signal);
    const children = await sortedChildren(client, spec.basePath, spec.sortNames);
    if (!children.includes(ourName)) return "vanished";
    const verdict = spec.verdict(children, ourName);
    if (verdict.holds) return "holds";
    const watchedPath = joinPath(spec.basePath, verdict.watch);
    const wakeup = new Wakeup();
    try {
      await retryIdempotent(() => client.getData(watchedPath, { watch: wakeup.watcher }));
    } catch (err) {
      if (err instanceof NoNodeError) continue; // it went before we could watch it: look again
      throw err;
    }
    const how = await wakeup.wait(deadline, signal);
    if (how === "woken") continue;
    dropWatcher(client, watchedPath, wakeup.watcher, "data");
    if (how === "aborted" && signal) throw abortError(signal);
    return "timeout";
  }
}

/**
 * A reentrant lock over one queue: the object is the owner, so acquiring it again while held only counts,
 * and concurrent acquires of the same object share one queue entry. Mutex and both halves of ReadWriteLock
 * are QueueLocks with different specs.
 */
export class QueueLock {
  /** Our lock node while held, and how many acquires it answers for. */
  private held: { path: string; count: number } | undefined;
  /** An acquire of this owner that is queuing now; later acquires share its outcome. */
  private queuing: Promise<boolean> | undefined;

  constructor(readonly client: ZooKeeperClient, private readonly spec: LockQueueSpec) {}

  /**
   * Resolves true when held (at once if this owner already holds it), false when `timeoutMs` passed first
   * (none: wait as long as the session lives). Rejects when the session ends, or with `signal`'s reason.
   */
  async acquire(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = new Deadline(timeoutMs);
    while (this.held === undefined && this.queuing !== undefined) {
      await this.queuing.catch(() => false);
      if (this.held === undefined && deadline.passed) return false;
    }
    if (this.held !== undefined) {
      this.held.count += 1;
      return true;
    }
    this.queuing = this.queue(deadline, signal);
    try {
      return await this.queuing;
    } finally {
      this.queuing = undefined;
    }
  }

  /** Undoes one acquire; the last one deletes our node, letting the next waiter in. Throws if not held. */
  async release(): Promise<void> {
    const held = this.held;
    if (held === undefined) throw new Error(`lock ${this.spec.basePath}: release() without holding it`);
    held.count -= 1;
    if (held.count > 0) return;
    this.held = undefined;
    await deleteQuietly(this.client, held.path);
  }

  get isAcquired(): boolean {
    return this.held !== undefined;
  }

  get lockPath(): string | undefined {
    return this.held?.path;
  }

  /** Every contender's node (full paths) in queue order. */
  async participantNodes(): Promise<string[]> {
    const sorted = await sortedChildren(this.client, this.spec.basePath, this.spec.sortNames);
    return sorted.map((name) => joinPath(this.spec.basePath, name));
  }

  private async queue(deadline: Deadline, signal: AbortSignal | undefined): Promise<boolean> {
    const path = await acquireLockNode(this.client, this.spec, deadline, signal);
    if (path === undefined) return false;
    this.held = { path, count: 1 };
    return true;
  }
}

/** The verdict of a queue that admits `maxLeases` holders at once (1 for a mutex): watch the one `maxLeases` ahead. */
export function leasesVerdict(maxLeases: number): (sorted: readonly string[], ours: string) => LockVerdict {
  return (sorted, ours) => {
    const index = sorted.indexOf(ours);
    return index < maxLeases ? { holds: true } : { holds: false, watch: sorted[index - maxLeases] as string };
  };
}
