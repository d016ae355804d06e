/**
 * The in-memory znode tree and the only code that mutates it: applyTxn. Pure logic, no I/O.
 * Stat bookkeeping follows ZooKeeper exactly (shared/reference §6): each node keeps the *internal* cversion
 * (number of child creations ever, which also numbers sequential children); the visible cversion is derived.
 */
import { assert } from "../base/assert.js";
import type { ACL, Stat } from "../jute/records.js";
import { OPEN_ACL_UNSAFE, READ_ACL_UNSAFE } from "./acl.js";
import { joinPath, nodeName, parentPath } from "./paths.js";
import type { TxnBody, TxnHeader } from "./txn.js";

/** ephemeralOwner markers for non-session owners; clients always see 0 for these. */
export const CONTAINER_OWNER = -0x8000000000000000n;
const TTL_MARKER = -0x100000000000000n; // 0xFF00_0000_0000_0000 as a signed long
const TTL_MASK = 0xffffffffffn; // 40 bits of ttl

export function ttlOwner(ttlMs: bigint): bigint {
  return TTL_MARKER | ttlMs;
}
export function isTtlOwner(owner: bigint): boolean {
  return owner !== CONTAINER_OWNER && (owner & -0x100000000000000n) === TTL_MARKER && (owner & 0xffff0000000000n) === 0n;
}
export function ttlOf(owner: bigint): bigint {
  return owner & TTL_MASK;
}
export function isSessionOwner(owner: bigint): boolean {
  return owner !== 0n && owner !== CONTAINER_OWNER && !isTtlOwner(owner);
}

export class ZNode {
  children: Set<string> | null = null;
  constructor(
    public data: Buffer | null,
    public acl: readonly ACL[],
    public czxid: bigint,
    public mzxid: bigint,
    public ctime: number,
    public mtime: number,
    public version: number,
    /** Internal cversion: child creations ever, never decremented. */
    public createCount: number,
    public aversion: number,
    public ephemeralOwner: bigint,
    public pzxid: bigint,
  ) {}

  get numChildren(): number {
    return this.children === null ? 0 : this.children.size;
  }
}

/** What a txn changed, in the order watches must fire. */
export type TreeChange = {
  kind: "created" | "deleted" | "dataChanged" | "childrenChanged";
  path: string;
  /** ACL of the node the event is about (the parent for childrenChanged): events are filtered by READ. */
  acl: readonly ACL[];
};

export class DataTree {
  readonly nodes = new Map<string, ZNode>();
  /** Session id → paths of its ephemeral nodes. */
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttlNodes = new Set<string>();
  lastProcessedZxid = 0n;
  private readonly aclCache = new Map<string, readonly ACL[]>();

  constructor() {
    this.addBuiltins();
  }

  /** Empties the tree back to the built-in nodes (before loading a leader's snapshot or rebuilding). */
  reset(): void {
    this.nodes.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttlNodes.clear();
    this.lastProcessedZxid = 0n;
    this.addBuiltins();
  }

  private addBuiltins(): void {
    this.addBuiltin("/", OPEN_ACL_UNSAFE, Buffer.alloc(0));
    this.addBuiltin("/zookeeper", OPEN_ACL_UNSAFE, Buffer.alloc(0));
    this.addBuiltin("/zookeeper/quota", OPEN_ACL_UNSAFE, Buffer.alloc(0));
    this.addBuiltin("/zookeeper/config", READ_ACL_UNSAFE, Buffer.alloc(0)).aversion = -1;
  }

