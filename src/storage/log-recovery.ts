// Start-up recovery of a txn log directory: validate every file, cut a torn tail off the newest one, and remove
// trailing files that hold no record (a crash right after creating a file), so that the next file we create
// never collides with, or sorts before, a leftover name.
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
}

export function recoverLogDir(dir: string, logger: Logger): LogFileState[] {
  const listed = listZxidFiles(dir, LOG_PREFIX);
  const files = listed.map((file, index) => recoverFile(file.path, file.zxid, index === listed.length - 1, logger));
  while (files.length > 0 && files[files.length - 1]!.lastZxid === null) {
    const empty = files.pop()!;
    logger.warn(`removing txn log ${empty.path}: it holds no complete record (crash while it was created)`);
    fs.unlinkSync(empty.path);
    fsyncDirSync(dir);
  }
  checkFileOrder(files);
  return files;
}

function recoverFile(path: string, startZxid: bigint, isNewest: boolean, logger: Logger): LogFileState {
  const bytes = fs.readFileSync(path);
  const scan = scanLogFile(bytes, path, startZxid, isNewest);
  if (scan.validBytes < bytes.length && scan.recordCount > 0) {
    logger.warn(
      `truncating torn tail of txn log ${path} at offset ${scan.validBytes} ` +
        `(${bytes.length - scan.validBytes} bytes, ${scan.tornReason}); last zxid 0x${scan.lastZxid!.toString(16)}`,
    );
    truncateDurably(path, scan.validBytes);
  }
  return { startZxid, path, durableBytes: scan.validBytes, lastZxid: scan.lastZxid };
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

/** log.X holds txns in [X, start of the next file): a record past that means the names or contents are wrong. */
function checkFileOrder(files: LogFileState[]): void {
  for (let i = 0; i + 1 < files.length; i++) {
    const file = files[i]!;
    const next = files[i + 1]!;
    if (next.startZxid === file.startZxid) {
      throw new CorruptLogError(next.path, 0, `same start zxid as ${file.path}`);
    }
    if (file.lastZxid !== null && file.lastZxid >= next.startZxid) {
      throw new CorruptLogError(file.path, 0, `holds zxid ${file.lastZxid}, not below the next file ${next.path}`);
    }
  }
}
