/**
 * A tour of a replicated ensemble, on this machine: three `herd server --config` processes. It shows each
 * member's `srvr` (who leads), writes through a follower (which forwards writes to the leader), reads the
 * data back from every member, kills the leader with SIGKILL, shows the survivors elect a new one and still
 * hold every item, writes once more (two of three are a majority), and restarts the killed member, which
 * rejoins as a follower and catches up.
 *
 *   node dist/examples/ensemble-tour/tour.js [--base-port 2181] [--dir ./tour-data]
 *
 * Without --base-port it uses free ports; with it, members listen on base..base+2 (quorum +1000, election
 * +2000). Without --dir the data goes to a temporary directory removed at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, NodeExistsError } from "../../src/client/index.js";
import { planLocalEnsemble, type MemberPlan } from "../../src/testing/local-ensemble.js";
import { CONNECT_TIMEOUT_MS, Flags, onStop, runMain, say } from "../shared/cli.js";
import { RoleProcess } from "../shared/processes.js";

const USAGE = "usage: node dist/examples/ensemble-tour/tour.js [--base-port 2181] [--dir ./tour-data]";
const ENSEMBLE_SIZE = 3;
const ITEMS = 5;
const ROLE_TIMEOUT_MS = 30_000;
const SRVR_TIMEOUT_MS = 2_000;
const TOUR_PATH = "/tour";
const herdBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "bin", "herd.js");
/** The line a member logs once it serves in a role: "role following (synced), leader 3, epoch 1: …". */
const SERVING = /\brole (leading|following) \(synced\)/;

/** One member: its plan (ports, config file) and its process while running. */
class Member {
  process: RoleProcess | undefined;

  constructor(readonly plan: MemberPlan) {}

  get name(): string {
    return `server${this.plan.id}`;
  }

  get address(): string {
    return `127.0.0.1:${this.plan.clientPort}`;
  }

  /** Starts the process; its role changes are shown as they are logged. */
  start(): RoleProcess {
    const echoRole = (line: string) => {
      const at = line.indexOf("role ");
      if (SERVING.test(line)) say(this.name, line.slice(at));
    };
    this.process = new RoleProcess(this.name, herdBin, ["server", "--config", this.plan.cfgFile], { echo: echoRole, stderrLines: true });
    return this.process;
  }

  /** Waits for the member to serve (logged at or after line `from`); resolves with its role. */
  async serving(from = 0): Promise<"leading" | "following"> {
    const match = await this.running().waitFor(SERVING, ROLE_TIMEOUT_MS, from);
    return match[1] as "leading" | "following";
  }

  running(): RoleProcess {
    if (this.process === undefined) throw new Error(`${this.name} is not running`);
    return this.process;
  }
}

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { "base-port": "value", dir: "value" });
  if (flags.has("server")) throw new Error(`the tour starts its own servers: --server does not apply\n${USAGE}`);
  const ownDir = !flags.has("dir");
  const dir = ownDir ? mkdtempSync(path.join(tmpdir(), "herd-tour-")) : path.resolve(flags.string("dir", ""));
  const basePort = flags.has("base-port") ? flags.count("base-port", 2181) : undefined;
  const plans = await planLocalEnsemble({ size: ENSEMBLE_SIZE, baseDir: dir, basePort, tickTimeMs: 500 });
  const members = plans.map((p) => new Member(p));
  const stopAll = async () => {
    await Promise.all(members.map((m) => m.process?.stop()));
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  onStop(stopAll);
  try {
    await tour(members, dir);
  } finally {
    await stopAll();
  }
}

