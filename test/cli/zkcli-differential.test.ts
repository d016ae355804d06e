/**
 * `herd cli` against the real zkCli.sh (Debian's 3.8): the same script of commands is piped into each, each
 * against its own fresh server (so zxids match), and the transcripts must be the same command by command.
 * A `sync /` after every command ("Sync is OK") cuts the transcripts into comparable pieces; dates, session
 * ids, our prompts and the CLI's version line are the only things normalised away.
 *
 * The znode script runs on Herd servers. The quota/server script runs four ways — zkCli.sh and herd cli, each
 * on Apache ZooKeeper 3.8 and on Herd — so it checks the client (herd cli = zkCli.sh) and the server (Herd
 * keeps zookeeper_stats, answers reconfig, like ZooKeeper) at once. `help` is compared command by command.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startApacheZooKeeper, type ServerProcess } from "../helpers/server-process.js";
import { runProgram } from "../helpers/process-io.js";
import { requireTool, zkCliScript } from "../helpers/interop-tools.js";
import { digestId } from "../../src/client/index.js";
import { cliEnv, herdBin, scratchHome, startHerds } from "./support.js";

const DELIMITER = "sync /";

const script: readonly string[] = [
  "create /d data1", "create /d dup", "create /d/a alpha", "create /d/b beta", "create -e /d/eph e",
  "create -s /d/seq- s", "create -c /dc c", "get /d", "get -s /d", "set /d data2", "set -s /d data3",
  "set -v 99 /d x", "stat /d", "stat /nope", "ls /d", "ls -s /d", "ls -R /d", "ls /nope", "get /nope",
  "create nope", "create /nope/child x", "create '/d/has space' 'two words'", "get '/d/has space'",
  "delete /d", "delete -v 7 /d/a", "delete /d/a", "getAcl /d", "getAcl -s /d",
  "setAcl /d world:anyone:cdrwa", "setAcl -s /d world:anyone:cdrw",
  `create /secret s digest:${digestId("u1", "pw1")}:cdrwa`, "getAcl /secret", "get /secret",
  "create /secret/x", "setAcl /secret world:anyone:r", "addauth digest u1:pw1", "get /secret", "whoami",
  "create /ro r world:anyone:r", "set /ro w", "create -e /d/eph/child x",
  "getAllChildrenNumber /d", "getEphemerals /d", "getEphemerals",
  "get -w /d", "set /d data4", "ls -w /d", "create /d/c gamma", "stat -w /d/c", "delete /d/c",
  "addWatch /d", "create /d/e eps", "set /d/e eps2", "removewatches /d", "removewatches /d",
  "addWatch -m PERSISTENT /d", "set /d data5", "removewatches /d -a",
  "setAcl -R /d world:anyone:cdra", "getAcl /d/b", "ls -R /", "config", "printwatches",
  "deleteall /d", "ls /d", "history", "redo 1", "get /d",
  // Null data (zkCli prints "null"), the 3.4 forms zkCli still takes, and commons-cli's option errors.
  "create /nul", "get /nul", "get -s /nul", "create /d/x x", "get /d watch", "set /d data6", "get -s /d x",
  "ls /d w", "stat /d x", "delete /d/x 5", "ls /d", "ls -x /", "get -v", "create -t", "set -v -s /d x",
];

/** Quotas, version, reconfig and printwatches: run on both server kinds. */
const quotaScript: readonly string[] = [
  "create /q qdata", "create /q/a alpha", "create /q/b", "create /q/b/c gamma",
  "setquota /q", "setquota -n 3", "setquota -n 3 -b 4 /q", "setquota -n x /q", "setquota -n 0 /q", "setquota -b -1 /q",
  "setquota -N 0 /q", "setquota -B -5 /q", "setquota -n 3 /zookeeper/quota/q", "setquota -n 3 q",
  "setquota -n 2147483648 /q", "setquota -n", "setquota -n -b /q", "setquota -x 3 /q", "setquota -n 3 /nope", "setquota -n 3 /",
  "setquota -n 2 /q", "get /zookeeper/quota/q", "get /zookeeper/quota/q/zookeeper_limits",
  "get /zookeeper/quota/q/zookeeper_stats", "listquota /q", "setquota -b 9223372036854775807 /q", "setquota -B 3 /q",
  "setquota -N 10 /q", "listquota /q", "setquota -n 1 /q/b", "create /p", "create /p/c", "create /p/c/d",
  "setquota -N 5 /p/c/d", "setquota -b 10 /p", "setquota -b 10 /p/c", "listquota", "listquota /nope", "listquota q",
  "listquota /", "delquota /nope", "delquota -n /q", "listquota /q", "delquota -n -b /q", "delquota -x /q", "delquota",
  "create /q/new new", "listquota /q", "delquota /p", "ls -R /zookeeper", "delquota /p/c/d", "ls -R /zookeeper",
  "delquota -B /q", "listquota /q", "delquota /q", "listquota /q", "ls -R /zookeeper", "get /zookeeper/quota",
  "version", "version x", "reconfig", "reconfig -add 5=127.0.0.1:2888:3888;2181", "reconfig -remove 3 -v 1 -s",
  "reconfig -members server.1=127.0.0.1:2888:3888:participant;2181", "reconfig -remove 3 -v zz",
  "reconfig -members a -add b", "reconfig -file /nonexistent/dynamic.cfg", "reconfig -file a -members b",
  "reconfig -add", "reconfig -x", "config -c", "printwatches off", "printwatches", "get -w /q", "set /q q2",
  "printwatches on", "printwatches",
];

