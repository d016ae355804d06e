#!/usr/bin/env node
/**
 * Herd's command-line entry point.
 *   herd server                      standalone server on 127.0.0.1:2181, data under ./data
 *   herd server --config zoo.cfg     the same, configured by a ZooKeeper zoo.cfg (ensemble member if it lists servers)
 *   herd ensemble --size 3           a local ensemble for development (data under ./data/ensemble)
 *   herd cli [-server host:port] [--json] [command...]   zkCli.sh-compatible shell, or one command
 *   herd snapshot export|import --server host:port      portable JSON-lines dump of a tree
 *   herd import-zookeeper <dataDir> --server host:port  copy an Apache ZooKeeper data directory into Herd
 */
import { createLogger, type LogLevel } from "../base/logger.js";
import { ConfigError, defaultServerConfig, loadServerConfig, type ServerConfig } from "../config/server-config.js";
import { HerdServer } from "../runtime/herd-server.js";
import { applyServerProcessTuning } from "./process-tuning.js";

const USAGE = `usage: herd server [--config zoo.cfg] [--log-level debug|info|warn|error] [--log-format text|json|auto]
  Starts a standalone Herd server. Without --config it listens on 127.0.0.1:2181 with data under ./data.
       herd ensemble [--size 3] [--observers 0] [--dir ./data/ensemble] [--base-port 2181]
       herd cli [-server host:port] [--json] [command...]
       herd snapshot export|import --server host:port
       herd import-zookeeper <dataDir> (--server host:port | --out dump.jsonl)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The operator tools load only when asked for, so `herd server` starts exactly as before.
  if (command === "cli") return (await import("../cli/index.js")).cliMain(rest);
  if (command === "snapshot") return (await import("../cli/index.js")).snapshotMain(rest);
  if (command === "import-zookeeper") return (await import("../cli/index.js")).importZooKeeperMain(rest);
  if (command === "ensemble") return (await import("./ensemble-command.js")).ensembleMain(rest);
  if (command !== "server") {
    process.stderr.write(USAGE + "\n");
    return command === undefined || command === "--help" || command === "-h" ? 0 : 64;
  }
  let configFile: string | null = null;
  let level: LogLevel = (process.env.HERD_LOG_LEVEL as LogLevel | undefined) ?? "info";
  // Text on a terminal, one JSON object per line otherwise (log collectors); --log-format overrides.
  let format: "json" | "text" | "auto" = (process.env.HERD_LOG_FORMAT as "json" | "text" | "auto" | undefined) ?? "text";
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--config" || arg === "-c") configFile = rest[++i] ?? null;
    else if (arg.startsWith("--config=")) configFile = arg.slice("--config=".length);
    else if (arg === "--log-level") level = rest[++i] as LogLevel;
    else if (arg === "--log-format") format = rest[++i] as "json" | "text" | "auto";
    else {
      process.stderr.write(`unknown argument ${arg}\n${USAGE}\n`);
      return 64;
    }
  }
  const logger = createLogger({ format, level });
  let config: ServerConfig;
  try {
    config = configFile === null ? defaultServerConfig() : loadServerConfig(configFile);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`herd: bad configuration: ${e.message}\n`);
      return 78;
    }
    throw e;
  }
  for (const key of config.unknownKeys) logger.warn(`unknown configuration key '${key}' ignored`);
  for (const warning of config.warnings) logger.warn(warning);

  // Before the server loads its tree: a process that serves keeps its memory in check (process-tuning.ts).
  const tuning = applyServerProcessTuning();
  if (tuning.youngGenerationBytesMax === null) logger.debug("young generation sized by node flags; no cap");
  else logger.debug(`young generation capped at ${tuning.youngGenerationBytesMax / (1024 * 1024)} MiB`);

  let server: HerdServer;
  try {
    server = await HerdServer.start(config, logger);
  } catch (e) {
    // Corrupt storage, a taken port, an unwritable data dir: say what and where, and do not serve.
    process.stderr.write(`herd: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (server.serverId !== 1n || config.servers.size > 1) {
    process.stdout.write(`Herd ensemble member ${server.serverId} listening on ${config.clientPortAddress}:${server.port}\n`);
  } else {
    process.stdout.write(`Herd serving standalone on ${config.clientPortAddress}:${server.port}\n`);
  }
  if (server.securePort !== null) process.stdout.write(`Herd serving TLS on port ${server.securePort}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`${signal} received, shutting down`);
      server.close().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`herd: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
