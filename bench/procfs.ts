/**
 * What the benchmark reads about a server process from Linux's /proc: CPU seconds used so far (user + system,
 * all threads) and resident memory. Both are read the same way for Herd (node) and ZooKeeper (java), so the
 * numbers compare like for like.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Fields of /proc/<pid>/stat counted after the ")" that closes the command name (which may hold spaces). */
const statUtimeIndex = 11; // field 14 overall
const statStimeIndex = 12; // field 15 overall
const clockTicksPerSecondDefault = 100;

let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      clockTicksPerSecond = clockTicksPerSecondDefault;
    }
    if (!Number.isFinite(clockTicksPerSecond) || clockTicksPerSecond <= 0) clockTicksPerSecond = clockTicksPerSecondDefault;
  }
  return clockTicksPerSecond;
}

/** User + system CPU seconds the process has used since it started. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[statUtimeIndex]) + Number(fields[statStimeIndex]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot parse /proc/${pid}/stat: ${stat}`);
  return ticks / ticksPerSecond();
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}
