/**
 * The typed builder for multi (op 14): `client.transaction().create(...).setData(...).check(...).delete(...)
 * .commit()` resolves to a tuple with one typed result per op, in order. A multi is all-or-nothing; when it
 * fails, commit() rejects with the error of the first failing op (NodeExistsError, BadVersionError, …)
 * carrying `opResults` (one code per op: 0 before the failure, -2 RuntimeInconsistency after it) and
 * `failedOpIndex`.
 */
import { OpCode } from "../jute/codes.js";
import type { MultiResult, Request, Stat } from "../jute/records.js";
import { createRequest, isSequential, type CreateOptions, type NodeData, toBuffer } from "./create-mode.js";
import { MarshallingError, ZooKeeperError, errorForCode } from "./errors.js";
import { validatePath } from "./paths.js";

/** The node's Stat is present for container and TTL creates; ZooKeeper answers plain creates in a multi with the path only. */
export interface CreateOpResult {
  type: "create";
  path: string;
  stat: Stat | undefined;
}
export interface DeleteOpResult {
  type: "delete";
}
export interface SetDataOpResult {
  type: "setData";
  stat: Stat;
}
export interface CheckOpResult {
  type: "check";
}
export type TransactionOpResult = CreateOpResult | DeleteOpResult | SetDataOpResult | CheckOpResult;

/** What a transaction needs from the client: path mapping and a way to run the multi. */
export interface MultiRunner {
  toServerPath(clientPath: string): string;
  toClientPath(serverPath: string): string;
  /** Resolves with the sub-results (even of a failed multi); rejects only for a whole-request error. */
  runMulti(ops: Request[]): Promise<MultiResult[]>;
}

/** Bounds a transaction well below what one 1 MiB frame can carry anyway. */
export const TRANSACTION_OPS_MAX = 10_000;

interface PlannedOp {
  kind: TransactionOpResult["type"];
  /** Client path, for errors. */
  path: string;
  request: Request;
}

export class Transaction<R extends readonly TransactionOpResult[] = []> {
  private readonly ops: PlannedOp[] = [];
  /** The first invalid argument; reported by commit() so every failure arrives the same way. */
  private invalid: ZooKeeperError | undefined;

  constructor(private readonly runner: MultiRunner) {}

  get size(): number {
    return this.ops.length;
  }

  create(path: string, data?: NodeData, opts: CreateOptions = {}): Transaction<[...R, CreateOpResult]> {
    return this.plan("create", path, () => {
      validatePath(path, isSequential(opts.mode ?? "persistent"));
      return createRequest(this.runner.toServerPath(path), data, opts, false);
    });
  }

  delete(path: string, version = -1): Transaction<[...R, DeleteOpResult]> {
    return this.plan("delete", path, () => {
      validatePath(path);
      return { op: "delete", path: this.runner.toServerPath(path), version };
    });
  }

  setData(path: string, data: NodeData, version = -1): Transaction<[...R, SetDataOpResult]> {
    return this.plan("setData", path, () => {
      validatePath(path);
      return { op: "setData", path: this.runner.toServerPath(path), data: toBuffer(data), version };
    });
  }

  /** Fails the whole transaction unless the node's data version is `version`. */
  check(path: string, version: number): Transaction<[...R, CheckOpResult]> {
    return this.plan("check", path, () => {
      validatePath(path);
      return { op: "check", path: this.runner.toServerPath(path), version };
    });
  }

  async commit(): Promise<R> {
    if (this.invalid) throw this.invalid;
    const results = await this.runner.runMulti(this.ops.map((op) => op.request));
    if (results.length !== this.ops.length) {
      throw new MarshallingError({ message: `multi answered ${results.length} results for ${this.ops.length} ops` });
    }
    const failure = results.findIndex((r) => r.type === OpCode.error && r.err !== 0);
    if (failure !== -1) throw this.failure(results, failure);
    return results.map((r, i) => this.toResult(this.ops[i], r)) as unknown as R;
  }

  private plan<N extends readonly TransactionOpResult[]>(kind: PlannedOp["kind"], path: string, build: () => Request): Transaction<N> {
    if (this.invalid === undefined) {
      try {
        if (this.ops.length >= TRANSACTION_OPS_MAX) throw new MarshallingError({ message: `more than ${TRANSACTION_OPS_MAX} ops` });
        this.ops.push({ kind, path, request: build() });
      } catch (err) {
        if (!(err instanceof ZooKeeperError)) throw err;
        this.invalid = err;
      }
    }
    return this as unknown as Transaction<N>;
  }

  private failure(results: MultiResult[], index: number): ZooKeeperError {
    const codeOf = (r: MultiResult) => (r.type === OpCode.error ? r.err : 0);
    const error = errorForCode(codeOf(results[index]), { path: this.ops[index].path, message: `op ${index} of the transaction` });
    error.failedOpIndex = index;
    error.opResults = results.map((r, i) => {
      const code = codeOf(r);
      return { code, error: code === 0 ? undefined : errorForCode(code, { path: this.ops[i].path }) };
    });
    return error;
  }

  private toResult(op: PlannedOp, r: MultiResult): TransactionOpResult {
    switch (op.kind) {
      case "create":
        if (r.type === OpCode.create) return { type: "create", path: this.runner.toClientPath(r.path), stat: undefined };
        if (r.type === OpCode.create2) return { type: "create", path: this.runner.toClientPath(r.path), stat: r.stat };
        break;
      case "delete":
        if (r.type === OpCode.delete) return { type: "delete" };
        break;
      case "setData":
        if (r.type === OpCode.setData) return { type: "setData", stat: r.stat };
        break;
      case "check":
        if (r.type === OpCode.check) return { type: "check" };
        break;
    }
    throw new MarshallingError({ path: op.path, message: `unexpected multi result type ${r.type} for ${op.kind}` });
  }
}
