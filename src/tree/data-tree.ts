/**
 * The in-memory znode tree and the only code that mutates it: applyTxn. Pure logic, no I/O.
 * Stat bookkeeping follows ZooKeeper exactly (shared/reference §6): each node keeps the *internal* cversion
 * (number of child creations ever, which also numbers sequential children); the visible cversion is derived.
 * The rows themselves live in a NodeStore (columns, not an object per node; names and data in its ByteArena);
 * `get` hands out short-lived views. Rows hold names, not paths: full paths are built only where asked for.
 */
import { assert } from "../base/assert.js";
import { DecodeError, type ByteWriter } from "../base/bytes.js";
import type { ACL, Stat } from "../jute/records.js";
import { OPEN_ACL_UNSAFE, READ_ACL_UNSAFE } from "./acl.js";
import type { ArenaOptions } from "./byte-arena.js";
import { EntryFields, HI, LO, NO_ROW, NodeStore } from "./node-store.js";
import { PathHasher, PathIndex } from "./path-index.js";
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

function isWorldOnly(acl: readonly ACL[]): boolean {
  return acl.length === 1 && acl[0].id.scheme === "world" && acl[0].id.id === "anyone";
}

/** isSessionOwner of an owner given as 32-bit halves: not 0, not the container marker, not a TTL. */
function isSessionOwnerHalves(hi: number, lo: number): boolean {
  if ((hi | lo) === 0) return false;
  if (hi === (0x80000000 | 0) && lo === 0) return false; // CONTAINER_OWNER
  return !(hi >>> 24 === 0xff && (hi & 0x00ffff00) === 0); // TTL marker with a 40-bit ttl
}

/** The parts of a node that prep's checks depend on (the pipeline's NodeState). */
export interface PrepFields {
  acl: readonly ACL[];
  version: number;
  createCount: number;
  aversion: number;
  ephemeralOwner: bigint;
  numChildren: number;
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

  /** The data as bytes: a fresh copy (the stored bytes move when the arena compacts), or null. */
  get data(): Buffer | null {
    return this.store.arena.copyData(this.row);
  }
  get dataLength(): number {
    return Math.max(this.store.arena.dataLength(this.row), 0);
  }
  get acl(): readonly ACL[] {
    return this.store.acls[this.store.aclId(this.row)];
  }
  get czxid(): bigint {
    return this.store.czxid[this.row];
  }
  get mzxid(): bigint {
    return this.store.fields(this.row).mzxid();
  }
  get pzxid(): bigint {
    return this.store.pzxid(this.row);
  }
  get ctime(): number {
    return this.store.ctime[this.row];
  }
  get mtime(): number {
    return this.store.fields(this.row).mtime;
  }
  get version(): number {
    return this.store.fields(this.row).version;
  }
  get createCount(): number {
    return this.store.createCount(this.row);
  }
  get aversion(): number {
    return this.store.fields(this.row).aversion;
  }
  get ephemeralOwner(): bigint {
    return this.store.owner(this.row);
  }
  get numChildren(): number {
    return this.store.numChildren(this.row);
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
    return this.store.numChildren(this.row) === 0 ? null : this.store.childNames(this.row);
  }
}

/** What a txn changed, in the order watches must fire. */
export type TreeChange = {
  kind: "created" | "deleted" | "dataChanged" | "childrenChanged";
  path: string;
  /** ACL of the node the event is about (the parent for childrenChanged): events are filtered by READ. */
  acl: readonly ACL[];
};

/** Knobs for tests: small arena chunks exercise compaction, a weak path hash exercises collisions. */
export interface DataTreeOptions {
  arena?: ArenaOptions;
  /** Bits of the path hash kept (PathHasher's mask); all of them by default. */
  pathHashMask?: number;
}

