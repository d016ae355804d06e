/**
 * Durable state of a standalone server: the txn log (every write fsynced before it is applied) and periodic
 * fuzzy snapshots. Recovery = newest valid snapshot + replay of every logged txn after it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Logger } from "../base/logger.js";
import type { ServerConfig } from "../config/server-config.js";
import { SnapshotStore, TxnLog, purgeOldFiles } from "../storage/index.js";
import type { DataTree } from "../tree/data-tree.js";
import { restoreSnapshot, serializeSnapshot, type SnapshotSession } from "../tree/snapshot-codec.js";
import { decodeTxn, encodeTxn, type Txn } from "../tree/txn.js";
import { assert } from "../base/assert.js";
import type { ServerMetrics } from "../admin/metrics.js";

export class Persistence {
  private snapshotInProgress: Promise<void> | null = null;
  /** The snapshot zxid the last recovery started from (0 without one). */
  private recoveredFromZxid = 0n;
  private snapshotThreshold: number;
  private readonly snapDir: string;
  private readonly logDir: string;

  private constructor(
    private readonly config: ServerConfig,
    private readonly logger: Logger,
    private readonly log: TxnLog,
    private readonly snapshots: SnapshotStore,
    private readonly metrics: ServerMetrics,
  ) {
    this.snapDir = path.join(config.dataDir, "version-2");
    this.logDir = path.join(config.dataLogDir, "version-2");
    this.snapshotThreshold = this.randomThreshold();
  }

  static async open(config: ServerConfig, logger: Logger, metrics: ServerMetrics): Promise<Persistence> {
    const snapDir = path.join(config.dataDir, "version-2");
    const logDir = path.join(config.dataLogDir, "version-2");
    let persistence: Persistence | null = null;
    const log = await TxnLog.open(logDir, {
      logger,
      onBatch: (batch) => metrics.syncBatchTaken(batch.records),
      onDurable: (batch, ms) => {
        metrics.syncBatchDurable(batch.records, ms);
        persistence?.onDurable?.(batch.lastZxid);
      },
      onFailure: (error) => persistence?.onFailure?.(error),
    });
    const snapshots = new SnapshotStore(snapDir, { logger });
    persistence = new Persistence(config, logger, log, snapshots, metrics);
    return persistence;
  }

  /** Told, in zxid order, that every txn up to this zxid is durable (what enqueue's callers wait for). */
  onDurable: ((zxid: bigint) => void) | null = null;
  /** Told once that the log failed: txns enqueued and not yet reported durable are lost. */
  onFailure: ((error: Error) => void) | null = null;

  /** The newest snapshot file: its zxid and modification time. */
  lastSnapshot(): { zxid: bigint; timestampMs: number } | null {
    const zxid = this.snapshots.list().at(-1);
    if (zxid === undefined) return null;
    try {
      return { zxid, timestampMs: fs.statSync(path.join(this.snapDir, `snapshot.${zxid.toString(16)}`)).mtimeMs };
    } catch {
      return { zxid, timestampMs: 0 };
    }
  }

  /** Like ZooKeeper, snapshot somewhere in [snapCount/2+1, snapCount] so servers do not snapshot in step. */
  private randomThreshold(): number {
    const half = Math.floor(this.config.snapCount / 2);
    return half + 1 + Math.floor(Math.random() * Math.max(1, this.config.snapCount - half));
  }

  /** Loads the newest snapshot and replays the log into the tree; returns the sessions alive at the end. */
  recover(tree: DataTree): SnapshotSession[] {
    const sessions = new Map<bigint, number>();
    const startedMs = performance.now();
    const snapshot = this.snapshots.loadNewest();
    let fromZxid = 0n;
    this.recoveredFromZxid = 0n;
    if (snapshot !== null) {
      this.recoveredFromZxid = snapshot.zxid;
      const restored = restoreSnapshot(snapshot.data, tree);
      for (const s of restored.sessions) sessions.set(s.id, s.timeoutMs);
      fromZxid = snapshot.zxid;
      this.logger.info(`loaded snapshot 0x${snapshot.zxid.toString(16)}`);
    }
    const snapshotLoadedMs = performance.now();
    let replayed = 0;
    for (const logged of this.log.readAfter(fromZxid)) {
      const txn = decodeTxn(logged.payload);
      assert(txn.header.zxid === logged.zxid, `log record 0x${logged.zxid.toString(16)} holds txn 0x${txn.header.zxid.toString(16)}`);
      replayTxn(tree, txn, sessions);
      replayed++;
    }
    const logZxid = this.log.lastZxid();
    if (logZxid > tree.lastProcessedZxid) tree.lastProcessedZxid = logZxid;
    this.metrics.recordRecovery(startedMs, snapshotLoadedMs, replayed);
    this.logger.info(`recovered to zxid 0x${tree.lastProcessedZxid.toString(16)} (${replayed} txns replayed, ${sessions.size} sessions)`);
    return [...sessions].map(([id, timeoutMs]) => ({ id, timeoutMs }));
  }

  /**
   * The last `max` logged entries after the snapshot recovery started from, and the zxid just before them
   * (the consensus core's log window at start-up).
   */
  recentEntries(max: number): { base: bigint; entries: { zxid: bigint; payload: Buffer }[] } {
    let base = this.recoveredFromZxid;
    const entries: { zxid: bigint; payload: Buffer }[] = [];
    for (const logged of this.log.readAfter(this.recoveredFromZxid)) {
      entries.push({ zxid: logged.zxid, payload: logged.payload });
      if (entries.length > max) base = entries.shift()!.zxid;
    }
    return { base, entries };
  }

  /** Ensemble: append an entry the consensus core handed out; resolves once durable. */
  appendEntry(zxid: bigint, payload: Buffer): Promise<void> {
    this.metrics.syncQueued();
    return this.log.append(zxid, payload);
  }

  /**
   * Ensemble TRUNC: drop logged entries above zxid, and snapshots above it (they would hold state that never
   * committed), so a restart recovers exactly the kept history.
   */
  async truncateLogAfter(zxid: bigint): Promise<void> {
    this.removeSnapshotsAfter(zxid);
    await this.log.truncateAfter(zxid);
  }

  /** Ensemble SNAP: the leader's state at zxid becomes our newest snapshot; logged entries above it go. */
  async installSnapshot(zxid: bigint, bytes: Buffer): Promise<void> {
    await this.snapshotInProgress;
    this.removeSnapshotsAfter(zxid - 1n);
    await this.snapshots.write(zxid, [bytes]);
    await this.log.truncateAfter(zxid);
    this.log.roll();
  }

  private removeSnapshotsAfter(zxid: bigint): void {
    for (const z of this.snapshots.list()) {
      if (z > zxid) fs.rmSync(path.join(this.snapDir, `snapshot.${z.toString(16)}`), { force: true });
    }
  }

  /** Logs a txn (group commit); onDurable says when it is durable, onFailure if it never will be. */
  enqueue(txn: Txn): void {
    this.metrics.syncQueued();
    this.log.enqueue(txn.header.zxid, encodeTxn(txn));
  }

  /** Starts a fuzzy snapshot once enough txns went into the current log file. */
  afterApply(tree: DataTree, sessions: () => SnapshotSession[]): void {
    if (this.snapshotInProgress !== null || this.log.txnsSinceRoll() < this.snapshotThreshold) return;
    this.snapshotThreshold = this.randomThreshold();
    this.log.roll();
    const zxid = tree.lastProcessedZxid;
    const started = Date.now();
    this.snapshotInProgress = this.snapshots
      .write(zxid, serializeSnapshot(tree, sessions()))
      .then(
        () => {
          this.metrics.snapshotTime.record(Date.now() - started);
          this.logger.info(`snapshot 0x${zxid.toString(16)} written in ${Date.now() - started} ms`);
        },
        (e: Error) => this.logger.error(`snapshot 0x${zxid.toString(16)} failed: ${e.message}`),
      )
      .finally(() => {
        this.snapshotInProgress = null;
      });
  }

  purge(): void {
    const removed = purgeOldFiles(this.snapDir, this.logDir, this.config.autopurgeSnapRetainCount);
    if (removed.length > 0) this.logger.info(`purged ${removed.length} old snapshot/log files`);
  }

  sizes(): { dataDirBytes: number; logDirBytes: number } {
    return { dataDirBytes: dirBytes(this.snapDir), logDirBytes: dirBytes(this.logDir) };
  }

  async close(): Promise<void> {
    await this.snapshotInProgress;
    await this.log.close();
  }
}

function replayTxn(tree: DataTree, txn: Txn, sessions: Map<bigint, number>): void {
  if (txn.body.type === "createSession") sessions.set(txn.header.sessionId, txn.body.timeoutMs);
  if (txn.body.type === "closeSession") sessions.delete(txn.header.sessionId);
  tree.applyTxn(txn.header, txn.body);
}

function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, name)).size;
  } catch {
    return 0;
  }
  return total;
}
