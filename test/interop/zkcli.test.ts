/**
 * Interop with Apache ZooKeeper's own shell, zkCli.sh (Debian's zookeeper 3.8.0): each test pipes a script of
 * commands into one zkCli session against the server named by HERD_TEST_TARGET and reads the transcript in
 * order, the way a person at the terminal would.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startTarget, targetKind, type ServerProcess } from "../helpers/server-process.js";
import { runProgram } from "../helpers/process-io.js";
import { requireTool, zkCliScript } from "../helpers/interop-tools.js";

const zkCliTimeoutMs = 60_000;

/** Runs one zkCli session over `commands`; returns stdout and stderr as one transcript (minus slf4j noise). */
async function zkCli(server: ServerProcess, commands: readonly string[]): Promise<string> {
  // zkCli prints results on stdout and errors on stderr; one pipe keeps them in the order they happened.
  const result = await runProgram("bash", [
    "-c", 'exec "$0" "$@" 2>&1', requireTool(zkCliScript),
    "-waitforconnection", "-timeout", "5000", "-server", server.connectString,
  ], { input: `${[...commands, "quit"].join("\n")}\n`, timeoutMs: zkCliTimeoutMs });
  assert.equal(result.code, 0, `zkCli exited ${result.code}\n${result.stdout}`);
  return result.stdout.split("\n").filter((line) => !line.startsWith("SLF4J:")).join("\n");
}

/** Asserts each expected piece appears in the transcript after the previous one. */
function assertInOrder(transcript: string, expected: readonly (string | RegExp)[]): void {
  let from = 0;
  for (const piece of expected) {
    const found = find(transcript.slice(from), piece);
    assert.ok(found, `expected ${String(piece)} after offset ${from} in zkCli transcript:\n${transcript}`);
    from += found.end;
  }
}

/** Where `piece` first ends in `text`, or null. */
function find(text: string, piece: string | RegExp): { end: number } | null {
  if (typeof piece === "string") {
    const at = text.indexOf(piece);
    return at < 0 ? null : { end: at + piece.length };
  }
  const m = piece.exec(text);
  return m === null ? null : { end: m.index + m[0].length };
}

/** A whole transcript line. */
function line(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m");
}

/** The digest scheme's id for user:password, as the server stores it: user:base64(sha1(user:password)). */
function digestId(user: string, password: string): string {
  return `${user}:${createHash("sha1").update(`${user}:${password}`).digest("base64")}`;
}

describe(`zkCli.sh interop (${targetKind()})`, () => {
  let server: ServerProcess;

  before(async () => {
    server = await startTarget();
  });

  after(async () => {
    await server?.stop();
  });

  it("create, get, set, stat, ls, delete, deleteall", async () => {
    const out = await zkCli(server, [
      "create /cli data1", "create /cli dup", "get /cli",
      "set /cli data2", "get -s /cli", "set -v 0 /cli stale",
      "create /cli/a", "create /cli/b", "ls /cli", "stat /cli",
      "delete /cli", "delete -v 5 /cli/b", "delete /cli/b", "ls /cli",
      "deleteall /cli", "ls /cli", "get /missing", "ls /",
    ]);
    assertInOrder(out, [
      "Welcome to ZooKeeper!",
      "Created /cli", "Node already exists: /cli", line("data1"),
      line("data2"), "dataVersion = 1", "dataLength = 5", "numChildren = 0",
      "version No is not valid : /cli",
      "Created /cli/a", "Created /cli/b", "[a, b]", /cZxid = 0x[0-9a-f]+/, "cversion = 2", "numChildren = 2",
      "Node not empty: /cli", "version No is not valid : /cli/b", line("[a]"),
      "Node does not exist: /cli", "Node does not exist: /missing", "[zookeeper]",
    ]);
  });

  it("creates ephemeral, sequential, container and TTL nodes", async () => {
    const out = await zkCli(server, [
      "create /modes", "create -e /modes/eph e", "create -s /modes/seq- s", "create -s /modes/seq- s",
      "create -e -s /modes/eseq- x", "create -c /modes-container", "create -t 60000 /modes-ttl t",
      "stat /modes/eph", "stat /modes-container", "get /modes-ttl", "ls /modes",
    ]);
    assertInOrder(out, [
      "Created /modes", "Created /modes/eph", "Created /modes/seq-0000000001", "Created /modes/seq-0000000002",
      "Created /modes/eseq-0000000003", "Created /modes-container", "Created /modes-ttl",
      /ephemeralOwner = 0x[1-9a-f][0-9a-f]*\n/, "ephemeralOwner = 0x0\n", line("t"),
      "[eph, eseq-0000000003, seq-0000000001, seq-0000000002]",
    ]);
    // The session ended with the shell, and its ephemerals with it.
    assertInOrder(await zkCli(server, ["ls /modes"]), ["[seq-0000000001, seq-0000000002]"]);
  });

  it("addauth + setAcl/getAcl; another session without the credentials is denied", async () => {
    const owner = await zkCli(server, [
      "addauth digest user1:pw1", "create /secure s", "setAcl /secure auth:user1:pw1:cdrwa",
      "getAcl /secure", "get /secure", "create /readonly r", "setAcl /readonly world:anyone:r", "getAcl /readonly",
    ]);
    assertInOrder(owner, [
      "Created /secure", `'digest,'${digestId("user1", "pw1")}\n: cdrwa`, line("s"),
      "Created /readonly", "'world,'anyone\n: r",
    ]);
    const stranger = await zkCli(server, [
      "get /secure", "set /readonly w", "get /readonly", "addauth digest user1:pw1", "get /secure",
    ]);
    assertInOrder(stranger, [
      "Insufficient permission : /secure", "Insufficient permission : /readonly", line("r"), line("s"),
    ]);
  });

  it("getEphemerals, getAllChildrenNumber, whoami, sync and a data watch", async () => {
    const out = await zkCli(server, [
      "create /misc", "create -e /misc/e1", "create /misc/p", "create -e /misc/p/e2",
      "getEphemerals /misc", "getAllChildrenNumber /misc", "whoami", "addauth digest bob:pw", "whoami",
      "sync /misc", "get -w /misc", "set /misc changed",
    ]);
    assertInOrder(out, [
      /\[(\/misc\/e1, \/misc\/p\/e2|\/misc\/p\/e2, \/misc\/e1)\]/, line("3"), "ip: 127.0.0.1", "digest: bob", "Sync is OK",
      "WatchedEvent state:SyncConnected type:NodeDataChanged path:/misc",
    ]);
  });
});
