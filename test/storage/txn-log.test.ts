// TxnLog behaviour on healthy files: round trips, reopening, rolling, group commit and its assertions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { TxnLog, type TxnBatch } from '../../src/storage/txn-log.js';
import { RecordingLogger, appendAll, logFiles, payloadFor, range, readAllZxids, tmpDir } from './helpers.js';

test('an empty directory opens with lastZxid 0 and reads nothing', async (t) => {
  const dir = path.join(tmpDir(t), 'not', 'yet', 'there');
  const log = await TxnLog.open(dir, { logger: new RecordingLogger() });
  assert.equal(log.lastZxid(), 0n);
  assert.deepEqual([...log.readAfter(0n)], []);
  await log.close();
  assert.deepEqual(logFiles(dir), []);
});

test('appends survive reopening and readAfter returns txns above the given zxid', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir);
  await appendAll(log, range(1n, 50n));
  assert.equal(log.lastZxid(), 50n);
  assert.deepEqual([...log.readAfter(45n)].map((txn) => txn.zxid), range(46n, 50n));
  await log.close();

  const reopened = await TxnLog.open(dir);
  assert.equal(reopened.lastZxid(), 50n);
  const txns = [...reopened.readAfter(20n)];
  assert.deepEqual(txns.map((txn) => txn.zxid), range(21n, 50n));
  for (const txn of txns) assert.deepEqual(txn.payload, payloadFor(txn.zxid));
  assert.deepEqual([...reopened.readAfter(50n)], []);
  await reopened.close();
});

test('zxids need not be contiguous and large zxids round trip', async (t) => {
  const dir = tmpDir(t);
  const zxids = [1n, 0x1_0000_0000n, 0x1_0000_0005n, 0x7fff_ffff_ffff_fff0n];
  const log = await TxnLog.open(dir);
  await appendAll(log, zxids);
  log.roll();
  await log.append(0x7fff_ffff_ffff_fffen, payloadFor(2n));
  await log.close();
  assert.deepEqual(logFiles(dir), ['log.1', 'log.7ffffffffffffffe']);
  const reopened = await TxnLog.open(dir);
  assert.deepEqual([...reopened.readAfter(1n)].map((txn) => txn.zxid), [...zxids.slice(1), 0x7fff_ffff_ffff_fffen]);
  await reopened.close();
});

test('many appends issued in one tick share a single write and fdatasync', async (t) => {
  const batches: TxnBatch[] = [];
  const log = await TxnLog.open(tmpDir(t), { onBatch: (batch) => batches.push(batch) });
  await appendAll(log, range(1n, 200n));
  assert.equal(log.flushCount, 1);
  assert.deepEqual(batches.map((batch) => [batch.firstZxid, batch.lastZxid, batch.records]), [[1n, 200n, 200]]);
  await log.close();
});

test('appends made while a flush is in progress go out together in the next batch', async (t) => {
  const batches: TxnBatch[] = [];
  const later: Promise<void>[] = [];
  const log = await TxnLog.open(tmpDir(t), {
    onBatch: (batch) => {
      batches.push(batch);
      // The first batch is being written now: everything appended here must wait for the next one.
      if (batches.length === 1) for (const zxid of range(2n, 40n)) later.push(log.append(zxid, payloadFor(zxid)));
    },
  });
  await log.append(1n, payloadFor(1n));
  await Promise.all(later);
  assert.deepEqual(batches.map((batch) => [batch.firstZxid, batch.lastZxid]), [[1n, 1n], [2n, 40n]]);
  assert.equal(log.flushCount, 2);
  await log.close();
});

test('lastZxid moves only once an append is durable', async (t) => {
  const log = await TxnLog.open(tmpDir(t));
  const pending = log.append(7n, payloadFor(7n));
  assert.equal(log.lastZxid(), 0n);
  await pending;
  assert.equal(log.lastZxid(), 7n);
  await log.close();
});

test('roll starts a new file named after the next zxid and readAfter spans files', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir);
  await appendAll(log, range(1n, 10n));
  assert.equal(log.txnsSinceRoll(), 10);
  log.roll();
  assert.equal(log.txnsSinceRoll(), 0);
  await appendAll(log, range(11n, 25n));
  log.roll();
  await appendAll(log, range(26n, 30n));
  assert.equal(log.txnsSinceRoll(), 5);
  assert.deepEqual(logFiles(dir), ['log.1', 'log.b', 'log.1a']);
  assert.deepEqual([...log.readAfter(8n)].map((txn) => txn.zxid), range(9n, 30n));
  assert.deepEqual([...log.readAfter(26n)].map((txn) => txn.zxid), range(27n, 30n));
  await log.close();
  assert.deepEqual(await readAllZxids(dir), range(1n, 30n));
});

test('a roll in the middle of one tick of appends splits the batch at the roll', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir);
  const acks = range(1n, 5n).map((zxid) => log.append(zxid, payloadFor(zxid)));
  log.roll();
  acks.push(...range(6n, 9n).map((zxid) => log.append(zxid, payloadFor(zxid))));
  await Promise.all(acks);
  assert.equal(log.flushCount, 2);
  assert.deepEqual(logFiles(dir), ['log.1', 'log.6']);
  await log.close();
  assert.deepEqual(await readAllZxids(dir), range(1n, 9n));
});

test('a roll with no append after it leaves no file behind', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir);
  await appendAll(log, range(1n, 3n));
  log.roll();
  await log.close();
  assert.deepEqual(logFiles(dir), ['log.1']);
  assert.deepEqual(await readAllZxids(dir), range(1n, 3n));
});

