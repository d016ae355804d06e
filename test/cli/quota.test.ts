/**
 * `herd cli`'s quota, version, reconfig and null-data output, one-shot against a real Herd process: the exact
 * bytes of the nodes setquota/delquota write (zkCli 3.8's StatsTrack text, null data for the directories,
 * open ACLs), what the server then keeps in zookeeper_stats, the --json results, and exit codes. The text
 * format itself is unit-tested on values zkCli 3.8 wrote (captured from Debian's zkCli.sh).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startHerd, type ServerProcess } from "../helpers/server-process.js";
import { repoRoot } from "../helpers/interop-tools.js";
import { OPEN_ACL_UNSAFE, createClient, type ZooKeeperClient } from "../../src/client/index.js";
import { COMMAND_NAMES, completeLine } from "../../src/cli/index.js";
import { StatsTrackSyntaxError, formatStatsTrack, newLimits, parseStatsTrack } from "../../src/cli/stats-track.js";
import { parseConfigVersion, parseReconfigOptions } from "../../src/cli/server-commands.js";
import { oneShot, oneShotOk } from "./support.js";

describe("quota text (zkCli's StatsTrack)", () => {
  it("writes new limits with all four keys, count and bytes first, the rest sorted after an extra '='", () => {
    assert.equal(formatStatsTrack(newLimits({ count: 5n })), "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1");
    assert.equal(formatStatsTrack(newLimits({ byteHardLimit: 100n })), "count=-1,bytes=-1=;byteHardLimit=100;countHardLimit=-1");
    assert.equal(formatStatsTrack(new Map([["bytes", 1n], ["count", 2n]])), "count=2,bytes=1");
    assert.equal(formatStatsTrack(new Map()), "count=-1,bytes=-1");
  });

  it("reads what zkCli and the server write, and round-trips it byte for byte", () => {
    for (const text of [
      "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1", "count=2,bytes=1",
      "count=-1,bytes=9223372036854775807=;byteHardLimit=100;countHardLimit=7",
    ]) assert.equal(formatStatsTrack(parseStatsTrack(text)), text);
    // Pre-3.7 limits, separators in any run, keys we do not know kept (sorted), an empty value as -1.
    assert.deepEqual([...parseStatsTrack("count=10,bytes=-1")], [["count", 10n], ["bytes", -1n]]);
    assert.equal(formatStatsTrack(parseStatsTrack("count=3,,;zeta=9;;bytes=7=;alpha=1")), "count=3,bytes=7=;alpha=1;zeta=9");
    assert.equal(formatStatsTrack(parseStatsTrack("count=,bytes=5")), "count=-1,bytes=5");
    assert.deepEqual(parseStatsTrack(""), new Map());
    // What zkCli cannot read either: a leading separator, a pair without '=', a value that is not a long.
    assert.throws(() => parseStatsTrack(",count=1"), StatsTrackSyntaxError);
    assert.throws(() => parseStatsTrack("count"), StatsTrackSyntaxError);
    assert.throws(() => parseStatsTrack("count=x"), StatsTrackSyntaxError);
    assert.throws(() => parseStatsTrack("count=9223372036854775808"), StatsTrackSyntaxError);
  });

  it("reconfig options: words as options, a hex -v, zkCli's mode checks", () => {
    const p = parseReconfigOptions(["-add", "5=h:1:2;3", "-s", "-v", "1f"]);
    assert.deepEqual([p.values.get("add"), p.values.get("v"), [...p.flags]], ["5=h:1:2;3", "1f", ["s"]]);
    assert.equal(parseConfigVersion("1f"), 31n);
    assert.equal(parseConfigVersion("-a"), -10n);
    assert.equal(parseConfigVersion("8000000000000000"), null);
    assert.equal(parseConfigVersion("zz"), null);
    assert.throws(() => parseReconfigOptions(["-s"]), /^UsageError: reconfig \[-s\] \[-v version\]/);
    assert.throws(() => parseReconfigOptions(["-remove"]), /MissingArgumentException: Missing argument for option: remove/);
    assert.throws(() => parseReconfigOptions(["-remove", "-add", "x"]), /Missing argument for option: remove/);
  });
});

describe("herd cli quotas, version, reconfig and null data on a Herd server", () => {
  let server: ServerProcess;
  let zk: ZooKeeperClient;
  let cs: string;

  before(async () => {
    server = await startHerd();
    cs = server.connectString;
    zk = createClient(cs);
    await zk.create("/app", "12345");
    await zk.create("/app/a", "abc");
    await zk.create("/app/a/b", null);
    await zk.create("/other", "");
  });

  after(async () => {
    await zk?.close();
    await server?.stop();
  });

  const text = async (p: string) => (await zk.getData(p)).data.toString("utf8");

  it("setquota writes zkCli's nodes; the server keeps the stats; listquota and delquota read and edit them", async () => {
    assert.equal(await oneShotOk(cs, "setquota", "-n", "1", "/app/a"), "[Warning]: the count quota you create is less than the existing count:2\n");
    assert.equal(await text("/zookeeper/quota/app/a/zookeeper_limits"), "count=1,bytes=-1=;byteHardLimit=-1;countHardLimit=-1");
    assert.equal(await text("/zookeeper/quota/app/a/zookeeper_stats"), "count=2,bytes=3");
    // The directories on the way have null data (zkCli prints "null" for them) and open ACLs.
    assert.equal(await oneShotOk(cs, "get", "/zookeeper/quota/app"), "null\n");
    assert.equal(await oneShotOk(cs, "get", "/zookeeper/quota/app/a"), "null\n");
    assert.deepEqual((await zk.getACL("/zookeeper/quota/app")).acl, OPEN_ACL_UNSAFE);
    assert.deepEqual((await zk.getACL("/zookeeper/quota/app/a/zookeeper_limits")).acl, OPEN_ACL_UNSAFE);

    assert.equal(await oneShotOk(cs, "setquota", "-B", "1000", "/app/a"), "[Warning]: the count quota you create is less than the existing count:2\n");
    assert.equal(await text("/zookeeper/quota/app/a/zookeeper_limits"), "count=1,bytes=-1=;byteHardLimit=1000;countHardLimit=-1");
    await zk.create("/app/a/c", "xyz");
    const listed = await oneShot(cs, "listquota", "/app/a");
    assert.deepEqual([listed.code, listed.stdout, listed.stderr], [0,
      "Output quota for /app/a count=1,bytes=-1=;byteHardLimit=1000;countHardLimit=-1\nOutput stat for /app/a count=3,bytes=6\n",
      "absolute path is /zookeeper/quota/app/a/zookeeper_limits\n"]);

    const json = await oneShot(cs, "--json", "listquota", "/app/a");
    assert.equal(json.stderr, "", "--json leaves zkCli's commentary out");
    assert.deepEqual(JSON.parse(json.stdout), {
      path: "/app/a", quota: { count: 1, bytes: -1, byteHardLimit: 1000, countHardLimit: -1 }, stat: { count: 3, bytes: 6 },
    });

    const parent = await oneShot(cs, "setquota", "-n", "9", "/app");
    assert.deepEqual([parent.code, parent.stderr], [1, "/app has a child /app/a which has a quota\n"]);
    const child = await oneShot(cs, "setquota", "-n", "9", "/app/a/b");
    assert.deepEqual([child.code, child.stderr], [1, "/app/a/b has a parent /app/a which has a quota\n"]);

    assert.equal(await oneShotOk(cs, "delquota", "-n", "/app/a"), "");
    assert.equal(await text("/zookeeper/quota/app/a/zookeeper_limits"), "count=-1,bytes=-1=;byteHardLimit=1000;countHardLimit=-1");
    assert.deepEqual(JSON.parse(await oneShotOk(cs, "--json", "delquota", "/app/a")), { path: "/app/a", deleted: true });
    assert.equal(await zk.exists("/zookeeper/quota/app"), null, "emptied quota directories go");
    assert.deepEqual(await zk.getChildren("/zookeeper/quota"), []);
    assert.equal(await oneShotOk(cs, "delquota", "/app/a"), "Quota does not exist for /app/a\n");
    const gone = await oneShot(cs, "listquota", "/app/a");
    assert.deepEqual([gone.code, gone.stdout, gone.stderr], [1, "",
      "absolute path is /zookeeper/quota/app/a/zookeeper_limits\nquota for /app/a does not exist.\n"]);
  });

  it("setquota --json, and its refusals with zkCli's words and our exit codes", async () => {
    assert.deepEqual(JSON.parse(await oneShotOk(cs, "--json", "setquota", "-b", "9223372036854775807", "/other")), {
      path: "/other", quota: { count: -1, bytes: "9223372036854775807", countHardLimit: -1, byteHardLimit: -1 },
    });
    assert.equal(await text("/zookeeper/quota/other/zookeeper_limits"), "count=-1,bytes=9223372036854775807=;byteHardLimit=-1;countHardLimit=-1");
    const cases: [string[], number, string][] = [
      [["setquota", "/other"], 64, "org.apache.commons.cli.MissingOptionException: Missing required option: " +
        "[-n num soft quota, -b bytes soft quota, -N num hard quota, -B bytes hard quota]"],
      [["setquota", "-n", "1", "-N", "2", "/other"], 64,
        "org.apache.commons.cli.AlreadySelectedException: The option 'N' was specified but an option from this group has already been selected: 'n'"],
      [["setquota", "-n", "0", "/other"], 64, "the num quota must be greater than zero"],
      [["setquota", "-B", "-1", "/other"], 64, "the bytes quota must be greater than or equal to zero"],
      [["setquota", "-N", "1.5", "/other"], 64, "NumberFormatException happens when parsing the option value"],
      [["setquota", "-n", "1", "/zookeeper/quota/x"], 64, "cannot set a quota under the path: /zookeeper/quota"],
      [["setquota", "-n", "1", "/nope"], 1, "/nope does not exist."],
      [["setquota", "-n", "1", "/"], 64, "Path must not end with / character"],
      [["delquota", "-n", "-b", "/other"], 64,
        "org.apache.commons.cli.AlreadySelectedException: The option 'b' was specified but an option from this group has already been selected: 'n'"],
      [["listquota"], 64, "listquota path"],
    ];
    const results = await Promise.all(cases.map(([args]) => oneShot(cs, ...args)));
    for (const [i, [args, code, message]] of cases.entries()) {
      assert.deepEqual([results[i].code, results[i].stderr, results[i].stdout], [code, `${message}\n`, ""], args.join(" "));
    }
  });

  it("version names Herd's version from package.json; reconfig gets ReconfigDisabled from Herd", async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
    assert.equal(await oneShotOk(cs, "version"), `ZooKeeper CLI version: herd-${pkg.version}\n`);
    assert.deepEqual(JSON.parse(await oneShotOk(cs, "--json", "version")), { cli: "herd", version: pkg.version });
    const r = await oneShot(cs, "reconfig", "-add", "5=127.0.0.1:2888:3888;2181");
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, "", "KeeperErrorCode = Reconfig is disabled\n"]);
    const j = await oneShot(cs, "--json", "reconfig", "-remove", "2");
    assert.deepEqual(JSON.parse(j.stderr), { error: { message: "KeeperErrorCode = Reconfig is disabled", code: -123 } });
    const config = JSON.parse(await oneShotOk(cs, "--json", "config"));
    assert.equal(config.config, "");
    assert.equal(config.stat.aversion, -1);
  });

  it("get prints null for null data, and nothing for empty data", async () => {
    assert.equal(await oneShotOk(cs, "get", "/app/a/b"), "null\n");
    assert.equal(await oneShotOk(cs, "get", "/other"), "\n");
    const nul = JSON.parse(await oneShotOk(cs, "--json", "get", "/app/a/b"));
    assert.deepEqual([nul.data, nul.dataBase64], [null, null]);
    const empty = JSON.parse(await oneShotOk(cs, "--json", "get", "/other"));
    assert.deepEqual([empty.data, empty.dataBase64], ["", ""]);
  });

  it("tab completion knows the new commands", async () => {
    for (const name of ["setquota", "listquota", "delquota", "version", "reconfig", "printwatches"]) {
      assert.ok(COMMAND_NAMES.includes(name), name);
    }
    assert.deepEqual(await completeLine("se", null), [["set", "setAcl", "setquota"], "se"]);
    assert.deepEqual(await completeLine("re", null), [["reconfig", "redo", "removewatches"], "re"]);
    assert.deepEqual(await completeLine("li", null), [["listquota"], "li"]);
  });
});
