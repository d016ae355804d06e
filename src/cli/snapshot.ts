/**
 * `herd snapshot export` and `herd snapshot import`: the portable JSON-lines dump (see dump.ts) read from and
 * written to a live server through the client.
 *
 * Export walks the tree breadth-first (so parents come before children), a level at a time with a bounded
 * number of reads in flight. Import creates missing nodes with an open ACL and sets the data of existing
 * ones, then raises each parent's child-create counter to the dumped one (create-counters.ts), then applies
 * the dumped ACLs deepest first, so a restrictive ACL on a parent cannot stop the import of its children.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import {
  NoAuthError,
  NoNodeError,
  NodeExistsError,
  OPEN_ACL_UNSAFE,
  ZooKeeperError,
  createClient,
  type ACL,
  type ZooKeeperClient,
} from "../client/index.js";
import { UsageError, checkPath } from "./args.js";
import { raiseChildCreations } from "./create-counters.js";
import {
  dumpAclToAcl, dumpChildCreations, dumpData, dumpLine, dumpNode, isSystemPath, parseDumpLine, type DumpNode,
} from "./dump.js";
import { keeperErrorMessage } from "./format.js";
import { ExitCode } from "./session.js";

/** Reads (export) or writes (import) in flight at once. */
const IN_FLIGHT_MAX = 128;
/** Failures printed one by one; the rest are only counted. */
const FAILURES_PRINTED_MAX = 20;
const PROGRESS_INTERVAL_MS = 250;
/** Parents whose child-create counters are raised at once (each raise is a run of multis). */
const COUNTER_RAISES_IN_FLIGHT_MAX = 8;

export interface ExportOptions {
  root: string;
  includeEphemeral: boolean;
  /** Called for each node written (progress). */
  onNode?: (count: number) => void;
  /** A node we may not read: it and its subtree are left out, and the export goes on. */
  onUnreadable?: (message: string) => void;
}

export interface ExportCounts {
  exported: number;
  skippedEphemeral: number;
  /** Nodes left out (with their subtrees) because their ACL denies us READ. */
  unreadable: number;
}

/** Writes the subtree at `root` to `out` as dump lines; the /zookeeper subtree is left out unless it is the root. */
export async function exportTree(zk: ZooKeeperClient, out: Writable, opts: ExportOptions): Promise<ExportCounts> {
  const counts: ExportCounts = { exported: 0, skippedEphemeral: 0, unreadable: 0 };
  let level = [opts.root];
  while (level.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += IN_FLIGHT_MAX) {
      const nodes = await Promise.all(level.slice(i, i + IN_FLIGHT_MAX).map((p) => readNode(zk, p)));
      for (const node of nodes) {
        if (node === null) continue; // deleted while we walked
        if ("unreadable" in node) {
          counts.unreadable++;
          opts.onUnreadable?.(`${node.unreadable} (left out with its subtree)`);
          continue;
        }
        if (node.dump.ephemeral && !opts.includeEphemeral) counts.skippedEphemeral++;
        else {
          await write(out, dumpLine(node.dump));
          counts.exported++;
          opts.onNode?.(counts.exported);
        }
        const base = node.dump.path === "/" ? "/" : `${node.dump.path}/`;
        for (const child of node.children.sort()) {
          const childPath = base + child;
          if (!isSystemPath(childPath) || isSystemPath(opts.root)) next.push(childPath);
        }
      }
    }
    level = next;
  }
  return counts;
}

type ReadNode = { dump: DumpNode; children: string[] } | { unreadable: string } | null;

async function readNode(zk: ZooKeeperClient, path: string): Promise<ReadNode> {
  try {
    const [{ data, stat }, { acl }, children] = await Promise.all([zk.getData(path), zk.getACL(path), zk.getChildren(path)]);
    return { dump: dumpNode(path, data, acl, stat), children };
  } catch (err) {
    if (err instanceof NoNodeError) return null;
    if (err instanceof NoAuthError) return { unreadable: keeperErrorMessage(err, path) };
    throw err;
  }
}

