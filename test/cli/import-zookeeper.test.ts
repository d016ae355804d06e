/**
 * `herd import-zookeeper` on a data directory written by a real Apache ZooKeeper (Debian's 3.8), run with a
 * tiny snapCount so the directory holds several snapshots and txn logs. The ZooKeeper process is killed -9,
 * so the last txns exist only in a log. The imported Herd tree must equal what ZooKeeper served, node by node
 * (data bytes and ACLs), without ephemerals; also when the newest snapshot is corrupt (an older one plus
 * more log is used) and when the newest log has a torn tail. Parents' sequence counters come along: every
 * imported cversion is ZooKeeper's, and the next sequential child gets the name ZooKeeper gives it (asked of
 * a ZooKeeper restarted on a copy of the data directory).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startHerd, startServer, type ServerProcess } from "../helpers/server-process.js";
import { createClient, digestAcl, type ZooKeeperClient } from "../../src/client/index.js";
import { readZooKeeperDataDir, treeDump } from "../../src/cli/index.js";
import { adler32 } from "../../src/cli/zookeeper/adler32.js";
import { readSnapshot } from "../../src/cli/zookeeper/files.js";
import { herd, persistentNodes, readTree, type NodeSnapshot } from "./support.js";

const auth = [{ scheme: "digest", auth: "admin:pw" }];

/** Writes a varied tree through many txns: creates, sets, ACL changes, deletes, multis, sessions. */
async function populate(zk: ZooKeeperClient): Promise<void> {
  await zk.create("/app", "v0");
  for (let i = 0; i < 12; i++) await zk.setData("/app", `v${i + 1}`);
  for (let i = 0; i < 15; i++) await zk.create(`/app/n${String(i).padStart(2, "0")}`, Buffer.from([i, 0xff, 0, i]));
  for (let i = 0; i < 15; i += 3) await zk.delete(`/app/n${String(i).padStart(2, "0")}`);
  await zk.create("/app/text", "ünïcödé text\nline two");
  await zk.create("/app/empty", "");
  await zk.create("/app/null", null);
  await zk.create("/secure", "s", { acl: [digestAcl("admin", "pw")] });
  await zk.create("/secure/child", "c", { acl: [digestAcl("admin", "pw"), { perms: 1, id: { scheme: "world", id: "anyone" } }] });
  await zk.create("/ipnode", "ip", { acl: [{ perms: 31, id: { scheme: "ip", id: "127.0.0.1" } }] });
  await zk.create("/acl-changed", "a");
  await zk.setACL("/acl-changed", [{ perms: 3, id: { scheme: "world", id: "anyone" } }, digestAcl("admin", "pw")]);
  await zk.create("/seq", "");
  for (let i = 0; i < 4; i++) await zk.create("/seq/job-", `job ${i}`, { mode: "persistentSequential" });
  // Sequence counters count every creation, deletes never lower them: /seq keeps -0 and -2 of four (its next
  // is -4, and a counter rebuilt from the two survivors would hand out -2 again), /drained lost all seven.
  await zk.delete("/seq/job-0000000001");
  await zk.delete("/seq/job-0000000003");
  await zk.create("/drained", "");
  for (let i = 0; i < 7; i++) await zk.create("/drained/q-", "", { mode: "persistentSequential" });
  for (let i = 0; i < 7; i++) await zk.delete(`/drained/q-${String(i).padStart(10, "0")}`);
  await zk.create("/mixed", "");
  await zk.create("/mixed/a", "");
  await zk.create("/mixed/s-", "", { mode: "persistentSequential" });
  await zk.delete("/mixed/a");
  await zk.create("/mixed/b", "");
  await zk.create("/gone", "");
  await zk.delete("/gone");
  await zk.create("/box", "", { mode: "container" });
  await zk.create("/box/item", "in a container");
  await zk.create("/ttl", "lives an hour", { mode: "persistentWithTtl", ttlMs: 3_600_000 });
  await zk.transaction().create("/multi", "m").create("/multi/a", "ma").setData("/app", "from multi").delete("/app/n01").commit();
  await zk.transaction().create("/never", "x").delete("/does-not-exist").commit().catch(() => undefined);
}

/** Run against a restarted ZooKeeper with the default snapCount: these txns are only in the newest log. */
async function finish(zk: ZooKeeperClient, connectString: string): Promise<void> {
  // A session that ends: its ephemerals go (closeSession in the log).
  const gone = createClient(connectString);
  await gone.create("/app/eph-gone", "bye", { mode: "ephemeral" });
  await gone.close();
  // A session still alive at the crash: its ephemeral is in the data but must not be imported.
  await zk.create("/app/eph-alive", "still here", { mode: "ephemeral" });
  await zk.setData("/app/text", "final text");
  await zk.create("/last", "the end");
}

