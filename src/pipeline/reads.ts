/**
 * Read-only operations against the applied tree: getData, exists, getChildren(2), getACL, multiRead,
 * getAllChildrenNumber, getEphemerals, and the watch-table ops (addWatch, setWatches, check/removeWatches).
 * Each returns the reply body writer or throws a ZkError; watches are registered only when the read succeeds
 * (except exists, which watches for creation).
 */
import type { ByteWriter } from "../base/bytes.js";
import { AddWatchMode, Err, EventType, OpCode, Perm, ZkError } from "../jute/codes.js";
import { writeACL, writeMultiResponse, type MultiResult, type Request } from "../jute/records.js";
import { checkPermission, hasPermission, maskDigests, type AuthInfo } from "../tree/acl.js";
import type { DataTree, ZNode } from "../tree/data-tree.js";
import type { Watcher, WatchManager } from "../watches/watch-manager.js";

export interface ReadContext {
  sessionId: bigint;
  auth: AuthInfo;
  watcher: Watcher;
  skipACL: boolean;
}

export type ReadRequest = Extract<
  Request,
  { op: "exists" | "getData" | "getChildren" | "getChildren2" | "getACL" | "multiRead" | "getAllChildrenNumber" | "getEphemerals" | "addWatch" | "setWatches" | "checkWatches" | "removeWatches" }
>;

/**
 * Writes a reply body. It reads the tree (a node's data and Stat straight from its row, with no copies), so it
 * must run at once, before the tree changes again.
 */
export type BodyWriter = ((w: ByteWriter) => void) | undefined;

const writeStrings = (w: ByteWriter, names: string[]) => void w.vector(names, (x, s) => void x.ustring(s));

export class ReadProcessor {
  constructor(private readonly tree: DataTree, private readonly watches: WatchManager) {}

  private readable(path: string, ctx: ReadContext): ZNode {
    const node = this.tree.get(path);
    if (node === undefined) throw new ZkError(Err.NoNode);
    checkPermission(node.acl, Perm.READ, ctx.auth, ctx.skipACL);
    return node;
  }

  execute(req: ReadRequest, ctx: ReadContext): BodyWriter {
    switch (req.op) {
      case "getData": {
        const node = this.readable(req.path, ctx);
        if (req.watch) this.watches.addData(req.path, ctx.watcher);
        const row = node.row;
        return (w) => {
          w.buffer(this.tree.dataView(row));
          this.tree.writeStat(w, row);
        };
      }
      case "exists":
        return this.exists(req.path, req.watch, ctx);
      case "getChildren":
      case "getChildren2": {
        const node = this.readable(req.path, ctx);
        if (req.watch) this.watches.addChild(req.path, ctx.watcher);
        const names = node.children === null ? [] : [...node.children];
        if (req.op === "getChildren") return (w) => writeStrings(w, names);
        const row = node.row;
        return (w) => {
          writeStrings(w, names);
          this.tree.writeStat(w, row);
        };
      }
      case "getACL":
        return this.getACL(req.path, ctx);
      case "multiRead": {
        const results = req.ops.map((op) => this.multiReadOne(op, ctx));
        return (w) => writeMultiResponse(w, results);
      }
      case "getAllChildrenNumber": {
        this.readable(req.path, ctx);
        const n = this.tree.countDescendants(req.path);
        return (w) => void w.int32(n);
      }
      case "getEphemerals": {
        const prefix = req.prefixPath === "/" ? "" : req.prefixPath;
        const own = [...(this.tree.ephemerals.get(ctx.sessionId) ?? [])].filter((p) => p.startsWith(prefix));
        return (w) => writeStrings(w, own);
      }
      case "addWatch":
        if (req.mode === AddWatchMode.Persistent) this.watches.addPersistent(req.path, ctx.watcher);
        else if (req.mode === AddWatchMode.PersistentRecursive) this.watches.addRecursive(req.path, ctx.watcher);
        else throw new ZkError(Err.BadArguments, `bad addWatch mode ${req.mode}`);
        return (w) => void w.int32(0);
      case "setWatches":
        this.setWatches(req, ctx);
        return undefined;
      case "checkWatches":
        if (!this.watches.has(req.path, ctx.watcher, req.type)) throw new ZkError(Err.NoWatcher);
        return undefined;
      case "removeWatches":
        if (!this.watches.remove(req.path, ctx.watcher, req.type)) throw new ZkError(Err.NoWatcher);
        return undefined;
    }
  }

  private exists(path: string, watch: boolean, ctx: ReadContext): BodyWriter {
    if (path.includes("\0")) throw new ZkError(Err.BadArguments);
    const node = this.tree.get(path);
    if (node !== undefined) checkPermission(node.acl, Perm.READ, ctx.auth, ctx.skipACL);
    if (watch) this.watches.addData(path, ctx.watcher);
    if (node === undefined) throw new ZkError(Err.NoNode);
    const row = node.row;
    return (w) => this.tree.writeStat(w, row);
  }

  private getACL(path: string, ctx: ReadContext): BodyWriter {
    const node = this.tree.get(path);
    if (node === undefined) throw new ZkError(Err.NoNode);
    const admin = ctx.skipACL || hasPermission(node.acl, Perm.ADMIN, ctx.auth);
    if (!admin && !hasPermission(node.acl, Perm.READ, ctx.auth)) throw new ZkError(Err.NoAuth);
    const acl = admin ? node.acl : maskDigests(node.acl);
    const row = node.row;
    return (w) => {
      w.vector(acl, writeACL);
      this.tree.writeStat(w, row);
    };
  }

  private multiReadOne(op: Request, ctx: ReadContext): MultiResult {
    try {
      if (op.op === "getData") {
        const node = this.readable(op.path, ctx);
        return { type: OpCode.getData, data: node.data, stat: this.tree.statOf(node) };
      }
      if (op.op === "getChildren") {
        const node = this.readable(op.path, ctx);
        return { type: OpCode.getChildren, children: node.children === null ? [] : [...node.children] };
      }
      throw new ZkError(Err.MarshallingError);
    } catch (e) {
      if (e instanceof ZkError) return { type: OpCode.error, err: e.code };
      throw e;
    }
  }

  /** Re-registers watches after a reconnect, firing at once what changed since relativeZxid. */
  private setWatches(req: Extract<Request, { op: "setWatches" }>, ctx: ReadContext): void {
    const w = ctx.watcher;
    const fire = (type: number, path: string) => w.notify(type as never, path, this.tree.lastProcessedZxid);
    for (const path of req.data) {
      const node = this.tree.get(path);
      if (node === undefined) fire(EventType.NodeDeleted, path);
      else if (node.mzxid > req.relativeZxid) fire(EventType.NodeDataChanged, path);
      else this.watches.addData(path, w);
    }
    for (const path of req.exist) {
      if (this.tree.get(path) !== undefined) fire(EventType.NodeCreated, path);
      else this.watches.addData(path, w);
    }
    for (const path of req.child) {
      const node = this.tree.get(path);
      if (node === undefined) fire(EventType.NodeDeleted, path);
      else if (node.pzxid > req.relativeZxid) fire(EventType.NodeChildrenChanged, path);
      else this.watches.addChild(path, w);
    }
    for (const path of req.persistent) this.watches.addPersistent(path, w);
    for (const path of req.persistentRecursive) this.watches.addRecursive(path, w);
  }
}