/** Writes with back-pressure: waits for 'drain' when the stream's buffer is full. */
function write(out: Writable, text: string): Promise<void> {
  if (out.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => { out.off("error", onError); resolve(); };
    const onError = (err: Error) => { out.off("drain", onDrain); reject(err); };
    out.once("drain", onDrain);
    out.once("error", onError);
  });
}

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
  aclSet: number;
  skippedEphemeral: number;
  failed: number;
  /** Nodes whose count of child creations was raised to the dumped one (see create-counters.ts). */
  countersRaised: number;
}

export interface ImportOptions {
  /** Also import nodes marked ephemeral (as persistent nodes). */
  includeEphemeral: boolean;
  onNode?: (count: number) => void;
  /** One line per failure (the first FAILURES_PRINTED_MAX). */
  onFailure?: (message: string) => void;
  /** Something imported that is not quite the source (a counter that could not be carried over). */
  onWarning?: (message: string) => void;
}

/**
 * Writes dump nodes into the server. Nodes must come parents first (as dumps are written); each batch is
 * applied depth by depth so a parent always exists before its children are created.
 */
export async function importNodes(zk: ZooKeeperClient, nodes: AsyncIterable<DumpNode>, opts: ImportOptions): Promise<ImportCounts> {
  const counts: ImportCounts = { created: 0, updated: 0, unchanged: 0, aclSet: 0, skippedEphemeral: 0, failed: 0, countersRaised: 0 };
  const pendingAcls: { path: string; acl: ACL[] }[] = [];
  const pendingCounters: { path: string; creations: number }[] = [];
  const fail = (path: string, err: unknown) => {
    counts.failed++;
    if (counts.failed > FAILURES_PRINTED_MAX) return;
    const message = err instanceof ZooKeeperError ? keeperErrorMessage(err, path) : `${path}: ${(err as Error).message}`;
    opts.onFailure?.(message);
  };
  const applyBatch = async (batch: DumpNode[]) => {
    for (const group of byDepth(batch)) {
      await Promise.all(group.map(async (node) => {
        try {
          const acl = await importNode(zk, node, counts);
          if (acl !== null) pendingAcls.push({ path: node.path, acl });
          const creations = dumpChildCreations(node);
          if (creations !== null && creations > 0) pendingCounters.push({ path: node.path, creations });
        } catch (err) {
          fail(node.path, err);
        }
        opts.onNode?.(counts.created + counts.updated + counts.unchanged + counts.failed);
      }));
    }
  };
  let batch: DumpNode[] = [];
  for await (const node of nodes) {
    if (node.ephemeral && !opts.includeEphemeral) {
      counts.skippedEphemeral++;
      continue;
    }
    batch.push(node);
    if (batch.length >= IN_FLIGHT_MAX) {
      await applyBatch(batch);
      batch = [];
    }
  }
  await applyBatch(batch);
  // Before the ACLs, which may deny us the creates and deletes this takes.
  await raiseCounters(zk, pendingCounters, counts, opts, fail);
  // Deepest first: a parent's ACL may deny us access to its children.
  pendingAcls.sort((a, b) => depth(b.path) - depth(a.path));
  for (let i = 0; i < pendingAcls.length; i += IN_FLIGHT_MAX) {
    await Promise.all(pendingAcls.slice(i, i + IN_FLIGHT_MAX).map(async ({ path, acl }) => {
      try {
        await zk.setACL(path, acl);
        counts.aclSet++;
      } catch (err) {
        fail(path, err);
      }
    }));
  }
  return counts;
}

