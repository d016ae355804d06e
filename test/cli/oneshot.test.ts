/**
 * `herd cli -server host:port <command>` against a real Herd process: each command's text (zkCli.sh's
 * formats, with stats computed here independently), `--json` results, and exit codes with one line on stderr.
 * Most commands run through one-shot mode's code in this process (runOnce); the last tests spawn the real
 * `herd` binary to check the process-level contract (streams, exit codes).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startHerd, type ServerProcess } from "../helpers/server-process.js";
import { createClient, digestId, type ZooKeeperClient } from "../../src/client/index.js";
import { cli, expectedStatText, oneShot as cliInProcess, oneShotOk as cliOk } from "./support.js";

describe("herd cli one-shot", () => {
  let server: ServerProcess;
  let zk: ZooKeeperClient;
  let cs: string;

  before(async () => {
    server = await startHerd();
    cs = server.connectString;
    zk = createClient(cs);
    await zk.create("/app", "hello");
    await zk.create("/app/b", "bee");
    await zk.create("/app/a", "ay");
    await zk.create("/app/a/deep", "");
    await zk.create("/app/eph", "e", { mode: "ephemeral" });
    await zk.create("/locked", "secret", { acl: [{ perms: 31, id: { scheme: "digest", id: digestId("u", "p") } }] });
    await zk.create("/shared", "s", { acl: [{ perms: 31, id: { scheme: "digest", id: digestId("u", "p") } }, { perms: 1, id: { scheme: "world", id: "anyone" } }] });
    await zk.create("/bin", Buffer.from([0xff, 0x00, 0x80]));
  });

  after(async () => {
    await zk?.close();
    await server?.stop();
  });

  it("reads: ls, ls -s, ls -R, get, get -s, stat, getAcl, getAllChildrenNumber, whoami, sync", async () => {
    const [appStat] = [await zk.exists("/app")];
    assert.ok(appStat);
    const [ls, lsS, lsR, get, getS, stat, getAcl, getAclS, count, whoami, sync, sharedAcl] = await Promise.all([
      cliOk(cs, "ls", "/app"), cliOk(cs, "ls", "-s", "/app"), cliOk(cs, "ls", "-R", "/app"),
      cliOk(cs, "get", "/app"), cliOk(cs, "get", "-s", "/app"), cliOk(cs, "stat", "/app"),
      cliOk(cs, "getAcl", "/app"), cliOk(cs, "getAcl", "-s", "/app"), cliOk(cs, "getAllChildrenNumber", "/app"),
      cliOk(cs, "whoami"), cliOk(cs, "sync", "/app"), cliOk(cs, "getAcl", "/shared"),
    ]);
    const statText = expectedStatText(appStat);
    assert.equal(ls, "[a, b, eph]\n");
    assert.equal(lsS, `[a, b, eph]\n${statText}`);
    assert.equal(lsR, "/app\n/app/a\n/app/b\n/app/eph\n/app/a/deep\n");
    assert.equal(get, "hello\n");
    assert.equal(getS, `hello\n${statText}`);
    assert.equal(stat, statText);
    assert.equal(getAcl, "'world,'anyone\n: cdrwa\n");
    assert.equal(getAclS, `'world,'anyone\n: cdrwa\n${statText}`);
    // Herd, like ZooKeeper 3.8, shows digest hashes only to callers with ADMIN on the node.
    assert.equal(sharedAcl, "'digest,'u:x\n: cdrwa\n'world,'anyone\n: r\n");
    assert.equal(count, "4\n");
    assert.equal(whoami, "Auth scheme: User\nip: 127.0.0.1\n");
    assert.equal(sync, "Sync is OK\n");
  });

  it("writes: create (modes, ACL), set -s, delete -v, deleteall, setAcl -s", async () => {
    assert.equal(await cliOk(cs, "create", "/w", "data one"), "Created /w\n");
    assert.equal(await cliOk(cs, "create", "-s", "/w/seq-", "x"), "Created /w/seq-0000000000\n");
    assert.equal(await cliOk(cs, "create", "-c", "/w/box"), "Created /w/box\n");
    assert.equal(await cliOk(cs, "create", "-t", "60000", "/w/ttl", "t"), "Created /w/ttl\n");
    assert.equal(await cliOk(cs, "create", "/w/ro", "r", "world:anyone:ra"), "Created /w/ro\n");
    assert.equal(await cliOk(cs, "create", "-e", "/w/gone"), "Created /w/gone\n");
    assert.equal(await zk.exists("/w/gone"), null, "the one-shot session's ephemeral ends with it");
    assert.equal((await zk.getData("/w")).data.toString(), "data one");
    assert.deepEqual((await zk.getACL("/w/ro")).acl, [{ perms: 17, id: { scheme: "world", id: "anyone" } }]);
    assert.ok(await zk.exists("/w/box"));

    const setS = await cliOk(cs, "set", "-s", "/w", "data two");
    assert.equal(setS, expectedStatText((await zk.exists("/w"))!));
    assert.equal(await cliOk(cs, "set", "-v", "1", "/w", "data three"), "");
    assert.equal(await cliOk(cs, "setAcl", "/w/ro", "world:anyone:cdrwa"), "");
    const setAclS = await cliOk(cs, "setAcl", "-s", "/w/ro", "world:anyone:rwa");
    assert.equal(setAclS, expectedStatText((await zk.exists("/w/ro"))!));
    assert.equal(await cliOk(cs, "delete", "-v", "0", "/w/box"), "");
    assert.equal(await cliOk(cs, "deleteall", "/w"), "");
    assert.equal(await zk.exists("/w"), null);
  });

  it("--json prints one JSON object per command", async () => {
    const stat = (await zk.exists("/app"))!;
    const [get, ls, bin, statJ, acl, created] = await Promise.all([
      cliOk(cs, "--json", "get", "/app"), cliOk(cs, "--json", "ls", "/app"), cliOk(cs, "--json", "get", "/bin"),
      cliOk(cs, "--json", "stat", "/app"), cliOk(cs, "--json", "getAcl", "/shared"), cliOk(cs, "--json", "create", "/j", "v"),
    ]);
    const g = JSON.parse(get);
    assert.equal(g.data, "hello");
    assert.equal(g.dataBase64, Buffer.from("hello").toString("base64"));
    assert.equal(g.stat.czxid, `0x${stat.czxid.toString(16)}`);
    assert.equal(g.stat.ctime, Number(stat.ctime));
    assert.equal(g.stat.numChildren, 3);
    assert.deepEqual(JSON.parse(ls), { path: "/app", children: ["a", "b", "eph"] });
    assert.deepEqual(JSON.parse(bin).data, null, "bytes that are not UTF-8 have no text form");
    assert.equal(JSON.parse(bin).dataBase64, "/wCA");
    assert.equal(JSON.parse(statJ).stat.version, stat.version);
    assert.deepEqual(JSON.parse(acl).acl, [
      { scheme: "digest", id: "u:x", perms: "cdrwa" }, { scheme: "world", id: "anyone", perms: "r" },
    ]);
    assert.deepEqual(JSON.parse(created), { path: "/j" });
    const failed = await cliInProcess(cs, "--json", "get", "/nope");
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, "");
    assert.deepEqual(JSON.parse(failed.stderr), { error: { message: "Node does not exist: /nope", code: -101 } });
  });

  it("errors: one line on stderr, zkCli's words, non-zero exit codes", async () => {
    const cases: [string[], number, string][] = [
      [["get", "/nope"], 1, "Node does not exist: /nope"],
      [["stat", "/nope"], 1, "Node does not exist: /nope"],
      [["create", "/app"], 1, "Node already exists: /app"],
      [["create", "/nope/child"], 1, "Node does not exist: /nope/child"],
      [["set", "-v", "42", "/app", "x"], 1, "version No is not valid : /app"],
      [["delete", "/app"], 1, "Node not empty: /app"],
      [["get", "/locked"], 1, "Insufficient permission : /locked"],
      [["create", "/app/eph/kid"], 1, "Ephemerals cannot have children: /app/eph/kid"],
      [["removewatches", "/app"], 1, "KeeperErrorCode = No such watcher for /app"],
      [["ls", "app"], 64, "Path must start with / character"],
      [["get", "/a//b"], 64, 'Invalid path string "/a//b" caused by empty node name specified @3'],
      [["ls"], 64, "ls [-s] [-w] [-R] path"],
      [["ls", "-x", "/"], 64, "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x"],
      [["set", "-v", "-s", "/app", "x"], 64, "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"],
      [["frobnicate"], 64, "Command not found: frobnicate"],
      [["create", "-c", "-e", "/x"], 64, "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential."],
    ];
    const results = await Promise.all(cases.map(([args]) => cliInProcess(cs, ...args)));
    for (const [i, [args, code, message]] of cases.entries()) {
      const r = results[i];
      assert.equal(r.stderr, `${message}\n`, `stderr of ${args.join(" ")}`);
      assert.equal(r.code, code, `exit code of ${args.join(" ")}`);
      assert.equal(r.stdout, "", `stdout of ${args.join(" ")}`);
    }
  });

  it("the herd binary: output on stdout, one error line on stderr, exit codes 0, 1, 64, 69", async () => {
    const [ok, json, missing, usage, unreachable] = await Promise.all([
      cli(cs, "ls", "/app"), cli(cs, "--json", "getAllChildrenNumber", "/app"), cli(cs, "get", "/nope"),
      cli(cs, "delete"), cli("127.0.0.1:1", "-timeout", "500", "ls", "/"),
    ]);
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, "[a, b, eph]\n", ""]);
    assert.deepEqual([json.code, JSON.parse(json.stdout)], [0, { path: "/app", count: 4 }]);
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [1, "", "Node does not exist: /nope\n"]);
    assert.deepEqual([usage.code, usage.stderr], [64, "delete [-v version] path\n"]);
    assert.equal(unreachable.code, 69);
    assert.match(unreachable.stderr, /^herd cli: cannot connect to 127\.0\.0\.1:1: .*\n$/);
  });
});
