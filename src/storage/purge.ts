// Deletes storage files that recovery can no longer need: snapshots beyond the newest `retainCount`, and log
// files whose txns are all covered by the oldest retained snapshot. Logs are kept back to the OLDEST retained
// snapshot (not the newest) so that recovery still works when it has to fall back past a damaged snapshot.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { LOG_PREFIX, SNAPSHOT_PREFIX, listZxidFiles } from './file-names.js';

/** Fewer than this and one damaged snapshot plus one unfinished write could leave nothing to recover from. */
export const SNAPSHOT_RETAIN_COUNT_MIN = 3;

/** Returns the deleted paths. retainCount below SNAPSHOT_RETAIN_COUNT_MIN is raised to it. */
export function purgeOldFiles(snapDir: string, logDir: string, retainCount: number): string[] {
  assert(Number.isSafeInteger(retainCount), `retainCount ${retainCount} is not an integer`);
  const keep = Math.max(SNAPSHOT_RETAIN_COUNT_MIN, retainCount);
  const snapshots = listZxidFiles(snapDir, SNAPSHOT_PREFIX);
  if (snapshots.length === 0) return []; // every log is needed: there is nothing else to recover from
  const retained = snapshots.slice(-keep);
  const oldestRetainedZxid = retained[0]!.zxid;
  const doomed = [
    ...snapshots.slice(0, snapshots.length - retained.length).map((file) => file.path),
    ...logsCoveredBy(logDir, oldestRetainedZxid),
  ];
  for (const filePath of doomed) fs.rmSync(filePath, { force: true });
  return doomed;
}

/**
 * log.X holds txns from X up to (not including) the next file's start, so a file is covered when the next
 * file starts at or below snapshotZxid + 1. The newest file has no upper bound and is always kept; so is the
 * file that straddles the snapshot.
 */
function logsCoveredBy(logDir: string, snapshotZxid: bigint): string[] {
  const logs = listZxidFiles(logDir, LOG_PREFIX);
  const covered: string[] = [];
  for (let i = 0; i + 1 < logs.length; i++) {
    if (logs[i + 1]!.zxid <= snapshotZxid + 1n) covered.push(logs[i]!.path);
  }
  return covered;
}
