/**
 * An in-memory copy of a ZooKeeper tree rebuilt from its data directory: load the newest valid snapshot, then
 * replay the logged txns after it as ZooKeeper does at start-up. Snapshots are fuzzy (taken while txns kept
 * applying), so replay is forgiving the same way ZooKeeper's is: a create of an existing node only updates
 * the parent's cversion/pzxid (and the node's ACL), a delete of a missing node is ignored, a multi that
 * contains an error sub-txn applies nothing.
 */
import { ByteReader, DecodeError } from "../../base/bytes.js";
import type { ACL } from "../../client/index.js";
import { OpCode } from "../../jute/codes.js";
import {
  ZooKeeperFileError,
  listZxidFiles,
  openAcl,
  readACLVector,
  readSnapshot,
  readTxnLog,
  type LoggedTxn,
  type PersistedStat,
  type Snapshot,
  type TxnHeader,
} from "./files.js";

export interface TreeNode {
  data: Buffer | null;
  acl: ACL[];
  stat: PersistedStat;
  children: Set<string>;
}

export interface RestoreReport {
  snapshot: string | null;
  snapshotZxid: bigint;
  logFiles: string[];
  txnsApplied: number;
  lastZxid: bigint;
  warnings: string[];
}

/** How many of the newest snapshots to try before giving up (ZooKeeper tries up to 100). */
const SNAPSHOTS_TRIED_MAX = 100;
/** Sub-txns of one multi. */
const MULTI_TXNS_MAX = 100_000;
const CONTAINER_OWNER = -(2n ** 63n);
const TTL_OWNER_HIGH_BYTE = -(2n ** 56n); // 0xff00000000000000 as a signed long

export class ZooKeeperTree {
  readonly nodes = new Map<string, TreeNode>();
  /** Live sessions and their ephemerals, so a closeSession can remove them. */
  readonly sessions = new Map<bigint, number>();
  lastZxid = 0n;

  /** An empty ZooKeeper: "/", /zookeeper and /zookeeper/quota. */
  static empty(): ZooKeeperTree {
    const tree = new ZooKeeperTree();
    const stat = emptyStat(0n, 0n, 0n);
    tree.nodes.set("/", { data: null, acl: openAcl(), stat: { ...stat }, children: new Set() });
    tree.createNode("/zookeeper", null, openAcl(), 0n, -1, 0n, 0n);
    tree.createNode("/zookeeper/quota", null, openAcl(), 0n, -1, 0n, 0n);
    return tree;
  }

  static fromSnapshot(snapshot: Snapshot): ZooKeeperTree {
    const tree = new ZooKeeperTree();
    for (const n of snapshot.nodes) {
      tree.nodes.set(n.path, { data: n.data, acl: n.acl, stat: n.stat, children: new Set() });
      if (n.path === "/") continue;
      const parent = tree.nodes.get(parentOf(n.path));
      if (parent === undefined) throw new ZooKeeperFileError(snapshot.file, `node ${n.path} comes before its parent`);
      parent.children.add(childName(n.path));
    }
    if (!tree.nodes.has("/")) throw new ZooKeeperFileError(snapshot.file, "no root node");
    for (const [id, timeout] of snapshot.sessions) tree.sessions.set(id, timeout);
    tree.lastZxid = snapshot.zxid;
    return tree;
  }

  /** Applies one logged txn; an unknown txn type is a DecodeError (ZooKeeper refuses those too). */
  apply(txn: LoggedTxn): void {
    const r = new ByteReader(txn.body);
    this.applyRecord(txn.header, txn.header.type, r);
    if (txn.header.zxid > this.lastZxid) this.lastZxid = txn.header.zxid;
  }

