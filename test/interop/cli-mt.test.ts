/**
 * Interop with the C client (libzookeeper_mt) through its sample shell cli_mt (Debian's zookeeper-bin): the test
 * types one command at a time into cli_mt's stdin and waits for that command's printed completion before the
 * next, against the server named by HERD_TEST_TARGET. cli_mt prints completions as "<path>: rc = <code>";
 * creates always store the 3 bytes "new".
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTarget, targetKind, type ServerProcess } from "../helpers/server-process.js";
import { InteractiveProgram, terminate } from "../helpers/process-io.js";
import { cliMtBin, requireTool } from "../helpers/interop-tools.js";

const replyTimeoutMs = 10_000;
const exitTimeoutMs = 15_000;

/** Escapes text for use inside a RegExp. */
function lit(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** One cli_mt session; `run` sends a command and waits for the completion pattern it prints. */
class CliMt {
  readonly program: InteractiveProgram;

  constructor(server: ServerProcess) {
    this.program = new InteractiveProgram(requireTool(cliMtBin), [server.connectString]);
  }

  async connected(): Promise<string> {
    const m = await this.program.expect(/Got a new session id: 0x([0-9a-f]+)/, replyTimeoutMs);
    return m[1] as string;
  }

  async run(command: string, reply: RegExp): Promise<RegExpMatchArray> {
    this.program.send(command);
    return this.program.expect(reply, replyTimeoutMs);
  }

  /** Completion of create/create2/sync: "[<path>]: rc = <rc>" and, on success, "\tname = <name>". */
  async create(command: string, path: string, rc = 0): Promise<string> {
    // The name line is required on success: output arrives in chunks, so an optional part could match early.
    const name = rc === 0 ? "\\tname = (\\S+)\\n" : "";
    const m = await this.run(command, new RegExp(`\\[${lit(path)}\\]: rc = ${rc}\\n${name}`));
    return m[1] ?? "";
  }

  /** Completion of get/set/delete/ls: "<path>: rc = <rc>". */
  async rc(command: string, path: string, rc: number, after = ""): Promise<RegExpMatchArray> {
    return this.run(command, new RegExp(`(?:^|\\n)${lit(path)}: rc = ${rc}(?![0-9])${after}`));
  }

  /** `ls`: the children cli_mt prints, one per tab-indented line, until its closing "time = ..." line. */
  async ls(path: string): Promise<string[]> {
    const m = await this.rc(`ls ${path}`, path, 0, "\\n((?:\\t.*\\n)*)time = ");
    return (m[1] as string).split("\n").filter((l) => l.startsWith("\t")).map((l) => l.slice(1)).sort();
  }

  /** Test teardown: makes sure the process is gone (a no-op after quit). */
  async kill(): Promise<void> {
    await terminate(this.program.child, "SIGKILL", exitTimeoutMs);
  }

  async quit(): Promise<void> {
    this.program.send("quit");
    const status = await this.program.waitForClose(exitTimeoutMs);
    assert.equal(status.code, 0, this.program.output());
  }
}

describe(`C client cli_mt interop (${targetKind()})`, () => {
  let server: ServerProcess;

  before(async () => {
    server = await startTarget();
  });

  after(async () => {
    await server?.stop();
  });

  it("create, get, set, ls, delete with the right result codes", async () => {
    const cli = new CliMt(server);
    try {
      await cli.connected();
      assert.equal(await cli.create("create /cmt", "/cmt"), "/cmt");
      await cli.create("create /cmt", "/cmt", -110); // NodeExists
      await cli.rc("get /cmt", "/cmt", 0, "\\n value_len = 3\\nnew\\nStat:");
      await cli.rc("set /cmt hello", "/cmt", 0, " Stat:\\n(?:\\t.*\\n)*?\\tversion=1\\t");
      await cli.rc("get /cmt", "/cmt", 0, "\\n value_len = 5\\nhello\\nStat:");
      await cli.create("create /cmt/a", "/cmt/a");
      await cli.create("create /cmt/b", "/cmt/b");
      assert.deepEqual(await cli.ls("/cmt"), ["a", "b"]);
      await cli.rc("delete /cmt", "/cmt", -111); // NotEmpty
      await cli.rc("delete /cmt/a", "/cmt/a", 0);
      await cli.rc("delete /cmt/a", "/cmt/a", -101); // NoNode
      await cli.rc("get /cmt/a", "/cmt/a", -101);
      await cli.rc("set /nowhere x", "/nowhere", -101);
      assert.deepEqual(await cli.ls("/cmt"), ["b"]);
      await cli.create("sync /cmt", "/cmt");
      await cli.quit();
    } finally {
      await cli.kill();
    }
  });

  it("creates ephemeral, sequential, container and TTL nodes; ephemerals end with the session", async () => {
    const cli = new CliMt(server);
    try {
      await cli.connected();
      await cli.create("create /modes", "/modes");
      assert.equal(await cli.create("create +e /modes/eph", "/modes/eph"), "/modes/eph");
      assert.equal(await cli.create("create +s /modes/seq-", "/modes/seq-"), "/modes/seq-0000000001");
      assert.equal(await cli.create("create +es /modes/eseq-", "/modes/eseq-"), "/modes/eseq-0000000002");
      assert.equal(await cli.create("create +c /modes-container", "/modes-container"), "/modes-container");
      assert.equal(await cli.create("create +t=60000 /modes-ttl", "/modes-ttl"), "/modes-ttl");
      // create2 also prints the new node's Stat.
      await cli.run("create2 /modes/c2", /\[\/modes\/c2\]: rc = 0\n\tname = \/modes\/c2\n\tctime = .*\n\tczxid=[0-9a-f]+\n/);
      assert.deepEqual(await cli.ls("/modes"), ["c2", "eph", "eseq-0000000002", "seq-0000000001"]);
      await cli.quit();
    } finally {
      await cli.kill();
    }
    const after = new CliMt(server);
    try {
      await after.connected();
      assert.deepEqual(await after.ls("/modes"), ["c2", "seq-0000000001"]);
      await after.quit();
    } finally {
      await after.kill();
    }
  });

  it("delivers data and child watch events to the C client", async () => {
    const cli = new CliMt(server);
    try {
      await cli.connected();
      await cli.create("create /watched", "/watched");
      // cli_mt's get and ls leave a watch (watch=1) with the session's default watcher.
      await cli.rc("get /watched", "/watched", 0);
      await cli.ls("/watched");
      await cli.rc("set /watched x", "/watched", 0);
      await cli.create("create /watched/kid", "/watched/kid");
      await cli.quit();
      const out = cli.program.output();
      assert.match(out, /Watcher CHANGED_EVENT state = CONNECTED_STATE for path \/watched\n/);
      assert.match(out, /Watcher CHILD_EVENT state = CONNECTED_STATE for path \/watched\n/);
    } finally {
      await cli.kill();
    }
  });
});
