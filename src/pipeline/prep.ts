/**
 * Prep: turns a client write into a txn, checking it in ZooKeeper's order (shared/reference §4) against the
 * outstanding-changes view. Expected failures are ZkErrors; the caller logs them as error txns, as ZooKeeper
 * does, so every write consumes a zxid.
 */
import { CreateFlag, Err, OpCode, Perm, ZkError } from "../jute/codes.js";
import type { Request } from "../jute/records.js";
import { checkPermission, fixupACL, type AuthInfo } from "../tree/acl.js";
import { CONTAINER_OWNER, isSessionOwner, ttlOwner } from "../tree/data-tree.js";
import { parentPath, pathProblem, PROTECTED_PATHS, sequenceSuffix } from "../tree/paths.js";
import type { TxnBody } from "../tree/txn.js";
import { ScratchView, type NodeState, type NodeView } from "./pending-changes.js";

export interface PrepOptions {
  extendedTypesEnabled: boolean;
  skipACL: boolean;
  /** Quota check of a create or setData: an error code (QuotaExceeded) to refuse it, or null. */
  quota?: (kind: "create" | "setData", path: string, newDataLength: number) => number | null;
}

export interface PrepContext {
  sessionId: bigint;
  auth: AuthInfo;
  /** The session is closing or unknown: writes fail with SessionExpired. */
  sessionClosing: boolean;
}

/** A multi failed: the per-op error codes (0 before, the code, then RuntimeInconsistency). */
export class MultiFailure {
  constructor(readonly codes: number[]) {}
}

export type WriteRequest = Extract<Request, { op: "create" | "delete" | "setData" | "setACL" | "check" | "multi" }>;

export function isWriteRequest(req: Request): req is WriteRequest {
  return (
    req.op === "create" || req.op === "delete" || req.op === "setData" || req.op === "setACL" || req.op === "check" || req.op === "multi"
  );
}

const TTL_MAX = (1n << 40n) - 1n;

/**
 * What ZooKeeper rejects for a whole multi before looking at any node (a MarshallingError in the reply
 * header, still consuming a zxid): a sub-op that is not a write, and TTL flags on a plain create.
 */
function checkMultiOps(ops: readonly Request[]): void {
  for (const op of ops) {
    if (op.op !== "create" && op.op !== "delete" && op.op !== "setData" && op.op !== "check") {
      throw new ZkError(Err.MarshallingError, `${op.op} inside multi`);
    }
    const ttlFlags = op.op === "create" && (op.flags === CreateFlag.PERSISTENT_WITH_TTL || op.flags === CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL);
    if (ttlFlags && op.op === "create" && op.opcode !== OpCode.createTTL) throw new ZkError(Err.MarshallingError, "TTL flags on a plain create in multi");
  }
}

export class Preparer {
  constructor(private readonly opts: PrepOptions) {}

  /** Prepares one write; throws ZkError for an expected failure (or MultiFailure for a failed multi). */
  prepare(req: WriteRequest, ctx: PrepContext, view: NodeView, zxid: bigint): TxnBody {
    if (req.op === "multi") return this.prepareMulti(req.ops as WriteRequest[], ctx, view, zxid);
    return this.prepareOne(req, ctx, view, zxid);
  }

  private prepareMulti(ops: WriteRequest[], ctx: PrepContext, view: NodeView, zxid: bigint): TxnBody {
    checkMultiOps(ops);
    const scratch = new ScratchView(view);
    const bodies: TxnBody[] = [];
    for (let i = 0; i < ops.length; i++) {
      try {
        bodies.push(this.prepareOne(ops[i], ctx, scratch, zxid));
      } catch (e) {
        if (!(e instanceof ZkError)) throw e;
        const codes = ops.map((_, j) => (j < i ? Err.OK : j === i ? e.code : Err.RuntimeInconsistency));
        throw new MultiFailure(codes);
      }
    }
    scratch.commitTo(view, zxid);
    return { type: "multi", ops: bodies };
  }

  private prepareOne(req: WriteRequest, ctx: PrepContext, view: NodeView, zxid: bigint): TxnBody {
    switch (req.op) {
      case "create":
        return this.prepareCreate(req, ctx, view, zxid);
      case "delete":
        return this.prepareDelete(req.path, req.version, ctx, view, zxid);
      case "setData":
        return this.prepareSetData(req, ctx, view, zxid);
      case "setACL":
        return this.prepareSetACL(req, ctx, view, zxid);
      case "check":
        return this.prepareCheck(req, ctx, view);
      case "multi":
        throw new ZkError(Err.MarshallingError, "nested multi");
    }
  }

