// Shared helpers for the storage tests: fresh temporary directories, a recording logger, payloads that can be
// regenerated from their zxid, and direct access to log file bytes for damage tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { TxnLog } from '../../src/storage/txn-log.js';
import type { Logger } from '../../src/storage/logger.js';

/** A fresh directory removed when the test ends. */
export function tmpDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herd-storage-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export class RecordingLogger implements Logger {
  readonly infos: string[] = [];
  readonly warnings: string[] = [];
  info(msg: string): void {
    this.infos.push(msg);
  }
  warn(msg: string): void {
    this.warnings.push(msg);
  }
}

/** Deterministic payload of zxid-dependent length (0..63 bytes) and content. */
export function payloadFor(zxid: bigint): Buffer {
  const length = Number(zxid % 64n);
  return Buffer.from(Array.from({ length }, (_, i) => Number((zxid * 31n + BigInt(i)) % 256n)));
}

export async function appendAll(log: TxnLog, zxids: Iterable<bigint>): Promise<void> {
  await Promise.all([...zxids].map((zxid) => log.append(zxid, payloadFor(zxid))));
}

export function range(first: bigint, last: bigint): bigint[] {
  const zxids: bigint[] = [];
  for (let zxid = first; zxid <= last; zxid++) zxids.push(zxid);
  return zxids;
}

/** Opens dir and reads everything, checking that each payload is the one payloadFor made. */
export async function readAllZxids(dir: string, logger = new RecordingLogger()): Promise<bigint[]> {
  const log = await TxnLog.open(dir, { logger });
  try {
    return [...log.readAfter(0n)].map((txn) => {
      if (!txn.payload.equals(payloadFor(txn.zxid))) throw new Error(`payload of ${txn.zxid} differs`);
      return txn.zxid;
    });
  } finally {
    await log.close();
  }
}

export function logFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('log.'))
    .sort((a, b) => Number(BigInt('0x' + a.slice(4)) - BigInt('0x' + b.slice(4))));
}

/** Byte offset at which each record of a log file starts. */
export function recordOffsets(file: Buffer): number[] {
  const offsets: number[] = [];
  for (let offset = 16; offset < file.length; offset += 16 + file.readInt32BE(offset + 4)) offsets.push(offset);
  return offsets;
}
