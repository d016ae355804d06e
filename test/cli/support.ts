/**
 * Helpers for the `herd cli` / `herd snapshot` / `herd import-zookeeper` tests: run the real `herd` binary
 * (dist/src/bin/herd.js) as a child process, one-shot or interactive, with HOME pointed at a scratch
 * directory (so the shell's history file is ours) and TZ=UTC (so printed dates are predictable).
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { InteractiveProgram, runProgram, type RunResult } from "../helpers/process-io.js";
import { repoRoot } from "../helpers/interop-tools.js";
import { startHerd, type ServerProcess } from "../helpers/server-process.js";
import type { Stat, ZooKeeperClient } from "../../src/client/index.js";
import { parseCliArgs, runOnce } from "../../src/cli/index.js";

export const herdBin = path.join(repoRoot, "dist", "src", "bin", "herd.js");
export const cliTimeoutMs = 20_000;

export function scratchHome(): string {
  return mkdtempSync(path.join(os.tmpdir(), "herd-cli-home-"));
}

export function cliEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: home, TZ: "UTC" };
}

/** `herd <args…>` to completion. */
export function herd(args: readonly string[], opts: { input?: string; home?: string } = {}): Promise<RunResult> {
  return runProgram(process.execPath, [herdBin, ...args], {
    input: opts.input,
    timeoutMs: cliTimeoutMs,
    env: cliEnv(opts.home ?? scratchHome()),
  });
}

/** `herd cli -server <cs> <command…>` to completion. */
export function cli(connectString: string, ...command: string[]): Promise<RunResult> {
  return herd(["cli", "-server", connectString, ...command]);
}

/** Runs a one-shot command that must succeed; returns its stdout. */
export async function cliOk(connectString: string, ...command: string[]): Promise<string> {
  const r = await cli(connectString, ...command);
  assert.equal(r.code, 0, `herd cli ${command.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

export function interactiveCli(connectString: string, home: string, extra: string[] = []): InteractiveProgram {
  return new InteractiveProgram(process.execPath, [herdBin, "cli", "-server", connectString, ...extra], cliEnv(home));
}

const weekdayMonth = /^(\w{3}), (\d{2}) (\w{3}) (\d{4}) (\d{2}:\d{2}:\d{2}) GMT$/;

/** java.util.Date#toString in UTC, built from toUTCString: "Mon Nov 30 21:53:41 UTC 2026". */
export function javaUtcDate(ms: bigint): string {
  const m = weekdayMonth.exec(new Date(Number(ms)).toUTCString());
  assert.ok(m, "unexpected toUTCString format");
  return `${m[1]} ${m[3]} ${m[2]} ${m[5]} UTC ${m[4]}`;
}

/** The eleven lines zkCli prints for a Stat, computed independently of the CLI's formatter. */
export function expectedStatText(stat: Stat): string {
  const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;
  return [
    `cZxid = ${hex(stat.czxid)}`, `ctime = ${javaUtcDate(stat.ctime)}`,
    `mZxid = ${hex(stat.mzxid)}`, `mtime = ${javaUtcDate(stat.mtime)}`,
    `pZxid = ${hex(stat.pzxid)}`, `cversion = ${stat.cversion}`, `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`, `ephemeralOwner = ${hex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`, `numChildren = ${stat.numChildren}`,
  ].map((l) => `${l}\n`).join("");
}

export interface OneShotResult { code: number; stdout: string; stderr: string }

/**
 * One-shot mode in this process: the same code path as `herd cli -server cs <words…>` after argv parsing
 * (connect, run, close), writing into buffers. Spawning node per command costs ~0.5 s; this costs a session.
 */
export async function oneShot(connectString: string, ...words: string[]): Promise<OneShotResult> {
  let stdout = "";
  let stderr = "";
  const code = await runOnce(parseCliArgs(["-server", connectString, ...words]), {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
  });
  return { code, stdout, stderr };
}

/** One-shot in this process; must succeed; returns stdout. */
export async function oneShotOk(connectString: string, ...words: string[]): Promise<string> {
  const r = await oneShot(connectString, ...words);
  assert.equal(r.code, 0, `${words.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

export interface NodeSnapshot {
  data: string;
  acl: string;
  ephemeral: boolean;
  stat: Stat;
}

/** Every node under "/" except the /zookeeper subtree: base64 data, ACL text, ephemeral flag. */
export async function readTree(zk: ZooKeeperClient): Promise<Map<string, NodeSnapshot>> {
  const tree = new Map<string, NodeSnapshot>();
  const queue = ["/"];
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i];
    const [{ data, stat }, { acl }, children] = await Promise.all([zk.getData(p), zk.getACL(p), zk.getChildren(p)]);
    const aclText = acl.map((a) => `${a.id.scheme}:${a.id.id}:${a.perms}`).sort().join(",");
    tree.set(p, { data: data.toString("base64"), acl: aclText, ephemeral: stat.ephemeralOwner !== 0n, stat });
    for (const c of children.sort()) {
      const child = p === "/" ? `/${c}` : `${p}/${c}`;
      if (child !== "/zookeeper") queue.push(child);
    }
  }
  return tree;
}

/** The tree without ephemeral nodes, as a sorted list for a readable deepEqual diff. */
export function persistentNodes(tree: Map<string, NodeSnapshot>): [string, string, string][] {
  return [...tree.entries()].filter(([, n]) => !n.ephemeral).map(([p, n]): [string, string, string] => [p, n.data, n.acl])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Starts `count` Herd servers at once; if any fails, stops those that started before rethrowing, so no
 * server outlives a failed `before` hook (and keeps the test process alive).
 */
export async function startHerds(count: number): Promise<ServerProcess[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => startHerd()));
  const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure !== undefined) {
    await Promise.all(started.map((s) => s.stop()));
    throw failure.reason;
  }
  return started;
}
