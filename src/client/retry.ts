/**
 * Bounded retries for the failures a reconnect can cure: ConnectionLoss and RequestTimeout (sent, outcome
 * unknown) and NotConnected-by-timeout (never sent). Nothing else is retried — not SessionExpired (the caller
 * must start a new session), not a closed client, not a server's answer such as NoNode.
 *
 * Retrying a write whose outcome is unknown can apply it twice: only retry ops that are idempotent, or make
 * them so (e.g. treat NodeExists on the second attempt of a create as success).
 */
import { ConnectionLossError, NotConnectedError, OperationTimeoutError, RequestTimeoutError } from "./errors.js";

export interface RetryOptions {
  /** Retries after the first attempt (so at most retries + 1 calls). Default 3. */
  retries?: number;
  /** First back-off; doubles per retry up to maxMs, with jitter in [delay/2, delay]. Default 100. */
  baseMs?: number;
  maxMs?: number;
  /** Which errors are worth another attempt. Default: isRetryable. */
  isRetryable?: (err: unknown) => boolean;
  /** Returns [0, 1); injectable so tests are deterministic. */
  random?: () => number;
  /** Called before each back-off, e.g. for logging. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export const RETRIES_MAX = 100;

export function isRetryable(err: unknown): boolean {
  if (err instanceof NotConnectedError) return err.reason === "timeout";
  return err instanceof ConnectionLossError || err instanceof RequestTimeoutError || err instanceof OperationTimeoutError;
}

/** Calls `fn(attempt)` (attempt 0, 1, …) until it succeeds, fails with a non-retryable error, or runs out. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = Math.min(opts.retries ?? 3, RETRIES_MAX);
  const baseMs = opts.baseMs ?? 100;
  const maxMs = opts.maxMs ?? 5_000;
  const retryable = opts.isRetryable ?? isRetryable;
  const random = opts.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !retryable(err)) throw err;
      const ceilingMs = Math.min(maxMs, baseMs * 2 ** attempt);
      const delayMs = Math.floor(ceilingMs / 2 + (random() * ceilingMs) / 2);
      opts.onRetry?.(err, attempt + 1, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
