/**
 * Unit tests of src/tree/path-index.ts and src/tree/node-store.ts: the hash index agrees with a Map through
 * seeded random adds and removes (including runs of colliding slots, where backward-shift deletion must keep every
 * later entry findable), survives growth, and the store's child lists keep insertion order through unlinks.
 * Rows hold names, not paths: the fixture links each row under an (unindexed) row per directory, so the index
 * verifies candidates by their name chain.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryFields, NO_ROW, NodeStore } from "../../src/tree/node-store.js";
import { PathHasher, PathIndex, slotHash } from "../../src/tree/path-index.js";
import { prng } from "../helpers/prng.js";

const hasher = new PathHasher();
const pathHash = (p: string): number => slotHash(hasher.ofPath(p));

function fixture(): { store: NodeStore; index: PathIndex; add: (p: string) => number; remove: (p: string) => void } {
  const store = new NodeStore();
  const index = new PathIndex(store, hasher);
  const newRow = (parentRow: number, path: string): number => {
    const row = store.allocate();
    store.putEntry(row, path, path.lastIndexOf("/") + 1, path.length, null, new EntryFields());
    if (parentRow !== NO_ROW) store.link(parentRow, row);
    return row;
  };
  const root = newRow(NO_ROW, "/");
  /** Directory path → its row, for directories that are not themselves indexed. */
  const dirs = new Map<string, number>([["/", root]]);
  const dirRow = (dir: string): number => {
    const indexed = index.get(dir);
    if (indexed !== NO_ROW) return indexed;
    let row = dirs.get(dir);
    if (row === undefined) {
      const slash = dir.lastIndexOf("/");
      dirs.set(dir, (row = newRow(dirRow(slash === 0 ? "/" : dir.slice(0, slash)), dir)));
    }
    return row;
  };
  return {
    store,
    index,
    add: (p) => {
      const slash = p.lastIndexOf("/");
      const row = newRow(dirRow(slash === 0 ? "/" : p.slice(0, slash)), p);
      index.add(row, hasher.ofPath(p));
      return row;
    },
    remove: (p) => {
      const row = index.remove(p);
      assert.notEqual(row, -1, `${p} was indexed`);
      store.unlink(row);
      store.release(row);
    },
  };
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`PathIndex agrees with a Map through random adds and removes (seed ${seed})`, () => {
    const rand = prng(seed);
    const f = fixture();
    const model = new Map<string, number>();
    // A small key space so removes and re-adds of the same path are frequent and probe runs get long.
    for (let step = 0; step < 20_000; step++) {
      const path = `/k/${Math.floor(rand() * 3000)}`;
      if (model.has(path)) {
        f.remove(path);
        model.delete(path);
      } else {
        model.set(path, f.add(path));
      }
      if (step % 1000 === 0) {
        for (const [p, row] of model) assert.equal(f.index.get(p), row, `seed ${seed} step ${step}: ${p}`);
        assert.equal(f.index.size, model.size);
      }
    }
    for (const [p, row] of model) assert.equal(f.index.get(p), row);
    for (let i = 0; i < 3000; i++) if (!model.has(`/k/${i}`)) assert.equal(f.index.get(`/k/${i}`), -1);
  });
}

test("PathIndex: growth past many doublings keeps every entry", () => {
  const f = fixture();
  const rows: number[] = [];
  for (let i = 0; i < 50_000; i++) rows.push(f.add(`/a/${i}`));
  for (let i = 0; i < 50_000; i++) assert.equal(f.index.get(`/a/${i}`), rows[i]);
  assert.equal(f.index.get("/a/50000"), -1);
});

test("PathIndex: removing from the middle of a wrapped probe run keeps the rest findable", () => {
  const f = fixture();
  // Paths whose home slot is one of the last two of the initial 1024 slots, so their run wraps to slot 0.
  const wrapping: string[] = [];
  for (let i = 0; wrapping.length < 12; i++) {
    const p = `/w/${i}`;
    if ((pathHash(p) & 1023) >= 1022) wrapping.push(p);
  }
  for (const p of wrapping) f.add(p);
  const removed = new Set<string>();
  for (const victim of [wrapping[1], wrapping[5], wrapping[0], wrapping[11]]) {
    f.remove(victim);
    removed.add(victim);
    for (const p of wrapping) assert.equal(f.index.get(p) === -1, removed.has(p), `${p} after removing ${victim}`);
  }
});

test("NodeStore child lists: insertion order, O(1) unlink anywhere, counts", () => {
  const f = fixture();
  const parent = f.add("/p");
  const kids = ["a", "b", "c", "d"].map((n) => f.add(`/p/${n}`));
  assert.deepEqual(f.store.childNames(parent), ["a", "b", "c", "d"]);
  f.store.unlink(kids[1]);
  assert.deepEqual(f.store.childNames(parent), ["a", "c", "d"]);
  f.store.unlink(kids[0]);
  f.store.unlink(kids[3]);
  assert.deepEqual(f.store.childNames(parent), ["c"]);
  assert.equal(f.store.numChildren(parent), 1);
  f.store.unlink(kids[2]);
  assert.deepEqual(f.store.childNames(parent), []);
  assert.equal(f.store.firstChild(parent), NO_ROW);
  assert.equal(f.store.numChildren(parent), 0);
  f.add("/p/e");
  assert.deepEqual(f.store.childNames(parent), ["e"]);
});
