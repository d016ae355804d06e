/**
 * A service that takes its configuration from ZooKeeper: it applies the current configuration when it starts
 * and every change after that, as it happens.
 *
 *   node dist/examples/config/service.js [--name svc-a] [--path /examples/config/app] [--server host:port]
 */
import { connect, Flags, onStop, runMain, say } from "../shared/cli.js";
import { CONFIG_PATH_DEFAULT, configText, followConfig } from "./config-node.js";

const USAGE = "usage: node dist/examples/config/service.js [--name svc-a] [--path /examples/config/app] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", path: "value" });
  const name = flags.string("name", `svc-${process.pid}`);
  const path = flags.string("path", CONFIG_PATH_DEFAULT);
  const zk = await connect(flags.server, name);
  onStop(() => zk.close());
  say(name, `started; following ${path}`);
  followConfig(zk, path, {
    onConfig: ({ config, version }) => say(name, `applied config version ${version}: ${configText(config)}`),
    onMissing: () => say(name, `no config at ${path} yet; waiting for one`),
    onError: (err) => say(name, `could not read the config: ${err instanceof Error ? err.message : String(err)}`),
  });
}

runMain("config service", main);