  private applyRecord(h: TxnHeader, type: number, r: ByteReader): void {
    switch (type) {
      case OpCode.create:
      case OpCode.create2: {
        const path = r.ustring() ?? "";
        const data = r.buffer();
        const acl = readACLVector(r);
        const ephemeral = r.bool();
        // A version-0 CreateTxn has no parentCVersion; -1 means "parent's + 1".
        const parentCVersion = r.remaining() >= 4 ? r.int32() : -1;
        return this.createNode(path, data, acl, ephemeral ? h.clientId : 0n, parentCVersion, h.zxid, h.time);
      }
      case OpCode.createTTL: {
        const path = r.ustring() ?? "";
        const data = r.buffer();
        const acl = readACLVector(r);
        const parentCVersion = r.int32();
        const ttl = r.int64();
        return this.createNode(path, data, acl, TTL_OWNER_HIGH_BYTE | ttl, parentCVersion, h.zxid, h.time);
      }
      case OpCode.createContainer: {
        const path = r.ustring() ?? "";
        const data = r.buffer();
        const acl = readACLVector(r);
        return this.createNode(path, data, acl, CONTAINER_OWNER, r.int32(), h.zxid, h.time);
      }
      case OpCode.delete:
      case OpCode.deleteContainer:
        return this.deleteNode(r.ustring() ?? "", h.zxid);
      case OpCode.setData:
      case OpCode.reconfig:
        return this.setData(r.ustring() ?? "", r.buffer(), r.int32(), h.zxid, h.time);
      case OpCode.setACL:
        return this.setAcl(r.ustring() ?? "", readACLVector(r), r.int32());
      case OpCode.createSession:
        this.sessions.set(h.clientId, r.int32());
        return;
      case OpCode.closeSession:
        return this.closeSession(h, r);
      case OpCode.multi:
        return this.applyMulti(h, r);
      case OpCode.error:
      case OpCode.check:
        return;
      default:
        throw new DecodeError(`txn 0x${h.zxid.toString(16)} has unknown type ${type}`);
    }
  }

  /** A multi that failed was logged with error sub-txns: then none of its ops apply. */
  private applyMulti(h: TxnHeader, r: ByteReader): void {
    const subs = r.vector((x) => ({ type: x.int32(), data: x.buffer() ?? Buffer.alloc(0) }), 8) ?? [];
    if (subs.length > MULTI_TXNS_MAX) throw new DecodeError(`multi with ${subs.length} ops`);
    if (subs.some((s) => s.type === OpCode.error)) return;
    for (const sub of subs) this.applyRecord(h, sub.type, new ByteReader(sub.data));
  }

  private closeSession(h: TxnHeader, r: ByteReader): void {
    this.sessions.delete(h.clientId);
    // 3.6+ lists the ephemerals to delete; older logs have no record, so find them by owner.
    const listed = r.remaining() >= 4 ? (r.vector((x) => x.ustring() ?? "", 4) ?? []) : null;
    const owned = [...this.nodes.entries()].filter(([, n]) => n.stat.ephemeralOwner === h.clientId).map(([p]) => p);
    for (const path of new Set([...(listed ?? []), ...owned])) this.deleteNode(path, h.zxid);
  }

  createNode(path: string, data: Buffer | null, acl: ACL[], owner: bigint, parentCVersion: number, zxid: bigint, time: bigint): void {
    const parent = this.nodes.get(parentOf(path));
    if (parent === undefined) return; // NoNode: ZooKeeper's replay ignores it too
    const existing = this.nodes.get(path);
    if (existing !== undefined) existing.acl = acl;
    const cversion = parentCVersion === -1 ? parent.stat.cversion + 1 : parentCVersion;
    if (cversion > parent.stat.cversion) {
      parent.stat.cversion = cversion;
      parent.stat.pzxid = zxid;
    }
    if (existing !== undefined) return;
    parent.children.add(childName(path));
    this.nodes.set(path, { data, acl, stat: { ...emptyStat(zxid, time, owner) }, children: new Set() });
  }

  private deleteNode(path: string, zxid: bigint): void {
    const node = this.nodes.get(path);
    const parent = this.nodes.get(parentOf(path));
    if (node === undefined || parent === undefined || path === "/") return;
    parent.children.delete(childName(path));
    if (zxid > parent.stat.pzxid) parent.stat.pzxid = zxid;
    this.nodes.delete(path);
  }

