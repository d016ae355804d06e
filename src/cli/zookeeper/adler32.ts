/**
 * Adler-32, the checksum ZooKeeper puts on txn log entries and snapshot files (java.util.zip.Adler32).
 * Node's zlib does not expose it, and it is a dozen lines.
 */
const MOD_ADLER = 65521;
/** Largest run of bytes whose sums cannot overflow a double's exact integer range before reducing. */
const BLOCK_BYTES = 5552;

export function adler32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let a = 1;
  let b = 0;
  for (let i = start; i < end; ) {
    const blockEnd = Math.min(end, i + BLOCK_BYTES);
    for (; i < blockEnd; i++) {
      a += bytes[i];
      b += a;
    }
    a %= MOD_ADLER;
    b %= MOD_ADLER;
  }
  return b * 65536 + a;
}
