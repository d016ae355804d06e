// Start-up recovery of a txn log directory: validate the newest file and cut a torn tail off it, and remove
// trailing files that hold no record (a crash right after creating a file), so that the next file we create
// never collides with, or sorts before, a leftover name. Older files are validated when first read.
import * as fs from 'node:fs';
import { LOG_PREFIX, listZxidFiles } from './file-names.js';
import { fsyncDirSync } from './fs-durable.js';
import { CorruptLogError } from './log-format.js';
import { scanLogFile } from './log-scan.js';
import type { Logger } from './logger.js';

/** A log file as TxnLog knows it: readers never look past durableBytes. */
export interface LogFileState {
  startZxid: bigint;
  path: string;
  durableBytes: number;
  lastZxid: bigint | null;
  /**
   * Whether the file has been read and validated. Only the newest file is at start-up (it may have a torn tail
   * to cut); older ones are complete by construction and are validated when first read, as ZooKeeper reads only
   * the logs it needs: a restart does not checksum a history that a snapshot already covers.
   */
  scanned: boolean;
}

export function recoverLogDir(dir: string, logger: Logger): LogFileState[] {
  const files: LogFileState[] = listZxidFiles(dir, LOG_PREFIX).map((file) => ({
    startZxid: file.zxid, path: file.path, durableBytes: 0, lastZxid: null, scanned: false,
  }));
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.startZxid === files[i - 1]!.startZxid) throw new CorruptLogError(files[i]!.path, 0, `same start zxid as ${files[i - 1]!.path}`);
  }
  for (let isNewest = true; files.length > 0; isNewest = false) {
    const newest = files[files.length - 1]!;
    recoverFile(newest, isNewest, logger);
    if (newest.lastZxid !== null) break;
    logger.warn(`removing txn log ${newest.path}: it holds no complete record (crash while it was created)`);
    fs.unlinkSync(newest.path);
    fsyncDirSync(dir);
    files.pop();
  }
  return files;
}

/** Reads and validates an older file the first time it is needed; `next` is the file after it, if any. */
export function ensureScanned(file: LogFileState, next: LogFileState | undefined, logger: Logger): void {
  if (file.scanned) return;
  recoverFile(file, false, logger);
  // log.X holds txns in [X, start of the next file): a record past that means the names or contents are wrong.
  if (next !== undefined && file.lastZxid !== null && file.lastZxid >= next.startZxid) {
    throw new CorruptLogError(file.path, 0, `holds zxid ${file.lastZxid}, not below the next file ${next.path}`);
  }
}

function recoverFile(file: LogFileState, isNewest: boolean, logger: Logger): void {
  const bytes = fs.readFileSync(file.path);
  const scan = scanLogFile(bytes, file.path, file.startZxid, isNewest);
  if (scan.tornReason !== null && scan.recordCount > 0) {
    logger.warn(
      `truncating torn tail of txn log ${file.path} at offset ${scan.validBytes} ` +
        `(${bytes.length - scan.validBytes} bytes, ${scan.tornReason}); last zxid 0x${scan.lastZxid!.toString(16)}`,
    );
    truncateDurably(file.path, scan.validBytes);
  }
  file.durableBytes = scan.validBytes;
  file.lastZxid = scan.lastZxid;
  file.scanned = true;
}

function truncateDurably(path: string, length: number): void {
  const fd = fs.openSync(path, 'r+');
  try {
    fs.ftruncateSync(fd, length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
