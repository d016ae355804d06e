// Start-up recovery of damaged logs: torn tails are cut (at every byte offset of the last record), while
// damage to acknowledged records — a bad record followed by valid ones, or any damage to an older file — stops
// start-up with CorruptLogError.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CorruptLogError, TxnLog } from '../../src/storage/txn-log.js';
import {
  RecordingLogger,
  appendAll,
  logFiles,
  payloadFor,
  range,
  readAllZxids,
  recordOffsets,
  tmpDir,
} from './helpers.js';

/**
 * Writes zxids 1..last into dir (rolling before each zxid in rollAt) and returns the newest file's path.
 * Without preallocation by default, so the damage below can be placed relative to the file's end; the tests at
 * the end of this file cover preallocated files, whose tail is zeros.
 */
async function writeLog(dir: string, last: bigint, rollAt: bigint[] = [], preallocateBytes = 0): Promise<string> {
  const log = await TxnLog.open(dir, { logger: new RecordingLogger(), preallocateBytes });
  for (const zxid of range(1n, last)) {
    if (rollAt.includes(zxid)) log.roll();
    await log.append(zxid, payloadFor(zxid));
  }
  await log.close();
  return path.join(dir, logFiles(dir).at(-1)!);
}

function copyDir(from: string, to: string): void {
  fs.mkdirSync(to);
  for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
}

/** Recovery must cut back to expectedLast, warn, and then accept appends that survive another reopen. */
async function assertRecoversTo(dir: string, expectedLast: bigint): Promise<void> {
  const logger = new RecordingLogger();
  const log = await TxnLog.open(dir, { logger });
  assert.equal(log.lastZxid(), expectedLast);
  assert.ok(logger.warnings.length > 0, 'recovery should warn');
  await appendAll(log, range(expectedLast + 1n, expectedLast + 3n));
  await log.close();
  assert.deepEqual(await readAllZxids(dir), range(1n, expectedLast + 3n));
}

test('a torn tail at every byte offset of the last record is truncated and appends continue', async (t) => {
  const root = tmpDir(t);
  const original = path.join(root, 'original');
  const newest = path.basename(await writeLog(original, 6n));
  const bytes = fs.readFileSync(path.join(original, newest));
  const lastStart = recordOffsets(bytes).at(-1)!;
  // Cutting exactly at lastStart is a clean file, not a torn one; every byte after it tears the record.
  for (let cut = lastStart + 1; cut < bytes.length; cut++) {
    const dir = path.join(root, `cut-${cut}`);
    copyDir(original, dir);
    fs.truncateSync(path.join(dir, newest), cut);
    await assertRecoversTo(dir, 5n);
  }
});

test('a torn only record leaves an empty newest file, which is removed', async (t) => {
  const root = tmpDir(t);
  const original = path.join(root, 'original');
  const newest = path.basename(await writeLog(original, 4n, [4n]));
  assert.equal(newest, 'log.4');
  const size = fs.statSync(path.join(original, newest)).size;
  for (let cut = 0; cut < size; cut++) {
    const dir = path.join(root, `cut-${cut}`);
    copyDir(original, dir);
    fs.truncateSync(path.join(dir, newest), cut);
    await assertRecoversTo(dir, 3n);
  }
});

test('a log whose single file holds only a torn record recovers to empty', async (t) => {
  const dir = tmpDir(t);
  const newest = await writeLog(dir, 1n);
  fs.truncateSync(newest, fs.statSync(newest).size - 1);
  const log = await TxnLog.open(dir, { logger: new RecordingLogger() });
  assert.equal(log.lastZxid(), 0n);
  assert.deepEqual(logFiles(dir), []);
  await appendAll(log, [1n]);
  await log.close();
  assert.deepEqual(await readAllZxids(dir), [1n]);
});

test('zeros after the last record are preallocated space: kept, no warning, nothing lost', async (t) => {
  const dir = tmpDir(t);
  const newest = await writeLog(dir, 5n);
  fs.appendFileSync(newest, Buffer.alloc(4096));
  const padded = fs.statSync(newest).size;
  const logger = new RecordingLogger();
  const log = await TxnLog.open(dir, { logger });
  assert.equal(log.lastZxid(), 5n);
  assert.deepEqual(logger.warnings, []);
  await appendAll(log, range(6n, 8n));
  await log.close();
  assert.equal(fs.statSync(newest).size, padded, 'the older file keeps its zero tail');
  assert.deepEqual(await readAllZxids(dir), range(1n, 8n));
});

