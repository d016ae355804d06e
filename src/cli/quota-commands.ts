/**
 * zkCli's quota commands: `setquota -n|-b|-N|-B val path`, `listquota path`, `delquota [-n|-b|-N|-B] path`.
 *
 * A quota is two nodes the client writes under /zookeeper/quota<path> (see stats-track.ts for their text):
 * zookeeper_limits (what setquota/delquota edit) and zookeeper_stats (created as "count=0,bytes=0"; from then
 * on the server keeps it current). The directories on the way there are plain persistent nodes with null data.
 * As in zkCli, a quota may not be set on a path that has a quota above or below it, and removing a whole quota
 * also removes the directories it leaves empty. Messages, and the stream each goes to, are zkCli 3.8's.
 */
import { NoNodeError, NodeExistsError, OPEN_ACL_UNSAFE, type ZooKeeperClient } from "../client/index.js";
import { CommandFailure, UsageError, checkPath, type ParsedArgs } from "./args.js";
import { command, visitSubtree, type CommandContext } from "./commands.js";
import {
  INITIAL_STATS_TEXT, LIMITS_NODE, QUOTA_ROOT, StatsTrackSyntaxError, formatStatsTrack, limitsPath, newLimits,
  parseStatsTrack, quotaDir, quotaTarget, statsPath, statsTrackJson, statsValue, type StatsKey, type StatsTrack,
} from "./stats-track.js";

/** The four quota options, by letter: the key each sets in zookeeper_limits, and commons-cli's description. */
const QUOTA_OPTIONS: readonly { letter: string; key: StatsKey; description: string }[] = [
  { letter: "n", key: "count", description: "num soft quota" },
  { letter: "b", key: "bytes", description: "bytes soft quota" },
  { letter: "N", key: "countHardLimit", description: "num hard quota" },
  { letter: "B", key: "byteHardLimit", description: "bytes hard quota" },
];

const QUOTA_LETTERS = QUOTA_OPTIONS.map((o) => o.letter).join("");

async function readTrack(zk: ZooKeeperClient, path: string): Promise<StatsTrack> {
  const { data } = await zk.getData(path);
  try {
    return parseStatsTrack(data.toString("utf8"));
  } catch (err) {
    if (err instanceof StatsTrackSyntaxError) throw new CommandFailure(`${path}: ${err.message}`);
    throw err;
  }
}

/** Creates `path` with null data and an open ACL unless it exists (another client may race us, as in zkCli). */
async function ensureNode(zk: ZooKeeperClient, path: string): Promise<void> {
  if ((await zk.exists(path)) !== null) return;
  try {
    await zk.create(path, null, { acl: OPEN_ACL_UNSAFE });
  } catch (err) {
    if (!(err instanceof NodeExistsError)) throw err;
  }
}

