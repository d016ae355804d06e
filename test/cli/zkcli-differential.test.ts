/**
 * `herd cli` against the real zkCli.sh (Debian's 3.8): the same script of commands is piped into each, each
 * against its own fresh Herd server (so zxids match), and the transcripts must be the same command by
 * command. A `sync /` after every command ("Sync is OK") cuts the transcripts into comparable pieces;
 * dates, session ids and our prompts are the only things normalised away.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ServerProcess } from "../helpers/server-process.js";
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
];

/** One zkCli or herd cli session over the script; stdout and stderr merged in order. */
async function transcript(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const lines = [DELIMITER, ...script.flatMap((c) => [c, DELIMITER]), "quit"];
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

describe("herd cli prints what zkCli.sh prints", () => {
  let forZkCli: ServerProcess;
  let forHerdCli: ServerProcess;

  before(async () => {
    [forZkCli, forHerdCli] = await startHerds(2);
  });

  after(async () => {
    await Promise.all([forZkCli?.stop(), forHerdCli?.stop()]);
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
});
