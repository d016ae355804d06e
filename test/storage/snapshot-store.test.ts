// SnapshotStore: atomic writes from lazily produced chunks, and loading that falls back past damaged files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { SnapshotStore } from '../../src/storage/snapshot-store.js';
import { RecordingLogger, tmpDir } from './helpers.js';

function bodyOf(seed: number, bytes: number): Buffer {
  return Buffer.from(Array.from({ length: bytes }, (_, i) => (seed * 7 + i * 13) % 256));
}

/** Yields slices of body between event-loop turns, as the server does while serializing its tree. */
async function* slicesBetweenTurns(body: Buffer, sliceBytes: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < body.length; offset += sliceBytes) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield body.subarray(offset, offset + sliceBytes);
  }
}

test('a snapshot written from async chunks loads back byte for byte', async (t) => {
  const dir = tmpDir(t);
  const store = new SnapshotStore(dir, { logger: new RecordingLogger() });
  assert.equal(store.loadNewest(), null);
  const body = bodyOf(1, 100_000);
  await store.write(0x1234n, slicesBetweenTurns(body, 4096));
  assert.deepEqual(store.list(), [0x1234n]);
  assert.deepEqual(fs.readdirSync(dir), ['snapshot.1234']);
  const loaded = new SnapshotStore(dir).loadNewest();
  assert.equal(loaded?.zxid, 0x1234n);
  assert.ok(loaded.data.equals(body));
});

test('sync iterables, empty chunks and an empty body round trip', async (t) => {
  const store = new SnapshotStore(tmpDir(t), { logger: new RecordingLogger() });
  await store.write(1n, []);
  assert.equal(store.loadNewest()?.data.length, 0);
  await store.write(2n, [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('c')]);
  assert.equal(store.loadNewest()?.data.toString(), 'abc');
});

test('list sorts numerically and loadNewest picks the highest zxid', async (t) => {
  const store = new SnapshotStore(tmpDir(t), { logger: new RecordingLogger() });
  for (const zxid of [0x10n, 0x2n, 0xan]) await store.write(zxid, [bodyOf(Number(zxid), 10)]);
  assert.deepEqual(store.list(), [0x2n, 0xan, 0x10n]);
  assert.equal(store.loadNewest()?.zxid, 0x10n);
});

test('a damaged or truncated newest snapshot is skipped with a warning', async (t) => {
  const dir = tmpDir(t);
  const logger = new RecordingLogger();
  const store = new SnapshotStore(dir, { logger });
  for (const zxid of [1n, 2n, 3n]) await store.write(zxid, [bodyOf(Number(zxid), 500)]);

  const newest = path.join(dir, 'snapshot.3');
  const bytes = fs.readFileSync(newest);
  bytes[200]! ^= 0x01;
  fs.writeFileSync(newest, bytes);
  fs.truncateSync(path.join(dir, 'snapshot.2'), 300);

  const loaded = store.loadNewest();
  assert.equal(loaded?.zxid, 1n);
  assert.ok(loaded.data.equals(bodyOf(1, 500)));
  assert.equal(logger.warnings.length, 2);
  assert.match(logger.warnings[0]!, /snapshot\.3: bad body checksum/);
  assert.match(logger.warnings[1]!, /snapshot\.2: trailer says/);
});

test('a snapshot whose header zxid differs from its name is skipped', async (t) => {
  const dir = tmpDir(t);
  const store = new SnapshotStore(dir, { logger: new RecordingLogger() });
  await store.write(5n, [Buffer.from('five')]);
  fs.renameSync(path.join(dir, 'snapshot.5'), path.join(dir, 'snapshot.6'));
  assert.equal(store.loadNewest(), null);
});

test('a failing chunk source leaves no snapshot and no temporary file', async (t) => {
  const dir = tmpDir(t);
  const store = new SnapshotStore(dir, { logger: new RecordingLogger() });
  async function* failing(): AsyncGenerator<Buffer> {
    yield Buffer.from('partial');
    throw new Error('serializer failed');
  }
  await assert.rejects(store.write(9n, failing()), /serializer failed/);
  assert.deepEqual(fs.readdirSync(dir), []);
  await store.write(9n, [Buffer.from('ok')]); // the store is usable again
  assert.equal(store.loadNewest()?.data.toString(), 'ok');
});

test('a second concurrent write is refused', async (t) => {
  const store = new SnapshotStore(tmpDir(t), { logger: new RecordingLogger() });
  const first = store.write(1n, slicesBetweenTurns(Buffer.from('abcdef'), 2));
  await assert.rejects(store.write(2n, []), /already in progress/);
  await first;
  assert.deepEqual(store.list(), [1n]);
});

test('a temporary file left by a crash is removed and never loaded', async (t) => {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'snapshot.7.tmp'), 'half written');
  const store = new SnapshotStore(dir, { logger: new RecordingLogger() });
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.equal(store.loadNewest(), null);
});