/** Each proper prefix of `path` ("/a/b/c" → "/a", "/a/b"), as zkCli walks them. */
function properPrefixes(path: string): string[] {
  const parts = path.split("/").slice(1);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

// ------------------------------------------------------------------ setquota

/** The value of the one quota option given, checked as zkCli checks it (its messages go to stderr). */
function quotaValue(args: ParsedArgs): { key: StatsKey; value: bigint } {
  const option = QUOTA_OPTIONS.find((o) => args.values.has(o.letter));
  if (option === undefined) throw new UsageError("setquota -n|-b|-N|-B val path");
  const text = args.values.get(option.letter) ?? "";
  const isCount = option.key === "count" || option.key === "countHardLimit";
  const value = /^[+-]?\d+$/.test(text) ? BigInt(text) : null;
  const limit = isCount ? 2n ** 31n : 2n ** 63n;
  if (value === null || value < -limit || value >= limit) throw new UsageError("NumberFormatException happens when parsing the option value");
  if (isCount && value <= 0n) throw new UsageError("the num quota must be greater than zero");
  if (!isCount && value < 0n) throw new UsageError("the bytes quota must be greater than or equal to zero");
  return { key: option.key, value };
}

/** zkCli refuses a quota when a node below `path` already has one; the first found, depth-first, is named. */
async function refuseChildQuota(zk: ZooKeeperClient, path: string): Promise<void> {
  const ownDir = quotaDir(path);
  checkPath(ownDir);
  const found: string[] = [];
  try {
    await visitSubtree(zk, ownDir, undefined, async (dir) => {
      if (found.length > 0 || dir === ownDir) return;
      const children: string[] = await zk.getChildren(dir).catch((err: unknown): string[] => {
        if (err instanceof NoNodeError) return [];
        throw err;
      });
      if (children.includes(LIMITS_NODE)) found.push(dir);
    });
  } catch (err) {
    if (!(err instanceof NoNodeError)) throw err; // no quota directory yet: nothing below
  }
  if (found.length > 0) throw new CommandFailure(`${path} has a child ${quotaTarget(found[0])} which has a quota`);
}

/** …and when a node above it has one; the walk stops at the first directory that is missing or empty. */
async function refuseParentQuota(zk: ZooKeeperClient, path: string): Promise<void> {
  for (const prefix of properPrefixes(path)) {
    let children: string[];
    try {
      children = await zk.getChildren(quotaDir(prefix));
    } catch (err) {
      if (err instanceof NoNodeError) return;
      throw err;
    }
    if (children.length === 0) return;
    if (children.includes(LIMITS_NODE)) throw new CommandFailure(`${path} has a parent ${prefix} which has a quota`);
  }
}

/** zkCli's warnings (on stdout) when the quota set is already below the usage. */
function usageWarnings(limits: StatsTrack, usage: StatsTrack): string[] {
  const below = (soft: StatsKey, hard: StatsKey, used: bigint) => {
    const [s, h] = [statsValue(limits, soft), statsValue(limits, hard)];
    return (s > -1n && s < used) || (h > -1n && h < used);
  };
  const warnings: string[] = [];
  const count = statsValue(usage, "count");
  const bytes = statsValue(usage, "bytes");
  if (below("count", "countHardLimit", count)) warnings.push(`[Warning]: the count quota you create is less than the existing count:${count}`);
  if (below("bytes", "byteHardLimit", bytes)) warnings.push(`[Warning]: the bytes quota you create is less than the existing bytes:${bytes}`);
  return warnings;
}

/** Sets one limit of `path`'s quota, creating the quota if there is none; answers the limits now in force. */
async function setQuota(ctx: CommandContext, path: string, key: StatsKey, value: bigint): Promise<StatsTrack> {
  const zk = ctx.client();
  checkPath(path);
  if ((await zk.exists(path)) === null) throw new CommandFailure(`${path} does not exist.`);
  await refuseChildQuota(zk, path);
  await refuseParentQuota(zk, path);
  if ((await zk.exists(QUOTA_ROOT)) === null) {
    await ensureNode(zk, "/zookeeper");
    await ensureNode(zk, QUOTA_ROOT);
  }
  for (const prefix of [...properPrefixes(path), path]) await ensureNode(zk, quotaDir(prefix));
  const limitsNode = limitsPath(path);
  let limits: StatsTrack;
  if ((await zk.exists(limitsNode)) === null) {
    limits = newLimits({ [key]: value });
    await zk.create(limitsNode, formatStatsTrack(limits), { acl: OPEN_ACL_UNSAFE });
    await zk.create(statsPath(path), INITIAL_STATS_TEXT, { acl: OPEN_ACL_UNSAFE });
    limits = await readTrack(zk, limitsNode);
    for (const w of usageWarnings(limits, await readTrack(zk, statsPath(path)))) ctx.print(w);
  } else {
    limits = await readTrack(zk, limitsNode);
    limits.set(key, value);
    for (const w of usageWarnings(limits, await readTrack(zk, statsPath(path)))) ctx.print(w);
    await zk.setData(limitsNode, formatStatsTrack(limits));
  }
  return limits;
}

const setquota = command({
  name: "setquota",
  usage: "-n|-b|-N|-B val path",
  options: { flags: "", valued: QUOTA_LETTERS, exclusive: QUOTA_LETTERS },
  requiredGroup: QUOTA_OPTIONS.map((o) => `-${o.letter} ${o.description}`),
  argsMin: 1,
  async run(ctx, args) {
    const path = args.positional[0];
    if (path.startsWith(QUOTA_ROOT)) throw new UsageError(`cannot set a quota under the path: ${QUOTA_ROOT}`);
    const { key, value } = quotaValue(args);
    const limits = await setQuota(ctx, path, key, value);
    return { path, quota: statsTrackJson(limits) };
  },
});

// ------------------------------------------------------------------ listquota

const listquota = command({
  name: "listquota",
  usage: "path",
  options: { flags: "", valued: "" },
  argsMin: 1,
  async run(ctx, args) {
    const path = args.positional[0];
    const zk = ctx.client();
    ctx.note(`absolute path is ${limitsPath(path)}`);
    checkPath(limitsPath(path));
    let limits: StatsTrack;
    let usage: StatsTrack;
    try {
      limits = await readTrack(zk, limitsPath(path));
      usage = await readTrack(zk, statsPath(path));
    } catch (err) {
      if (err instanceof NoNodeError) throw new CommandFailure(`quota for ${path} does not exist.`);
      throw err;
    }
    ctx.print(`Output quota for ${path} ${formatStatsTrack(limits)}`);
    ctx.print(`Output stat for ${path} ${formatStatsTrack(usage)}`);
    return { path, quota: statsTrackJson(limits), stat: statsTrackJson(usage) };
  },
});

// ------------------------------------------------------------------ delquota

/** Removes the quota's nodes, then every quota directory above it that is left empty. */
async function removeQuota(zk: ZooKeeperClient, path: string): Promise<void> {
  const dir = quotaDir(path);
  for (const child of await zk.getChildren(dir)) await zk.delete(`${dir}/${child}`);
  let current = dir;
  while (current !== QUOTA_ROOT && current !== "") {
    if ((await zk.getChildren(current)).length > 0) return;
    await zk.delete(current);
    current = current.slice(0, current.lastIndexOf("/"));
  }
}

const delquota = command({
  name: "delquota",
  usage: "[-n|-b|-N|-B] path",
  options: { flags: QUOTA_LETTERS, valued: "", exclusive: QUOTA_LETTERS },
  argsMin: 1,
  async run(ctx, args) {
    const path = args.positional[0];
    const zk = ctx.client();
    const option = QUOTA_OPTIONS.find((o) => args.flags.has(o.letter));
    checkPath(limitsPath(path));
    try {
      if ((await zk.exists(limitsPath(path))) === null) {
        ctx.print(`Quota does not exist for ${path}`);
        return { path, deleted: false };
      }
      const limits = await readTrack(zk, limitsPath(path));
      if (option === undefined) {
        await removeQuota(zk, path);
        return { path, deleted: true };
      }
      limits.set(option.key, -1n);
      await zk.setData(limitsPath(path), formatStatsTrack(limits));
      return { path, cleared: option.key, quota: statsTrackJson(limits) };
    } catch (err) {
      if (err instanceof NoNodeError) throw new CommandFailure(`quota for ${path} does not exist.`);
      throw err;
    }
  },
});

export const QUOTA_COMMANDS = [delquota, listquota, setquota] as const;