  private sessionCheck(ctx: PrepContext): void {
    if (ctx.sessionClosing) throw new ZkError(Err.SessionExpired);
  }

  private acl(state: NodeState, perm: number, ctx: PrepContext): void {
    checkPermission(state.acl, perm, ctx.auth, this.opts.skipACL);
  }

  private prepareCreate(req: Extract<Request, { op: "create" }>, ctx: PrepContext, view: NodeView, zxid: bigint): TxnBody {
    const mode = this.createMode(req);
    this.sessionCheck(ctx);
    if (req.path.lastIndexOf("/") < 0 || req.path.includes("\0")) throw new ZkError(Err.BadArguments, "bad path");
    const acl = fixupACL(req.acl, ctx.auth);
    const parentName = parentPath(req.path);
    const parent = view.lookup(parentName);
    if (parent === null) throw new ZkError(Err.NoNode);
    this.acl(parent, Perm.CREATE, ctx);
    const path = mode.sequential ? req.path + sequenceSuffix(parent.createCount) : req.path;
    const problem = pathProblem(path);
    if (problem !== null) throw new ZkError(Err.BadArguments, problem);
    if (view.lookup(path) !== null) throw new ZkError(Err.NodeExists);
    if (isSessionOwner(parent.ephemeralOwner)) throw new ZkError(Err.NoChildrenForEphemerals);
    this.quotaCheck("create", path, req.data);
    const ephemeralOwner = mode.ephemeral ? ctx.sessionId : mode.container ? CONTAINER_OWNER : mode.ttl ? ttlOwner(req.ttl) : 0n;
    const parentCreateCount = (parent.createCount + 1) | 0;
    view.record(parentName, zxid, { ...parent, createCount: parentCreateCount, numChildren: parent.numChildren + 1 });
    view.record(path, zxid, { acl, version: 0, createCount: 0, aversion: 0, ephemeralOwner, numChildren: 0 });
    return { type: "create", path, data: req.data, acl, ephemeralOwner, parentCreateCount };
  }

  /** Decodes flags + op code into a mode, in ZooKeeper's check order (flags, TTL enabled, TTL value). */
  private createMode(req: Extract<Request, { op: "create" }>) {
    const { flags, opcode } = req;
    if (!Number.isInteger(flags) || flags < 0 || flags > 6) throw new ZkError(Err.BadArguments, `bad flags ${flags}`);
    const ttlFlag = flags === CreateFlag.PERSISTENT_WITH_TTL || flags === CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL;
    if (ttlFlag && !this.opts.extendedTypesEnabled) throw new ZkError(Err.Unimplemented, "TTL nodes are disabled");
    if (opcode === OpCode.createTTL) {
      if (!this.opts.extendedTypesEnabled) throw new ZkError(Err.Unimplemented, "TTL nodes are disabled");
      if (!ttlFlag || req.ttl <= 0n || req.ttl > TTL_MAX) throw new ZkError(Err.BadArguments, "bad TTL");
    } else if (ttlFlag) {
      throw new ZkError(Err.BadArguments, "TTL mode without a TTL");
    }
    const container = opcode === OpCode.createContainer;
    return {
      ephemeral: !container && (flags === CreateFlag.EPHEMERAL || flags === CreateFlag.EPHEMERAL_SEQUENTIAL),
      // Observed on ZooKeeper 3.8: op 19 with a sequential flag makes a sequential container.
      sequential:
        (flags === CreateFlag.PERSISTENT_SEQUENTIAL ||
          flags === CreateFlag.EPHEMERAL_SEQUENTIAL ||
          flags === CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL),
      container,
      ttl: ttlFlag,
    };
  }

  private prepareDelete(path: string, version: number, ctx: PrepContext, view: NodeView, zxid: bigint): TxnBody {
    this.sessionCheck(ctx);
    if (PROTECTED_PATHS.has(path) || path.lastIndexOf("/") < 0 || path.includes("\0")) {
      throw new ZkError(Err.BadArguments, `cannot delete ${path}`);
    }
    const parentName = parentPath(path);
    const parent = view.lookup(parentName);
    if (parent === null) throw new ZkError(Err.NoNode);
    this.acl(parent, Perm.DELETE, ctx);
    const node = view.lookup(path);
    if (node === null) throw new ZkError(Err.NoNode);
    if (version !== -1 && node.version !== version) throw new ZkError(Err.BadVersion);
    if (node.numChildren > 0) throw new ZkError(Err.NotEmpty);
    this.recordDelete(path, parentName, parent, view, zxid);
    return { type: "delete", path };
  }

