/**
 * The ZooKeeper commands of `herd cli`, one entry each, with zkCli.sh's names, options, usage strings and
 * printed text. Each command prints its zkCli text through `ctx.print` and returns a JSON-able result, which
 * `--json` prints instead. Failures are thrown: UsageError for bad input, ZooKeeperError from the server.
 */
import {
  type ACL,
  type PersistentWatchMode,
  type Stat,
  type Watcher,
  type WatcherTypeName,
  type ZooKeeperClient,
  NoNodeError,
  ZooKeeperError,
} from "../client/index.js";
import {
  UsageError, checkPath, intOption, missingOption, parseAcl, parseOptions, selectedInGroup, type OptionSpec, type ParsedArgs,
} from "./args.js";
import { aclJson, aclLines, dataJson, rawKeeperMessage, statJson, statLines } from "./format.js";

/** What a command needs from the shell around it. */
export interface CommandContext {
  /** The connected client; throws when there is none. */
  client(): ZooKeeperClient;
  /** A line of the command's normal output (suppressed with --json). */
  print(line: string): void;
  /** A warning line on stderr (zkCli prints these and carries on). */
  warn(line: string): void;
  /** A line zkCli prints on stderr as commentary (suppressed with --json, like `print`). */
  note(line: string): void;
  /** Prints watch events as zkCli does; passed with every -w and addWatch. */
  readonly watcher: Watcher;
}

export interface CommandSpec {
  readonly name: string;
  /** zkCli's option summary, printed by `help` and after a usage error. */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Positional words needed (the path, the data…). */
  readonly argsMin: number;
  /** Descriptions of the `exclusive` options when one of them is required (listed by the error, as zkCli). */
  readonly requiredGroup?: readonly string[];
  /**
   * zkCli 3.x still accepts the 3.4 form with a trailing word (`get path watch`, `delete path version`): it
   * says so on stderr and, for the watch forms, turns the second positional word into -w.
   */
  readonly deprecatedForm?: { readonly message: string; readonly watchWord: boolean };
  /** Replaces the standard option parsing (reconfig has multi-letter options). */
  parse?(words: readonly string[]): ParsedArgs;
  run(ctx: CommandContext, args: ParsedArgs): Promise<unknown>;
}

/** Upper bound on nodes visited by ls -R, setAcl -R and deleteall: a mistyped `/` must not run forever. */
export const SUBTREE_NODES_MAX = 1_000_000;
/** Default ops per multi for deleteall, as zkCli. */
const DELETE_BATCH_DEFAULT = 1000;
const CONFIG_NODE = "/zookeeper/config";

export const noOptions: OptionSpec = { flags: "", valued: "" };

export function command(spec: CommandSpec): CommandSpec {
  return spec;
}

function pathArg(args: ParsedArgs, index = 0, sequential = false): string {
  const path = args.positional[index];
  checkPath(path, sequential);
  return path;
}

function versionOption(args: ParsedArgs): number {
  const v = args.values.get("v");
  return v === undefined ? -1 : intOption(v, "version");
}

export function printStat(ctx: CommandContext, stat: Stat): void {
  for (const line of statLines(stat)) ctx.print(line);
}

/** zkCli's `[a, b]` (Java's List#toString), children sorted as LsCommand sorts them. */
function listText(items: readonly string[]): string {
  return `[${items.join(", ")}]`;
}

const ls = command({
  name: "ls",
  usage: "[-s] [-w] [-R] path",
  options: { flags: "swR?", valued: "" },
  argsMin: 1,
  deprecatedForm: { message: "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.", watchWord: true },
  async run(ctx, args) {
    const path = pathArg(args);
    const watch = args.flags.has("w") ? ctx.watcher : undefined;
    if (args.flags.has("R")) {
      const paths = await visitSubtree(ctx.client(), path, watch, (p) => ctx.print(p));
      return { path, paths };
    }
    const { children, stat } = await ctx.client().getChildren(path, { watch, withStat: true });
    children.sort();
    ctx.print(listText(children));
    if (args.flags.has("s")) printStat(ctx, stat);
    return { path, children, ...(args.flags.has("s") ? { stat: statJson(stat) } : {}) };
  },
});

/**
 * zkCli's depth-first walk (ZKUtil.visitSubTreeDFS): the root, then each node's children in sorted order,
 * then each child's subtree. `visit` sees every path as it is reached, so partial output survives an error.
 */