test('a bad checksum on the last record of the newest file is a torn tail', async (t) => {
  const dir = tmpDir(t);
  const newest = await writeLog(dir, 5n);
  const bytes = fs.readFileSync(newest);
  bytes[bytes.length - 1]! ^= 0xff;
  fs.writeFileSync(newest, bytes);
  await assertRecoversTo(dir, 4n);
});

test('a damaged byte anywhere in a middle record throws CorruptLogError', async (t) => {
  const root = tmpDir(t);
  const original = path.join(root, 'original');
  const newest = path.basename(await writeLog(original, 5n));
  const bytes = fs.readFileSync(path.join(original, newest));
  const [, , third, fourth] = recordOffsets(bytes);
  for (let offset = third!; offset < fourth!; offset++) {
    const dir = path.join(root, `flip-${offset}`);
    copyDir(original, dir);
    const damaged = Buffer.from(bytes);
    damaged[offset]! ^= 0xff;
    fs.writeFileSync(path.join(dir, newest), damaged);
    await assert.rejects(TxnLog.open(dir, { logger: new RecordingLogger() }), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      assert.match(error.message, new RegExp(`${newest} at offset ${third}`));
      return true;
    });
  }
});

/** Opens dir and reads every txn: older files are validated when read, so their damage surfaces here. */
async function openAndReadAll(dir: string, afterZxid = 0n): Promise<bigint[]> {
  const log = await TxnLog.open(dir, { logger: new RecordingLogger() });
  try {
    return [...log.readAfter(afterZxid)].map((txn) => txn.zxid);
  } finally {
    await log.close();
  }
}

test('a torn tail in an older file is corruption, not a crash artefact', async (t) => {
  const dir = tmpDir(t);
  await writeLog(dir, 8n, [5n]);
  const older = path.join(dir, 'log.1');
  fs.truncateSync(older, fs.statSync(older).size - 3);
  await assert.rejects(openAndReadAll(dir), CorruptLogError);
});

test('an older file is validated when it is read, not at start-up (a snapshot past it means it is never read)', async (t) => {
  const dir = tmpDir(t);
  await writeLog(dir, 8n, [5n]);
  const older = path.join(dir, 'log.1');
  const bytes = fs.readFileSync(older);
  bytes[bytes.length - 10]! ^= 0xff;
  fs.writeFileSync(older, bytes);
  // Recovery from a snapshot at zxid 4 needs only log.5: the damaged log.1 is not read and not reported.
  assert.deepEqual(await openAndReadAll(dir, 4n), [5n, 6n, 7n, 8n]);
  // Anyone who does need it gets the corruption error.
  await assert.rejects(openAndReadAll(dir, 2n), CorruptLogError);
});

test('a bad header is corruption; a zeroed header in the newest file with nothing valid after is torn', async (t) => {
  const root = tmpDir(t);
  const badMagic = path.join(root, 'bad-magic');
  const badMagicFile = await writeLog(badMagic, 3n, [3n]);
  const bytes = fs.readFileSync(badMagicFile);
  bytes.write('XXXX', 0, 'latin1');
  fs.writeFileSync(badMagicFile, bytes);
  await assert.rejects(TxnLog.open(badMagic, { logger: new RecordingLogger() }), /bad file header/);

  const zeroed = path.join(root, 'zeroed');
  const zeroedFile = await writeLog(zeroed, 3n, [3n]);
  fs.writeFileSync(zeroedFile, Buffer.alloc(fs.statSync(zeroedFile).size));
  await assertRecoversTo(zeroed, 2n);
});

test('a zeroed header followed by a valid record is corruption', async (t) => {
  const dir = tmpDir(t);
  const newest = await writeLog(dir, 4n, [3n]);
  const bytes = fs.readFileSync(newest);
  bytes.fill(0, 0, 16);
  fs.writeFileSync(newest, bytes);
  await assert.rejects(TxnLog.open(dir, { logger: new RecordingLogger() }), CorruptLogError);
});

