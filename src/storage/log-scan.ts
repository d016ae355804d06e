// Validation of a whole log file at start-up, and the difference between a torn tail and corruption.
//
// A crash in the middle of a batch write can only damage the end of the newest file (batches are appended and
// fdatasynced before the next one starts, and a file is created only after the previous one is complete). So
// a bad record is a torn tail when it is in the newest file and no valid record follows it anywhere; then the
// bytes from it on were never acknowledged and are cut. Anything else is corruption of acknowledged data and
// start-up must stop rather than silently drop txns.
import {
  CorruptLogError,
  LOG_HEADER_BYTES,
  PAYLOAD_BYTES_MAX,
  RECORD_HEADER_BYTES,
  checkLogHeader,
  readRecordAt,
} from './log-format.js';

export interface LogScan {
  recordCount: number;
  /** Zxid of the last valid record, null when there is none. */
  lastZxid: bigint | null;
  /** Length of the valid prefix; less than the file's length when a torn tail must be cut or zeros follow. */
  validBytes: number;
  /** Why the tail must be cut, when it must (null too when only preallocated zeros follow the records). */
  tornReason: string | null;
}

/** Records in log.<startZxid> must have zxids >= startZxid, strictly increasing. */
export function scanLogFile(file: Buffer, path: string, startZxid: bigint, isNewest: boolean): LogScan {
  const header = checkLogHeader(file);
  if (header !== 'ok') {
    const reason = header === 'torn' ? 'torn file header' : 'bad file header (magic or version)';
    return tornOrCorrupt(file, path, 0, startZxid - 1n, isNewest && header === 'torn', reason, emptyScan());
  }
  const scan: LogScan = { ...emptyScan(), validBytes: LOG_HEADER_BYTES };
  let offset = LOG_HEADER_BYTES;
  while (offset < file.length) {
    const record = readRecordAt(file, offset);
    if (record.kind === 'bad') {
      if (isZeroFrom(file, offset)) return scan; // preallocated space: the records end here
      return tornOrCorrupt(file, path, offset, scan.lastZxid ?? startZxid - 1n, isNewest, record.reason, scan);
    }
    const floor = scan.lastZxid ?? startZxid - 1n;
    if (record.zxid <= floor) throw new CorruptLogError(path, offset, `zxid ${record.zxid} not above ${floor}`);
    scan.recordCount++;
    scan.lastZxid = record.zxid;
    offset = record.end;
    scan.validBytes = offset;
  }
  return scan;
}

/** True when every byte from offset on is zero: the log's preallocated, never written space. */
function isZeroFrom(file: Buffer, offset: number): boolean {
  for (let i = offset; i < file.length; i += ZEROS.length) {
    const chunk = file.subarray(i, Math.min(i + ZEROS.length, file.length));
    if (!chunk.equals(ZEROS.subarray(0, chunk.length))) return false;
  }
  return true;
}

/** Compared a chunk at a time (memcmp), since the preallocated tail is megabytes long. */
const ZEROS = Buffer.alloc(64 * 1024);

function emptyScan(): LogScan {
  return { recordCount: 0, lastZxid: null, validBytes: 0, tornReason: null };
}

function tornOrCorrupt(
  file: Buffer,
  path: string,
  offset: number,
  floorZxid: bigint,
  mayBeTorn: boolean,
  reason: string,
  scanSoFar: LogScan,
): LogScan {
  if (!mayBeTorn) throw new CorruptLogError(path, offset, reason);
  const later = findValidRecord(file, offset + 1, floorZxid);
  if (later !== null) throw new CorruptLogError(path, offset, `${reason}, yet a valid record follows at ${later}`);
  return { ...scanSoFar, validBytes: offset, tornReason: reason };
}

/**
 * Looks at every byte offset from `from` for a record with a valid checksum and a zxid above floorZxid.
 * Byte by byte because a damaged length field leaves no way to find the next record boundary. Cheap checks
 * (length fits, zxid above the floor) reject nearly every offset before a checksum is computed.
 */
export function findValidRecord(file: Buffer, from: number, floorZxid: bigint): number | null {
  for (let offset = from; offset + RECORD_HEADER_BYTES <= file.length; offset++) {
    const length = file.readInt32BE(offset + 4);
    if (length < 0 || length > PAYLOAD_BYTES_MAX || offset + RECORD_HEADER_BYTES + length > file.length) continue;
    if (file.readBigInt64BE(offset + 8) <= floorZxid) continue;
    if (readRecordAt(file, offset).kind === 'record') return offset;
  }
  return null;
}

/** Records of an already validated file prefix; a bad one now means the file changed under us. */
export function* recordsIn(file: Buffer, path: string): Generator<{ zxid: bigint; payload: Buffer }> {
  if (checkLogHeader(file) !== 'ok') throw new CorruptLogError(path, 0, 'bad file header');
  let offset = LOG_HEADER_BYTES;
  while (offset < file.length) {
    const record = readRecordAt(file, offset);
    if (record.kind === 'bad') throw new CorruptLogError(path, offset, record.reason);
    yield { zxid: record.zxid, payload: record.payload };
    offset = record.end;
  }
}
