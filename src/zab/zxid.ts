/**
 * zxid arithmetic: a zxid is `epoch << 32 | counter` (shared/reference §14). The epoch is kept below 2^31 so a
 * zxid stays a non-negative signed 64-bit value on every wire and file format that carries it.
 */
import { assert } from "../base/assert.js";

/** Highest epoch a leader may establish: the zxid must stay positive as a signed 64-bit integer. */
export const EPOCH_MAX = 0x7fffffff;
/** Highest counter the zxid format can hold; ZooKeeper never assigns it (it forces a new epoch first). */
export const COUNTER_MAX = 0xffffffff;
/** Default highest counter a leader assigns before it steps down to force a new epoch. */
export const COUNTER_LIMIT_DEFAULT = COUNTER_MAX - 1;

export function makeZxid(epoch: number, counter: number): bigint {
  assert(Number.isInteger(epoch) && epoch >= 0 && epoch <= EPOCH_MAX, `epoch ${epoch} out of range`);
  assert(Number.isInteger(counter) && counter >= 0 && counter <= COUNTER_MAX, `counter ${counter} out of range`);
  return (BigInt(epoch) << 32n) | BigInt(counter);
}

export function epochOf(zxid: bigint): number {
  return Number(zxid >> 32n);
}

export function counterOf(zxid: bigint): number {
  return Number(zxid & 0xffffffffn);
}

/** `0x<epoch>_<counter>` in hex: readable in transcripts and greppable against ZooKeeper's `0x...` logs. */
export function formatZxid(zxid: bigint): string {
  if (zxid < 0n) return zxid.toString();
  return `0x${epochOf(zxid).toString(16)}_${counterOf(zxid).toString(16).padStart(8, "0")}`;
}
