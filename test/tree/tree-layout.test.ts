/**
 * The tree's memory layout is invisible (src/tree/node-store.ts, byte-arena.ts, path-index.ts): a DataTree with
 * tiny arena chunks (compaction all the time, most values in buffers of their own) and a weak path hash
 * (colliding everywhere) goes through seeded random txns side by side with a default one, and the two must
 * agree on every node, every stat field, child order and the snapshot bytes; the arena must stay bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Perm } from "../../src/jute/codes.js";
import type { ACL } from "../../src/jute/records.js";
import { CONTAINER_OWNER, DataTree, ttlOwner } from "../../src/tree/data-tree.js";
import { restoreSnapshot, serializeSnapshot } from "../../src/tree/snapshot-codec.js";
import type { Txn } from "../../src/tree/txn.js";
import { assertSameTree, prng, TxnScript } from "../unit/tree-support.js";

const READ_ONLY: ACL[] = [{ perms: Perm.READ, id: { scheme: "world", id: "anyone" } }];

/** Random valid txns against a model of the tree: nested creates, deletes of leaves, setData, setACL, sessions. */
class Workload {
  readonly s = new TxnScript(0x100000000n);
  private readonly children = new Map<string, Set<string>>([["/", new Set()]]);
  private readonly versions = new Map<string, number>();
  private readonly aversions = new Map<string, number>();
  private sessionId = 0x5000n;
  private sessionNodes: string[] = [];
  private serial = 0;

  constructor(private readonly rand: () => number) {}

  private pick<T>(items: T[]): T {
    return items[Math.floor(this.rand() * items.length)];
  }

  private data(): Buffer | null {
    const r = this.rand();
    if (r < 0.05) return null;
    if (r < 0.1) return Buffer.alloc(0);
    const size = r < 0.97 ? 1 + Math.floor(this.rand() * 300) : 5000 + Math.floor(this.rand() * 5000);
    return Buffer.alloc(size, this.serial & 0xff);
  }

  next(): Txn {
    const nodes = [...this.children.keys()];
    const r = this.rand();
    if (r < 0.35 || nodes.length < 20) {
      const parent = this.pick(nodes.filter((p) => p.split("/").length < 5));
      const names = [`n${this.serial++}`, `\u00e9${this.serial++}`, "same", "x"];
      const path = parent === "/" ? `/${this.pick(names)}` : `${parent}/${this.pick(names)}`;
      if (this.children.has(path)) return this.s.setData(path, this.data(), this.bumpVersion(path));
      const kind = this.rand();
      const owner = kind < 0.1 ? this.sessionId : kind < 0.13 ? CONTAINER_OWNER : kind < 0.16 ? ttlOwner(500n) : 0n;
      if (owner === this.sessionId) this.sessionNodes.push(path);
      else this.children.set(path, new Set());
      this.children.get(parent)!.add(path);
      this.versions.delete(path);
      this.aversions.delete(path);
      return this.s.create(path, { data: this.data(), ephemeralOwner: owner });
    }
    const path = this.pick(nodes.filter((p) => p !== "/"));
    if (r < 0.5 && this.children.get(path)!.size === 0) {
      this.children.delete(path);
      this.children.get(path.slice(0, path.lastIndexOf("/")) || "/")!.delete(path);
      return this.s.delete(path);
    }
    if (r < 0.9) return this.s.setData(path, this.data(), this.bumpVersion(path));
    if (r < 0.95) {
      const v = (this.aversions.get(path) ?? 0) + 1;
      this.aversions.set(path, v);
      return this.s.setACL(path, v % 2 === 1 ? READ_ONLY : [{ perms: Perm.ALL, id: { scheme: "world", id: "anyone" } }], v);
    }
    const closing = this.sessionNodes;
    for (const p of closing) this.children.get(p.slice(0, p.lastIndexOf("/")) || "/")!.delete(p);
    this.sessionNodes = [];
    return this.s.closeSession(this.sessionId++, [...closing].sort());
  }

  private bumpVersion(path: string): number {
    const v = (this.versions.get(path) ?? 0) + 1;
    this.versions.set(path, v);
    return v;
  }
}

function snapshotBytes(tree: DataTree): Buffer {
  return Buffer.concat([...serializeSnapshot(tree, [])]);
}

