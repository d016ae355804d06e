/**
 * The leader demo: three candidates, c1 leads. c1 is killed with SIGKILL, so its node stays until its session
 * times out; then c2 leads. c2 is stopped with SIGTERM and closes its session, so c3 leads at once.
 *
 *   node dist/examples/leader/demo.js [--session-timeout-ms 4000] [--server host:port]
 */
import { Flags, onStop, runMain, say, SESSION_TIMEOUT_MS_DEFAULT } from "../shared/cli.js";
import { exampleScript, firstToPrint, printLine, RoleProcess, stopAll } from "../shared/processes.js";

const USAGE = "usage: node dist/examples/leader/demo.js [--session-timeout-ms 4000] [--server host:port]";
const STEP_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { "session-timeout-ms": "value" });
  const sessionTimeoutMs = flags.count("session-timeout-ms", SESSION_TIMEOUT_MS_DEFAULT);
  const candidates: RoleProcess[] = [];
  onStop(() => stopAll(candidates));
  const start = (name: string) => {
    const args = ["--name", name, "--session-timeout-ms", String(sessionTimeoutMs), "--server", flags.server];
    const candidate = new RoleProcess(name, exampleScript("leader", "candidate"), args, { echo: printLine });
    candidates.push(candidate);
    return candidate;
  };
  try {
    const c1 = start("c1");
    await c1.waitFor(/is now the leader/, STEP_TIMEOUT_MS);
    const rest = [start("c2"), start("c3")];
    await Promise.all(rest.map((c) => c.waitFor(/the leader is c1/, STEP_TIMEOUT_MS)));

    say("demo", "killing the leader c1 with SIGKILL: its node stays until its session times out, then the next in line leads");
    const marks = new Map(rest.map((c) => [c, c.mark()]));
    let since = Date.now();
    await c1.stop("SIGKILL");
    const second = await firstToPrint(rest, /is now the leader/, sessionTimeoutMs + STEP_TIMEOUT_MS, marks);
    say("demo", `${second.name} took over ${Date.now() - since} ms after the kill (session timeout ${sessionTimeoutMs} ms)`);

    const last = rest.find((c) => c !== second)!;
    await last.waitFor(new RegExp(`the leader is ${second.name}`), STEP_TIMEOUT_MS, marks.get(last));
    say("demo", `stopping the leader ${second.name} with SIGTERM: it closes its session, so ${last.name} leads at once`);
    const mark = last.mark();
    since = Date.now();
    await second.stop("SIGTERM");
    await last.waitFor(/is now the leader/, STEP_TIMEOUT_MS, mark);
    say("demo", `${last.name} took over ${Date.now() - since} ms after the stop`);
  } finally {
    await stopAll(candidates);
  }
}

runMain("demo", main);
