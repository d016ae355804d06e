/**
 * The interactive `herd cli` driven through pipes like a person at a terminal: wait for each prompt, type a
 * line, read what comes back. Covers prompts and their numbering, watch events arriving between commands,
 * history/redo, close/connect, quit, the persisted and bounded ~/.herd_cli_history, and tab completion.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startHerd, type ServerProcess } from "../helpers/server-process.js";
import { createClient, type ZooKeeperClient } from "../../src/client/index.js";
import { HISTORY_FILE_LINES_MAX, HISTORY_FILE_NAME, completeLine } from "../../src/cli/index.js";
import { interactiveCli, scratchHome } from "./support.js";

const waitMs = 10_000;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("herd cli interactive shell", () => {
  let server: ServerProcess;
  let zk: ZooKeeperClient;

  before(async () => {
    server = await startHerd();
    zk = createClient(server.connectString);
    await zk.whenConnected();
  });

  after(async () => {
    await zk?.close();
    await server?.stop();
  });

  it("prompts, runs commands, prints watch events, history, redo, close, connect, quit", async () => {
    const home = scratchHome();
    const cs = server.connectString;
    const shell = interactiveCli(cs, home);
    const prompt = (n: number, state = "CONNECTED") => new RegExp(escapeRe(`[zk: ${cs}(${state}) ${n}] `));
    try {
      await shell.expect(/Welcome to Herd!/, waitMs);
      await shell.expect(/WatchedEvent state:SyncConnected type:None path:null\n/, waitMs);
      await shell.expect(prompt(0), waitMs);

      shell.send("create /shell one");
      await shell.expect(/Created \/shell\n/, waitMs);
      await shell.expect(prompt(1), waitMs);

      shell.send("get -w /shell");
      await shell.expect(/one\n/, waitMs);
      await shell.expect(prompt(2), waitMs);
      // Another client changes the node: the event arrives while the shell waits for input.
      await zk.setData("/shell", "two");
      await shell.expect(/\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:\/shell\n/, waitMs);
      await shell.expect(prompt(2), waitMs);

      shell.send("ls /nope");
      await shell.expect(/Node does not exist: \/nope\n/, waitMs);
      await shell.expect(prompt(3), waitMs);

      shell.send("history");
      await shell.expect(/0 - create \/shell one\n1 - get -w \/shell\n2 - ls \/nope\n3 - history\n/, waitMs);
      await shell.expect(prompt(4), waitMs);

      shell.send("redo 1");
      await shell.expect(/two\n/, waitMs);
      await shell.expect(prompt(5), waitMs);

      shell.send("close");
      await shell.expect(/WatchedEvent state:Closed type:None path:null\n/, waitMs);
      await shell.expect(prompt(6, "CLOSED"), waitMs);
      shell.send("ls /");
      await shell.expect(/Not connected\n/, waitMs);

      shell.send(`connect ${cs}`);
      await shell.expect(/WatchedEvent state:SyncConnected type:None path:null\n/, waitMs);
      shell.send("get /shell");
      await shell.expect(/two\n/, waitMs);

      shell.send("quit");
      const status = await shell.waitForClose(waitMs);
      assert.equal(status.code, 0);
    } finally {
      shell.child.kill("SIGKILL");
    }
    const history = readFileSync(path.join(home, HISTORY_FILE_NAME), "utf8");
    assert.equal(history, ["create /shell one", "get -w /shell", "ls /nope", "history", "redo 1", "close", "ls /",
      `connect ${cs}`, "get /shell", "quit"].join("\n") + "\n");
  });

  it("ends at end of input, and keeps the history file bounded", async () => {
    const home = scratchHome();
    const file = path.join(home, HISTORY_FILE_NAME);
    const old = Array.from({ length: HISTORY_FILE_LINES_MAX + 5 }, (_, i) => `get /old-${i}`);
    writeFileSync(file, `${old.join("\n")}\n`);
    const shell = interactiveCli(server.connectString, home);
    try {
      await shell.expect(/\(CONNECTED\) 0\] /, waitMs);
      shell.send("ls /zookeeper");
      await shell.expect(/\[config, quota\]\n/, waitMs);
      shell.endInput();
      assert.equal((await shell.waitForClose(waitMs)).code, 0);
    } finally {
      shell.child.kill("SIGKILL");
    }
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, HISTORY_FILE_LINES_MAX);
    assert.equal(lines.at(-1), "ls /zookeeper");
    assert.equal(lines[0], `get /old-${old.length - HISTORY_FILE_LINES_MAX + 1}`);
  });

  it("--json in the shell prints one JSON line per command", async () => {
    const shell = interactiveCli(server.connectString, scratchHome(), ["--json"]);
    try {
      await shell.expect(/\(CONNECTED\) 0\] /, waitMs);
      shell.send("getAllChildrenNumber /zookeeper");
      await shell.expect(/\{"path":"\/zookeeper","count":2\}\n/, waitMs);
      shell.send("quit");
      assert.equal((await shell.waitForClose(waitMs)).code, 0);
    } finally {
      shell.child.kill("SIGKILL");
    }
  });

  it("tab completion: command names, then znode paths from the server", async () => {
    await zk.create("/comp", "");
    await zk.create("/comp/alpha", "");
    await zk.create("/comp/alps", "");
    await zk.create("/comp/beta", "");
    await zk.create("/compare", "");
    assert.deepEqual(await completeLine("ge", zk), [["get", "getAcl", "getAllChildrenNumber", "getEphemerals"], "ge"]);
    assert.deepEqual(await completeLine("addW", zk), [["addWatch"], "addW"]);
    assert.deepEqual(await completeLine("ls /comp", zk), [["/comp", "/compare"], "/comp"]);
    assert.deepEqual(await completeLine("get -s /comp/al", zk), [["/comp/alpha", "/comp/alps"], "/comp/al"]);
    assert.deepEqual(await completeLine("ls /comp/", zk), [["/comp/alpha", "/comp/alps", "/comp/beta"], "/comp/"]);
    assert.deepEqual(await completeLine("ls /missing/x", zk).catch(() => "failed"), "failed");
    assert.deepEqual(await completeLine("set /comp ", zk), [[], ""]);
  });
});
