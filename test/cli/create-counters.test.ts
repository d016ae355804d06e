/**
 * Raising a parent's child-create counter (create-counters.ts) against a stand-in client that keeps the counter
 * as a server would: how many create/delete pairs go out, in which multis, under which placeholder name, and
 * the cases where nothing is sent (already there, already ahead, too far to go).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Stat, ZooKeeperClient } from "../../src/client/index.js";
import { COUNTER_RAISE_MAX, childCreations, raiseChildCreations } from "../../src/cli/create-counters.js";

/** One parent with `children` and `creations`; records each committed multi's ops. */
function fakeServer(parent: string, children: string[], creations: number) {
  const multis: string[][] = [];
  let count = creations;
  const stat = (): Stat => ({
    czxid: 1n, mzxid: 1n, pzxid: 1n, ctime: 0n, mtime: 0n, version: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 0,
    numChildren: children.length, cversion: count * 2 - children.length,
  });
  const zk = {
    async exists(path: string) {
      if (path === parent) return stat();
      return children.some((c) => `${parent}/${c}` === path) ? stat() : null;
    },
    transaction() {
      const ops: string[] = [];
      const tx = {
        create(path: string) { ops.push(`create ${path}`); return tx; },
        delete(path: string) { ops.push(`delete ${path}`); return tx; },
        async commit() { count += ops.filter((o) => o.startsWith("create")).length; multis.push(ops); return []; },
      };
      return tx;
    },
  } as unknown as ZooKeeperClient;
  return { zk, multis, creations: () => count };
}

describe("carrying a child-create counter over", () => {
  it("reads creations from what clients see", () => {
    assert.equal(childCreations({ cversion: 5, numChildren: 3 } as Stat), 4);
    assert.equal(childCreations({ cversion: 0, numChildren: 0 } as Stat), 0);
  });

  it("creates and deletes a free placeholder name until the count matches, 500 pairs per multi", async () => {
    const server = fakeServer("/q", ["herd-import-counter", "a"], 2);
    assert.deepEqual(await raiseChildCreations(server.zk, "/q", 1203), { kind: "raised", by: 1201 });
    assert.equal(server.creations(), 1203);
    assert.deepEqual(server.multis.map((m) => m.length), [1000, 1000, 402]);
    assert.deepEqual(server.multis[2].slice(0, 2), ["create /q/herd-import-counter-1", "delete /q/herd-import-counter-1"]);
  });

  it("sends nothing when the count is already there, already past it, or too far away", async () => {
    const same = fakeServer("/q", ["a"], 3);
    assert.deepEqual(await raiseChildCreations(same.zk, "/q", 3), { kind: "unchanged" });
    const ahead = fakeServer("/q", [], 9);
    assert.deepEqual(await raiseChildCreations(ahead.zk, "/q", 4), { kind: "ahead", current: 9 });
    const far = fakeServer("/", [], 0);
    assert.deepEqual(await raiseChildCreations(far.zk, "/", COUNTER_RAISE_MAX + 1), { kind: "tooFar", needed: COUNTER_RAISE_MAX + 1 });
    assert.deepEqual([same.multis, ahead.multis, far.multis], [[], [], []]);
  });
});