export async function visitSubtree(
  zk: ZooKeeperClient, root: string, watch: Watcher | undefined, visit: (path: string) => void | Promise<void>,
): Promise<string[]> {
  const seen: string[] = [];
  const reach = async (path: string) => {
    if (seen.length >= SUBTREE_NODES_MAX) throw new UsageError(`more than ${SUBTREE_NODES_MAX} nodes under ${root}`);
    seen.push(path);
    await visit(path);
  };
  await zk.getData(root, { watch });
  await reach(root);
  const walk = async (path: string): Promise<void> => {
    let children: string[];
    try {
      children = await zk.getChildren(path, { watch });
    } catch (err) {
      if (err instanceof NoNodeError) return; // deleted while we walked
      throw err;
    }
    children.sort();
    const childPaths = children.map((c) => (path === "/" ? `/${c}` : `${path}/${c}`));
    for (const child of childPaths) await reach(child);
    for (const child of childPaths) await walk(child);
  };
  await walk(root);
  return seen;
}

const create = command({
  name: "create",
  usage: "[-s] [-e] [-c] [-t ttl] path [data] [acl]",
  options: { flags: "sec", valued: "t" },
  argsMin: 1,
  async run(ctx, args) {
    const mode = createMode(args);
    const path = pathArg(args, 0, mode.includes("Sequential") || mode === "ephemeralSequential");
    const data = args.positional[1];
    let acl: ACL[] | undefined;
    if (args.positional[2] !== undefined) {
      const parsed = parseAcl(args.positional[2]);
      for (const w of parsed.warnings) ctx.warn(w);
      acl = parsed.acl;
    }
    const ttl = args.values.get("t");
    const created = await ctx.client().create(path, data === undefined ? null : data, {
      mode,
      ...(acl !== undefined ? { acl } : {}),
      ...(ttl !== undefined ? { ttlMs: Number(ttl) } : {}),
    });
    ctx.print(`Created ${created}`);
    return { path: created };
  },
});

type CreateModeName = "persistent" | "ephemeral" | "persistentSequential" | "ephemeralSequential" | "container" |
  "persistentWithTtl" | "persistentSequentialWithTtl";

/** zkCli's rules for combining -s, -e, -c and -t, with its messages. */
function createMode(args: ParsedArgs): CreateModeName {
  const [e, s, c] = ["e", "s", "c"].map((f) => args.flags.has(f));
  const ttl = args.values.get("t");
  if (c && (e || s)) throw new UsageError("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.");
  if (ttl !== undefined) {
    if (!/^-?\d+$/.test(ttl)) throw new UsageError("-t argument must be a long value");
    if (e) throw new UsageError("TTLs cannot be used with Ephemeral znodes");
    if (c) throw new UsageError("TTLs cannot be used with Container znodes");
    const ms = Number(ttl);
    if (ms <= 0 || ms > 0xff_ffff_ffff) throw new UsageError(`ttl must be positive and cannot be larger than: ${0xff_ffff_ffff}`);
    return s ? "persistentSequentialWithTtl" : "persistentWithTtl";
  }
  if (e) return s ? "ephemeralSequential" : "ephemeral";
  if (s) return "persistentSequential";
  return c ? "container" : "persistent";
}

const get = command({
  name: "get",
  usage: "[-s] [-w] path",
  options: { flags: "swb", valued: "" },
  argsMin: 1,
  deprecatedForm: { message: "'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead.", watchWord: true },
  async run(ctx, args) {
    const path = pathArg(args);
    const zk = ctx.client();
    const { data, dataIsNull: isNull, stat } = await zk.getData(path, { watch: args.flags.has("w") ? ctx.watcher : undefined });
    if (isNull) ctx.print("null");
    else ctx.print(args.flags.has("b") ? data.toString("base64") : data.toString("utf8"));
    if (args.flags.has("s")) printStat(ctx, stat);
    return { path, ...(isNull ? { data: null, dataBase64: null } : dataJson(data)), stat: statJson(stat) };
  },
});

const set = command({
  name: "set",
  usage: "[-s] [-v version] path data",
  options: { flags: "sb", valued: "v" },
  argsMin: 2,
  async run(ctx, args) {
    const path = pathArg(args);
    const text = args.positional[1];
    const data = args.flags.has("b") ? Buffer.from(text, "base64") : Buffer.from(text, "utf8");
    const stat = await ctx.client().setData(path, data, versionOption(args));
    if (args.flags.has("s")) printStat(ctx, stat);
    return { path, stat: statJson(stat) };
  },
});

const stat = command({
  name: "stat",
  usage: "[-w] path",
  options: { flags: "w", valued: "" },
  argsMin: 1,
  deprecatedForm: { message: "'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead.", watchWord: true },
  async run(ctx, args) {
    const path = pathArg(args);
    const found = await ctx.client().exists(path, { watch: args.flags.has("w") ? ctx.watcher : undefined });
    if (found === null) throw new NoNodeError({ path });
    printStat(ctx, found);
    return { path, stat: statJson(found) };
  },
});

