// purgeOldFiles: keeps the newest snapshots and every log file recovery from the oldest of them still needs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { purgeOldFiles } from '../../src/storage/purge.js';
import { SnapshotStore } from '../../src/storage/snapshot-store.js';
import { TxnLog } from '../../src/storage/txn-log.js';
import { RecordingLogger, logFiles, payloadFor, range, tmpDir } from './helpers.js';

function touch(dir: string, names: string[]): void {
  for (const name of names) fs.writeFileSync(path.join(dir, name), '');
}

function names(paths: string[]): string[] {
  return paths.map((p) => path.basename(p)).sort();
}

test('keeps the newest snapshots and the log file that straddles the oldest kept one', (t) => {
  const dir = tmpDir(t);
  // log.1 holds 1..0x0f, log.10 holds 0x10..0x1f, log.20 holds 0x20..0x2f, log.30 holds 0x30.. onwards.
  touch(dir, ['log.1', 'log.10', 'log.20', 'log.30']);
  touch(dir, ['snapshot.5', 'snapshot.18', 'snapshot.28', 'snapshot.35']);
  const deleted = purgeOldFiles(dir, dir, 3);
  // Oldest kept snapshot is 0x18, inside log.10: log.1 goes, log.10 stays for 0x19..0x1f.
  assert.deepEqual(names(deleted), ['log.1', 'snapshot.5']);
  const kept = ['log.10', 'log.20', 'log.30', 'snapshot.18', 'snapshot.28', 'snapshot.35'];
  assert.deepEqual(fs.readdirSync(dir).sort(), kept);
});

test('a log file ending exactly at the snapshot zxid is deleted; the newest log file never is', (t) => {
  const snapDir = path.join(tmpDir(t), 'snap');
  const logDir = path.join(tmpDir(t), 'log');
  fs.mkdirSync(snapDir);
  fs.mkdirSync(logDir);
  touch(logDir, ['log.1', 'log.10', 'log.20']);
  touch(snapDir, ['snapshot.1f', 'snapshot.30', 'snapshot.40']);
  // log.10 holds at most 0x10..0x1f, all <= 0x1f; log.20 is the newest and may hold anything above.
  assert.deepEqual(names(purgeOldFiles(snapDir, logDir, 3)), ['log.1', 'log.10']);
  assert.deepEqual(logFiles(logDir), ['log.20']);
});

test('retainCount below 3 is raised to 3, and nothing goes without snapshots', (t) => {
  const dir = tmpDir(t);
  touch(dir, ['log.1', 'log.10']);
  assert.deepEqual(purgeOldFiles(dir, dir, 1), []);
  touch(dir, ['snapshot.11', 'snapshot.12', 'snapshot.13', 'snapshot.14']);
  assert.deepEqual(names(purgeOldFiles(dir, dir, 1)), ['log.1', 'snapshot.11']);
  assert.deepEqual(purgeOldFiles(dir, dir, 1), []);
});

test('after purging, recovery from every kept snapshot still finds all later txns', async (t) => {
  const snapDir = path.join(tmpDir(t), 'snap');
  const logDir = path.join(tmpDir(t), 'log');
  const snapshots = new SnapshotStore(snapDir, { logger: new RecordingLogger() });
  const log = await TxnLog.open(logDir, { logger: new RecordingLogger() });
  for (const zxid of range(1n, 100n)) {
    await log.append(zxid, payloadFor(zxid));
    if (zxid % 12n === 0n) {
      log.roll();
      await snapshots.write(zxid, [Buffer.from(`state at ${zxid}`)]);
    }
  }
  await log.close();
  purgeOldFiles(snapDir, logDir, 3);
  assert.deepEqual(snapshots.list(), [72n, 84n, 96n]);
  assert.deepEqual(logFiles(logDir), ['log.49', 'log.55', 'log.61']); // log.49 starts at 73 = 72 + 1

  const reopened = await TxnLog.open(logDir, { logger: new RecordingLogger() });
  for (const snapshotZxid of snapshots.list()) {
    const replayed = [...reopened.readAfter(snapshotZxid)].map((txn) => txn.zxid);
    assert.deepEqual(replayed, range(snapshotZxid + 1n, 100n));
  }
  await reopened.close();
});