/** Raises each node's child-create counter to the dumped one, a few nodes at a time. */
async function raiseCounters(
  zk: ZooKeeperClient, pending: readonly { path: string; creations: number }[], counts: ImportCounts, opts: ImportOptions,
  fail: (path: string, err: unknown) => void,
): Promise<void> {
  for (let i = 0; i < pending.length; i += COUNTER_RAISES_IN_FLIGHT_MAX) {
    await Promise.all(pending.slice(i, i + COUNTER_RAISES_IN_FLIGHT_MAX).map(async ({ path, creations }) => {
      try {
        const outcome = await raiseChildCreations(zk, path, creations);
        switch (outcome.kind) {
          case "raised":
            counts.countersRaised++;
            return;
          case "ahead":
            opts.onWarning?.(`${path}: already had ${outcome.current} child creations (the dump has ${creations}); its counter is left as is`);
            return;
          case "tooFar":
            opts.onWarning?.(`${path}: its sequence counter is not carried over (${outcome.needed} creations behind, ` +
              `more than an import makes); its next sequential child gets a lower number than in the source`);
            return;
          case "unchanged":
            return;
        }
      } catch (err) {
        fail(path, err);
      }
    }));
  }
}

function depth(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}

function byDepth(nodes: readonly DumpNode[]): DumpNode[][] {
  const groups = new Map<number, DumpNode[]>();
  for (const n of nodes) {
    const d = depth(n.path);
    groups.set(d, [...(groups.get(d) ?? []), n]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, g]) => g);
}

/** Creates or updates one node; returns the ACL still to apply, or null when it is already right. */
async function importNode(zk: ZooKeeperClient, node: DumpNode, counts: ImportCounts): Promise<ACL[] | null> {
  const data = dumpData(node);
  const wanted = dumpAclToAcl(node.acl);
  if (node.path !== "/") {
    checkPath(node.path);
    try {
      await zk.create(node.path, data, createOptions(node));
      counts.created++;
      return sameAcl(wanted, OPEN_ACL_UNSAFE) ? null : wanted;
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
  }
  const [{ data: current }, { acl: currentAcl }] = await Promise.all([zk.getData(node.path), zk.getACL(node.path)]);
  if (current.equals(data ?? Buffer.alloc(0))) counts.unchanged++;
  else {
    await zk.setData(node.path, data);
    counts.updated++;
  }
  return sameAcl(wanted, currentAcl) ? null : wanted;
}

function createOptions(node: DumpNode): { mode: "persistent" | "container" | "persistentWithTtl"; ttlMs?: number } {
  if (node.mode === "container") return { mode: "container" };
  if (node.mode === "ttl") return { mode: "persistentWithTtl", ttlMs: node.ttlMs };
  return { mode: "persistent" };
}

function sameAcl(a: readonly ACL[], b: readonly ACL[]): boolean {
  const key = (acl: readonly ACL[]) => acl.map((x) => `${x.perms}:${x.id.scheme}:${x.id.id}`).sort().join(",");
  return key(a) === key(b);
}

/** Dump lines from a stream, parsed and checked; blank lines are skipped. */
export async function* readDump(input: Readable): AsyncGenerator<DumpNode> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    yield parseDumpLine(line, lineNumber);
  }
}

// ------------------------------------------------------------------ command line

export const SNAPSHOT_USAGE = `usage: herd snapshot export --server host:port [--include-ephemeral] [--auth scheme:auth] [path] > dump.jsonl
       herd snapshot import --server host:port [--include-ephemeral] [--auth scheme:auth] [--json] < dump.jsonl
  A portable JSON-lines dump, one znode per line, parents before children (the /zookeeper subtree is left out).`;

export interface ToolArgs {
  server: string;
  includeEphemeral: boolean;
  json: boolean;
  auth: { scheme: string; auth: string }[];
  out: string | null;
  positional: string[];
}

/** The options shared by `herd snapshot` and `herd import-zookeeper`. */
export function parseToolArgs(argv: readonly string[]): ToolArgs {
  const args: ToolArgs = { server: "127.0.0.1:2181", includeEphemeral: false, json: false, auth: [], out: null, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === "--server" || name === "-server") args.server = value();
    else if (name === "--include-ephemeral") args.includeEphemeral = true;
    else if (name === "--json") args.json = true;
    else if (name === "--out") args.out = value();
    else if (name === "--auth") {
      const text = value();
      const colon = text.indexOf(":");
      if (colon <= 0) throw new UsageError(`--auth wants scheme:credentials, e.g. digest:user:password`);
      args.auth.push({ scheme: text.slice(0, colon), auth: text.slice(colon + 1) });
    } else if (name.startsWith("-") && name !== "-") throw new UsageError(`unknown option ${name}`);
    else args.positional.push(arg);
  }
  return args;
}

