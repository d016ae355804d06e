// Snapshot files: each is written whole to a temporary name, fsynced, renamed into place and the directory
// fsynced, so a crash leaves either the complete new snapshot or none (never a half one under a real name).
// Loading picks the newest one that verifies and falls back past damaged ones. Format: snapshot-format.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { SNAPSHOT_PREFIX, listZxidFiles, zxidFileName } from './file-names.js';
import { ensureDirSync, fsyncDir, writeFully } from './fs-durable.js';
import { type Logger, consoleLogger } from './logger.js';
import {
  SNAPSHOT_BODY_BYTES_MAX,
  decodeSnapshot,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
} from './snapshot-format.js';

const TMP_SUFFIX = '.tmp';

export class SnapshotStore {
  private readonly logger: Logger;
  private writing = false;

  /** Creates dir if needed and removes temporary files left by a crash during a write. */
  constructor(
    private readonly dir: string,
    opts: { logger?: Logger } = {},
  ) {
    this.logger = opts.logger ?? consoleLogger;
    ensureDirSync(dir);
    this.removeLeftoverTemps();
  }

  /**
   * Writes snapshot.<hex zxid>. Each chunk is written before the next is requested, so the caller may reuse
   * a chunk's buffer once the iterator is asked for the next one. One write at a time per store.
   */
  async write(zxid: bigint, chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
    assert(zxid >= 0n, `snapshot zxid ${zxid} is negative`);
    assert(!this.writing, 'a snapshot write is already in progress');
    this.writing = true;
    try {
      const finalPath = path.join(this.dir, zxidFileName(SNAPSHOT_PREFIX, zxid));
      const tmpPath = finalPath + TMP_SUFFIX;
      await writeSnapshotFile(tmpPath, zxid, chunks);
      await fsp.rename(tmpPath, finalPath);
      await fsyncDir(this.dir);
    } finally {
      this.writing = false;
    }
  }

  /** Newest snapshot whose checksum verifies; damaged ones are skipped with a warning. */
  loadNewest(): { zxid: bigint; data: Buffer } | null {
    for (const file of listZxidFiles(this.dir, SNAPSHOT_PREFIX).reverse()) {
      const decoded = decodeSnapshot(fs.readFileSync(file.path), file.zxid);
      if (decoded.ok) return { zxid: file.zxid, data: decoded.body };
      this.logger.warn(`skipping invalid snapshot ${file.path}: ${decoded.reason}`);
    }
    return null;
  }

  /** Zxids of the snapshot files, ascending (not verified). */
  list(): bigint[] {
    return listZxidFiles(this.dir, SNAPSHOT_PREFIX).map((file) => file.zxid);
  }

  private removeLeftoverTemps(): void {
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.startsWith(SNAPSHOT_PREFIX) || !name.endsWith(TMP_SUFFIX)) continue;
      this.logger.info(`removing unfinished snapshot ${name}`);
      fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }
}

/** Header, streamed body with a running CRC, trailer, fsync. Removes the file if anything fails. */
async function writeSnapshotFile(
  filePath: string,
  zxid: bigint,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<void> {
  const handle = await fsp.open(filePath, 'w');
  try {
    let position = await writeFully(handle, [encodeSnapshotHeader(zxid)], 0);
    let bodyCrc = 0;
    let bodyBytes = 0;
    for await (const chunk of chunks) {
      bodyBytes += chunk.length;
      assert(bodyBytes <= SNAPSHOT_BODY_BYTES_MAX, `snapshot body exceeds ${SNAPSHOT_BODY_BYTES_MAX} bytes`);
      bodyCrc = crc32(chunk, bodyCrc);
      position += await writeFully(handle, [chunk], position);
    }
    await writeFully(handle, [encodeSnapshotTrailer(bodyCrc, bodyBytes)], position);
    await handle.datasync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fsp.rm(filePath, { force: true });
    throw error;
  }
}
