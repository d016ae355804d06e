/**
 * The in-memory znode tree and the only code that mutates it: applyTxn. Pure logic, no I/O.
 * Stat bookkeeping follows ZooKeeper exactly (shared/reference §6): each node keeps the *internal* cversion
 * (number of child creations ever, which also numbers sequential children); the visible cversion is derived.
 * The rows themselves live in a NodeStore (columns, not an object per node); `get` hands out short-lived views.
 */
import { assert } from "../base/assert.js";
import { DecodeError } from "../base/bytes.js";
import type { ACL, Stat } from "../jute/records.js";
import { OPEN_ACL_UNSAFE, READ_ACL_UNSAFE } from "./acl.js";
import { bytesToLatin1, latin1ToBytes, NO_ROW, NodeStore } from "./node-store.js";
import { PathIndex, pathHash } from "./path-index.js";
import { joinPath, parentPath } from "./paths.js";
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

/** The fields a znode is made of: what a snapshot record carries and restoreNode takes. */
export interface NodeFields {
  data: Buffer | null;
  acl: readonly ACL[];
  czxid: bigint;
  mzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  /** Internal cversion: child creations ever, never decremented. */
  createCount: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
}

/**
 * A read-only view of one znode's row in the NodeStore. It reads the columns when asked, so it is valid only
 * until the tree next changes: read what you need at once, do not keep it.
 */
export class ZNode {
  constructor(
    private readonly store: NodeStore,
    readonly row: number,
  ) {}

  /** The data as bytes (a fresh copy); `dataLatin1` is the stored form, for writers that can take it as is. */
  get data(): Buffer | null {
    return latin1ToBytes(this.store.data[this.row]);
  }
  get dataLatin1(): string | null {
    return this.store.data[this.row];
  }
  get dataLength(): number {
    return this.store.data[this.row]?.length ?? 0;
  }
  get acl(): readonly ACL[] {
    return this.store.acls[this.store.aclId[this.row]];
  }
  get czxid(): bigint {
    return this.store.czxid[this.row];
  }
  get mzxid(): bigint {
    return this.store.mzxid[this.row];
  }
  get pzxid(): bigint {
    return this.store.pzxid[this.row];
  }
  get ctime(): number {
    return this.store.ctime[this.row];
  }
  get mtime(): number {
    return this.store.mtime[this.row];
  }
  get version(): number {
    return this.store.version[this.row];
  }
  get createCount(): number {
    return this.store.createCount[this.row];
  }
  get aversion(): number {
    return this.store.aversion[this.row];
  }
  get ephemeralOwner(): bigint {
    return this.store.owner[this.row];
  }
  get numChildren(): number {
    return this.store.numChildren[this.row];
  }
  /** A copy of every field (to restore the node elsewhere, or patched, with restoreNode). */
  fields(): NodeFields {
    return {
      data: this.data,
      acl: this.acl,
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      createCount: this.createCount,
      aversion: this.aversion,
      ephemeralOwner: this.ephemeralOwner,
      pzxid: this.pzxid,
    };
  }

