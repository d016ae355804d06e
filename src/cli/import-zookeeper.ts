/**
 * `herd import-zookeeper <dataDir> (--server host:port | --out dump.jsonl)`: rebuilds an Apache ZooKeeper tree
 * from its data directory (newest valid snapshot + the txn logs after it, see zookeeper/tree.ts) and writes its
 * non-ephemeral nodes into a Herd server through the client, or into a portable dump.
 *
 * Each node's stat carries ZooKeeper's child-create counter (the tree keeps ZooKeeper's persisted cversion,
 * which is that counter; the dump shows it as clients see it, 2 × creations − children). The import raises
 * every parent's counter to it (create-counters.ts), so cversions and the next sequential names match ZooKeeper's.
 */
import { createWriteStream, existsSync } from "node:fs";
import { once } from "node:events";
import type { Stat } from "../client/index.js";
import { UsageError } from "./args.js";
import { dumpLine, dumpNode, isSystemPath, type DumpNode } from "./dump.js";
import { ExitCode } from "./session.js";
import { connectTool, parseToolArgs, runImport, runTool, type ToolArgs } from "./snapshot.js";
import { restoreTree, versionDir, type RestoreReport, type ZooKeeperTree } from "./zookeeper/tree.js";
import { ZooKeeperFileError } from "./zookeeper/files.js";

export const IMPORT_ZOOKEEPER_USAGE = `usage: herd import-zookeeper <zookeeper dataDir> [--data-log-dir dir] (--server host:port | --out dump.jsonl)
                             [--include-ephemeral] [--auth scheme:auth] [--json]
  Reads ZooKeeper's snapshot.* and log.* files (in dataDir/version-2) and copies the resulting tree, without
  ephemeral nodes and the /zookeeper subtree, into a Herd server or a JSON-lines dump. Parents keep their
  sequence counters: the next sequential child gets the number ZooKeeper would have given it.`;

/** The tree's nodes as dump entries, parents before children. */
export function* treeDump(tree: ZooKeeperTree, includeEphemeral: boolean): Generator<DumpNode> {
  for (const path of tree.paths()) {
    if (isSystemPath(path)) continue;
    const node = tree.nodes.get(path);
    if (node === undefined) continue;
    // ZooKeeper persists a cversion that counts creates only and shows clients creates + deletes, which is
    // twice the creates less the children still there.
    const numChildren = node.children.size;
    const cversion = node.stat.cversion * 2 - numChildren;
    const stat: Stat = { ...node.stat, cversion, dataLength: node.data?.length ?? 0, numChildren };
    const entry = dumpNode(path, node.data, node.acl, stat);
    if (entry.ephemeral && !includeEphemeral) continue;
    yield entry;
  }
}

/** Rebuilds the tree of a ZooKeeper data directory. `logDir` defaults to the data directory. */
export function readZooKeeperDataDir(dataDir: string, logDir: string = dataDir): { tree: ZooKeeperTree; report: RestoreReport } {
  if (!existsSync(dataDir)) throw new UsageError(`${dataDir} does not exist`);
  if (!existsSync(logDir)) throw new UsageError(`${logDir} does not exist`);
  return restoreTree(versionDir(dataDir, existsSync), versionDir(logDir, existsSync));
}

/** Entry point of `herd import-zookeeper`; resolves with the exit code. */
export async function importZooKeeperMain(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    process.stderr.write(`${IMPORT_ZOOKEEPER_USAGE}\n`);
    return argv.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  return runTool(async () => {
    const { args, logDir } = parseImportArgs(argv);
    const dataDir = args.positional[0];
    let restored: { tree: ZooKeeperTree; report: RestoreReport };
    try {
      restored = readZooKeeperDataDir(dataDir, logDir ?? dataDir);
    } catch (err) {
      if (err instanceof ZooKeeperFileError) throw new UsageError(`cannot read the ZooKeeper data: ${err.message}`);
      throw err;
    }
    const { tree, report } = restored;
    for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`read ${report.snapshot ?? "no snapshot"} + ${report.txnsApplied} txns from ${report.logFiles.length} log(s), ` +
      `up to zxid 0x${report.lastZxid.toString(16)}\n`);
    const nodes = treeDump(tree, args.includeEphemeral);
    if (args.out !== null) return writeDumpFile(args.out, nodes);
    const zk = await connectTool(args);
    try {
      return await runImport(zk, args, toAsync(nodes));
    } finally {
      await zk.close();
    }
  });
}

function parseImportArgs(argv: readonly string[]): { args: ToolArgs; logDir: string | null } {
  const rest = [...argv];
  let logDir: string | null = null;
  const at = rest.findIndex((a) => a === "--data-log-dir" || a.startsWith("--data-log-dir="));
  if (at >= 0) {
    const [flag] = rest.splice(at, 1);
    logDir = flag.includes("=") ? flag.slice(flag.indexOf("=") + 1) : (rest.splice(at, 1)[0] ?? null);
    if (logDir === null) throw new UsageError("--data-log-dir needs a value");
  }
  const args = parseToolArgs(rest);
  if (args.positional.length !== 1) throw new UsageError(`expected one ZooKeeper data directory\n${IMPORT_ZOOKEEPER_USAGE}`);
  const hasServer = argv.some((a) => a === "--server" || a === "-server" || a.startsWith("--server="));
  if (args.out !== null && hasServer) throw new UsageError("give either --server or --out, not both");
  return { args, logDir };
}

async function writeDumpFile(file: string, nodes: Iterable<DumpNode>): Promise<number> {
  const out = file === "-" ? process.stdout : createWriteStream(file);
  let count = 0;
  for (const node of nodes) {
    if (!out.write(dumpLine(node))) await once(out, "drain");
    count++;
  }
  if (out !== process.stdout) {
    out.end();
    await once(out, "finish");
  }
  process.stderr.write(`wrote ${count} nodes to ${file === "-" ? "stdout" : file}\n`);
  return ExitCode.ok;
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
