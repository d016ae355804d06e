/**
 * The configuration demo: two services follow the configuration while it changes three times, then a third
 * service starts late and begins from the current configuration.
 *
 *   node dist/examples/config/demo.js [--server host:port]
 */
import { connect, deleteTree, Flags, onStop, runMain, say } from "../shared/cli.js";
import { exampleScript, printLine, RoleProcess, stopAll } from "../shared/processes.js";
import { CONFIG_PATH_DEFAULT, configText, updateConfig, type Config } from "./config-node.js";

const USAGE = "usage: node dist/examples/config/demo.js [--server host:port]";
const STEP_TIMEOUT_MS = 15_000;
const CHANGES: Config[] = [{ color: "blue" }, { replicas: "3" }, { color: "red", replicas: "5" }];

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, {});
  const zk = await connect(flags.server, "demo");
  const services: RoleProcess[] = [];
  onStop(() => stopAll(services));
  const startService = (name: string) => {
    const service = new RoleProcess(name, exampleScript("config", "service"), ["--name", name, "--server", flags.server], { echo: printLine });
    services.push(service);
    return service;
  };
  try {
    await deleteTree(zk, "/examples/config");
    const first = await updateConfig(zk, CONFIG_PATH_DEFAULT, { color: "green", replicas: "1" });
    say("demo", `wrote the first config (version ${first.version}): ${configText(first.config)}`);
    const early = [startService("svc-a"), startService("svc-b")];
    await Promise.all(early.map((s) => s.waitFor(/applied config version 0:/, STEP_TIMEOUT_MS)));
    for (const change of CHANGES) {
      const { version, config } = await updateConfig(zk, CONFIG_PATH_DEFAULT, change);
      say("demo", `changed ${configText(change)}: now version ${version}: ${configText(config)}`);
      await Promise.all(early.map((s) => s.waitFor(new RegExp(`applied config version ${version}:`), STEP_TIMEOUT_MS)));
    }
    say("demo", "starting svc-c late: it should start from the current config");
    const late = startService("svc-c");
    await late.waitFor(new RegExp(`applied config version ${CHANGES.length}:`), STEP_TIMEOUT_MS);
    say("demo", "done: every service applied every change, and the late one began with the current config");
  } finally {
    await stopAll(services);
    await zk.close();
  }
}

runMain("demo", main);
