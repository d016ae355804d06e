// Byte format of a txn log file (our own, big-endian):
//
//   file   := header record*
//   header := magic "HRDL" (4 bytes) | version int32 | reserved int64 (zero)          = 16 bytes
//   record := crc uint32 | length int32 | zxid int64 | payload (length bytes)         = 16 + length bytes
//
// crc is CRC32 over the 8 zxid bytes followed by the payload, so a flipped bit in the zxid or the payload is
// caught; a flipped bit in the length field is caught because the checksum then covers the wrong bytes.
import { crc32 } from 'node:zlib';
import { writeInt64BE } from '../base/bytes.js';

export const LOG_MAGIC = 'HRDL';
export const LOG_VERSION = 1;
export const LOG_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 16;
/** Larger payloads are refused on append, and a length field above this is read as corruption. */
export const PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;

export class CorruptLogError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`corrupt txn log ${file} at offset ${offset}: ${reason}`);
    this.name = 'CorruptLogError';
  }
}

export function encodeLogHeader(): Buffer {
  const header = Buffer.alloc(LOG_HEADER_BYTES);
  header.write(LOG_MAGIC, 0, 'latin1');
  header.writeInt32BE(LOG_VERSION, 4);
  return header;
}

export function recordChecksum(zxidBytes: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(zxidBytes));
}

/**
 * Writes one whole record (header, then payload) into out at offset and returns the offset after it. The
 * checksum covers the zxid and payload, which sit side by side in the record: one crc32 pass over both.
 */
export function encodeRecordAt(out: Buffer, offset: number, zxid: bigint, payload: Buffer): number {
  const end = offset + RECORD_HEADER_BYTES + payload.length;
  out.writeInt32BE(payload.length, offset + 4);
  writeInt64BE(out, zxid, offset + 8);
  payload.copy(out, offset + RECORD_HEADER_BYTES);
  out.writeUInt32BE(crc32(out.subarray(offset + 8, end)), offset);
  return end;
}

export type HeaderCheck = 'ok' | 'torn' | 'bad';

/** 'torn' is what a crash while creating the file leaves: a prefix of the header, or zeros where it should be. */
export function checkLogHeader(file: Buffer): HeaderCheck {
  const expected = encodeLogHeader();
  if (file.length >= LOG_HEADER_BYTES && file.subarray(0, 8).equals(expected.subarray(0, 8))) return 'ok';
  const head = file.subarray(0, Math.min(file.length, LOG_HEADER_BYTES));
  const isPrefix = file.length < LOG_HEADER_BYTES && head.equals(expected.subarray(0, head.length));
  return isPrefix || head.every((byte) => byte === 0) ? 'torn' : 'bad';
}

export type RecordRead =
  | { kind: 'record'; zxid: bigint; payload: Buffer; end: number }
  | { kind: 'bad'; reason: string };

/** Decodes the record at offset. The payload is a view into file: copy it to keep it. */
export function readRecordAt(file: Buffer, offset: number): RecordRead {
  const remaining = file.length - offset;
  if (remaining < RECORD_HEADER_BYTES) return { kind: 'bad', reason: `partial record header (${remaining} bytes)` };
  const length = file.readInt32BE(offset + 4);
  if (length < 0 || length > PAYLOAD_BYTES_MAX || length > remaining - RECORD_HEADER_BYTES) {
    return { kind: 'bad', reason: `record length ${length} with ${remaining - RECORD_HEADER_BYTES} bytes left` };
  }
  const zxidBytes = file.subarray(offset + 8, offset + 16);
  const end = offset + RECORD_HEADER_BYTES + length;
  const payload = file.subarray(offset + RECORD_HEADER_BYTES, end);
  if (recordChecksum(zxidBytes, payload) !== file.readUInt32BE(offset)) return { kind: 'bad', reason: 'bad checksum' };
  return { kind: 'record', zxid: zxidBytes.readBigInt64BE(0), payload, end };
}