/** Connects for a tool command, failing clearly (exit 69) when no server answers. */
export async function connectTool(args: ToolArgs, timeoutMs = 30_000): Promise<ZooKeeperClient> {
  const zk = createClient(args.server, { auth: args.auth, sessionTimeoutMs: timeoutMs });
  try {
    await zk.whenConnected(timeoutMs);
  } catch (err) {
    await zk.close();
    throw new ToolError(`cannot connect to ${args.server}: ${(err as Error).message}`, ExitCode.unavailable);
  }
  return zk;
}

export class ToolError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** A progress line on stderr, redrawn at most every PROGRESS_INTERVAL_MS; only when stderr is a terminal. */
export function progressReporter(verb: string): { tick(count: number): void; done(): void } {
  if (process.stderr.isTTY !== true) return { tick: () => {}, done: () => {} };
  let last = 0;
  let shown = false;
  return {
    tick(count) {
      const now = Date.now();
      if (now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      shown = true;
      process.stderr.write(`\r${verb} ${count} nodes`);
    },
    done() {
      if (shown) process.stderr.write("\r\x1b[K");
    },
  };
}

export function importSummary(counts: ImportCounts): string {
  return `imported: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged, ` +
    `${counts.aclSet} ACLs set, ${counts.skippedEphemeral} ephemeral skipped, ${counts.failed} failed, ` +
    `${counts.countersRaised} sequence counters carried over`;
}

/** Entry point of `herd snapshot`; resolves with the exit code. */
export async function snapshotMain(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== "export" && verb !== "import") {
    process.stderr.write(`${SNAPSHOT_USAGE}\n`);
    return verb === undefined || verb === "--help" || verb === "-h" ? ExitCode.ok : ExitCode.usage;
  }
  return runTool(async () => {
    const args = parseToolArgs(rest);
    const zk = await connectTool(args);
    try {
      return verb === "export" ? await runExport(zk, args) : await runImport(zk, args, readDump(process.stdin));
    } finally {
      await zk.close();
    }
  });
}

/** Runs a tool body, turning usage and tool errors into one stderr line and an exit code. */
export async function runTool(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`herd: ${err.message}\n`);
      return ExitCode.usage;
    }
    if (err instanceof ToolError) {
      process.stderr.write(`herd: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ZooKeeperError) {
      process.stderr.write(`herd: ${keeperErrorMessage(err, err.path)}\n`);
      return ExitCode.failed;
    }
    throw err;
  }
}

async function runExport(zk: ZooKeeperClient, args: ToolArgs): Promise<number> {
  const root = args.positional[0] ?? "/";
  checkPath(root);
  const progress = progressReporter("exported");
  const counts = await exportTree(zk, process.stdout, {
    root,
    includeEphemeral: args.includeEphemeral,
    onNode: progress.tick,
    onUnreadable: (message) => process.stderr.write(`${message}\n`),
  });
  progress.done();
  process.stderr.write(`exported ${counts.exported} nodes (${counts.skippedEphemeral} ephemeral skipped, ${counts.unreadable} unreadable)\n`);
  return counts.unreadable > 0 ? ExitCode.failed : ExitCode.ok;
}

export async function runImport(zk: ZooKeeperClient, args: ToolArgs, nodes: AsyncIterable<DumpNode>): Promise<number> {
  const progress = progressReporter("imported");
  const counts = await importNodes(zk, nodes, {
    includeEphemeral: args.includeEphemeral,
    onNode: progress.tick,
    onFailure: (message) => process.stderr.write(`${message}\n`),
    onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
  });
  progress.done();
  process.stderr.write(`${importSummary(counts)}\n`);
  if (args.json) process.stdout.write(`${JSON.stringify(counts)}\n`);
  return counts.failed > 0 ? ExitCode.failed : ExitCode.ok;
}