  private setData(path: string, data: Buffer | null, version: number, zxid: bigint, time: bigint): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    node.data = data;
    node.stat.version = version;
    node.stat.mzxid = zxid;
    node.stat.mtime = time;
  }

  private setAcl(path: string, acl: ACL[], version: number): void {
    const node = this.nodes.get(path);
    if (node === undefined) return;
    node.acl = acl;
    node.stat.aversion = version;
  }

  /** Every path, parents before children (breadth-first, children sorted). */
  *paths(root = "/"): Generator<string> {
    let level = this.nodes.has(root) ? [root] : [];
    while (level.length > 0) {
      const next: string[] = [];
      for (const p of level) {
        yield p;
        const node = this.nodes.get(p);
        if (node === undefined) continue;
        for (const c of [...node.children].sort()) next.push(p === "/" ? `/${c}` : `${p}/${c}`);
      }
      level = next;
    }
  }
}

function emptyStat(zxid: bigint, time: bigint, owner: bigint): PersistedStat {
  return { czxid: zxid, mzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0, ephemeralOwner: owner, pzxid: zxid };
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function childName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The directory holding snapshot.* and log.* files: dataDir/version-2, or the directory itself. */
export function versionDir(dir: string, exists: (p: string) => boolean): string {
  const v2 = `${dir.replace(/\/+$/, "")}/version-2`;
  return exists(v2) ? v2 : dir;
}

/**
 * Rebuilds the tree from `snapDir` (snapshots) and `logDir` (txn logs; the same directory unless ZooKeeper
 * ran with a separate dataLogDir): the newest snapshot that reads whole, then every logged txn after it.
 */
export function restoreTree(snapDir: string, logDir: string): { tree: ZooKeeperTree; report: RestoreReport } {
  const warnings: string[] = [];
  const { tree, snapshot } = loadNewestSnapshot(snapDir, warnings);
  const snapshotZxid = snapshot?.zxid ?? -1n;
  const logs = listZxidFiles(logDir, "log");
  // The log holding the first txn after the snapshot starts at or before it: the newest such file, and all later ones.
  let first = 0;
  logs.forEach((l, i) => { if (l.zxid <= snapshotZxid + 1n) first = i; });
  const used = logs.slice(first);
  let applied = 0;
  for (const [i, log] of used.entries()) {
    const { txns, stoppedEarly } = readTxnLog(log.file);
    if (stoppedEarly !== null) {
      const where = i === used.length - 1 ? "torn tail of the newest log (ignored, as ZooKeeper does)" : "a corrupt entry";
      warnings.push(`${log.file}: stopped at ${where}: ${stoppedEarly}`);
    }
    for (const txn of txns) {
      if (txn.header.zxid <= tree.lastZxid) continue; // in the snapshot already
      try {
        tree.apply(txn);
      } catch (err) {
        if (err instanceof DecodeError) throw new ZooKeeperFileError(log.file, err.message);
        throw err;
      }
      applied++;
    }
  }
  return {
    tree,
    report: { snapshot: snapshot?.file ?? null, snapshotZxid, logFiles: used.map((l) => l.file), txnsApplied: applied, lastZxid: tree.lastZxid, warnings },
  };
}

function loadNewestSnapshot(dir: string, warnings: string[]): { tree: ZooKeeperTree; snapshot: Snapshot | null } {
  const snapshots = listZxidFiles(dir, "snapshot").reverse().slice(0, SNAPSHOTS_TRIED_MAX);
  for (const s of snapshots) {
    try {
      const snapshot = readSnapshot(s.file, s.zxid);
      return { tree: ZooKeeperTree.fromSnapshot(snapshot), snapshot };
    } catch (err) {
      if (!(err instanceof ZooKeeperFileError)) throw err;
      warnings.push(`skipping snapshot ${err.message}`);
    }
  }
  if (snapshots.length > 0) throw new ZooKeeperFileError(dir, "no snapshot could be read");
  warnings.push(`${dir}: no snapshot; replaying the logs onto an empty tree`);
  return { tree: ZooKeeperTree.empty(), snapshot: null };
}
