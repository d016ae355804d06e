/**
 * Unit tests of src/tree/snapshot-codec.ts: serialize → restore gives an identical tree (every node's stat,
 * data, ACL, children and owner indexes), and fuzzy snapshots (shared/reference §14): the tree keeps changing
 * between the generator's slices, and restoring + replaying the txns after the snapshot zxid must give exactly
 * the tree that was never snapshotted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter, DecodeError } from "../../src/base/bytes.js";
import { Perm } from "../../src/jute/codes.js";
import { writeACL, type ACL } from "../../src/jute/records.js";
import { CONTAINER_OWNER, DataTree, ttlOwner } from "../../src/tree/data-tree.js";
import { restoreSnapshot, serializeSnapshot, type SnapshotSession } from "../../src/tree/snapshot-codec.js";
import type { Txn } from "../../src/tree/txn.js";
import { applyAll, assertSameTree, prng, TxnScript } from "./tree-support.js";

const READ_ONLY: ACL[] = [{ perms: Perm.READ, id: { scheme: "world", id: "anyone" } }];
const DIGEST: ACL[] = [{ perms: Perm.ALL, id: { scheme: "digest", id: "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=" } }];

function snapshotBytes(tree: DataTree, sessions: SnapshotSession[] = []): Buffer {
  return Buffer.concat([...serializeSnapshot(tree, sessions)]);
}

function restored(bytes: Buffer): { tree: DataTree; zxid: bigint; sessions: SnapshotSession[] } {
  const tree = new DataTree();
  const { zxid, sessions } = restoreSnapshot(bytes, tree);
  return { tree, zxid, sessions };
}

/** A small tree with every kind of node and stat quirk. */
function variedLog(): Txn[] {
  const s = new TxnScript();
  s.create("/app", { data: null });
  s.create("/app/cfg", { data: Buffer.from([0, 1, 2, 255]), acl: DIGEST });
  s.setData("/app/cfg", Buffer.from("v1"), 1);
  s.setACL("/app/cfg", READ_ONLY, 1);
  s.create("/app/e", { ephemeralOwner: 0x0100000447740000n });
  s.create("/app/e2", { ephemeralOwner: 0x0100000447740000n });
  s.create("/app/c", { ephemeralOwner: CONTAINER_OWNER });
  s.create("/app/c/k");
  s.create("/app/t", { ephemeralOwner: ttlOwner(1000n) });
  s.create("/app/gone");
  s.delete("/app/gone");
  s.create("/\u4e2d\u6587", { data: Buffer.alloc(0) });
  s.setData("/zookeeper/config", Buffer.from("server.1=127.0.0.1:2888:3888"), 1);
  s.create("/zookeeper/quota/app");
  return s.txns;
}

test("serialize → restore: identical tree, zxid and sessions", () => {
  const tree = applyAll(new DataTree(), variedLog());
  const sessions = [
    { id: 0x0100000447740000n, timeoutMs: 30000 },
    { id: -0x7fffff0000000000n, timeoutMs: 4000 },
  ];
  const back = restored(snapshotBytes(tree, sessions));
  assertSameTree(back.tree, tree);
  assert.equal(back.zxid, tree.lastProcessedZxid);
  assert.deepEqual(back.sessions, sessions);
  assert.equal(back.tree.nodeCount(), tree.nodeCount());
});

test("serialize → restore of a fresh tree keeps the built-in stats", () => {
  const back = restored(snapshotBytes(new DataTree()));
  assertSameTree(back.tree, new DataTree());
  assert.equal(back.tree.statOf(back.tree.get("/")!).cversion, -1);
  assert.equal(back.tree.statOf(back.tree.get("/zookeeper")!).cversion, -2);
  assert.equal(back.tree.get("/zookeeper/config")!.aversion, -1);
  assert.equal(back.zxid, 0n);
});

