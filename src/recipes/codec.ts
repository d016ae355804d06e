/**
 * The byte formats recipes share with Curator, so Java and Node read each other's nodes: SharedCount's 4-byte
 * and DistributedAtomicLong's 8-byte big-endian integers, and the DistributedQueue item envelope
 * (Curator's ItemSerializer: int32 version 0x00010001, then per item `0x01, int32 length, bytes`, then `0x02`).
 */
import type { NodeData } from "../client/index.js";

/** Node data as a Buffer (strings as UTF-8), or null. */
export function toNodeBuffer(data: NodeData): Buffer | null {
  if (data === null) return null;
  if (typeof data === "string") return Buffer.from(data, "utf8");
  return Buffer.isBuffer(data) ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** SharedCount's value: big-endian signed 32-bit. */
export function encodeInt32(value: number): Buffer {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw new RangeError(`not a 32-bit integer: ${value}`);
  const out = Buffer.alloc(4);
  out.writeInt32BE(value);
  return out;
}

/** Reads SharedCount's value; anything but 4 bytes is corrupt. */
export function decodeInt32(bytes: Buffer, path: string): number {
  if (bytes.length !== 4) throw new Error(`${path}: expected a 4-byte count, found ${bytes.length} bytes`);
  return bytes.readInt32BE(0);
}

/** DistributedAtomicLong's value: big-endian signed 64-bit. */
export function encodeInt64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64BE(BigInt.asIntN(64, value));
  return out;
}

/** Reads DistributedAtomicLong's value. Empty (or missing) data reads as 0, as in Curator; anything but 8 bytes is corrupt. */
export function decodeInt64(bytes: Buffer | null, path: string): bigint {
  if (bytes === null || bytes.length === 0) return 0n;
  if (bytes.length !== 8) throw new Error(`${path}: expected an 8-byte long, found ${bytes.length} bytes`);
  return bytes.readBigInt64BE(0);
}

const ITEMS_VERSION = 0x00010001;
const ITEM_OPCODE = 0x01;
const EOF_OPCODE = 0x02;
/** More items than any 1 MiB znode could hold with their 5-byte headers. */
export const QUEUE_ITEMS_PER_NODE_MAX = 1024 * 1024 / 5;

/** Items in Curator's queue envelope. */
export function encodeQueueItems(items: readonly Buffer[]): Buffer {
  if (items.length > QUEUE_ITEMS_PER_NODE_MAX) throw new RangeError(`at most ${QUEUE_ITEMS_PER_NODE_MAX} items per node`);
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeInt32BE(ITEMS_VERSION);
  for (const item of items) {
    const header = Buffer.alloc(5);
    header.writeUInt8(ITEM_OPCODE, 0);
    header.writeInt32BE(item.length, 1);
    parts.push(header, item);
  }
  parts.push(Buffer.from([EOF_OPCODE]));
  return Buffer.concat(parts);
}

/** The items of one queue node; throws on anything that is not the envelope. */
export function decodeQueueItems(bytes: Buffer, path: string): Buffer[] {
  const fail = (why: string): never => {
    throw new Error(`${path}: corrupt queue item (${why})`);
  };
  if (bytes.length < 5) fail("too short");
  if (bytes.readInt32BE(0) !== ITEMS_VERSION) fail(`version ${bytes.readInt32BE(0)}`);
  const items: Buffer[] = [];
  let at = 4;
  for (;;) {
    if (at >= bytes.length) fail("no end marker");
    const opcode = bytes[at];
    if (opcode === EOF_OPCODE) return items;
    if (opcode !== ITEM_OPCODE) fail(`opcode ${opcode}`);
    if (at + 5 > bytes.length) fail("truncated item header");
    const size = bytes.readInt32BE(at + 1);
    if (size < 0 || at + 5 + size > bytes.length) fail(`bad size ${size}`);
    items.push(Buffer.from(bytes.subarray(at + 5, at + 5 + size)));
    at += 5 + size;
  }
}
