/**
 * Stat as JSON for tools (the CLI's --json, the web console's API): 64-bit ids as "0x…" strings, because JSON
 * numbers lose precision past 2^53; times as epoch milliseconds.
 */
import type { Stat } from "../jute/records.js";

export interface StatJson {
  czxid: string;
  mzxid: string;
  pzxid: string;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;

export function statJson(stat: Stat): StatJson {
  return {
    czxid: hex(stat.czxid),
    mzxid: hex(stat.mzxid),
    pzxid: hex(stat.pzxid),
    ctime: Number(stat.ctime),
    mtime: Number(stat.mtime),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: hex(stat.ephemeralOwner),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
  };
}
