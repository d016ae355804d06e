/**
 * The client's error classes: one per ZooKeeper error code, all extending ZooKeeperError (`.code`, `.path`),
 * plus NotConnectedError for requests that were never sent.
 *
 * The distinction callers need most is whether a failed write may have been applied:
 * - ConnectionLossError / RequestTimeoutError: the request was sent and the outcome is unknown;
 * - NotConnectedError: the request never left the client (closed client, or it timed out while queued);
 * - every other class: the server answered with that code, so the op did not happen.
 */
import { Err, errName } from "../jute/codes.js";

export interface ErrorDetail {
  /** The client-side path the failed op named (chroot already stripped). */
  path?: string;
  message?: string;
  cause?: unknown;
}

/** Outcome of one op of a failed transaction: code 0 = would have succeeded, -2 = not evaluated. */
export interface OpOutcome {
  code: number;
  error: ZooKeeperError | undefined;
}

export class ZooKeeperError extends Error {
  readonly code: number;
  readonly path: string | undefined;
  /** Set on the error of a failed transaction: one entry per op, in order. */
  opResults: readonly OpOutcome[] | undefined;
  /** Set on the error of a failed transaction: the index of the op that failed. */
  failedOpIndex: number | undefined;

  constructor(code: number, detail: ErrorDetail = {}) {
    const where = detail.path === undefined ? "" : ` (${detail.path})`;
    super(`${errName(code)}${where}${detail.message ? `: ${detail.message}` : ""}`, { cause: detail.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = detail.path;
    this.opResults = undefined;
    this.failedOpIndex = undefined;
  }
}

export class SystemError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.SystemError, d); } }
export class RuntimeInconsistencyError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.RuntimeInconsistency, d); } }
export class DataInconsistencyError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.DataInconsistency, d); } }
/** Sent, but the connection broke before the reply: the op may or may not have been applied. */
export class ConnectionLossError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.ConnectionLoss, d); } }
export class MarshallingError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.MarshallingError, d); } }
export class UnimplementedError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.Unimplemented, d); } }
export class OperationTimeoutError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.OperationTimeout, d); } }
export class BadArgumentsError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.BadArguments, d); } }
export class UnknownSessionError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.UnknownSession, d); } }
export class NewConfigNoQuorumError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NewConfigNoQuorum, d); } }
export class ReconfigInProgressError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.ReconfigInProgress, d); } }
export class APIError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.APIError, d); } }
export class NoNodeError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NoNode, d); } }
export class NoAuthError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NoAuth, d); } }
export class BadVersionError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.BadVersion, d); } }
export class NoChildrenForEphemeralsError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NoChildrenForEphemerals, d); } }
export class NodeExistsError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NodeExists, d); } }
export class NotEmptyError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NotEmpty, d); } }
/** The session is gone for good; the client will not open a new one by itself. */
export class SessionExpiredError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.SessionExpired, d); } }
export class InvalidCallbackError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.InvalidCallback, d); } }
export class InvalidACLError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.InvalidACL, d); } }
export class AuthFailedError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.AuthFailed, d); } }
export class SessionMovedError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.SessionMoved, d); } }
export class NotReadOnlyError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NotReadOnly, d); } }
export class EphemeralOnLocalSessionError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.EphemeralOnLocalSession, d); } }
export class NoWatcherError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.NoWatcher, d); } }
/** Sent, but no reply within the request timeout: like ConnectionLoss, the outcome is unknown. */
export class RequestTimeoutError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.RequestTimeout, d); } }
export class ReconfigDisabledError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.ReconfigDisabled, d); } }
export class SessionClosedRequireSaslAuthError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.SessionClosedRequireSaslAuth, d); } }
export class QuotaExceededError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.QuotaExceeded, d); } }
export class ThrottledError extends ZooKeeperError { constructor(d?: ErrorDetail) { super(Err.Throttled, d); } }

/** Why a request was never sent. */
export type NotSentReason = "closed" | "timeout";

/**
 * The request never left this client: the client is closed, or the request timed out while waiting for a
 * connection. Safe to retry (on a new client, for "closed"). Its code is ConnectionLoss so code-based
 * handling stays conservative, but it is deliberately not a ConnectionLossError.
 */
export class NotConnectedError extends ZooKeeperError {
  readonly reason: NotSentReason;
  constructor(reason: NotSentReason, d?: ErrorDetail) {
    super(Err.ConnectionLoss, { message: reason === "closed" ? "client is closed" : "timed out before it could be sent", ...d });
    this.reason = reason;
  }
}

type ErrorClass = new (d?: ErrorDetail) => ZooKeeperError;

const errorClasses = new Map<number, ErrorClass>([
  [Err.SystemError, SystemError],
  [Err.RuntimeInconsistency, RuntimeInconsistencyError],
  [Err.DataInconsistency, DataInconsistencyError],
  [Err.ConnectionLoss, ConnectionLossError],
  [Err.MarshallingError, MarshallingError],
  [Err.Unimplemented, UnimplementedError],
  [Err.OperationTimeout, OperationTimeoutError],
  [Err.BadArguments, BadArgumentsError],
  [Err.UnknownSession, UnknownSessionError],
  [Err.NewConfigNoQuorum, NewConfigNoQuorumError],
  [Err.ReconfigInProgress, ReconfigInProgressError],
  [Err.APIError, APIError],
  [Err.NoNode, NoNodeError],
  [Err.NoAuth, NoAuthError],
  [Err.BadVersion, BadVersionError],
  [Err.NoChildrenForEphemerals, NoChildrenForEphemeralsError],
  [Err.NodeExists, NodeExistsError],
  [Err.NotEmpty, NotEmptyError],
  [Err.SessionExpired, SessionExpiredError],
  [Err.InvalidCallback, InvalidCallbackError],
  [Err.InvalidACL, InvalidACLError],
  [Err.AuthFailed, AuthFailedError],
  [Err.SessionMoved, SessionMovedError],
  [Err.NotReadOnly, NotReadOnlyError],
  [Err.EphemeralOnLocalSession, EphemeralOnLocalSessionError],
  [Err.NoWatcher, NoWatcherError],
  [Err.RequestTimeout, RequestTimeoutError],
  [Err.ReconfigDisabled, ReconfigDisabledError],
  [Err.SessionClosedRequireSaslAuth, SessionClosedRequireSaslAuthError],
  [Err.QuotaExceeded, QuotaExceededError],
  [Err.Throttled, ThrottledError],
]);

/** The error for a server reply code; an unknown code still becomes a ZooKeeperError carrying it. */
export function errorForCode(code: number, detail: ErrorDetail = {}): ZooKeeperError {
  const ErrorClass = errorClasses.get(code);
  return ErrorClass ? new ErrorClass(detail) : new ZooKeeperError(code, detail);
}
