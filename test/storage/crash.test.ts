// Crash test: a child process appends in a loop and is killed with SIGKILL after some acknowledgements; every
// acknowledged zxid must be in the reopened log, and the log must stay readable and appendable.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TxnLog } from '../../src/storage/txn-log.js';
import { RecordingLogger, appendAll, range, readAllZxids, tmpDir } from './helpers.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const APPENDS_MAX = 100_000n; // the child stops by itself here if it is never killed

/** Runs the child until it has acknowledged ackCount zxids, kills it, and returns the acknowledged zxids. */
async function runAndKill(dir: string, ackCount: number): Promise<bigint[]> {
  const args = [CHILD_SCRIPT, dir, String(APPENDS_MAX)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const acked: bigint[] = [];
  let partialLine = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop()!; // a line cut by the kill was never fully acknowledged to us
    for (const line of lines) acked.push(BigInt(line));
    if (acked.length >= ackCount) child.kill('SIGKILL');
  });
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGKILL', `child exited with code ${code} before being killed`);
  return acked;
}

test('every zxid acknowledged before a kill -9 survives, over repeated crashes', async (t) => {
  const dir = tmpDir(t);
  const everAcked: bigint[] = [];
  for (const ackCount of [300, 500, 700]) {
    const acked = await runAndKill(dir, ackCount);
    assert.ok(acked.length >= ackCount);
    everAcked.push(...acked);
    const present = await readAllZxids(dir);
    const last = present.at(-1) ?? 0n;
    // The child appends 1, 2, 3, ... so the durable log is exactly a contiguous prefix.
    assert.deepEqual(present, range(1n, last));
    assert.ok(last >= everAcked.reduce((max, zxid) => (zxid > max ? zxid : max), 0n), 'an acknowledged zxid was lost');
  }

  const log = await TxnLog.open(dir, { logger: new RecordingLogger() });
  const last = log.lastZxid();
  await appendAll(log, range(last + 1n, last + 5n));
  await log.close();
  assert.deepEqual(await readAllZxids(dir), range(1n, last + 5n));
});
