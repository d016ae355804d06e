/**
 * ReadWriteLock: many readers or one writer, on the layout of Curator's InterProcessReadWriteLock. Readers
 * and writers queue under one path, as `_c_<uuid>-__READ__<seq>` and `_c_<uuid>-__WRIT__<seq>`, ordered by
 * sequence. A writer holds the lock when it is first in the queue; a reader when no writer is ahead of it
 * (it watches the first writer ahead). Both halves are reentrant, and the holder of the write lock may also
 * take the read lock (downgrade: take read, then release write): that read node is created with the write
 * node's sequence, so writers queued meanwhile stay behind it.
 */
import type { NodeData, ZooKeeperClient } from "../client/index.js";
import { toNodeBuffer } from "./codec.js";
import { QueueLock, leasesVerdict, type LockVerdict } from "./lock-internals.js";
import { checkPath, sequenceSuffixOf } from "./support.js";

/** Curator's node name of a read lock (after the protected prefix). */
export const READ_LOCK_NAME = "__READ__";
/** Curator's node name of a write lock. */
export const WRITE_LOCK_NAME = "__WRIT__";
const SORT_NAMES = [READ_LOCK_NAME, WRITE_LOCK_NAME] as const;

/** One half of a ReadWriteLock: reentrant, like a Mutex. */
export interface ReadWriteLockHalf {
  /** True when held; false after `timeoutMs` (none: wait while the session lives). */
  acquire(timeoutMs?: number, signal?: AbortSignal): Promise<boolean>;
  /** Undoes one acquire. Throws if not held. */
  release(): Promise<void>;
  readonly isAcquired: boolean;
  /** Our node's path while held. */
  readonly lockPath: string | undefined;
  /** This half's contenders (full paths) in queue order. */
  participantNodes(): Promise<string[]>;
}

/** Options of a ReadWriteLock. */
export interface ReadWriteLockOptions {
  /** Data stored in our lock nodes; default none. */
  data?: NodeData;
}

/**
 * A distributed readers–writer lock (Curator's InterProcessReadWriteLock).
 *
 * ```ts
 * const rw = new ReadWriteLock(zk, "/locks/catalog");
 * await rw.readLock.acquire();
 * try { await readCatalog(); } finally { await rw.readLock.release(); }
 * ```
 */
export class ReadWriteLock {
  /** Shared by any number of holders while no writer is ahead of them in the queue. */
  readonly readLock: ReadWriteLockHalf;
  /** Exclusive. */
  readonly writeLock: ReadWriteLockHalf;

  constructor(readonly client: ZooKeeperClient, readonly basePath: string, options: ReadWriteLockOptions = {}) {
    checkPath(basePath, "lock path");
    const data = toNodeBuffer(options.data ?? null);
    const writeLock = new QueueLock(client, { basePath, lockName: WRITE_LOCK_NAME, sortNames: SORT_NAMES, data, verdict: leasesVerdict(1) });
    const readLock = new QueueLock(client, {
      basePath,
      lockName: READ_LOCK_NAME,
      sortNames: SORT_NAMES,
      data,
      verdict: (sorted, ours) => (writeLock.isAcquired ? { holds: true } : readerVerdict(sorted, ours)),
      fixedName: (prefix) => {
        const sequence = writeLock.lockPath === undefined ? undefined : sequenceSuffixOf(writeLock.lockPath);
        return sequence === undefined ? undefined : `${prefix}${READ_LOCK_NAME}${sequence}`;
      },
    });
    this.writeLock = halfOf(writeLock, WRITE_LOCK_NAME);
    this.readLock = halfOf(readLock, READ_LOCK_NAME);
  }
}

/** A reader holds unless a writer is ahead; then it waits for the first such writer. */
function readerVerdict(sorted: readonly string[], ours: string): LockVerdict {
  const ourIndex = sorted.indexOf(ours);
  const firstWriter = sorted.findIndex((name) => name.includes(WRITE_LOCK_NAME));
  if (firstWriter === -1 || ourIndex < firstWriter) return { holds: true };
  return { holds: false, watch: sorted[firstWriter] as string };
}

function halfOf(lock: QueueLock, lockName: string): ReadWriteLockHalf {
  return {
    acquire: (timeoutMs, signal) => lock.acquire(timeoutMs, signal),
    release: () => lock.release(),
    get isAcquired() {
      return lock.isAcquired;
    },
    get lockPath() {
      return lock.lockPath;
    },
    participantNodes: async () => (await lock.participantNodes()).filter((path) => path.includes(lockName)),
  };
}