test("restore overwrites the built-ins with their saved state", () => {
  const tree = applyAll(new DataTree(), variedLog());
  const back = restored(snapshotBytes(tree));
  assert.equal(back.tree.get("/zookeeper/config")!.data!.toString(), "server.1=127.0.0.1:2888:3888");
  assert.equal(back.tree.get("/zookeeper/config")!.version, 1);
  assert.deepEqual([...back.tree.get("/zookeeper/quota")!.children!], ["app"]);
});

/** A wide tree: `dirs` directories of `perDir` children each. */
function wideLog(dirs: number, perDir: number): TxnScript {
  const s = new TxnScript();
  for (let d = 0; d < dirs; d++) {
    s.create(`/d${d}`);
    for (let i = 0; i < perDir; i++) s.create(`/d${d}/n${i}`, { data: Buffer.from(`${d}.${i}`) });
  }
  return s;
}

test("a large tree is serialized in several slices and restores identically", () => {
  const tree = applyAll(new DataTree(), wideLog(10, 450).txns);
  const slices = [...serializeSnapshot(tree, [])];
  assert.ok(slices.length >= 4, `expected header + ≥3 node slices, got ${slices.length}`);
  assertSameTree(restored(Buffer.concat(slices)).tree, tree);
});

/**
 * Produces random, valid txns against a model of the tree: creates (some ephemeral, some nested), deletes of
 * leaves, setData, setACL, multis and session closes. Deleted leaves are sometimes recreated (and may then get
 * children), so replay meets deletes of paths that the snapshot holds in a later incarnation.
 */
class RandomWriter {
  private readonly leaves: string[] = [];
  private readonly deleted: string[] = [];
  private recreated: string | null = null;
  /** Session ids are never reused, as in a real server: each close retires the current one. */
  private sessionId = 1n;
  private sessionEphemerals: string[] = [];
  private readonly versions = new Map<string, number>();
  private readonly aversions = new Map<string, number>();
  private serial = 0;

  constructor(private readonly s: TxnScript, private readonly rand: () => number, existing: string[]) {
    this.leaves.push(...existing);
  }

  private pick(list: string[]): string {
    return list[Math.floor(this.rand() * list.length)];
  }

  /** Appends one txn to the script and returns it. */
  next(): Txn {
    if (this.recreated !== null) {
      // A recreated leaf gets a child right away: the shape whose replay needs the subtree-dropping delete.
      const parent = this.recreated;
      this.recreated = null;
      this.leaves.splice(this.leaves.indexOf(parent), 1);
      return this.s.create(`${parent}/g${this.serial++}`);
    }
    const r = this.rand();
    const dir = `/d${Math.floor(this.rand() * 10)}`;
    if (r < 0.3) {
      const reuse = this.deleted.length > 0 && this.rand() < 0.5;
      const path = reuse ? this.deleted.splice(Math.floor(this.rand() * this.deleted.length), 1)[0] : `${dir}/w${this.serial++}`;
      this.leaves.push(path);
      this.versions.delete(path);
      this.aversions.delete(path);
      if (reuse && this.rand() < 0.5) this.recreated = path;
      return this.s.create(path, { data: Buffer.from(`${path}@${this.serial++}`) });
    }
    if (r < 0.4 && this.leaves.length > 0) {
      // A grandchild under an existing leaf: the leaf stops being deletable until the grandchild is gone.
      const parent = this.pick(this.leaves);
      this.leaves.splice(this.leaves.indexOf(parent), 1);
      const path = `${parent}/g${this.serial++}`;
      return this.s.create(path);
    }
    if (r < 0.5) {
      const path = `${dir}/e${this.serial++}`;
      this.sessionEphemerals.push(path);
      return this.s.create(path, { ephemeralOwner: this.sessionId });
    }
    if (r < 0.55) {
      const close = this.s.closeSession(this.sessionId, [...this.sessionEphemerals].sort());
      this.sessionId++;
      this.sessionEphemerals = [];
      return close;
    }
    if (r < 0.75 && this.leaves.length > 0) {
      const victim = this.pick(this.leaves);
      this.leaves.splice(this.leaves.indexOf(victim), 1);
      this.deleted.push(victim);
      return this.s.delete(victim);
    }
    if (r < 0.9 && this.leaves.length > 0) {
      const path = this.pick(this.leaves);
      const version = (this.versions.get(path) ?? 0) + 1;
      this.versions.set(path, version);
      return this.s.setData(path, Buffer.from(`v${version}`), version);
    }
    if (r < 0.95 && this.leaves.length > 0) {
      const path = this.pick(this.leaves);
      const version = (this.aversions.get(path) ?? 0) + 1;
      this.aversions.set(path, version);
      return this.s.setACL(path, version % 2 === 1 ? READ_ONLY : DIGEST, version);
    }
    const a = `${dir}/m${this.serial++}`;
    const b = `${a}/k`;
    return this.s.multi([this.s.createOp(a), this.s.createOp(b), { type: "delete", path: b }, { type: "setData", path: a, data: null, version: 1 }]);
  }
}

