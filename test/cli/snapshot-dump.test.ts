/**
 * `herd snapshot export` / `herd snapshot import` between two real Herd processes: the dump's shape (one
 * node per line, parents first, no ephemerals, no /zookeeper), a round trip that reproduces the tree node by
 * node (data bytes and ACLs, including ACLs that lock the importer out of a parent), parents' sequence
 * counters carried over, and a second import that changes nothing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ServerProcess } from "../helpers/server-process.js";
import { createClient, digestAcl, type ZooKeeperClient } from "../../src/client/index.js";
import { herd, persistentNodes, readTree, startHerds } from "./support.js";

describe("herd snapshot export | import", () => {
  let source: ServerProcess;
  let target: ServerProcess;
  let src: ZooKeeperClient;
  let dst: ZooKeeperClient;

  before(async () => {
    [source, target] = await startHerds(2);
    src = createClient(source.connectString, { auth: [{ scheme: "digest", auth: "admin:pw" }] });
    dst = createClient(target.connectString, { auth: [{ scheme: "digest", auth: "admin:pw" }] });
    await src.setData("/", "root data");
    await src.create("/cfg", "text ünïcödé\nwith lines");
    await src.create("/cfg/bin", Buffer.from([0, 1, 2, 0xfe, 0xff]));
    await src.create("/cfg/empty", "");
    await src.create("/cfg/deep", "d");
    await src.create("/cfg/deep/er", "e");
    await src.create("/cfg/deep/er/est", "f");
    await src.create("/queue", "");
    await src.create("/queue/item-", "job", { mode: "persistentSequential" });
    await src.create("/queue/item-", "job2", { mode: "persistentSequential" });
    // Three creations, two children left: the next item is -0000000003, on the source and after an import.
    await src.create("/queue/item-", "job3", { mode: "persistentSequential" });
    await src.delete("/queue/item-0000000000");
    // Only admin may touch /vault or below: the importer must still get /vault/inner in.
    await src.create("/vault", "v", { acl: [digestAcl("admin", "pw")] });
    await src.create("/vault/inner", "i", { acl: [digestAcl("admin", "pw"), { perms: 1, id: { scheme: "world", id: "anyone" } }] });
    await src.create("/ro", "r", { acl: [{ perms: 1, id: { scheme: "world", id: "anyone" } }] });
    await src.create("/session", "");
    await src.create("/session/eph", "gone", { mode: "ephemeral" });
    await dst.whenConnected();
  });

  after(async () => {
    await Promise.all([src?.close(), dst?.close()]);
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it("exports one node per line, parents first, and imports the same tree", async () => {
    const exported = await herd(["snapshot", "export", "--server", source.connectString, "--auth", "digest:admin:pw"]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /exported 14 nodes \(1 ephemeral skipped, 0 unreadable\)/);
    const lines = exported.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { path: string; data: string; utf8?: string });
    const paths = lines.map((l) => l.path);
    for (const [i, p] of paths.entries()) {
      const parent = p.slice(0, p.lastIndexOf("/")) || "/";
      if (p !== "/") assert.ok(paths.indexOf(parent) < i, `${p} comes after its parent`);
    }
    assert.ok(!paths.some((p) => p.startsWith("/zookeeper") || p === "/session/eph"));
    const cfg = lines.find((l) => l.path === "/cfg");
    assert.deepEqual([cfg?.data, cfg?.utf8], [Buffer.from("text ünïcödé\nwith lines").toString("base64"), "text ünïcödé\nwith lines"]);
    assert.equal(lines.find((l) => l.path === "/cfg/bin")?.utf8, undefined);

    const imported = await herd(["snapshot", "import", "--server", target.connectString, "--json"], { input: exported.stdout });
    assert.equal(imported.code, 0, imported.stderr);
    // Counters raised: /queue (3 creations, 2 children) and /session (its ephemeral child is not imported).
    assert.deepEqual(JSON.parse(imported.stdout),
      { created: 13, updated: 1, unchanged: 0, aclSet: 3, skippedEphemeral: 0, failed: 0, countersRaised: 2 });
    assert.match(imported.stderr, /imported: 13 created, 1 updated, 0 unchanged, 3 ACLs set, 0 ephemeral skipped, 0 failed, 2 sequence counters carried over/);
    assert.deepEqual(persistentNodes(await readTree(dst)), persistentNodes(await readTree(src)));
    assert.equal((await dst.exists("/queue"))?.cversion, (await src.exists("/queue"))?.cversion);

    // Now /vault is admin-only on the target too: comparing it needs the credentials.
    const again = await herd(["snapshot", "import", "--server", target.connectString, "--auth", "digest:admin:pw", "--json"], { input: exported.stdout });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout),
      { created: 0, updated: 0, unchanged: 14, aclSet: 0, skippedEphemeral: 0, failed: 0, countersRaised: 0 });
    const next = { mode: "persistentSequential" } as const;
    assert.deepEqual([await dst.create("/queue/item-", "", next), await src.create("/queue/item-", "", next)],
      ["/queue/item-0000000003", "/queue/item-0000000003"]);
  });

  it("export of a subtree, unreadable nodes reported, and bad dump lines refused", async () => {
    const sub = await herd(["snapshot", "export", "--server", source.connectString, "/cfg/deep"]);
    assert.equal(sub.code, 0, sub.stderr);
    assert.deepEqual(sub.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).path), ["/cfg/deep", "/cfg/deep/er", "/cfg/deep/er/est"]);

    const noAuth = await herd(["snapshot", "export", "--server", source.connectString]);
    assert.equal(noAuth.code, 1);
    assert.match(noAuth.stderr, /Insufficient permission : \/vault \(left out with its subtree\)/);

    const bad = await herd(["snapshot", "import", "--server", target.connectString], { input: '{"path":"/ok","data":"","acl":[]}\nnot json\n' });
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /dump line 2: not JSON/);
  });
});