const del = command({
  name: "delete",
  usage: "[-v version] path",
  options: { flags: "", valued: "v" },
  argsMin: 1,
  deprecatedForm: { message: "'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.", watchWord: false },
  async run(ctx, args) {
    const path = pathArg(args);
    await ctx.client().delete(path, versionOption(args));
    return { path, deleted: true };
  },
});

const deleteall = command({
  name: "deleteall",
  usage: "path [-b batch size]",
  options: { flags: "", valued: "b" },
  argsMin: 1,
  async run(ctx, args) {
    const path = pathArg(args);
    const b = args.values.get("b");
    const batch = b === undefined ? DELETE_BATCH_DEFAULT : intOption(b, "-b argument");
    const tree = await listSubtreeBreadthFirst(ctx.client(), path);
    const ok = await deleteLeavesFirst(ctx.client(), tree, batch);
    if (!ok) ctx.warn("Failed to delete some node(s) in the subtree!");
    return { path, deleted: ok ? tree.length : 0, ok };
  },
});

/** Every path of the subtree, parents before children (ZKUtil.listSubTreeBFS). */
async function listSubtreeBreadthFirst(zk: ZooKeeperClient, root: string): Promise<string[]> {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    const node = tree[i];
    for (const child of await zk.getChildren(node)) {
      if (tree.length >= SUBTREE_NODES_MAX) throw new UsageError(`more than ${SUBTREE_NODES_MAX} nodes under ${root}`);
      tree.push(node === "/" ? `/${child}` : `${node}/${child}`);
    }
  }
  return tree;
}

/** Deletes in reverse breadth-first order, `batch` deletes per multi (0 or less: one at a time, as zkCli). */
async function deleteLeavesFirst(zk: ZooKeeperClient, tree: readonly string[], batch: number): Promise<boolean> {
  const order = [...tree].reverse();
  if (batch <= 0) {
    for (const p of order) await zk.delete(p);
    return true;
  }
  for (let i = 0; i < order.length; i += batch) {
    const tx = zk.transaction();
    for (const p of order.slice(i, i + batch)) tx.delete(p);
    try {
      await tx.commit();
    } catch (err) {
      if (err instanceof ZooKeeperError && err.opResults !== undefined) return false;
      throw err;
    }
  }
  return true;
}

const getAcl = command({
  name: "getAcl",
  usage: "[-s] path",
  options: { flags: "s", valued: "" },
  argsMin: 1,
  async run(ctx, args) {
    const path = pathArg(args);
    const { acl, stat: st } = await ctx.client().getACL(path);
    for (const line of aclLines(acl)) ctx.print(line);
    if (args.flags.has("s")) printStat(ctx, st);
    return { path, acl: aclJson(acl), stat: statJson(st) };
  },
});

const setAcl = command({
  name: "setAcl",
  usage: "[-s] [-v version] [-R] path acl",
  options: { flags: "sR", valued: "v" },
  argsMin: 2,
  async run(ctx, args) {
    const path = pathArg(args);
    const parsed = parseAcl(args.positional[1]);
    for (const w of parsed.warnings) ctx.warn(w);
    const version = versionOption(args);
    const zk = ctx.client();
    if (args.flags.has("R")) {
      const failed: string[] = [];
      const paths = await visitSubtree(zk, path, undefined, async (p) => {
        try {
          await zk.setACL(p, parsed.acl, version);
        } catch (err) {
          if (!(err instanceof ZooKeeperError)) throw err;
          failed.push(p);
          ctx.print(rawKeeperMessage(err, p));
        }
      });
      return { path, updated: paths.length - failed.length, failed };
    }
    const st = await zk.setACL(path, parsed.acl, version);
    if (args.flags.has("s")) printStat(ctx, st);
    return { path, stat: statJson(st) };
  },
});

const addauth = command({
  name: "addauth",
  usage: "scheme auth",
  options: noOptions,
  argsMin: 1,
  async run(ctx, args) {
    const [scheme, auth] = args.positional;
    await ctx.client().addAuth(scheme, auth ?? "");
    return { scheme, ok: true };
  },
});

const sync = command({
  name: "sync",
  usage: "path",
  options: noOptions,
  argsMin: 1,
  async run(ctx, args) {
    const path = pathArg(args);
    await ctx.client().sync(path);
    ctx.print("Sync is OK");
    return { path, ok: true };
  },
});

const addWatch = command({
  name: "addWatch",
  usage: "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE",
  options: { flags: "", valued: "m" },
  argsMin: 1,
  async run(ctx, args) {
    const path = pathArg(args);
    const modeName = args.values.get("m") ?? "PERSISTENT_RECURSIVE";
    const modes: Record<string, PersistentWatchMode> = { PERSISTENT: "persistent", PERSISTENT_RECURSIVE: "persistentRecursive" };
    const mode = modes[modeName.toUpperCase()];
    if (mode === undefined) throw new UsageError(`Unsupported mode: ${modeName}`);
    await ctx.client().addWatch(path, ctx.watcher, mode);
    return { path, mode: modeName.toUpperCase() };
  },
});

