/**
 * The naming demo: three id clients run at once against one server and each takes five ids; their lines
 * interleave, yet every id is different and each client's ids go up.
 *
 *   node dist/examples/naming/demo.js [--clients 3] [--count 5] [--server host:port]
 */
import { Flags, onStop, runMain, say } from "../shared/cli.js";
import { exampleScript, printLine, RoleProcess, stopAll } from "../shared/processes.js";

const USAGE = "usage: node dist/examples/naming/demo.js [--clients 3] [--count 5] [--server host:port]";
const RUN_TIMEOUT_MS = 60_000;

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { clients: "value", count: "value" });
  const clientCount = flags.count("clients", 3);
  const count = flags.count("count", 5);
  say("demo", `starting ${clientCount} id clients at once, ${count} ids each, against ${flags.server}`);
  const clients = Array.from({ length: clientCount }, (_, i) => {
    const name = `c${i + 1}`;
    return new RoleProcess(name, exampleScript("naming", "id-client"), ["--name", name, "--count", String(count), "--server", flags.server], { echo: printLine });
  });
  onStop(() => stopAll(clients));
  const statuses = await Promise.all(clients.map((c) => c.waitForExit(RUN_TIMEOUT_MS)));
  if (statuses.some((s) => s.code !== 0)) throw new Error("an id client failed");
  const idsPerClient = clients.map((c) => c.matches(/got id (\d+)/).map((m) => Number(m[1])));
  const ids = idsPerClient.flat();
  const unique = new Set(ids).size === ids.length;
  const increasing = idsPerClient.every((list) => list.every((id, i) => i === 0 || id > list[i - 1]!));
  say("demo", `${ids.length} ids handed out, ${unique ? "all different" : "WITH DUPLICATES"}: ${[...ids].sort((a, b) => a - b).join(" ")}`);
  say("demo", increasing ? "each client's ids went up" : "SOME CLIENT'S IDS WENT DOWN");
  if (!unique || !increasing) process.exitCode = 1;
}

runMain("demo", main);
