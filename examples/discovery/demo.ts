/**
 * The discovery demo: three servers register, a client spreads requests over them. s2 is killed with
 * SIGKILL: the client's requests to it fail until its node goes with its session, then the list drops it.
 * A new server s4 starts and the client uses it as soon as it registers.
 *
 *   node dist/examples/discovery/demo.js [--session-timeout-ms 4000] [--server host:port]
 */
import { connect, deleteTree, Flags, onStop, runMain, say, SESSION_TIMEOUT_MS_DEFAULT } from "../shared/cli.js";
import { exampleScript, printLine, RoleProcess, stopAll } from "../shared/processes.js";

const USAGE = "usage: node dist/examples/discovery/demo.js [--session-timeout-ms 4000] [--server host:port]";
const STEP_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { "session-timeout-ms": "value" });
  const sessionTimeoutMs = flags.count("session-timeout-ms", SESSION_TIMEOUT_MS_DEFAULT);
  const zk = await connect(flags.server, "demo");
  await deleteTree(zk, "/examples/discovery");
  await zk.close();
  const programs: RoleProcess[] = [];
  onStop(() => stopAll(programs));
  const startServer = (name: string) => {
    const args = ["--name", name, "--session-timeout-ms", String(sessionTimeoutMs), "--server", flags.server];
    const server = new RoleProcess(name, exampleScript("discovery", "server"), args, { echo: printLine });
    programs.push(server);
    return server;
  };
  try {
    const servers = [startServer("s1"), startServer("s2"), startServer("s3")];
    await Promise.all(servers.map((s) => s.waitFor(/registered/, STEP_TIMEOUT_MS)));
    const client = new RoleProcess("c1", exampleScript("discovery", "client"), ["--name", "c1", "--interval-ms", "300", "--server", flags.server], { echo: printLine });
    programs.push(client);
    await client.waitFor(/servers now: s1 .*, s2 .*, s3 /, STEP_TIMEOUT_MS);
    await Promise.all(["s1", "s2", "s3"].map((s) => client.waitFor(new RegExp(`→ ${s}: hello`), STEP_TIMEOUT_MS)));

    say("demo", "killing s2 with SIGKILL: its node stays until its session times out, so some requests to it fail meanwhile");
    const killedAt = Date.now();
    const mark = client.mark();
    await servers[1]!.stop("SIGKILL");
    await client.waitFor(/servers now: s1 \S+, s3 \S+$/, sessionTimeoutMs + STEP_TIMEOUT_MS, mark);
    say("demo", `s2 left the client's list ${Date.now() - killedAt} ms after the kill (session timeout ${sessionTimeoutMs} ms)`);

    say("demo", "starting s4: the client uses it as soon as it registers");
    startServer("s4");
    await client.waitFor(/→ s4: hello/, STEP_TIMEOUT_MS, client.mark());
    say("demo", "done");
  } finally {
    await stopAll(programs);
  }
}

runMain("demo", main);
