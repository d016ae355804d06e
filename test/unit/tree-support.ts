/**
 * Shared fixtures for the in-process unit tests of the tree layer: txn builders that fill in the header, and a
 * deep comparison of two DataTrees (every node's stat, data, ACL and children, plus the owner indexes), so a test
 * can say "these two trees are the same" and get the first difference by path when they are not.
 */
import assert from "node:assert/strict";
import type { ACL } from "../../src/jute/records.js";
import { OPEN_ACL_UNSAFE } from "../../src/tree/acl.js";
import { DataTree } from "../../src/tree/data-tree.js";
import type { Txn, TxnBody, TxnHeader } from "../../src/tree/txn.js";

export const OPEN: ACL[] = OPEN_ACL_UNSAFE.map((a) => ({ perms: a.perms, id: { ...a.id } }));

/** Header for a txn at zxid; the time is derived from the zxid so mtime/ctime checks are predictable. */
export function header(zxid: bigint, sessionId = 0x1n): TxnHeader {
  return { sessionId, cxid: Number(zxid), zxid, timeMs: 1_000_000 + Number(zxid) };
}

export function createBody(
  path: string,
  parentCreateCount: number,
  opts: { data?: Buffer | null; acl?: ACL[]; ephemeralOwner?: bigint } = {},
): TxnBody {
  return {
    type: "create",
    path,
    data: opts.data === undefined ? Buffer.from(path) : opts.data,
    acl: opts.acl ?? OPEN,
    ephemeralOwner: opts.ephemeralOwner ?? 0n,
    parentCreateCount,
  };
}

/**
 * Builds txns against a model of each parent's create counter, so callers write the log as a script and the
 * parentCreateCount fields are what prep would have produced.
 */
export class TxnScript {
  readonly txns: Txn[] = [];
  private zxid: bigint;
  private readonly createCounts = new Map<string, number>();

  constructor(startZxid = 0n, private readonly sessionId = 0x1n) {
    this.zxid = startZxid;
  }

  private push(body: TxnBody, sessionId = this.sessionId): Txn {
    this.zxid++;
    const txn = { header: header(this.zxid, sessionId), body };
    this.txns.push(txn);
    return txn;
  }

  private nextCount(path: string): number {
    const parent = path.slice(0, Math.max(path.lastIndexOf("/"), 1));
    const n = (this.createCounts.get(parent) ?? 0) + 1;
    this.createCounts.set(parent, n);
    return n;
  }

  createOp(path: string, opts: { data?: Buffer | null; acl?: ACL[]; ephemeralOwner?: bigint } = {}): TxnBody {
    return createBody(path, this.nextCount(path), opts);
  }

  create(path: string, opts: { data?: Buffer | null; acl?: ACL[]; ephemeralOwner?: bigint } = {}): Txn {
    return this.push(this.createOp(path, opts));
  }
  delete(path: string): Txn {
    return this.push({ type: "delete", path });
  }
  setData(path: string, data: Buffer | null, version: number): Txn {
    return this.push({ type: "setData", path, data, version });
  }
  setACL(path: string, acl: ACL[], version: number): Txn {
    return this.push({ type: "setACL", path, acl, version });
  }
  closeSession(sessionId: bigint, paths: string[]): Txn {
    return this.push({ type: "closeSession", paths }, sessionId);
  }
  multi(ops: TxnBody[]): Txn {
    return this.push({ type: "multi", ops });
  }
  error(err: number): Txn {
    return this.push({ type: "error", err });
  }
}

export function applyAll(tree: DataTree, txns: readonly Txn[]): DataTree {
  for (const t of txns) tree.applyTxn(t.header, t.body);
  return tree;
}

/** Everything observable about one node, in a form deepStrictEqual compares well. */
function nodeSnapshot(tree: DataTree, path: string) {
  const node = tree.get(path)!;
  return {
    stat: tree.statOf(node),
    createCount: node.createCount,
    rawEphemeralOwner: node.ephemeralOwner,
    data: node.data === null ? null : node.data.toString("hex"),
    acl: node.acl.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`),
    children: [...(node.children ?? [])].sort(),
  };
}

/** The same facts as nodeSnapshot, as one string. */
function nodeKey(tree: DataTree, path: string): string {
  const n = tree.get(path)!;
  const s = tree.statOf(n);
  const acl = n.acl.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`).join(",");
  const children = n.children === null ? "" : [...n.children].sort().join("/");
  const data = n.data === null ? "null" : n.data.toString("hex");
  return `${s.czxid} ${s.mzxid} ${s.ctime} ${s.mtime} ${s.version} ${s.cversion} ${s.aversion} ${s.ephemeralOwner} ${s.dataLength} ${s.numChildren} ${s.pzxid} ${n.createCount} ${n.ephemeralOwner} ${data} ${acl} ${children}`;
}

function sortedIndex(tree: DataTree) {
  const ephemerals = [...tree.ephemerals.entries()]
    .map(([id, paths]) => `${id}=${[...paths].sort().join(",")}`)
    .sort();
  return { ephemerals, containers: [...tree.containers].sort(), ttlNodes: [...tree.ttlNodes].sort() };
}

/** Asserts two trees are indistinguishable; reports the first differing path. */
export function assertSameTree(actual: DataTree, expected: DataTree, what = "tree"): void {
  const actualPaths = [...actual.paths()].sort();
  const expectedPaths = [...expected.paths()].sort();
  assert.deepEqual(actualPaths, expectedPaths, `${what}: node paths differ`);
  for (const path of expectedPaths) {
    // Cheap string comparison first; deepEqual only to explain a difference (it is slow on big trees).
    if (nodeKey(actual, path) !== nodeKey(expected, path)) {
      assert.deepEqual(nodeSnapshot(actual, path), nodeSnapshot(expected, path), `${what}: node ${path} differs`);
      assert.fail(`${what}: node ${path} differs`);
    }
  }
  assert.deepEqual(sortedIndex(actual), sortedIndex(expected), `${what}: owner indexes differ`);
  assert.equal(actual.lastProcessedZxid, expected.lastProcessedZxid, `${what}: lastProcessedZxid differs`);
}

export { prng } from "../helpers/prng.js";