function childOrder(tree: DataTree): string {
  return JSON.stringify([...tree.paths()].sort().map((p) => [p, tree.get(p)!.children ?? []]));
}

for (const seed of [1, 2, 3]) {
  test(`tiny arena chunks and a weak hash: same tree, same snapshot bytes as the default layout (seed ${seed})`, () => {
    const rand = prng(seed);
    const work = new Workload(rand);
    const chunkBytes = 2048;
    const odd = new DataTree({ arena: { chunkBytes }, pathHashMask: 0xf });
    const plain = new DataTree();
    let maxAllocated = 0;
    for (let step = 1; step <= 6000; step++) {
      const t = work.next();
      odd.applyTxn(t.header, t.body);
      plain.applyTxn(t.header, t.body);
      if (step % 7 === 0) {
        const path = [...plain.paths()][Math.floor(rand() * plain.nodeCount()) % (plain.nodeCount() - 1)];
        const data = Buffer.from(`overwritten ${step}`);
        odd.overwriteData(path, data);
        plain.overwriteData(path, data);
      }
      const { allocatedBytes, liveBytes } = odd.nodeStore.arena.stats();
      maxAllocated = Math.max(maxAllocated, allocatedBytes - 2 * liveBytes);
      if (step % 1500 === 0) {
        assertSameTree(odd, plain, `seed ${seed} step ${step}`);
        assert.equal(childOrder(odd), childOrder(plain), `seed ${seed} step ${step}: child order`);
        assert.deepEqual(snapshotBytes(odd), snapshotBytes(plain), `seed ${seed} step ${step}: snapshot bytes`);
      }
    }
    // Beyond twice the live bytes, only the append chunk, chunks under compaction and spares.
    assert.ok(maxAllocated <= 12 * chunkBytes, `seed ${seed}: arena exceeded 2 × live by ${maxAllocated} bytes`);
    assert.ok(odd.nodeStore.arena.stats().scannedBytes > 0, "compaction ran");

    const bytes = snapshotBytes(plain);
    const back = new DataTree({ arena: { chunkBytes }, pathHashMask: 0x3 });
    restoreSnapshot(bytes, back);
    assertSameTree(back, plain, `seed ${seed}: restored`);
    assert.equal(childOrder(back), childOrder(plain), `seed ${seed}: restored child order`);
    assert.deepEqual(snapshotBytes(back), bytes);
  });
}

test("a node's stat survives every kind of change: setData, setACL, owner, children, delete and re-create", () => {
  const s = new TxnScript(0x700000000n);
  s.create("/p", { data: Buffer.from("first") });
  const created = s.txns[0].header;
  s.create("/p/e", { ephemeralOwner: 0x77n });
  s.setData("/p", Buffer.from("second"), 1);
  s.setACL("/p", READ_ONLY, 3);
  s.create("/p/c");
  s.delete("/p/c");
  const tree = new DataTree({ arena: { chunkBytes: 256 } });
  for (const t of s.txns) tree.applyTxn(t.header, t.body);
  const p = tree.get("/p")!;
  const stat = tree.statOf(p);
  assert.equal(stat.czxid, created.zxid);
  assert.equal(stat.mzxid, s.txns[2].header.zxid);
  assert.equal(stat.mtime, BigInt(s.txns[2].header.timeMs));
  assert.equal(stat.ctime, BigInt(created.timeMs));
  assert.equal(stat.version, 1);
  assert.equal(stat.aversion, 3);
  assert.equal(stat.cversion, 2 * 2 - 1);
  assert.equal(stat.numChildren, 1);
  assert.equal(stat.pzxid, s.txns[5].header.zxid);
  assert.equal(stat.dataLength, 6);
  assert.deepEqual(p.acl, READ_ONLY);
  assert.equal(tree.get("/p/e")!.ephemeralOwner, 0x77n);
  assert.equal(tree.statOf(tree.get("/p/e")!).ephemeralOwner, 0x77n);
  assert.deepEqual([...tree.ephemerals.get(0x77n)!], ["/p/e"]);
  // A leaf created and never written: every default, stored implicitly.
  const e = tree.statOf(tree.get("/p/e")!);
  assert.equal(e.mzxid, e.czxid);
  assert.equal(e.pzxid, e.czxid);
  assert.equal(e.mtime, e.ctime);
  assert.equal(e.cversion, 0);
});
