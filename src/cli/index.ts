/** `herd cli`, `herd snapshot` and `herd import-zookeeper`: the operator's command-line tools. */
export { CLI_USAGE, cliMain, parseCliArgs, runOnce } from "./main.js";
export type { CliArgs, TextSink } from "./main.js";
export { CliSession, ExitCode, COMMAND_NAMES, usageText } from "./session.js";
export type { CliOutput, CliSessionOptions, Outcome } from "./session.js";
export { completeLine, defaultHistoryFile, HISTORY_FILE_LINES_MAX, HISTORY_FILE_NAME } from "./shell.js";
export { SNAPSHOT_USAGE, exportTree, importNodes, readDump, snapshotMain } from "./snapshot.js";
export type { ExportCounts, ImportCounts } from "./snapshot.js";
export type { DumpAcl, DumpNode } from "./dump.js";
export { IMPORT_ZOOKEEPER_USAGE, importZooKeeperMain, readZooKeeperDataDir, treeDump } from "./import-zookeeper.js";
export { ZooKeeperTree } from "./zookeeper/tree.js";