export class DataTree {
  private readonly store: NodeStore;
  /** Path → row in the store. */
  private readonly rows: PathIndex;
  /** Session id → paths of its ephemeral nodes. */
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttlNodes = new Set<string>();
  lastProcessedZxid = 0n;
  /** ACL list key → aclId in the store. */
  private readonly aclIds = new Map<string, number>();
  /** Entry fields being written (one write at a time). */
  private readonly staged = new EntryFields();

  constructor(options: DataTreeOptions = {}) {
    this.store = new NodeStore(options.arena);
    this.rows = new PathIndex(this.store, new PathHasher(options.pathHashMask));
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
    if (path === "/") {
      const root = this.store.allocate();
      this.writeNode(root, path, f);
      this.rows.add(root, this.rows.hasher.root());
      return root;
    }
    const parentRow = this.rows.get(parentPath(path));
    assert(parentRow !== NO_ROW, `missing parent of ${path}`);
    return this.insertChild(parentRow, path, this.childHash(parentRow, path), f);
  }

  /** Adds parentRow's child named by path's last segment, whose path hash is h. */
  private insertChild(parentRow: number, path: string, h: number, f: NodeFields): number {
    const s = this.store;
    const row = s.allocate();
    this.writeNode(row, path, f);
    s.link(parentRow, row);
    this.rows.add(row, h);
    return row;
  }

  /**
   * Writes every field of row: the columns first (whether the other fields are at their defaults depends on
   * czxid and ctime), then its entry — a new one named by path's last segment, or for a row that has one
   * already, a replacement keeping its name.
   */
  private writeNode(row: number, path: string, f: NodeFields): void {
    const s = this.store;
    s.czxid[row] = f.czxid;
    s.ctime[row] = f.ctime;
    s.setCreateCount(row, f.createCount);
    s.setPzxid(row, f.pzxid);
    const e = this.staged.setOwner(f.ephemeralOwner).setMzxid(f.mzxid);
    e.mtime = f.mtime;
    e.version = f.version;
    e.aclId = this.aclIdOf(f.acl);
    e.aversion = f.aversion;
    if (s.arena.hasEntry(row)) s.replaceData(row, f.data, e);
    else s.putEntry(row, path, path === "/" ? 1 : path.lastIndexOf("/") + 1, path.length, f.data, e);
  }