  /** Child names in creation order, or null for a leaf. */
  get children(): string[] | null {
    return this.store.numChildren[this.row] === 0 ? null : this.store.childNames(this.row);
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
  private readonly store = new NodeStore();
  /** Path → row in the store. */
  private readonly rows = new PathIndex(this.store);
  /** Session id → paths of its ephemeral nodes. */
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttlNodes = new Set<string>();
  lastProcessedZxid = 0n;
  /** ACL list key → aclId in the store. */
  private readonly aclIds = new Map<string, number>();

  constructor() {
    this.addBuiltins();
  }

  /** Empties the tree back to the built-in nodes (before loading a leader's snapshot or rebuilding). */
  reset(): void {
    this.rows.clear();
    this.store.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttlNodes.clear();
    this.lastProcessedZxid = 0n;
    this.addBuiltins();
  }

  private addBuiltins(): void {
    const empty = Buffer.alloc(0);
    const builtin = (path: string, acl: readonly ACL[], aversion: number) =>
      this.insert(path, { data: empty, acl, czxid: 0n, mzxid: 0n, ctime: 0, mtime: 0, version: 0, createCount: 0, aversion, ephemeralOwner: 0n, pzxid: 0n });
    builtin("/", OPEN_ACL_UNSAFE, 0);
    builtin("/zookeeper", OPEN_ACL_UNSAFE, 0);
    builtin("/zookeeper/quota", OPEN_ACL_UNSAFE, 0);
    builtin("/zookeeper/config", READ_ACL_UNSAFE, -1);
  }

  /** Adds a row for path with the given fields and links it under its parent (which must exist). */
  private insert(path: string, f: NodeFields): number {
    const s = this.store;
    const row = s.allocate(path);
    this.writeFields(row, f);
    this.rows.add(row);
    if (path !== "/") {
      const parentRow = this.rows.get(parentPath(path));
      assert(parentRow !== NO_ROW, `missing parent of ${path}`);
      s.link(parentRow, row);
    }
    return row;
  }

  private writeFields(row: number, f: NodeFields): void {
    const s = this.store;
    s.data[row] = bytesToLatin1(f.data);
    s.aclId[row] = this.aclIdOf(f.acl);
    s.czxid[row] = f.czxid;
    s.mzxid[row] = f.mzxid;
    s.ctime[row] = f.ctime;
    s.mtime[row] = f.mtime;
    s.version[row] = f.version;
    s.createCount[row] = f.createCount;
    s.aversion[row] = f.aversion;
    s.owner[row] = f.ephemeralOwner;
    s.pzxid[row] = f.pzxid;
  }

  /** The rows themselves, for the tree layer's codecs (snapshot-codec); everyone else goes through get(). */
  get nodeStore(): NodeStore {
    return this.store;
  }

  /** The row of path, or NO_ROW. */
  rowOf(path: string): number {
    return this.rows.get(path);
  }

  get(path: string): ZNode | undefined {
    const row = this.rows.get(path);
    return row === NO_ROW ? undefined : new ZNode(this.store, row);
  }

  has(path: string): boolean {
    return this.rows.has(path);
  }

  /** Every path in the tree (in no particular order). */
  paths(): IterableIterator<string> {
    return this.store.livePaths();
  }

  /** Node count as ZooKeeper reports it (it also counts the "" alias of the root). */
  nodeCount(): number {
    return this.rows.size + 1;
  }

  /**
   * Replaces a node's data without a version or mzxid change, outside the txn stream: for the nodes the server
   * keeps itself (quota stats, the membership in /zookeeper/config), as ZooKeeper does.
   */
  overwriteData(path: string, data: Buffer): void {
    const row = this.rows.get(path);
    if (row !== NO_ROW) this.store.data[row] = bytesToLatin1(data);
  }

  /** Identical ACL lists share one frozen array: most trees use a handful of distinct ACLs. */
  internACL(acl: readonly ACL[]): readonly ACL[] {
    return this.store.acls[this.aclIdOf(acl)];
  }

  /** The interned number of an ACL list (snapshot loading fills the aclId column with it). */
  aclId(acl: readonly ACL[]): number {
    return this.aclIdOf(acl);
  }

  private aclIdOf(acl: readonly ACL[]): number {
    const key = acl.map((a) => `${a.perms},${a.id.scheme},${a.id.id}`).join("|");
    let id = this.aclIds.get(key);
    if (id === undefined) {
      id = this.store.acls.length;
      this.store.acls.push(Object.freeze(acl.map((a) => Object.freeze({ perms: a.perms, id: Object.freeze({ ...a.id }) }))));
      this.aclIds.set(key, id);
    }
    return id;
  }

  statOf(node: ZNode): Stat {
    const s = this.store;
    const row = node.row;
    const n = s.numChildren[row];
    const owner = s.owner[row];
    return {
      czxid: s.czxid[row],
      mzxid: s.mzxid[row],
      ctime: BigInt(s.ctime[row]),
      mtime: BigInt(s.mtime[row]),
      version: s.version[row],
      cversion: (s.createCount[row] * 2 - n) | 0,
      aversion: s.aversion[row],
      ephemeralOwner: isSessionOwner(owner) ? owner : 0n,
      dataLength: s.data[row]?.length ?? 0,
      numChildren: n,
      pzxid: s.pzxid[row],
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
        const row = this.rows.get(body.path);
        if (row !== NO_ROW) {
          this.store.aclId[row] = this.aclIdOf(body.acl);
          this.store.aversion[row] = body.version;
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
    const s = this.store;
    const parentName = parentPath(body.path);
    const parentRow = this.rows.get(parentName);
    if (parentRow === NO_ROW) return; // replay over a fuzzy snapshot: a later delete already covers this
    // Serial-number comparison: the counter is an int32 that may wrap; an older txn (replay) never lowers it.
    if (((body.parentCreateCount - s.createCount[parentRow]) | 0) > 0) s.createCount[parentRow] = body.parentCreateCount;
    if (header.zxid > s.pzxid[parentRow]) s.pzxid[parentRow] = header.zxid;
    if (this.rows.has(body.path)) return; // replay: the node is already in the snapshot
    const z = header.zxid;
    const row = this.insert(body.path, {
      data: body.data,
      acl: body.acl,
      czxid: z,
      mzxid: z,
      ctime: header.timeMs,
      mtime: header.timeMs,
      version: 0,
      createCount: 0,
      aversion: 0,
      ephemeralOwner: body.ephemeralOwner,
      pzxid: z,
    });
    this.indexOwner(body.path, body.ephemeralOwner);
    const acls = s.acls;
    changes.push(
      { kind: "created", path: body.path, acl: acls[s.aclId[row]] },
      { kind: "childrenChanged", path: parentName, acl: acls[s.aclId[parentRow]] },
    );
  }

  private applySetData(header: TxnHeader, body: Extract<TxnBody, { type: "setData" }>, changes: TreeChange[]): void {
    const s = this.store;
    const row = this.rows.get(body.path);
    if (row === NO_ROW) return;
    s.data[row] = bytesToLatin1(body.data);
    s.version[row] = body.version;
    s.mzxid[row] = header.zxid;
    s.mtime[row] = header.timeMs;
    changes.push({ kind: "dataChanged", path: body.path, acl: s.acls[s.aclId[row]] });
  }

  private deleteNode(path: string, zxid: bigint, changes: TreeChange[]): void {
    const s = this.store;
    const row = this.rows.get(path);
    if (row === NO_ROW) return;
    if (s.numChildren[row] > 0) {
      // Only during replay over a fuzzy snapshot (prep never deletes a parent): the children were created
      // after this delete and later txns in the log re-create them, so drop the subtree and converge.
      for (const name of s.childNames(row)) this.deleteNode(joinPath(path, name), zxid, changes);
    }
    const parentRow = s.parent[row];
    const owner = s.owner[row];
    const acl = s.acls[s.aclId[row]];
    s.unlink(row);
    this.rows.remove(path);
    s.release(row);
    if (parentRow !== NO_ROW && zxid > s.pzxid[parentRow]) s.pzxid[parentRow] = zxid;
    this.unindexOwner(path, owner);
    const parentAcl = parentRow === NO_ROW ? [] : s.acls[s.aclId[parentRow]];
    changes.push({ kind: "deleted", path, acl }, { kind: "childrenChanged", path: parentPath(path), acl: parentAcl });
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

  /**
   * Bytes a read of path returns besides its stat: the data, or the child names (read_per_namespace). Counted
   * from the rows, without building the names.
   */
  readBytes(path: string, data: boolean): number | undefined {
    const row = this.rows.get(path);
    if (row === NO_ROW) return undefined;
    const s = this.store;
    if (data) return s.data[row]?.length ?? 0;
    const prefix = path === "/" ? 1 : path.length + 1;
    let bytes = 0;
    for (let c = s.firstChild[row]; c !== NO_ROW; c = s.nextSibling[c]) bytes += s.paths[c]!.length - prefix;
    return bytes;
  }

  /** Total descendants of path (not counting itself): a walk over the rows, no paths built. */
  countDescendants(path: string): number {
    const top = this.rows.get(path);
    if (top === NO_ROW) return 0;
    const s = this.store;
    let total = 0;
    const stack: number[] = [top];
    while (stack.length > 0) {
      const row = stack.pop()!;
      for (let c = s.firstChild[row]; c !== NO_ROW; c = s.nextSibling[c]) {
        total++;
        if (s.numChildren[c] > 0) stack.push(c);
      }
    }
    return total;
  }

  /** Approximate bytes of data held (paths + data), as mntr's zk_approximate_data_size. */
  approximateDataSize(): number {
    const s = this.store;
    let total = 0;
    for (let row = 0; row < s.paths.length; row++) {
      const path = s.paths[row];
      if (path !== undefined) total += path.length + (s.data[row]?.length ?? 0);
    }
    return total;
  }

  /**
   * Snapshot loading, the fast way: the row for path — the existing one for a built-in, else a new row linked
   * under parentRow (NO_ROW: look the parent up) — for the codec to fill in; then indexRestoredOwner if it has
   * an owner.
   */
  restoreRow(path: string, parentRow: number): number {
    const s = this.store;
    const h = pathHash(path);
    const existing = this.rows.getHashed(path, h);
    if (existing !== NO_ROW) {
      this.unindexOwner(path, s.owner[existing]);
      return existing;
    }
    const parent = path === "/" ? NO_ROW : parentRow !== NO_ROW ? parentRow : this.rows.get(parentPath(path));
    if (path !== "/" && parent === NO_ROW) throw new DecodeError(`snapshot node ${path} comes before its parent`);
    const row = s.allocate(path);
    this.rows.addHashed(row, h);
    if (parent !== NO_ROW) s.link(parent, row);
    return row;
  }

  indexRestoredOwner(row: number): void {
    this.indexOwner(this.store.paths[row]!, this.store.owner[row]);
  }

  /** Restores one node from a snapshot record (parents come before children in snapshot order). */
  restoreNode(path: string, fields: NodeFields): void {
    const existing = this.rows.get(path);
    if (existing !== NO_ROW) {
      this.unindexOwner(path, this.store.owner[existing]);
      this.writeFields(existing, fields); // a built-in, or a node seen twice: keep its children
    } else {
      this.insert(path, fields);
    }
    this.indexOwner(path, fields.ephemeralOwner);
  }
}
