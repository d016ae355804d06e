/**
 * A process that takes part in a leader election (the LeaderLatch recipe, Curator's layout) at
 * /examples/leader/election. Each candidate has an ephemeral sequential node there; the lowest leads, and
 * every other watches only the node just ahead of it, so when the leader's node goes (its process stopped
 * or its session expired) the next in line learns it at once and leads.
 *
 *   node dist/examples/leader/candidate.js [--name c1] [--session-timeout-ms 4000] [--server host:port]
 */
import type { WatchEvent, ZooKeeperClient } from "../../src/client/index.js";
import { LeaderLatch } from "../../src/recipes/index.js";
import { connect, Flags, isStopping, onStop, runMain, say, serialPasses, SESSION_TIMEOUT_MS_DEFAULT } from "../shared/cli.js";

const ELECTION_PATH = "/examples/leader/election";

const USAGE = "usage: node dist/examples/leader/candidate.js [--name c1] [--session-timeout-ms 4000] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", "session-timeout-ms": "value" });
  const name = flags.string("name", `candidate-${process.pid}`);
  const zk = await connect(flags.server, name, { sessionTimeoutMs: flags.count("session-timeout-ms", SESSION_TIMEOUT_MS_DEFAULT) });
  const latch = new LeaderLatch(zk, ELECTION_PATH, { id: name });
  latch.on("isLeader", () => say(name, "is now the leader"));
  latch.on("notLeader", () => say(name, "is no longer the leader"));
  latch.on("error", (err) => say(name, `election trouble: ${err.message}`));
  // Stopping cleanly closes the session: our node goes now, not after the session timeout.
  onStop(async () => {
    await latch.close();
    await zk.close();
  });
  say(name, `joining the election at ${ELECTION_PATH} (session timeout ${zk.sessionTimeoutMs} ms)`);
  await latch.start();
  reportLeaderChanges(zk, name, latch);
}

/** Followers say who leads whenever that changes: a watch on the election's participants. */
function reportLeaderChanges(zk: ZooKeeperClient, name: string, latch: LeaderLatch): void {
  let reported: string | undefined;
  const onChange = (event: WatchEvent) => {
    if (event.type.startsWith("Node")) requestPass();
  };
  const requestPass = serialPasses(async () => {
    await zk.getChildren(ELECTION_PATH, { watch: onChange });
    const leader = await latch.getLeader();
    if (leader === undefined || leader.id === reported) return;
    reported = leader.id;
    if (leader.id !== name) say(name, `the leader is ${leader.id}`);
  }, (err) => {
    if (!isStopping()) say(name, `could not read the participants: ${err instanceof Error ? err.message : String(err)}`);
  });
  requestPass();
}

runMain("leader candidate", main);
