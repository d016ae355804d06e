// Small file-system helpers for making writes durable: fsync of directories (so that a created, renamed or
// deleted name survives a crash) and writing a list of buffers completely at a position.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/** fsync a directory so that the names created, renamed or removed in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates dir (and parents) if missing, making the new entry durable in its parent. */
export function ensureDirSync(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  fsyncDirSync(dir);
  fsyncDirSync(path.dirname(path.resolve(dir)));
}

export function totalBytes(buffers: readonly Buffer[]): number {
  return buffers.reduce((sum, buffer) => sum + buffer.length, 0);
}

/** writev may write fewer bytes than asked (e.g. more buffers than IOV_MAX, or a signal); finish the rest. */
export async function writeFully(handle: fsp.FileHandle, buffers: Buffer[], position: number): Promise<number> {
  const total = totalBytes(buffers);
  const { bytesWritten } = await handle.writev(buffers, position);
  let written = bytesWritten;
  if (written === total) return total;
  const rest = Buffer.concat(buffers).subarray(written);
  while (written < total) {
    const chunk = rest.subarray(written - bytesWritten);
    const result = await handle.write(chunk, 0, chunk.length, position + written);
    if (result.bytesWritten <= 0) throw new Error(`write made no progress at position ${position + written}`);
    written += result.bytesWritten;
  }
  return total;
}

/**
 * writeFully on the calling thread. For a small batch this is cheaper than a thread-pool round trip (a write
 * into the page cache takes microseconds, the hand-off and wake-up hundreds), and it leaves the fdatasync that
 * follows as the commit's only hand-off.
 */
export function writeFullySync(fd: number, buffers: Buffer[], position: number): number {
  const total = totalBytes(buffers);
  let written = fs.writevSync(fd, buffers, position);
  if (written === total) return total;
  const rest = Buffer.concat(buffers);
  while (written < total) {
    const n = fs.writeSync(fd, rest, written, total - written, position + written);
    if (n <= 0) throw new Error(`write made no progress at position ${position + written}`);
    written += n;
  }
  return total;
}