test("fuzzy snapshot: tree mutated between every slice; restore + replay after the snapshot zxid is exact", () => {
  for (const seed of [1, 2]) {
    const rand = prng(seed);
    const script = wideLog(10, 450);
    const initial = script.txns.length;
    const existing = script.txns.map((t) => (t.body as { path: string }).path).filter((p) => p.split("/").length === 3);
    const writer = new RandomWriter(script, rand, existing);

    const live = applyAll(new DataTree(), script.txns);
    const slices: Buffer[] = [];
    for (const slice of serializeSnapshot(live, [])) {
      slices.push(slice);
      // Between slices the server keeps applying txns (the generator sees some of them, not others).
      for (let i = 0; i < 150; i++) {
        const t = writer.next();
        live.applyTxn(t.header, t.body);
      }
    }
    assert.ok(slices.length >= 4, "the snapshot really was taken in several slices");

    const back = restored(Buffer.concat(slices));
    assert.equal(back.zxid, BigInt(initial), `seed ${seed}: snapshot zxid is the zxid when it started`);
    // The snapshot is genuinely fuzzy: it holds some changes made after its zxid, but not all of them.
    const captured = [...back.tree.paths()].map((p) => back.tree.get(p)!).some((n) => n.mzxid > back.zxid || n.pzxid > back.zxid);
    assert.ok(captured, `seed ${seed}: snapshot captured some later changes`);
    assert.notEqual(back.tree.lastProcessedZxid, live.lastProcessedZxid);
    assert.ok([...live.paths()].some((p) => !back.tree.has(p)), `seed ${seed}: snapshot missed some later creates`);
    applyAll(back.tree, script.txns.filter((t) => t.header.zxid > back.zxid));

    const neverSnapshotted = applyAll(new DataTree(), script.txns);
    assertSameTree(neverSnapshotted, live, `seed ${seed}: live tree vs fresh replay`);
    assertSameTree(back.tree, neverSnapshotted, `seed ${seed}: restored + replayed`);
  }
});

/** Found as a bug: replaying 'delete /x' over the recreated /x and its child crashed recovery. Keep it. */
test("fuzzy snapshot: a path deleted and recreated with a child while the snapshot is taken", () => {
  const s = new TxnScript();
  s.create("/x");
  const live = applyAll(new DataTree(), s.txns);
  const generator = serializeSnapshot(live, []);
  const slices: Buffer[] = [generator.next().value as Buffer]; // header: zxid 1
  for (const t of [s.delete("/x"), s.create("/x"), s.create("/x/child")]) live.applyTxn(t.header, t.body);
  for (const slice of generator) slices.push(slice);

  const back = restored(Buffer.concat(slices));
  assert.equal(back.zxid, 1n);
  applyAll(back.tree, s.txns.filter((t) => t.header.zxid > back.zxid));
  assertSameTree(back.tree, live);
});

