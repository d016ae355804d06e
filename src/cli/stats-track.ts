/**
 * The text zkCli keeps in quota nodes (ZooKeeper's "StatsTrack" format), read and written by `setquota`,
 * `listquota` and `delquota` byte for byte as zkCli 3.8 does:
 *
 *   zookeeper_limits   count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1
 *   zookeeper_stats    count=0,bytes=0            (zkCli writes this; the server then keeps it current)
 *
 * `count` and `bytes` always come first; any other keys follow in sorted order after an extra `=` (which makes
 * pre-3.7 parsers ignore them). Values are Java longs, so they are bigints here: `setquota -b` takes any long.
 * Pairs are separated by runs of `,` or `;`, and an empty value means -1 ("unset").
 */

import { QUOTA_LIMITS_NODE, QUOTA_STATS_NODE, QUOTA_ZNODE } from "../tree/quotas.js";

/** Where quota nodes live, and the names of a quota's two nodes: the server's own constants. */
export const QUOTA_ROOT = QUOTA_ZNODE;
export const LIMITS_NODE = QUOTA_LIMITS_NODE;
export const STATS_NODE = QUOTA_STATS_NODE;

export type StatsKey = "count" | "bytes" | "countHardLimit" | "byteHardLimit";

/** Parsed quota text: key → value, only the keys present (absent reads as -1). Insertion order is irrelevant. */
export type StatsTrack = Map<string, bigint>;

export class StatsTrackSyntaxError extends Error {
  constructor(text: string, reason: string) {
    super(`cannot parse quota data "${text}": ${reason}`);
    this.name = "StatsTrackSyntaxError";
  }
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Parses quota node data; empty text is an empty track. Throws StatsTrackSyntaxError for what zkCli cannot read. */
export function parseStatsTrack(text: string): StatsTrack {
  const track: StatsTrack = new Map();
  if (text === "") return track;
  for (const pair of text.split(/[,;]+/)) {
    // Java's String#split drops trailing empty parts: "bytes=-1=" is ["bytes", "-1"], "count=" is ["count"].
    const parts = pair.split("=");
    while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
    if (parts.length === 0 || !pair.includes("=")) throw new StatsTrackSyntaxError(text, `"${pair}" is not key=value`);
    const valueText = parts.length === 1 || parts[1] === "" ? "-1" : parts[1];
    track.set(parts[0], javaLong(text, valueText));
  }
  return track;
}

/** Long.parseLong: optional sign, decimal digits, within range. */
function javaLong(text: string, value: string): bigint {
  if (!/^[+-]?\d+$/.test(value)) throw new StatsTrackSyntaxError(text, `"${value}" is not a number`);
  const n = BigInt(value);
  if (n < LONG_MIN || n > LONG_MAX) throw new StatsTrackSyntaxError(text, `${value} is out of range`);
  return n;
}

export function statsValue(track: StatsTrack, key: StatsKey): bigint {
  return track.get(key) ?? -1n;
}

/** The quota text for `track`, as zkCli writes it (and prints it in `listquota`). */
export function formatStatsTrack(track: StatsTrack): string {
  const head = `count=${statsValue(track, "count")},bytes=${statsValue(track, "bytes")}`;
  // Java's Collections.sort on Strings: UTF-16 code unit order, which is what `<` on JS strings compares.
  const extra = [...track.keys()].filter((k) => k !== "count" && k !== "bytes").sort();
  if (extra.length === 0) return head;
  return `${head}=${extra.map((k) => `;${k}=${track.get(k)}`).join("")}`;
}

/** Limits for a new quota: every key present, unset ones as -1 (zkCli's setquota writes all four). */
export function newLimits(values: Partial<Record<StatsKey, bigint>>): StatsTrack {
  const keys: StatsKey[] = ["count", "bytes", "countHardLimit", "byteHardLimit"];
  return new Map(keys.map((k): [string, bigint] => [k, values[k] ?? -1n]));
}

/** The stats text zkCli creates a quota with; the server recounts it as soon as the node exists. */
export const INITIAL_STATS_TEXT = "count=0,bytes=0";

/** `/zookeeper/quota<path>`: no separator is added, so "q" gives "/zookeeper/quotaq" as in zkCli. */
export function quotaDir(path: string): string {
  return `${QUOTA_ROOT}${path}`;
}

export function limitsPath(path: string): string {
  return `${quotaDir(path)}/${LIMITS_NODE}`;
}

export function statsPath(path: string): string {
  return `${quotaDir(path)}/${STATS_NODE}`;
}

/** A quota directory's path back to the znode path it is for. */
export function quotaTarget(quotaDirPath: string): string {
  return quotaDirPath.startsWith(QUOTA_ROOT) ? quotaDirPath.slice(QUOTA_ROOT.length) : quotaDirPath;
}

/** A JSON-able view of a track: numbers where they are exact, decimal strings beyond 2^53. */
export function statsTrackJson(track: StatsTrack): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of track) out[k] = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return out;
}