async function tour(members: Member[], dir: string): Promise<void> {
  say("tour", `a ${members.length}-member ensemble under ${dir}; client ports ${members.map((m) => m.plan.clientPort).join(", ")}`);
  for (const m of members) m.start();
  say("tour", "started server1..server3; they elect a leader among themselves");
  await Promise.all(members.map((m) => m.serving()));
  await showSrvr(members);

  const leader = await leaderOf(members);
  const follower = members.find((m) => m !== leader)!;
  say("tour", `${leader.name} leads. Writing ${ITEMS} items through the follower ${follower.name}: it forwards each write to the leader, which commits it once a majority has logged it`);
  await writeItems(follower.address, 1, ITEMS);
  await showItems(members, ITEMS);

  const survivors = members.filter((m) => m !== leader);
  const marks = new Map(survivors.map((m) => [m, m.running().mark()]));
  say("tour", `killing the leader ${leader.name} (pid ${leader.running().pid}) with SIGKILL`);
  const killedAt = Date.now();
  await leader.running().stop("SIGKILL");
  const roles = await Promise.all(survivors.map((m) => m.serving(marks.get(m))));
  const newLeader = survivors[roles.indexOf("leading")];
  if (newLeader === undefined) throw new Error("no survivor leads");
  say("tour", `${newLeader.name} was elected leader ${Date.now() - killedAt} ms after the kill`);
  await showSrvr(members);
  const lost = await showItems(survivors, ITEMS);
  if (lost === 0) say("tour", `no data lost: every item acknowledged before the kill is on both survivors`);

  say("tour", `writing item ${ITEMS + 1} while ${leader.name} is down: two of three members are a majority, so it commits`);
  await writeItems(survivors.map((m) => m.address).join(","), ITEMS + 1, ITEMS + 1);
  say("tour", `restarting ${leader.name}: it rejoins as a follower and catches up from the leader`);
  leader.start();
  say("tour", `${leader.name} is ${await leader.serving()}`);
  const lostAfterRestart = await showItems(members, ITEMS + 1);
  await showSrvr(members);
  if (lost + lostAfterRestart > 0) throw new Error("items were lost");
  say("tour", `tour finished: the leader ${leader.name} was killed, ${newLeader.name} took over, and no data was lost`);
}

/** The member whose srvr says "Mode: leader". */
async function leaderOf(members: readonly Member[]): Promise<Member> {
  for (const m of members) if ((await srvr(m.plan.clientPort)).mode === "leader") return m;
  throw new Error("no member reports Mode: leader");
}

async function showSrvr(members: readonly Member[]): Promise<void> {
  say("tour", "srvr of each member:");
  for (const m of members) {
    try {
      const s = await srvr(m.plan.clientPort);
      say("tour", `  ${m.name} ${m.address}  Mode: ${s.mode}  Zxid: ${s.zxid}  Node count: ${s.nodeCount}`);
    } catch {
      say("tour", `  ${m.name} ${m.address}  not answering (killed)`);
    }
  }
}

interface SrvrSummary { mode: string; zxid: string; nodeCount: string }

/** Sends the four-letter word `srvr` and picks out the lines a person looks at. */
function srvr(port: number): Promise<SrvrSummary> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    socket.setTimeout(SRVR_TIMEOUT_MS, () => socket.destroy(new Error(`srvr on port ${port}: no answer within ${SRVR_TIMEOUT_MS} ms`)));
    socket.on("connect", () => socket.write("srvr"));
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("end", () => {
      const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(text)?.[1]?.trim() ?? "?";
      resolve({ mode: field("Mode"), zxid: field("Zxid"), nodeCount: field("Node count") });
    });
  });
}

async function writeItems(connectString: string, first: number, last: number): Promise<void> {
  const zk = createClient(connectString, { sessionTimeoutMs: 4_000 });
  try {
    await zk.whenConnected(CONNECT_TIMEOUT_MS);
    try {
      await zk.create(TOUR_PATH);
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
    for (let i = first; i <= last; i++) {
      await zk.create(`${TOUR_PATH}/item-${i}`, `item ${i}`);
      say("tour", `  created ${TOUR_PATH}/item-${i} via ${zk.currentServer}`);
    }
  } finally {
    await zk.close();
  }
}

/** Reads the items from each member on its own (sync first, so it has caught up); returns how many are missing. */
async function showItems(members: readonly Member[], expected: number): Promise<number> {
  let missing = 0;
  for (const m of members) {
    const zk = createClient(m.address, { sessionTimeoutMs: 4_000 });
    try {
      await zk.whenConnected(CONNECT_TIMEOUT_MS);
      await zk.sync(TOUR_PATH);
      const count = (await zk.getChildren(TOUR_PATH)).length;
      missing += Math.max(0, expected - count);
      say("tour", `  ${m.name} has ${count} of ${expected} items`);
    } finally {
      await zk.close();
    }
  }
  return missing;
}

runMain("tour", main);