/** `prefix<hex zxid>` files, oldest first (by zxid: "log.a" comes after "log.9"). */
function files(dir: string, prefix: string): string[] {
  const zxid = (f: string) => BigInt(`0x${f.slice(prefix.length)}`);
  return readdirSync(dir).filter((f) => f.startsWith(prefix)).sort((a, b) => (zxid(a) < zxid(b) ? -1 : 1));
}

describe("herd import-zookeeper", () => {
  let zooKeeper: ServerProcess;
  let expected: Map<string, NodeSnapshot>;
  let dataDir: string;

  before(async () => {
    // zoo.cfg keys ZooKeeper does not know become zookeeper.<key> properties: first a snapshot every ~5-10
    // txns, and 64 KiB log preallocation instead of 64 MiB.
    const first = await startServer("zookeeper", { cfg: { snapCount: "10", preAllocSize: "64" } });
    dataDir = first.dataDir;
    const zk1 = createClient(first.connectString, { auth });
    await populate(zk1);
    await first.kill9();
    await zk1.close().catch(() => undefined);
    // Restarted with the default snapCount: it snapshots once at start-up, then only logs.
    zooKeeper = await startServer("zookeeper", { dataDir, cfg: { preAllocSize: "64" } });
    const zk = createClient(zooKeeper.connectString, { auth });
    await finish(zk, zooKeeper.connectString);
    expected = await readTree(zk);
    await zooKeeper.kill9();
    await zk.close().catch(() => undefined);
  });

  after(async () => {
    await zooKeeper?.stop();
  });

  it("the data directory has several snapshots and logs, with txns after the last snapshot", () => {
    const v2 = path.join(dataDir, "version-2");
    assert.ok(files(v2, "snapshot.").length >= 3, `snapshots: ${files(v2, "snapshot.")}`);
    assert.ok(files(v2, "log.").length >= 3, `logs: ${files(v2, "log.")}`);
    const { report } = readZooKeeperDataDir(dataDir);
    assert.ok(report.txnsApplied >= 6, `the restarted server's txns come only from the log (${report.txnsApplied})`);
    assert.deepEqual(report.warnings, []);
  });

  it("imports into Herd exactly the persistent nodes ZooKeeper served", async () => {
    const herdServer = await startHerd();
    const zk = createClient(herdServer.connectString, { auth });
    try {
      const r = await herd(["import-zookeeper", dataDir, "--server", herdServer.connectString, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const counts = JSON.parse(r.stdout);
      assert.equal(counts.failed, 0);
      const imported = await readTree(zk);
      assert.deepEqual(persistentNodes(imported), persistentNodes(expected));
      assert.ok(expected.get("/app/eph-alive")?.ephemeral, "the live ephemeral was in ZooKeeper");
      assert.equal(imported.has("/app/eph-alive"), false);
      assert.equal(imported.has("/app/eph-gone"), false);
      assert.equal(imported.has("/never"), false);
      assert.equal((await zk.getData("/app/text")).data.toString(), "final text");
      assert.equal((await zk.getData("/last")).data.toString(), "the end");
    } finally {
      await zk.close();
      await herdServer.stop();
    }
  });

  it("carries sequence counters over: ZooKeeper's cversions, and ZooKeeper's next sequential names", async () => {
    const parents = ["/", "/app", "/seq", "/drained", "/mixed", "/multi", "/box", "/secure"];
    const nextNames = async (zk: ZooKeeperClient) => {
      const names: string[] = [];
      for (const p of parents) names.push(await zk.create(p === "/" ? "/next-" : `${p}/next-`, "", { mode: "persistentSequential" }));
      return names;
    };
    // ZooKeeper's answer: restarted on a copy of its data directory, it creates one sequential child in each.
    const copy = mkdtempSync(path.join(os.tmpdir(), "herd-zkdata-"));
    cpSync(dataDir, copy, { recursive: true });
    const restarted = await startServer("zookeeper", { dataDir: copy, cfg: { preAllocSize: "64" } });
    let zooKeeperNames: string[];
    const onZooKeeper = createClient(restarted.connectString, { auth });
    try {
      zooKeeperNames = await nextNames(onZooKeeper);
    } finally {
      await onZooKeeper.close();
      await restarted.stop();
      rmSync(copy, { recursive: true, force: true });
    }

    const herdServer = await startHerd();
    const zk = createClient(herdServer.connectString, { auth });
    try {
      const r = await herd(["import-zookeeper", dataDir, "--server", herdServer.connectString, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).failed, 0);
      const imported = await readTree(zk);
      // A parent whose ephemeral children stay behind shows what ZooKeeper shows once they are deleted: +1 each.
      const ephemeralChildren = (p: string) => [...expected].filter(([c, n]) => n.ephemeral && parentOf(c) === p).length;
      const cversions = (tree: Map<string, NodeSnapshot>, adjust: (p: string) => number) =>
        [...tree].filter(([, n]) => !n.ephemeral).map(([p, n]) => [p, n.stat.cversion + adjust(p)]).sort();
      assert.deepEqual(cversions(imported, () => 0), cversions(expected, ephemeralChildren));
      assert.ok(ephemeralChildren("/app") > 0 && (expected.get("/seq")?.stat.cversion ?? 0) > 0, "the cases are exercised");
      assert.deepEqual(await nextNames(zk), zooKeeperNames);
      assert.deepEqual(zooKeeperNames.slice(2, 4), ["/seq/next-0000000004", "/drained/next-0000000007"]);
    } finally {
      await zk.close();
      await herdServer.stop();
    }
  });

  it("--out writes the same tree as a dump; node kinds and null data are kept", async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "herd-import-")), "dump.jsonl");
    const r = await herd(["import-zookeeper", dataDir, "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.path).sort(), persistentNodes(expected).map(([p]) => p));
    const byPath = new Map(lines.map((l) => [l.path, l]));
    assert.equal(byPath.get("/box").mode, "container");
    assert.deepEqual([byPath.get("/ttl").mode, byPath.get("/ttl").ttlMs], ["ttl", 3_600_000]);
    assert.equal(byPath.get("/app/null").data, null);
    // The stats are ZooKeeper's own, replayed: the same as a client saw them before the crash.
    const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;
    for (const [p, node] of expected) {
      if (node.ephemeral) continue;
      const s = node.stat;
      assert.deepEqual(byPath.get(p).stat, {
        czxid: hex(s.czxid), mzxid: hex(s.mzxid), pzxid: hex(s.pzxid), ctime: Number(s.ctime), mtime: Number(s.mtime),
        version: s.version, cversion: s.cversion, aversion: s.aversion, ephemeralOwner: hex(s.ephemeralOwner),
        dataLength: s.dataLength, numChildren: s.numChildren,
      }, `stat of ${p}`);
    }
    assert.equal(byPath.get("/app/empty").data, "");
  });

  it("falls back to an older snapshot when the newest is corrupt, and ignores a torn log tail", () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), "herd-zkdata-"));
    cpSync(dataDir, copy, { recursive: true });
    const v2 = path.join(copy, "version-2");
    const snapshots = files(v2, "snapshot.");
    const newest = path.join(v2, snapshots.at(-1)!);
    truncateSync(newest, statSync(newest).size - 3);
    const fromOlder = readZooKeeperDataDir(copy);
    assert.match(fromOlder.report.warnings.join("\n"), /skipping snapshot .*snapshot\./);
    assert.equal(fromOlder.report.snapshot, path.join(v2, snapshots.at(-2)!));
    // A flipped byte inside the newest snapshot is caught by its checksum.
    const flipped = path.join(copy, "flipped");
    const snapBytes = readFileSync(path.join(dataDir, "version-2", snapshots.at(-1)!));
    snapBytes[snapBytes.length >> 1] ^= 0x10;
    writeFileSync(flipped, snapBytes);
    assert.throws(() => readSnapshot(flipped, 0n), /checksum mismatch|truncated or corrupt/);
    const dumpPaths = (tree: typeof fromOlder.tree) => [...treeDump(tree, false)].map((n) => [n.path, n.data]);
    assert.deepEqual(dumpPaths(fromOlder.tree), dumpPaths(readZooKeeperDataDir(dataDir).tree));

    // A torn tail: the newest log's last entry loses its end; everything before it is still read.
    const logs = files(v2, "log.");
    const newestLog = path.join(v2, logs.at(-1)!);
    const bytes = readFileSync(newestLog);
    const end = lastEntryEnd(bytes);
    writeFileSync(newestLog, bytes.subarray(0, end - 2));
    const torn = readZooKeeperDataDir(copy);
    assert.match(torn.report.warnings.join("\n"), /torn tail/);
    assert.equal(torn.tree.nodes.has("/last"), false, "the torn last txn is not applied");
    assert.equal(torn.tree.nodes.has("/app/text"), true);
  });

  it("adler32 matches the reference value", () => {
    assert.equal(adler32(Buffer.from("Wikipedia")), 0x11e60398);
    assert.equal(adler32(Buffer.alloc(0)), 1);
    assert.equal(adler32(Buffer.alloc(100_000, 0xff)), adler32Slow(Buffer.alloc(100_000, 0xff)));
  });
});

function parentOf(p: string): string {
  return p.lastIndexOf("/") <= 0 ? "/" : p.slice(0, p.lastIndexOf("/"));
}

/** Offset just past the last complete entry of a txn log (header 16 bytes; entries crc8 len4 payload 'B'). */
function lastEntryEnd(bytes: Buffer): number {
  let offset = 16;
  let end = offset;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readInt32BE(offset + 8);
    if (length <= 0) break;
    offset += 12 + length + 1;
    end = offset;
  }
  return end;
}

function adler32Slow(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return b * 65536 + a;
}