  private addBuiltin(path: string, acl: readonly ACL[], data: Buffer): ZNode {
    const node = new ZNode(data, this.internACL(acl), 0n, 0n, 0, 0, 0, 0, 0, 0n, 0n);
    this.nodes.set(path, node);
    if (path !== "/") this.linkChild(parentPath(path), nodeName(path));
    return node;
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  /** Node count as ZooKeeper reports it (it also counts the "" alias of the root). */
  nodeCount(): number {
    return this.nodes.size + 1;
  }

  /** Identical ACL lists share one frozen array: most trees use a handful of distinct ACLs. */
  internACL(acl: readonly ACL[]): readonly ACL[] {
    const key = acl.map((a) => `${a.perms},${a.id.scheme},${a.id.id}`).join("|");
    let cached = this.aclCache.get(key);
    if (cached === undefined) {
      cached = Object.freeze(acl.map((a) => Object.freeze({ perms: a.perms, id: Object.freeze({ ...a.id }) })));
      this.aclCache.set(key, cached);
    }
    return cached;
  }

  statOf(node: ZNode): Stat {
    const n = node.numChildren;
    return {
      czxid: node.czxid,
      mzxid: node.mzxid,
      ctime: BigInt(node.ctime),
      mtime: BigInt(node.mtime),
      version: node.version,
      cversion: (node.createCount * 2 - n) | 0,
      aversion: node.aversion,
      ephemeralOwner: isSessionOwner(node.ephemeralOwner) ? node.ephemeralOwner : 0n,
      dataLength: node.data === null ? 0 : node.data.length,
      numChildren: n,
      pzxid: node.pzxid,
    };
  }

  /** Applies one txn (idempotently) and reports what changed, in watch order. */
  applyTxn(header: TxnHeader, body: TxnBody, changes: TreeChange[] = []): TreeChange[] {
    switch (body.type) {
      case "create":
        this.applyCreate(header, body, changes);
        break;
      case "delete":
        this.deleteNode(body.path, header.zxid, changes);
        break;
      case "setData":
        this.applySetData(header, body, changes);
        break;
      case "setACL": {
        const node = this.nodes.get(body.path);
        if (node) {
          node.acl = this.internACL(body.acl);
          node.aversion = body.version;
        }
        break;
      }
      case "closeSession":
        for (const path of body.paths) this.deleteNode(path, header.zxid, changes);
        this.ephemerals.delete(header.sessionId);
        break;
      case "multi":
        for (const op of body.ops) this.applyTxn(header, op, changes);
        break;
      case "check":
      case "createSession":
      case "error":
        break;
    }
    if (header.zxid > this.lastProcessedZxid) this.lastProcessedZxid = header.zxid;
    return changes;
  }

  private applyCreate(header: TxnHeader, body: Extract<TxnBody, { type: "create" }>, changes: TreeChange[]): void {
    const parentName = parentPath(body.path);
    const parent = this.nodes.get(parentName);
    if (parent === undefined) return; // replay over a fuzzy snapshot: a later delete already covers this
    // Serial-number comparison: the counter is an int32 that may wrap; an older txn (replay) never lowers it.
    if (((body.parentCreateCount - parent.createCount) | 0) > 0) parent.createCount = body.parentCreateCount;
    if (header.zxid > parent.pzxid) parent.pzxid = header.zxid;
    if (this.nodes.has(body.path)) return; // replay: the node is already in the snapshot
    const node = new ZNode(
      body.data,
      this.internACL(body.acl),
      header.zxid,
      header.zxid,
      header.timeMs,
      header.timeMs,
      0,
      0,
      0,
      body.ephemeralOwner,
      header.zxid,
    );
    this.nodes.set(body.path, node);
    this.linkChild(parentName, nodeName(body.path));
    this.indexOwner(body.path, body.ephemeralOwner);
    changes.push({ kind: "created", path: body.path, acl: node.acl }, { kind: "childrenChanged", path: parentName, acl: parent.acl });
  }

  private applySetData(header: TxnHeader, body: Extract<TxnBody, { type: "setData" }>, changes: TreeChange[]): void {
    const node = this.nodes.get(body.path);
    if (node === undefined) return;
    node.data = body.data;
    node.version = body.version;
    node.mzxid = header.zxid;
    node.mtime = header.timeMs;
    changes.push({ kind: "dataChanged", path: body.path, acl: node.acl });
  }

  private deleteNode(path: string, zxid: bigint, changes: TreeChange[]): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    if (node.children !== null && node.children.size > 0) {
      // Only during replay over a fuzzy snapshot (prep never deletes a parent): the children were created
      // after this delete and later txns in the log re-create them, so drop the subtree and converge.
      for (const name of [...node.children]) this.deleteNode(joinPath(path, name), zxid, changes);
    }
    this.nodes.delete(path);
    const parentName = parentPath(path);
    const parent = this.nodes.get(parentName);
    if (parent !== undefined) {
      parent.children?.delete(nodeName(path));
      if (zxid > parent.pzxid) parent.pzxid = zxid;
    }
    this.unindexOwner(path, node.ephemeralOwner);
    changes.push({ kind: "deleted", path, acl: node.acl }, { kind: "childrenChanged", path: parentName, acl: parent?.acl ?? [] });
  }

  private linkChild(parent: string, name: string): void {
    const p = this.nodes.get(parent);
    assert(p !== undefined, `missing parent ${parent}`);
    (p.children ??= new Set()).add(name);
  }

  private indexOwner(path: string, owner: bigint): void {
    if (owner === 0n) return;
    if (owner === CONTAINER_OWNER) this.containers.add(path);
    else if (isTtlOwner(owner)) this.ttlNodes.add(path);
    else {
      let set = this.ephemerals.get(owner);
      if (set === undefined) this.ephemerals.set(owner, (set = new Set()));
      set.add(path);
    }
  }

  private unindexOwner(path: string, owner: bigint): void {
    if (owner === 0n) return;
    if (owner === CONTAINER_OWNER) this.containers.delete(path);
    else if (isTtlOwner(owner)) this.ttlNodes.delete(path);
    else {
      const set = this.ephemerals.get(owner);
      set?.delete(path);
      if (set?.size === 0) this.ephemerals.delete(owner);
    }
  }

  /** Total descendants of path (not counting itself). */
  countDescendants(path: string): number {
    const node = this.nodes.get(path);
    if (!node?.children) return 0;
    let total = 0;
    const stack: string[] = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const n = this.nodes.get(p);
      if (!n?.children) continue;
      for (const name of n.children) {
        total++;
        stack.push(p === "/" ? "/" + name : p + "/" + name);
      }
    }
    return total;
  }

  /** Approximate bytes of data held (paths + data), as mntr's zk_approximate_data_size. */
  approximateDataSize(): number {
    let total = 0;
    for (const [path, node] of this.nodes) total += path.length + (node.data?.length ?? 0);
    return total;
  }

  /** Restores one node from a snapshot record (parents come before children in snapshot order). */
  restoreNode(path: string, node: ZNode): void {
    node.acl = this.internACL(node.acl);
    const existing = this.nodes.get(path);
    if (existing !== undefined) {
      node.children = existing.children;
      this.nodes.set(path, node);
      return;
    }
    this.nodes.set(path, node);
    if (path !== "/") this.linkChild(parentPath(path), nodeName(path));
    this.indexOwner(path, node.ephemeralOwner);
  }
}
