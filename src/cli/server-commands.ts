/**
 * zkCli's commands about the CLI and the ensemble rather than znodes: `version` (the CLI's own version line)
 * and `reconfig` (dynamic membership change, op 16). Herd has no dynamic reconfig and answers reconfig with
 * ReconfigDisabled, as ZooKeeper 3.8 does with reconfigEnabled=false; the command still sends the real request,
 * so it works against a ZooKeeper ensemble that allows it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UsageError, missingArgument, unrecognizedOption, type ParsedArgs } from "./args.js";
import { command, noOptions, printStat } from "./commands.js";
import { statJson } from "./format.js";

// ------------------------------------------------------------------ version

/** Herd's version, from the package.json that ships next to dist/ (read once, on first use). */
let herdVersionCache: string | null = null;

export function herdVersion(): string {
  if (herdVersionCache === null) {
    // dist/src/cli/server-commands.js → the package root is three levels up.
    const file = fileURLToPath(new URL("../../../package.json", import.meta.url));
    let version = "unknown";
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as { version?: unknown };
      if (typeof parsed.version === "string") version = parsed.version;
    } catch {
      // A copy without package.json still answers, with "unknown".
    }
    herdVersionCache = version;
  }
  return herdVersionCache;
}

/** zkCli prints "ZooKeeper CLI version: <ZooKeeper's full version>"; ours names Herd and its version. */
export function cliVersionLine(): string {
  return `ZooKeeper CLI version: herd-${herdVersion()}`;
}

const version = command({
  name: "version",
  usage: "",
  options: noOptions,
  argsMin: 0,
  async run(ctx, args) {
    if (args.positional.length > 0) throw new UsageError("version ");
    ctx.print(cliVersionLine());
    return { cli: "herd", version: herdVersion() };
  },
});

// ------------------------------------------------------------------ reconfig

const RECONFIG_USAGE = "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | " +
  "[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]";

/** reconfig's options are words, not letters (commons-cli "short" options named file, members, add, remove). */
const RECONFIG_FLAGS = new Set(["s"]);
const RECONFIG_VALUED = new Set(["v", "file", "members", "add", "remove"]);

/** Options anywhere; `-name value` or `-vVALUE`; other words are positional (and ignored, as by zkCli). */
export function parseReconfigOptions(words: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!/^-[A-Za-z?]/.test(word)) {
      parsed.positional.push(word);
      continue;
    }
    const name = word.slice(1);
    if (RECONFIG_FLAGS.has(name)) {
      parsed.flags.add(name);
    } else if (RECONFIG_VALUED.has(name)) {
      const value = words[i + 1];
      if (value === undefined || isReconfigOption(value)) throw missingArgument(name);
      parsed.values.set(name, value);
      i++;
    } else if (name.startsWith("v") && name.length > 1) {
      parsed.values.set("v", name.slice(1));
    } else {
      throw unrecognizedOption(word);
    }
  }
  checkReconfigModes(parsed);
  return parsed;
}

function isReconfigOption(word: string): boolean {
  return word.startsWith("-") && (RECONFIG_FLAGS.has(word.slice(1)) || RECONFIG_VALUED.has(word.slice(1)));
}

/** zkCli's checks, in its order: some membership option, a hex -v, and no mixing of the two modes. */
function checkReconfigModes(args: ParsedArgs): void {
  const has = (name: string) => args.values.has(name);
  if (!has("file") && !has("members") && !has("add") && !has("remove")) throw new UsageError(`reconfig ${RECONFIG_USAGE}`);
  const v = args.values.get("v");
  if (v !== undefined && parseConfigVersion(v) === null) throw new UsageError("-v must be followed by a long (configuration version)");
  if ((has("file") || has("members")) && (has("add") || has("remove"))) {
    throw new UsageError("Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)");
  }
  if (has("file") && has("members")) throw new UsageError("Can't use -file and -members together (conflicting non-incremental modes)");
}

/** Long.parseLong(text, 16): a signed hex long. */
export function parseConfigVersion(text: string): bigint | null {
  const m = /^([+-]?)([0-9a-fA-F]+)$/.exec(text);
  if (m === null) return null;
  const value = BigInt(`0x${m[2]}`) * (m[1] === "-" ? -1n : 1n);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : null;
}

/**
 * The membership in a dynamic config file: its `server.N=…` (and `group.`/`weight.`) lines, one per line, as
 * the server accepts them. zkCli normalises each entry first; the server parses them the same either way.
 */
export function membersFromFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (err as Error).message;
    throw new UsageError(`Error processing ${file}${file} (${reason})`);
  }
  return text.split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^(server|group|weight)\.[^=]+=/.test(line))
    .join("\n");
}

const reconfig = command({
  name: "reconfig",
  usage: RECONFIG_USAGE,
  options: noOptions,
  argsMin: 0,
  parse: parseReconfigOptions,
  async run(ctx, args) {
    const lower = (name: string) => args.values.get(name)?.toLowerCase() ?? null;
    const file = args.values.get("file");
    const v = args.values.get("v");
    const { config, stat } = await ctx.client().reconfig({
      joining: lower("add"),
      leaving: lower("remove"),
      members: file !== undefined ? membersFromFile(file) : lower("members"),
      fromConfigVersion: v === undefined ? -1n : (parseConfigVersion(v) ?? -1n),
    });
    const text = config.toString("utf8");
    ctx.print(`Committed new configuration:\n${text}`);
    if (args.flags.has("s")) printStat(ctx, stat);
    return { config: text, stat: statJson(stat) };
  },
});

export const SERVER_COMMANDS = [reconfig, version] as const;
