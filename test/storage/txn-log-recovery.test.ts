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

/** Writes zxids 1..last into dir (rolling before each zxid in rollAt) and returns the newest file's path. */
async function writeLog(dir: string, last: bigint, rollAt: bigint[] = []): Promise<string> {
  const log = await TxnLog.open(dir, { logger: new RecordingLogger() });
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

test('zero padding after the last record is truncated', async (t) => {
  const dir = tmpDir(t);
  const newest = await writeLog(dir, 5n);
  fs.appendFileSync(newest, Buffer.alloc(4096));
  await assertRecoversTo(dir, 5n);
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

test('a torn tail in an older file is corruption, not a crash artefact', async (t) => {
  const dir = tmpDir(t);
  await writeLog(dir, 8n, [5n]);
  const older = path.join(dir, 'log.1');
  fs.truncateSync(older, fs.statSync(older).size - 3);
  await assert.rejects(TxnLog.open(dir, { logger: new RecordingLogger() }), CorruptLogError);
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
  await assert.rejects(TxnLog.open(dir, { logger: new RecordingLogger() }), /not below the next file/);
});
