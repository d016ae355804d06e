/**
 * The state machine the simulator replicates: an append-only list of payload keys with a rolling digest,
 * so two servers agree on a zxid exactly when they applied the same sequence up to it.
 */
import { createHash } from "node:crypto";
import type { Entry } from "../../src/zab/index.js";
import { formatZxid } from "../../src/zab/index.js";

export interface SmState {
  zxid: bigint;
  digest: string;
  /** [zxid, payload] of every applied entry, in order. */
  applied: [bigint, string][];
}

export function genesis(): SmState {
  return { zxid: 0n, digest: "genesis", applied: [] };
}

export function applyEntry(state: SmState, entry: Entry): void {
  if (entry.zxid <= state.zxid) {
    throw new Error(`state machine: apply ${formatZxid(entry.zxid)} after ${formatZxid(state.zxid)} (zxids must increase)`);
  }
  const payload = entry.payload.toString("utf8");
  state.digest = createHash("sha1").update(state.digest).update(entry.zxid.toString(16)).update(payload).digest("hex").slice(0, 16);
  state.zxid = entry.zxid;
  state.applied.push([entry.zxid, payload]);
}

export function copyState(state: SmState): SmState {
  return { zxid: state.zxid, digest: state.digest, applied: [...state.applied] };
}

export function encodeState(state: SmState): Buffer {
  return Buffer.from(JSON.stringify({ zxid: state.zxid.toString(), digest: state.digest,
    applied: state.applied.map(([z, p]) => [z.toString(), p]) }));
}

export function decodeState(bytes: Buffer): SmState {
  const raw = JSON.parse(bytes.toString("utf8")) as { zxid: string; digest: string; applied: [string, string][] };
  return { zxid: BigInt(raw.zxid), digest: raw.digest, applied: raw.applied.map(([z, p]) => [BigInt(z), p]) };
}

/** A copy of `base` with `entries` applied on top (rebuilding a state after a truncation). */
export function replay(base: SmState, entries: readonly Entry[]): SmState {
  const state = copyState(base);
  for (const e of entries) applyEntry(state, e);
  return state;
}