  private recordDelete(path: string, parentName: string, parent: NodeState, view: NodeView, zxid: bigint): void {
    view.record(parentName, zxid, { ...parent, numChildren: parent.numChildren - 1 });
    view.record(path, zxid, null);
  }

  private quotaCheck(kind: "create" | "setData", path: string, data: Buffer | null): void {
    const refused = this.opts.quota?.(kind, path, data === null ? 0 : data.length) ?? null;
    if (refused !== null) throw new ZkError(refused);
  }

  private validPath(path: string): void {
    const problem = pathProblem(path);
    if (problem !== null) throw new ZkError(Err.BadArguments, problem);
  }

  private prepareSetData(req: Extract<Request, { op: "setData" }>, ctx: PrepContext, view: NodeView, zxid: bigint): TxnBody {
    this.sessionCheck(ctx);
    this.validPath(req.path);
    const node = view.lookup(req.path);
    if (node === null) throw new ZkError(Err.NoNode);
    this.acl(node, Perm.WRITE, ctx);
    this.quotaCheck("setData", req.path, req.data);
    if (req.version !== -1 && node.version !== req.version) throw new ZkError(Err.BadVersion);
    const version = (node.version + 1) | 0;
    view.record(req.path, zxid, { ...node, version });
    return { type: "setData", path: req.path, data: req.data, version };
  }

  private prepareSetACL(req: Extract<Request, { op: "setACL" }>, ctx: PrepContext, view: NodeView, zxid: bigint): TxnBody {
    this.sessionCheck(ctx);
    this.validPath(req.path);
    const acl = fixupACL(req.acl, ctx.auth);
    const node = view.lookup(req.path);
    if (node === null) throw new ZkError(Err.NoNode);
    this.acl(node, Perm.ADMIN, ctx);
    if (req.version !== -1 && node.aversion !== req.version) throw new ZkError(Err.BadVersion);
    const version = (node.aversion + 1) | 0;
    view.record(req.path, zxid, { ...node, acl, aversion: version });
    return { type: "setACL", path: req.path, acl, version };
  }

  private prepareCheck(req: Extract<Request, { op: "check" }>, ctx: PrepContext, view: NodeView): TxnBody {
    this.sessionCheck(ctx);
    this.validPath(req.path);
    const node = view.lookup(req.path);
    if (node === null) throw new ZkError(Err.NoNode);
    this.acl(node, Perm.READ, ctx);
    if (req.version !== -1 && node.version !== req.version) throw new ZkError(Err.BadVersion);
    return { type: "check", path: req.path, version: req.version };
  }

  /** deleteContainer / TTL expiry issued by the server itself: no ACL or version check, NotEmpty if reused. */
  prepareReap(path: string, view: NodeView, zxid: bigint): TxnBody {
    const node = view.lookup(path);
    if (node === null) throw new ZkError(Err.NoNode);
    if (node.numChildren > 0) throw new ZkError(Err.NotEmpty);
    const parentName = parentPath(path);
    const parent = view.lookup(parentName);
    if (parent === null) throw new ZkError(Err.NoNode);
    this.recordDelete(path, parentName, parent, view, zxid);
    return { type: "delete", path };
  }

  /** closeSession / expiry: delete every ephemeral the session owns, including ones still pending. */
  prepareCloseSession(sessionId: bigint, candidates: Iterable<string>, view: NodeView, zxid: bigint): TxnBody {
    const paths: string[] = [];
    for (const path of new Set(candidates)) {
      const node = view.lookup(path);
      if (node === null || node.ephemeralOwner !== sessionId) continue;
      paths.push(path);
    }
    paths.sort();
    for (const path of paths) {
      const parentName = parentPath(path);
      const parent = view.lookup(parentName);
      if (parent !== null) this.recordDelete(path, parentName, parent, view, zxid);
      else view.record(path, zxid, null);
    }
    return { type: "closeSession", paths };
  }
}