/** One zkCli or herd cli session over a script; stdout and stderr merged in order. */
async function transcript(
  command: string, args: readonly string[], env: NodeJS.ProcessEnv, commands: readonly string[] = script,
): Promise<string> {
  const lines = [DELIMITER, ...commands.flatMap((c) => [c, DELIMITER]), "quit"];
  const r = await runProgram("bash", ["-c", 'exec "$0" "$@" 2>&1', command, ...args], {
    input: `${lines.join("\n")}\n`, timeoutMs: 60_000, env,
  });
  assert.equal(r.code, 0, `${command} exited ${r.code}\n${r.stdout}`);
  return r.stdout;
}

/** The output of each script command, normalised. */
function pieces(text: string): string[] {
  const normalised = text
    .split("\n").filter((l) => !l.startsWith("SLF4J:")).join("\n")
    .replace(/\[zk: [^\]]*\] /g, "")
    .replace(/^(c|m)time = .*$/gm, "$1time = <date>")
    .replace(/^ZooKeeper CLI version: .*$/gm, "ZooKeeper CLI version: <version>")
    .replace(/^ephemeralOwner = 0x[1-9a-f][0-9a-f]*$/gm, "ephemeralOwner = <session>");
  const parts = normalised.split("Sync is OK\n");
  // Before the first delimiter: banners and the connection event; after the last: quit.
  return parts.slice(1, -1).map(separateEvents);
}

/**
 * zkCli prints watch events from its event thread, line by line, so they interleave with the output of the
 * command that caused them differently from run to run (herd cli prints each event whole, first). Compare
 * the command's own lines in order, then its events; the blank lines around events are left out (the shell
 * test checks herd cli's exact event block).
 */
function separateEvents(piece: string): string {
  const lines = piece.split("\n").filter((l) => l !== "");
  const isEvent = (l: string) => l === "WATCHER::" || l.startsWith("WatchedEvent ");
  const events = lines.filter((l) => l.startsWith("WatchedEvent ")).sort();
  return [...lines.filter((l) => !isEvent(l)), "-- events --", ...events].join("\n");
}

const zkCli = () => requireTool(zkCliScript);
const herdCli = (server: ServerProcess) =>
  transcriptOf(process.execPath, [herdBin, "cli", "-server", server.connectString], cliEnv(scratchHome()));