  /** Path hash of path, a child of parentRow, from the parent's hash (no pass over the parent's part). */
  private childHash(parentRow: number, path: string): number {
    return this.rows.hasher.child(this.store.hashOf(parentRow), path, path.lastIndexOf("/") + 1, path.length);
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

  /** Every path in the tree (parents before children; otherwise in no particular order). Built as it goes. */
  *paths(): IterableIterator<string> {
    const s = this.store;
    const root = this.rows.get("/");
    if (root === NO_ROW) return;
    const stack: { row: number; path: string }[] = [{ row: root, path: "/" }];
    while (stack.length > 0) {
      const { row, path } = stack.pop()!;
      yield path;
      const prefix = path === "/" ? "/" : path + "/";
      for (let c = s.firstChild(row); c !== NO_ROW; c = s.nextSibling[c]) stack.push({ row: c, path: prefix + s.arena.name(c) });
    }
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
    if (row !== NO_ROW) this.store.replaceData(row, data, this.store.readFields(row, this.staged));
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
    // Most creates carry one world:anyone entry: find its id without building the key string.
    const worldPerms = isWorldOnly(acl) ? acl[0].perms : -1;
    if (worldPerms >= 0) {
      const known = this.worldAclIds.get(worldPerms);
      if (known !== undefined) return known;
    }
    const key = acl.map((a) => `${a.perms},${a.id.scheme},${a.id.id}`).join("|");
    let id = this.aclIds.get(key);
    if (id === undefined) {
      id = this.store.acls.length;
      this.store.acls.push(Object.freeze(acl.map((a) => Object.freeze({ perms: a.perms, id: Object.freeze({ ...a.id }) }))));
      this.aclIds.set(key, id);
    }
    if (worldPerms >= 0) this.worldAclIds.set(worldPerms, id);
    return id;
  }

  /** aclIds of the one-entry world:anyone lists, by perms (a shortcut into aclIds). */
  private readonly worldAclIds = new Map<number, number>();

  /** Row's data as a view of the arena (no copy), or null: valid only until the tree next changes. */
  dataView(row: number): Buffer | null {
    return this.store.arena.dataView(row);
  }

  /** What prep decides on about the node at path (one lookup, its fields read once), or null if there is none. */
  prepFields(path: string): PrepFields | null {
    const row = this.rows.get(path);
    if (row === NO_ROW) return null;
    const s = this.store;
    const numChildren = s.numChildren(row);
    const createCount = s.createCount(row);
    const f = s.fields(row);
    return {
      acl: s.acls[f.aclId],
      version: f.version,
      createCount,
      aversion: f.aversion,
      ephemeralOwner: f.ownerHi === 0 && f.ownerLo === 0 ? 0n : f.owner(),
      numChildren,
    };
  }

  /**
   * Writes row's Stat (68 bytes, wire order) straight from the columns: no Stat object and no bigint, which a
   * reply to every setData and getData would otherwise allocate.
   */
  writeStat(w: ByteWriter, row: number): void {
    const s = this.store;
    const n = s.numChildren(row);
    const cversion = (s.createCount(row) * 2 - n) | 0;
    const dataLength = Math.max(s.arena.dataLength(row), 0);
    const f = s.fields(row); // shared scratch: read last, used at once
    w.int64Halves(s.czxidHalves[2 * row + HI], s.czxidHalves[2 * row + LO]);
    w.int64Halves(f.mzxidHi, f.mzxidLo);
    w.int64Number(s.ctime[row]).int64Number(f.mtime);
    w.int32(f.version).int32(cversion).int32(f.aversion);
    if (isSessionOwnerHalves(f.ownerHi, f.ownerLo)) w.int64Halves(f.ownerHi, f.ownerLo);
    else w.int64Halves(0, 0);
    w.int32(dataLength).int32(n).int64Halves(s.pzxidHi(row), s.pzxidLo(row));
  }

  statOf(node: ZNode): Stat {
    return this.statAt(node.row);
  }

  /** The Stat of a live row. */
  statAt(row: number): Stat {
    const s = this.store;
    const n = s.numChildren(row);
    const f = s.fields(row);
    const owner = f.owner();
    return {
      czxid: s.czxid[row],
      mzxid: f.mzxid(),
      ctime: BigInt(s.ctime[row]),
      mtime: BigInt(f.mtime),
      version: f.version,
      cversion: (s.createCount(row) * 2 - n) | 0,
      aversion: f.aversion,
      ephemeralOwner: isSessionOwner(owner) ? owner : 0n,
      dataLength: Math.max(s.arena.dataLength(row), 0),
      numChildren: n,
      pzxid: s.pzxid(row),
    };
  }

  /**
   * What the last applyTxn did to the node it names (create, setData, setACL, delete): the node's row after it
   * (NO_ROW once deleted, or for other txns), and its data length before it (-1: there was no such node, or
   * the txn is of another kind). The write path reads these instead of looking the path up again for the
   * reply's Stat and for quota accounting. Valid until the tree next changes.
   */
  touchedRow = NO_ROW;
  touchedLengthBefore = -1;

  /** Applies one txn (idempotently) and reports what changed, in watch order. */
  applyTxn(header: TxnHeader, body: TxnBody, changes: TreeChange[] = []): TreeChange[] {
    this.touchedRow = NO_ROW;
    this.touchedLengthBefore = -1;
    switch (body.type) {
      case "create":
        this.applyCreate(header, body, changes);
        break;
      case "delete": {
        const row = this.rows.get(body.path);
        if (row !== NO_ROW) this.touchedLengthBefore = Math.max(this.store.arena.dataLength(row), 0);
        this.deleteNode(body.path, header.zxid, changes, row);
        break;
      }
      case "setData":
        this.applySetData(header, body, changes);
        break;
      case "setACL": {
        const row = this.rows.get(body.path);
        this.touchedRow = row;
        if (row !== NO_ROW) {
          const e = this.store.readFields(row, this.staged);
          e.aclId = this.aclIdOf(body.acl);
          e.aversion = body.version;
          this.store.replaceFields(row, e);
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
    const path = body.path;
    const parentName = parentPath(path);
    const parentRow = this.rows.get(parentName);
    if (parentRow === NO_ROW) return; // replay over a fuzzy snapshot: a later delete already covers this
    // Serial-number comparison: the counter is an int32 that may wrap; an older txn (replay) never lowers it.
    if (((body.parentCreateCount - s.createCount(parentRow)) | 0) > 0) s.setCreateCount(parentRow, body.parentCreateCount);
    if (header.zxid > s.pzxid(parentRow)) s.setPzxid(parentRow, header.zxid);
    const h = this.childHash(parentRow, path);
    const existing = this.rows.getChild(parentRow, h, path, path.lastIndexOf("/") + 1, path.length);
    if (existing !== NO_ROW) {
      this.touchedRow = existing; // replay: already in the snapshot
      return;
    }
    const z = header.zxid;
    const row = this.insertChild(parentRow, path, h, {
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
    this.touchedRow = row;
    const acls = s.acls;
    changes.push(
      { kind: "created", path: body.path, acl: acls[s.aclId(row)] },
      { kind: "childrenChanged", path: parentName, acl: acls[s.aclId(parentRow)] },
    );
  }

  private applySetData(header: TxnHeader, body: Extract<TxnBody, { type: "setData" }>, changes: TreeChange[]): void {
    const s = this.store;
    const row = this.rows.get(body.path);
    if (row === NO_ROW) return;
    this.touchedRow = row;
    this.touchedLengthBefore = Math.max(s.arena.dataLength(row), 0);
    const e = s.readFields(row, this.staged).setMzxid(header.zxid);
    e.version = body.version;
    e.mtime = header.timeMs;
    s.replaceData(row, body.data, e);
    changes.push({ kind: "dataChanged", path: body.path, acl: s.acls[e.aclId] });
  }

  private deleteNode(path: string, zxid: bigint, changes: TreeChange[], row = this.rows.get(path)): void {
    const s = this.store;
    if (row === NO_ROW) return;
    if (s.numChildren(row) > 0) {
      // Only during replay over a fuzzy snapshot (prep never deletes a parent): the children were created
      // after this delete and later txns in the log re-create them, so drop the subtree and converge.
      for (const name of s.childNames(row)) this.deleteNode(joinPath(path, name), zxid, changes);
    }
    const parentRow = s.parentOf(row);
    const f = s.fields(row);
    const owner = f.owner();
    const acl = s.acls[f.aclId];
    this.rows.removeRow(row);
    s.unlink(row);
    s.release(row);
    if (parentRow !== NO_ROW && zxid > s.pzxid(parentRow)) s.setPzxid(parentRow, zxid);
    this.unindexOwner(path, owner);
    const parentAcl = parentRow === NO_ROW ? [] : s.acls[s.aclId(parentRow)];
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
    if (data) return Math.max(s.arena.dataLength(row), 0);
    let bytes = 0;
    for (let c = s.firstChild(row); c !== NO_ROW; c = s.nextSibling[c]) bytes += s.arena.nameLength(c);
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
      for (let c = s.firstChild(row); c !== NO_ROW; c = s.nextSibling[c]) {
        total++;
        if (s.numChildren(c) > 0) stack.push(c);
      }
    }
    return total;
  }

  /**
   * Approximate bytes of data held (path bytes + data), as mntr's zk_approximate_data_size: a walk down the
   * rows adding up path lengths from the names, no paths built.
   */
  approximateDataSize(): number {
    const s = this.store;
    const root = this.rows.get("/");
    if (root === NO_ROW) return 0;
    let total = 0;
    const rows: number[] = [root];
    const pathLengths: number[] = [1];
    while (rows.length > 0) {
      const row = rows.pop()!;
      const pathLength = pathLengths.pop()!;
      total += pathLength + Math.max(s.arena.dataLength(row), 0);
      const prefixLength = row === root ? 0 : pathLength;
      for (let c = s.firstChild(row); c !== NO_ROW; c = s.nextSibling[c]) {
        rows.push(c);
        pathLengths.push(prefixLength + 1 + s.arena.nameLength(c));
      }
    }
    return total;
  }

  /** The full path of a row (built from the names up its parent chain). */
  pathOfRow(row: number): string {
    return this.store.pathOf(row);
  }

  /**
   * Snapshot loading, the fast way, with no path string: the row of parentRow's child named
   * src[nameStart, nameEnd) — the existing one for a built-in (or a node seen twice), else a new row linked
   * under parentRow — given czxid and ctime, the entry fields `e` and data src[dataStart, dataStart +
   * dataLength) (null data for -1). The root is parentRow NO_ROW with an empty name.
   *
   * The row goes first among its siblings (an existing one is moved there): a snapshot lists children last to
   * first, so the tree gets back the child order it was written from. `parentIsNew` says this load made the
   * parent, so the child cannot be in the tree yet and is not looked for (a snapshot holds each path once).
   * The codec sets createCount and pzxid next, then calls indexRestoredOwner if the node has an owner.
   */
  restoreRow(
    parentRow: number,
    parentIsNew: boolean,
    src: Buffer,
    nameStart: number,
    nameEnd: number,
    dataStart: number,
    dataLength: number,
    czxidHi: number,
    czxidLo: number,
    ctime: number,
    e: EntryFields,
  ): number {
    const s = this.store;
    const h = parentRow === NO_ROW ? this.rows.hasher.root() : this.rows.hasher.childOfBytes(s.hashOf(parentRow), src, nameStart, nameEnd);
    let row = parentRow === NO_ROW ? this.rows.get("/") : parentIsNew ? NO_ROW : this.rows.getChildOfBytes(parentRow, h, src, nameStart, nameEnd);
    const existing = row !== NO_ROW;
    if (existing) {
      if (s.hasOwner(row)) this.unindexOwner(s.pathOf(row), s.owner(row));
    } else {
      if (parentRow === NO_ROW) throw new DecodeError("snapshot root record without a root row");
      row = s.allocate();
    }
    s.czxidHalves[2 * row + HI] = czxidHi;
    s.czxidHalves[2 * row + LO] = czxidLo;
    s.ctime[row] = ctime;
    if (existing) {
      s.replaceEntry(row, src, dataStart, dataLength, e);
      if (parentRow !== NO_ROW) {
        s.unlink(row);
        s.linkFirst(parentRow, row);
      }
      return row;
    }
    s.putEntryFromBytes(row, src, nameStart, nameEnd, dataStart, dataLength, e);
    s.linkFirst(parentRow, row);
    this.rows.add(row, h);
    return row;
  }

  /** Makes room for `nodes` nodes in all, ahead of a snapshot load. */
  reserve(nodes: number): void {
    this.store.reserve(nodes);
    this.rows.reserve(nodes);
  }

  indexRestoredOwner(row: number): void {
    this.indexOwner(this.store.pathOf(row), this.store.owner(row));
  }

  /** Restores one node from a snapshot record (parents come before children in snapshot order). */
  restoreNode(path: string, fields: NodeFields): void {
    const existing = this.rows.get(path);
    if (existing !== NO_ROW) {
      this.unindexOwner(path, this.store.owner(existing));
      this.writeNode(existing, path, fields); // a built-in, or a node seen twice: keep its children
    } else {
      this.insert(path, fields);
    }
    this.indexOwner(path, fields.ephemeralOwner);
  }
}
