/**
 * Paths without path strings (src/tree/path-index.ts, src/tree/node-store.ts): the path hash computed from a
 * string equals the one folded from the parent's hash and the name's bytes (whatever the characters), and the
 * index tells paths apart by walking names up the parent chain — tested with a deliberately weak hash (a mask
 * keeping 0 or 2 bits), so every lookup meets colliding candidates, against a tree with the full hash.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTree } from "../../src/tree/data-tree.js";
import { PathHasher } from "../../src/tree/path-index.js";
import { restoreSnapshot, serializeSnapshot } from "../../src/tree/snapshot-codec.js";
import { applyAll, assertSameTree, prng, TxnScript } from "../unit/tree-support.js";

const ODD_PATHS = [
  "/",
  "/a",
  "/a/b",
  "/ab",
  "/a/bc",
  "/ab/c",
  "/\u4e2d\u6587/\u00e9t\u00e9",
  "/\ud83d\ude00/x\ud83d\ude00y",
  "/lone/\ud800/\udc00x", // lone surrogates hash as U+FFFD, like their UTF-8
  `/long/${"n".repeat(5000)}`,
];

test("the path hash of a string equals the fold of its segments' UTF-8 bytes from the parent's hash", () => {
  for (const mask of [-1, 0xff, 0x3]) {
    const hasher = new PathHasher(mask);
    for (const path of ODD_PATHS) {
      let h = hasher.root();
      let fromStrings = hasher.root();
      if (path !== "/") {
        let start = 1;
        for (const segment of path.slice(1).split("/")) {
          const bytes = Buffer.from(segment);
          h = hasher.childOfBytes(h, bytes, 0, bytes.length);
          fromStrings = hasher.child(fromStrings, path, start, start + segment.length);
          start += segment.length + 1;
        }
      }
      assert.equal(hasher.ofPath(path), h, `mask ${mask}: ${path}`);
      assert.equal(fromStrings, h, `mask ${mask}: ${path} segment by segment`);
    }
  }
});

/** Creates every prefix of path that is missing, in order. */
function createAll(s: TxnScript, made: Set<string>, path: string): void {
  let at = 0;
  for (;;) {
    at = path.indexOf("/", at + 1);
    const prefix = at < 0 ? path : path.slice(0, at);
    if (!made.has(prefix)) {
      s.create(prefix, { data: Buffer.from(prefix) });
      made.add(prefix);
    }
    if (at < 0) return;
  }
}

test("colliding hashes: lookups of similar, nested and non-ASCII paths find exactly their node", () => {
  for (const mask of [0, 0x3]) {
    const s = new TxnScript();
    const made = new Set<string>();
    for (const p of ODD_PATHS.slice(1)) createAll(s, made, p);
    const weak = applyAll(new DataTree({ pathHashMask: mask }), s.txns);
    const strong = applyAll(new DataTree(), s.txns);
    assertSameTree(weak, strong, `mask ${mask}`);
    for (const p of made) {
      assert.equal(weak.get(p)?.data?.toString(), Buffer.from(p).toString(), `mask ${mask}: ${p}`);
      assert.deepEqual([...(weak.get(p)!.children ?? [])], [...(strong.get(p)!.children ?? [])]);
    }
    const absent = ["", "a", "a/b", "//a", "/a/", "/a//b", "/a/b/c", "/b", "/ab/c/", "/\u4e2d", "/\u4e2d\u6587/\u00e9t", "/lone/\ud800/x"];
    // Names are UTF-8, so a lone surrogate is the same name as U+FFFD (prep rejects both in paths anyway).
    assert.equal(weak.get("/lone/\ufffd")?.row, weak.get("/lone/\ud800")?.row);
    for (const p of absent) {
      assert.equal(weak.get(p), undefined, `mask ${mask}: ${JSON.stringify(p)} is not in the tree`);
      assert.equal(weak.has(p), false);
    }
  }
});

for (const seed of [1, 2]) {
  test(`colliding hashes through random creates and deletes agree with the full hash (seed ${seed})`, () => {
    const rand = prng(seed);
    const s = new TxnScript();
    const live = new Set<string>();
    const names = ["a", "b", "ab", "ba", "\u00e9", "a\u00e9", "x"];
    const pathOf = (depth: number) => {
      let p = "";
      for (let i = 0; i < depth; i++) p += "/" + names[Math.floor(rand() * names.length)];
      return p;
    };
    for (let step = 0; step < 3000; step++) {
      const p = pathOf(1 + Math.floor(rand() * 4));
      const parent = p.slice(0, p.lastIndexOf("/")) || "/";
      const hasChildren = [...live].some((q) => q.startsWith(p + "/"));
      if (live.has(p)) {
        if (!hasChildren) {
          s.delete(p);
          live.delete(p);
        }
      } else if (parent === "/" || live.has(parent)) {
        s.create(p, { data: rand() < 0.2 ? null : Buffer.from(`${p}@${step}`) });
        live.add(p);
      }
    }
    const weak = applyAll(new DataTree({ pathHashMask: 0x7 }), s.txns);
    const strong = applyAll(new DataTree(), s.txns);
    assertSameTree(weak, strong, `seed ${seed}`);
    for (let i = 0; i < 500; i++) {
      const p = pathOf(1 + Math.floor(rand() * 5));
      assert.equal(weak.has(p), live.has(p), `seed ${seed}: ${p}`);
    }
    // A snapshot taken with one hash loads under the other, and both write the same bytes.
    const bytes = Buffer.concat([...serializeSnapshot(weak, [])]);
    assert.deepEqual(bytes, Buffer.concat([...serializeSnapshot(strong, [])]));
    const back = new DataTree({ pathHashMask: 0 });
    restoreSnapshot(bytes, back);
    assertSameTree(back, strong, `seed ${seed}: restored with every hash colliding`);
  });
}

test("paths() builds every path, parents first", () => {
  const s = new TxnScript();
  const made = new Set<string>();
  for (const p of ODD_PATHS.slice(1)) createAll(s, made, p);
  const tree = applyAll(new DataTree(), s.txns);
  const paths = [...tree.paths()];
  assert.deepEqual([...paths].sort(), ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota", ...made].map((p) => Buffer.from(p).toString()).sort());
  const seen = new Set<string>();
  for (const p of paths) {
    if (p !== "/") assert.ok(seen.has(p.slice(0, p.lastIndexOf("/")) || "/"), `${p} after its parent`);
    seen.add(p);
  }
});

test("approximateDataSize and readBytes count name bytes (UTF-8) from the rows", () => {
  const s = new TxnScript();
  s.create("/\u00e9", { data: Buffer.from("12345") });
  s.create("/\u00e9/\u4e2d", { data: null });
  const tree = applyAll(new DataTree(), s.txns);
  const builtinPaths = "/".length + "/zookeeper".length + "/zookeeper/quota".length + "/zookeeper/config".length;
  assert.equal(tree.approximateDataSize(), builtinPaths + Buffer.byteLength("/\u00e9") + 5 + Buffer.byteLength("/\u00e9/\u4e2d"));
  assert.equal(tree.readBytes("/\u00e9", false), Buffer.byteLength("\u4e2d"));
  assert.equal(tree.readBytes("/\u00e9", true), 5);
  assert.equal(tree.readBytes("/\u00e9/\u4e2d", true), 0);
  assert.equal(tree.readBytes("/nope", true), undefined);
});