test("fuzzy snapshot: a node deleted after its parent was written is skipped, not written as a ghost", () => {
  const s = new TxnScript();
  s.create("/a");
  s.create("/a/b");
  const live = applyAll(new DataTree(), s.txns);
  const generator = serializeSnapshot(live, []);
  const slices = [generator.next().value as Buffer];
  for (const t of [s.delete("/a/b"), s.delete("/a")]) live.applyTxn(t.header, t.body);
  for (const slice of generator) slices.push(slice);
  const back = restored(Buffer.concat(slices));
  assert.equal(back.tree.get("/a"), undefined);
  applyAll(back.tree, s.txns.filter((t) => t.header.zxid > back.zxid));
  assertSameTree(back.tree, live);
});

test("restoreSnapshot: truncated bytes are a DecodeError", () => {
  const bytes = snapshotBytes(applyAll(new DataTree(), variedLog()), [{ id: 5n, timeoutMs: 1000 }]);
  for (let len = 0; len < bytes.length; len++) {
    assert.throws(() => restoreSnapshot(bytes.subarray(0, len), new DataTree()), DecodeError, `truncated to ${len}`);
  }
});

test("restoreSnapshot: unknown format version or impossible session count is a DecodeError", () => {
  // A truncated or garbled record stream is a DecodeError too, never a crash or a half-made node.
  const full = snapshotBytes(applyAll(new DataTree(), variedLog()));
  for (const cut of [25, 40, full.length - 30, full.length - 1]) {
    assert.throws(() => restoreSnapshot(full.subarray(0, cut), new DataTree()), DecodeError, `cut at ${cut}`);
  }
  const badTag = Buffer.from(full);
  badTag[badTag.length - 1] = 9; // the end marker becomes an unknown record
  assert.throws(() => restoreSnapshot(badTag, new DataTree()), DecodeError);
  const bytes = snapshotBytes(new DataTree());
  const badVersion = Buffer.from(bytes);
  badVersion.writeInt32BE(99, 0);
  assert.throws(() => restoreSnapshot(badVersion, new DataTree()), DecodeError);
  for (const count of [-1, 1_000_000]) {
    const badCount = Buffer.from(bytes);
    badCount.writeInt32BE(count, 16); // after the format (4), zxid (8) and node-count hint (4)
    assert.throws(() => restoreSnapshot(badCount, new DataTree()), DecodeError, `session count ${count}`);
  }
});

/** Format 1, as Herd wrote it before format 2: every node carries its own ACL list; the end is a null path. */
function formatOneBytes(tree: DataTree, sessions: SnapshotSession[]): Buffer {
  const w = new ByteWriter();
  w.int32(1).int64(tree.lastProcessedZxid).int32(sessions.length);
  for (const s of sessions) w.int64(s.id).int32(s.timeoutMs);
  const stack = ["/"];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const n = tree.get(path)!;
    w.ustring(path).buffer(n.data).vector(n.acl, writeACL);
    w.int64(n.czxid).int64(n.mzxid).int64(BigInt(n.ctime)).int64(BigInt(n.mtime));
    w.int32(n.version).int32(n.createCount).int32(n.aversion).int64(n.ephemeralOwner).int64(n.pzxid);
    for (const name of n.children ?? []) stack.push(path === "/" ? `/${name}` : `${path}/${name}`);
  }
  w.ustring(null);
  return w.toBuffer();
}

test("a format-1 snapshot (written by earlier Herd versions) still restores to the same tree", () => {
  const tree = applyAll(new DataTree(), variedLog());
  const sessions = [{ id: 0x0100000447740000n, timeoutMs: 30000 }];
  const back = restored(formatOneBytes(tree, sessions));
  assertSameTree(back.tree, tree);
  assert.equal(back.zxid, tree.lastProcessedZxid);
  assert.deepEqual(back.sessions, sessions);
});
