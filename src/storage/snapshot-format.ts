// Byte format of a snapshot file (our own, big-endian):
//
//   file    := header body trailer
//   header  := magic "HRDS" (4 bytes) | version int32 | zxid int64                  = 16 bytes
//   body    := the caller's chunks, concatenated
//   trailer := crc uint32 (CRC32 of body) | body length int64                       = 12 bytes
//
// The trailer is written last, so a file cut short anywhere fails the length or checksum check.
import { crc32 } from 'node:zlib';

export const SNAPSHOT_MAGIC = 'HRDS';
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_HEADER_BYTES = 16;
export const SNAPSHOT_TRAILER_BYTES = 12;
/** readFileSync cannot return more than 2 GiB - 1 bytes; the whole file has to fit. */
export const SNAPSHOT_BODY_BYTES_MAX = 2 ** 31 - 1 - SNAPSHOT_HEADER_BYTES - SNAPSHOT_TRAILER_BYTES;

export function encodeSnapshotHeader(zxid: bigint): Buffer {
  const header = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
  header.write(SNAPSHOT_MAGIC, 0, 'latin1');
  header.writeInt32BE(SNAPSHOT_VERSION, 4);
  header.writeBigInt64BE(zxid, 8);
  return header;
}

export function encodeSnapshotTrailer(bodyCrc: number, bodyBytes: number): Buffer {
  const trailer = Buffer.alloc(SNAPSHOT_TRAILER_BYTES);
  trailer.writeUInt32BE(bodyCrc, 0);
  trailer.writeBigInt64BE(BigInt(bodyBytes), 4);
  return trailer;
}

export type SnapshotDecode = { ok: true; body: Buffer } | { ok: false; reason: string };

/** Checks a whole snapshot file named for expectedZxid; the body is a view into file. */
export function decodeSnapshot(file: Buffer, expectedZxid: bigint): SnapshotDecode {
  if (file.length < SNAPSHOT_HEADER_BYTES + SNAPSHOT_TRAILER_BYTES) {
    return { ok: false, reason: `only ${file.length} bytes` };
  }
  if (!file.subarray(0, 8).equals(encodeSnapshotHeader(0n).subarray(0, 8))) {
    return { ok: false, reason: 'bad magic or version' };
  }
  const zxid = file.readBigInt64BE(8);
  if (zxid !== expectedZxid) return { ok: false, reason: `header zxid 0x${zxid.toString(16)} differs from its name` };
  const trailerStart = file.length - SNAPSHOT_TRAILER_BYTES;
  const bodyBytes = file.readBigInt64BE(trailerStart + 4);
  const actualBodyBytes = trailerStart - SNAPSHOT_HEADER_BYTES;
  if (bodyBytes !== BigInt(actualBodyBytes)) {
    return { ok: false, reason: `trailer says ${bodyBytes} body bytes, file has ${actualBodyBytes}` };
  }
  const body = file.subarray(SNAPSHOT_HEADER_BYTES, trailerStart);
  if (crc32(body) !== file.readUInt32BE(trailerStart)) return { ok: false, reason: 'bad body checksum' };
  return { ok: true, body };
}