test('after a restart appends go to a new file, never into a recovered one', async (t) => {
  const dir = tmpDir(t);
  const first = await TxnLog.open(dir);
  await appendAll(first, range(1n, 4n));
  await first.close();
  const second = await TxnLog.open(dir);
  assert.equal(second.txnsSinceRoll(), 0);
  await appendAll(second, range(5n, 6n));
  await second.close();
  assert.deepEqual(logFiles(dir), ['log.1', 'log.5']);
  assert.deepEqual(await readAllZxids(dir), range(1n, 6n));
});

test('appends out of order, reusing a zxid, oversized or after close are refused', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir);
  await log.append(5n, payloadFor(5n));
  assert.throws(() => log.append(5n, payloadFor(5n)), /not above/);
  assert.throws(() => log.append(4n, payloadFor(4n)), /not above/);
  assert.throws(() => log.append(6n, Buffer.alloc(64 * 1024 * 1024 + 1)), /exceeds/);
  await log.close();
  assert.throws(() => log.append(9n, payloadFor(9n)), /after close/);

  const reopened = await TxnLog.open(dir);
  assert.throws(() => reopened.append(5n, payloadFor(5n)), /not above/);
  await reopened.close();
});

test('close waits for queued appends', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir);
  let acked = 0;
  for (const zxid of range(1n, 20n)) void log.append(zxid, payloadFor(zxid)).then(() => acked++);
  await log.close();
  assert.equal(log.lastZxid(), 20n);
  assert.deepEqual(await readAllZxids(dir), range(1n, 20n));
  assert.equal(acked, 20);
});

test('a failed write rejects its batch and every later append', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir);
  await log.append(1n, payloadFor(1n));
  log.roll();
  fs.writeFileSync(path.join(dir, 'log.2'), 'squatter'); // the new file cannot be created with 'wx'
  await assert.rejects(log.append(2n, payloadFor(2n)), /EEXIST/);
  await assert.rejects(log.append(3n, payloadFor(3n)), /EEXIST/);
  assert.equal(log.lastZxid(), 1n);
  await log.close();
});

test('one write at a time is fdatasynced inline after the first; a large batch goes back to the pool', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir, { inlineSyncStallMs: Infinity }); // a busy test machine is not a stalling disk
  await log.append(1n, payloadFor(1n)); // opens the file: never inline
  for (const zxid of range(2n, 6n)) await log.append(zxid, payloadFor(zxid));
  // zxid 2 follows the file-opening batch, which is not counted as small; 3..6 follow small batches.
  assert.equal(log.inlineSyncCount, 4);
  await appendAll(log, range(7n, 50n)); // one batch of 44 records
  assert.equal(log.inlineSyncCount, 4);
  await log.append(51n, payloadFor(51n)); // follows a large batch: still the pool
  assert.equal(log.inlineSyncCount, 4);
  await log.append(52n, payloadFor(52n));
  assert.equal(log.inlineSyncCount, 5);
  await log.close();
  const reopened = await TxnLog.open(dir);
  assert.deepEqual([...reopened.readAfter(0n)].map((txn) => txn.zxid), range(1n, 52n));
  await reopened.close();
});

test('an inline fdatasync slower than the stall limit sends the next batches to the pool', async (t) => {
  const log = await TxnLog.open(tmpDir(t), { inlineSyncStallMs: -1 }); // every inline fdatasync counts as a stall
  for (const zxid of range(1n, 3n)) await log.append(zxid, payloadFor(zxid));
  assert.equal(log.inlineSyncCount, 1); // zxid 3 went inline and "stalled"
  for (const zxid of range(4n, 20n)) await log.append(zxid, payloadFor(zxid));
  assert.equal(log.inlineSyncCount, 1);
  await log.close();
});

test('enqueue reports durability per batch in zxid order, and a failure once', async (t) => {
  const dir = tmpDir(t);
  const durable: bigint[] = [];
  const failures: Error[] = [];
  let log: TxnLog | null = null;
  let release: () => void = () => undefined;
  const allDurable = new Promise<void>((resolve) => (release = resolve));
  log = await TxnLog.open(dir, {
    onDurable: (batch) => {
      durable.push(batch.lastZxid);
      // Appends made while a batch is reported go out in the next batch.
      if (batch.lastZxid === 100n) for (const zxid of range(101n, 150n)) log!.enqueue(zxid, payloadFor(zxid));
      if (batch.lastZxid === 150n) release();
    },
    onFailure: (error) => failures.push(error),
  });
  for (const zxid of range(1n, 100n)) log.enqueue(zxid, payloadFor(zxid));
  await allDurable;
  assert.deepEqual(durable, [100n, 150n]);
  assert.deepEqual([...log.readAfter(0n)].map((txn) => txn.zxid), range(1n, 150n));

  log.roll();
  fs.writeFileSync(path.join(dir, 'log.97'), 'squatter'); // 151 = 0x97: the new file cannot be created with 'wx'
  log.enqueue(151n, payloadFor(151n));
  log.enqueue(152n, payloadFor(152n));
  await assert.rejects(log.append(153n, payloadFor(153n)), /EEXIST/);
  log.enqueue(154n, payloadFor(154n));
  assert.equal(failures.length, 1, 'onFailure is told once');
  assert.match(failures[0].message, /EEXIST/);
  assert.equal(log.lastZxid(), 150n);
  await log.close();
});