const zkCliOn = (server: ServerProcess) => transcriptOf(zkCli(), ["-server", server.connectString], process.env);

function transcriptOf(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  return (commands: readonly string[]) => transcript(command, args, env, commands);
}

/** Asserts each transcript equals the first (the reference), command by command. */
function assertSameTranscripts(commands: readonly string[], runs: readonly { name: string; text: string }[]): void {
  const [reference, ...others] = runs;
  const want = pieces(reference.text);
  assert.equal(want.length, commands.length, `${reference.name} transcript has ${want.length} pieces:\n${reference.text}`);
  for (const run of others) {
    const got = pieces(run.text);
    for (const [i, command] of commands.entries()) {
      assert.equal(got[i], want[i], `output of \`${command}\` differs (${run.name}, then ${reference.name})`);
    }
    assert.equal(got.length, want.length, `${run.name} transcript has ${got.length} pieces`);
  }
}

/** `help`'s command lines ("\tname usage"), without the first line, which names the program. */
function helpCommands(text: string): string[] {
  return text.split("\n").filter((l) => l.startsWith("\t")).sort();
}

describe("herd cli prints what zkCli.sh prints", () => {
  let forZkCli: ServerProcess;
  let forHerdCli: ServerProcess;
  let zooKeepers: ServerProcess[] = [];

  before(async () => {
    [forZkCli, forHerdCli] = await startHerds(2);
    zooKeepers = await Promise.all([startApacheZooKeeper(), startApacheZooKeeper()]);
  });

  after(async () => {
    await Promise.all([forZkCli?.stop(), forHerdCli?.stop(), ...zooKeepers.map((z) => z.stop())]);
  });

  it("for every command of a script, command by command", async () => {
    const [expected, actual] = await Promise.all([
      transcript(requireTool(zkCliScript), ["-server", forZkCli.connectString], process.env),
      transcript(process.execPath, [herdBin, "cli", "-server", forHerdCli.connectString], cliEnv(scratchHome())),
    ]);
    const want = pieces(expected);
    const got = pieces(actual);
    assert.equal(want.length, script.length, `zkCli transcript has ${want.length} pieces:\n${expected}`);
    for (const [i, command] of script.entries()) {
      assert.equal(got[i], want[i], `output of \`${command}\` differs (herd cli, then zkCli.sh)`);
    }
    assert.equal(got.length, want.length);
  });

  it("quotas, version, reconfig and printwatches: zkCli.sh and herd cli, on ZooKeeper and on Herd", async () => {
    const [herdA, herdB] = await startHerds(2);
    try {
      const [zkCliOnZooKeeper, herdCliOnZooKeeper, zkCliOnHerd, herdCliOnHerd] = await Promise.all([
        zkCliOn(zooKeepers[0])(quotaScript), herdCli(zooKeepers[1])(quotaScript),
        zkCliOn(herdA)(quotaScript), herdCli(herdB)(quotaScript),
      ]);
      assertSameTranscripts(quotaScript, [
        { name: "zkCli.sh on ZooKeeper", text: zkCliOnZooKeeper },
        { name: "herd cli on ZooKeeper", text: herdCliOnZooKeeper },
        { name: "zkCli.sh on Herd", text: zkCliOnHerd },
        { name: "herd cli on Herd", text: herdCliOnHerd },
      ]);
    } finally {
      await Promise.all([herdA.stop(), herdB.stop()]);
    }
  });

  it("help lists the same commands with the same usage", async () => {
    const [zk, herd] = await Promise.all([zkCliOn(forZkCli)(["help"]), herdCli(forHerdCli)(["help"])]);
    const want = helpCommands(zk);
    assert.ok(want.some((l) => l.startsWith("\tsetquota ")), `zkCli help:\n${zk}`);
    assert.deepEqual(helpCommands(herd), want);
  });
});
