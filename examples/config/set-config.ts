/**
 * Changes the shared configuration: merges key=value pairs into it (`key=` removes a key) and prints the
 * version written. Every service following the node applies the change.
 *
 *   node dist/examples/config/set-config.js color=blue size=3 [--path /examples/config/app] [--server host:port]
 */
import { connect, Flags, runMain, say } from "../shared/cli.js";
import { CONFIG_PATH_DEFAULT, configText, parseChanges, updateConfig } from "./config-node.js";

const USAGE = "usage: node dist/examples/config/set-config.js key=value... [--path /examples/config/app] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { path: "value" }, true);
  const changes = parseChanges(flags.positionals);
  if (Object.keys(changes).length === 0) throw new Error(`nothing to change\n${USAGE}`);
  const path = flags.string("path", CONFIG_PATH_DEFAULT);
  const zk = await connect(flags.server, "set-config");
  const { config, version } = await updateConfig(zk, path, changes);
  say("set-config", `wrote config version ${version}: ${configText(config)}`);
  await zk.close();
}

runMain("set-config", main);