test('a record whose zxid breaks the order across files is corruption', async (t) => {
  const dir = tmpDir(t);
  await writeLog(dir, 6n, [4n]);
  fs.renameSync(path.join(dir, 'log.4'), path.join(dir, 'log.2'));
  await assert.rejects(openAndReadAll(dir), /not below the next file/);
});

// ---- preallocated files (what a running server writes) ----

const PREALLOC = 64 * 1024;

test('a log file is preallocated with zeros and grows by chunks as records fill it', async (t) => {
  const dir = tmpDir(t);
  const log = await TxnLog.open(dir, { logger: new RecordingLogger(), preallocateBytes: PREALLOC });
  await log.append(1n, payloadFor(1n));
  const file = path.join(dir, logFiles(dir)[0]!);
  assert.ok(fs.statSync(file).size >= PREALLOC, 'zero-filled ahead of the first record');
  // Fill past half a chunk: the file must grow before the records reach its end.
  const big = Buffer.alloc(PREALLOC / 4, 7);
  for (let zxid = 2n; zxid <= 9n; zxid++) await log.append(zxid, big);
  await log.close();
  const bytes = fs.readFileSync(file);
  const recordsEnd = recordOffsets(bytes.subarray(0, lastNonZero(bytes) + 1)).length;
  assert.equal(recordsEnd, 9);
  assert.ok(bytes.length - (lastNonZero(bytes) + 1) >= PREALLOC / 2, 'at least half a chunk of zeros is left');
  const reopened = await TxnLog.open(dir, { logger: new RecordingLogger() });
  assert.equal(reopened.lastZxid(), 9n);
  await reopened.close();
});

test('preallocated: a torn last record (its later bytes never reached the disk) is cut, at every byte', async (t) => {
  const root = tmpDir(t);
  const original = path.join(root, 'original');
  const newest = path.basename(await writeLog(original, 6n, [], PREALLOC));
  const bytes = fs.readFileSync(path.join(original, newest));
  const recordsEnd = lastNonZero(bytes) + 1;
  const lastStart = recordOffsets(bytes.subarray(0, recordsEnd)).at(-1)!;
  for (let cut = lastStart + 1; cut < recordsEnd; cut++) {
    const dir = path.join(root, `zeroed-from-${cut}`);
    copyDir(original, dir);
    const damaged = Buffer.from(bytes);
    damaged.fill(0, cut, recordsEnd);
    if (lastNonZero(damaged) < lastStart) continue; // all of the record's written bytes were zeros anyway
    fs.writeFileSync(path.join(dir, newest), damaged);
    await assertRecoversTo(dir, 5n);
  }
});

test('preallocated: a damaged middle record is still corruption, and so is garbage after the zeros', async (t) => {
  const root = tmpDir(t);
  const original = path.join(root, 'original');
  const newest = path.basename(await writeLog(original, 5n, [], PREALLOC));
  const bytes = fs.readFileSync(path.join(original, newest));
  const [, , third] = recordOffsets(bytes.subarray(0, lastNonZero(bytes) + 1));
  const middle = path.join(root, 'middle');
  copyDir(original, middle);
  const damaged = Buffer.from(bytes);
  damaged[third! + 20]! ^= 0xff;
  fs.writeFileSync(path.join(middle, newest), damaged);
  await assert.rejects(TxnLog.open(middle, { logger: new RecordingLogger() }), CorruptLogError);
  // A valid-looking record can never follow zeros in a log we wrote: a byte there means the tail is not ours.
  const tail = path.join(root, 'tail');
  copyDir(original, tail);
  const garbage = Buffer.from(bytes);
  garbage[garbage.length - 1] = 0x5a;
  fs.writeFileSync(path.join(tail, newest), garbage);
  const logger = new RecordingLogger();
  const log = await TxnLog.open(tail, { logger });
  assert.equal(log.lastZxid(), 5n, 'records before the zeros survive');
  assert.ok(logger.warnings.length > 0, 'the non-zero tail is reported and cut');
  await log.close();
});

function lastNonZero(bytes: Buffer): number {
  let i = bytes.length - 1;
  while (i >= 0 && bytes[i] === 0) i--;
  return i;
}