const removewatches = command({
  name: "removewatches",
  usage: "path [-c|-d|-a] [-l]",
  options: { flags: "cdaprl", valued: "" },
  argsMin: 1,
  async run(ctx, args) {
    const path = pathArg(args);
    const types: [string, WatcherTypeName][] = [["c", "children"], ["d", "data"], ["p", "persistent"], ["r", "persistentRecursive"], ["a", "any"]];
    const type = types.find(([flag]) => args.flags.has(flag))?.[1] ?? "any";
    await ctx.client().removeAllWatches(path, type, { local: args.flags.has("l") });
    return { path, type, removed: true };
  },
});

const getEphemerals = command({
  name: "getEphemerals",
  usage: "path",
  options: noOptions,
  argsMin: 0,
  async run(ctx, args) {
    const prefix = args.positional[0];
    if (prefix !== undefined) checkPath(prefix);
    const paths = await ctx.client().getEphemerals(prefix ?? "/");
    ctx.print(listText(paths));
    return { paths };
  },
});

const getAllChildrenNumber = command({
  name: "getAllChildrenNumber",
  usage: "path",
  options: noOptions,
  argsMin: 1,
  async run(ctx, args) {
    const path = pathArg(args);
    const count = await ctx.client().getAllChildrenNumber(path);
    ctx.print(String(count));
    return { path, count };
  },
});

const whoami = command({
  name: "whoami",
  usage: "",
  options: noOptions,
  argsMin: 0,
  async run(ctx) {
    const identities = await ctx.client().whoAmI();
    ctx.print("Auth scheme: User");
    for (const id of identities) ctx.print(`${id.authScheme}: ${id.user}`);
    return { identities: identities.map((i) => ({ scheme: i.authScheme, user: i.user })) };
  },
});

const config = command({
  name: "config",
  usage: "[-c] [-w] [-s]",
  options: { flags: "cws", valued: "" },
  argsMin: 0,
  async run(ctx, args) {
    const { data, stat: st } = await ctx.client().getData(CONFIG_NODE, { watch: args.flags.has("w") ? ctx.watcher : undefined });
    const text = data.toString("utf8");
    ctx.print(args.flags.has("c") ? clientConfigString(text) : text);
    if (args.flags.has("s")) printStat(ctx, st);
    return { config: text, stat: statJson(st) };
  },
});

/**
 * `config -c`: the connect string view of a dynamic config, "version=<v>" lines and
 * "server.N=host:p1:p2[:role];[clientHost:]clientPort" entries becoming "<v> host:port,host:port".
 */
function clientConfigString(configText: string): string {
  let version = "";
  const clients: string[] = [];
  for (const line of configText.split("\n")) {
    const [key, value = ""] = line.split("=", 2);
    if (key === "version") version = value;
    const client = key.startsWith("server.") ? value.split(";")[1] : undefined;
    if (client !== undefined) clients.push(client.includes(":") ? client : `${value.split(":")[0]}:${client}`);
  }
  return `${version} ${clients.join(",")}`;
}

/** The znode commands; command-table.ts adds the quota and server ones, the shell its own. */
export const ZNODE_COMMANDS: readonly CommandSpec[] = [
  addWatch, addauth, config, create, del, deleteall, get, getAcl, getAllChildrenNumber, getEphemerals, ls,
  removewatches, set, setAcl, stat, sync, whoami,
];

/**
 * Parses `words` (command name excluded) for `spec`, in zkCli's order: options (errors as commons-cli words
 * them), the required option group, the number of positionals, then the deprecated 3.4 form, whose notice
 * comes back in `notices` for the caller to print on stderr.
 */
export function parseCommandArgs(spec: CommandSpec, words: readonly string[]): ParsedArgs & { notices: string[] } {
  const notices: string[] = [];
  let args = spec.parse !== undefined ? spec.parse(words) : parseOptions(words, spec.options);
  if (spec.requiredGroup !== undefined && selectedInGroup(args, spec.options) === undefined) throw missingOption(spec.requiredGroup);
  if (args.positional.length < spec.argsMin) throw new UsageError(`${spec.name} ${spec.usage}`);
  const legacy = spec.deprecatedForm;
  if (legacy !== undefined && args.positional.length > 1) {
    notices.push(legacy.message);
    // zkCli overwrites the third word of the command line (the one after the path, when no option precedes it).
    const rewritten = legacy.watchWord ? words.map((w, i) => (i === 1 ? "-w" : w)) : words;
    args = parseOptions(rewritten, spec.options);
  }
  return { ...args, notices };
}
