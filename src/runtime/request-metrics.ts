/**
 * The per-namespace read and write sizes of ZooKeeper's DataTree (read_per_namespace, write_per_namespace):
 * which paths a request touched and how many bytes it moved, worked out from the request or txn here so the
 * server's hot paths stay one call each. ZooKeeper counts a read as path + data (or child names) + a stat, and a
 * write as path + data, only when the operation succeeds.
 */
import type { ServerMetrics } from "../admin/metrics.js";
import type { ReadRequest } from "../pipeline/reads.js";
import type { DataTree } from "../tree/data-tree.js";
import { NO_ROW } from "../tree/node-store.js";
import type { AppliedOp } from "./write-replies.js";

/** A read that succeeded: getData, exists and getChildren count, and each getData/getChildren of a multiRead. */
export function recordReadSizes(metrics: ServerMetrics, tree: DataTree, req: ReadRequest): void {
  switch (req.op) {
    case "getData":
    case "getChildren":
    case "getChildren2":
      recordNodeRead(metrics, tree, req.op === "getData", req.path);
      return;
    case "exists":
      metrics.recordRead(req.path, 0);
      return;
    case "multiRead":
      // A sub-read that failed for its ACL is counted too: the reply does not say which ones did.
      for (const op of req.ops) if (op.op === "getData" || op.op === "getChildren") recordNodeRead(metrics, tree, op.op === "getData", op.path);
      return;
    default:
      return;
  }
}

function recordNodeRead(metrics: ServerMetrics, tree: DataTree, isData: boolean, path: string): void {
  const bytes = tree.readBytes(path, isData);
  if (bytes !== undefined) metrics.recordRead(path, bytes);
}

/**
 * One applied (sub-)op (applyTxn's observer): creates and setData count their data, deletes (also a closed
 * session's ephemerals) count the path alone.
 */
export function recordWriteSizes(metrics: ServerMetrics, { op, row, lengthBefore, closed }: Readonly<AppliedOp>): void {
  switch (op.type) {
    case "create":
      if (row !== NO_ROW) metrics.recordWrite(op.path, op.data?.length ?? 0);
      return;
    case "setData":
      if (lengthBefore >= 0) metrics.recordWrite(op.path, op.data?.length ?? 0);
      return;
    case "delete":
      if (lengthBefore >= 0) metrics.recordWrite(op.path, 0);
      return;
    case "closeSession":
      for (const [path] of closed) metrics.recordWrite(path, 0);
      return;
    default:
      return;
  }
}
