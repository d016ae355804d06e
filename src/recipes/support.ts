/**
 * Building blocks the recipes share, all on the public client API: path helpers, Curator's "protected" node
 * names (so a create whose reply was lost can still find its node), creating parents as containers, bounded
 * retries of idempotent calls across connection loss, deadlines, and a one-shot wake-up that a watch can fire.
 *
 * Internal to src/recipes/: index.ts exports only the constants other languages' clients must agree on.
 */
import { randomUUID } from "node:crypto";
import {
  ConnectionLossError,
  NoNodeError,
  NodeExistsError,
  NotConnectedError,
  RequestTimeoutError,
  SessionExpiredError,
  retry,
  type CreateMode,
  type NodeData,
  type WatchEvent,
  type Watcher,
  type ZooKeeperClient,
} from "../client/index.js";

/** Curator's protected-name prefix: `_c_<uuid>-` in front of the node's own name. */
export const PROTECTED_PREFIX = "_c_";
/** `_c_` + a 36-character UUID + `-`. */
const PROTECTED_PREFIX_LENGTH = PROTECTED_PREFIX.length + 36 + 1;
const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** How often a recipe retries one idempotent call after connection loss before giving up. */
export const CONNECTION_RETRIES_MAX = 20;
/** How often a create is tried again when its parent (a container) vanished in between. */
export const CREATE_ATTEMPTS_MAX = 10;

/** "/a" + "b" → "/a/b"; "/" + "b" → "/b". */
export function joinPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/** "/a/b" → "b". */
export function nodeNameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** "/a/b" → "/a"; "/a" → "/". */
export function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** Throws (synchronously, as a programming error) unless `path` looks like a ZooKeeper path. */
export function checkPath(path: string, what = "path"): string {
  if (typeof path !== "string" || !path.startsWith("/") || (path.length > 1 && path.endsWith("/")) || path.includes("//")) {
    throw new TypeError(`${what} must be an absolute ZooKeeper path, got ${JSON.stringify(path)}`);
  }
  return path;
}

/** `_c_<uuid>-` for a fresh UUID. */
export function newProtectedPrefix(): string {
  return `${PROTECTED_PREFIX}${randomUUID()}-`;
}

/** True when `name` starts with a Curator protected prefix (`_c_` + a UUID + `-`). */
export function isProtectedName(name: string): boolean {
  return (
    name.length > PROTECTED_PREFIX_LENGTH &&
    name.startsWith(PROTECTED_PREFIX) &&
    name[PROTECTED_PREFIX_LENGTH - 1] === "-" &&
    UUID_PATTERN.test(name.slice(PROTECTED_PREFIX.length, PROTECTED_PREFIX_LENGTH - 1))
  );
}

/** The name without its protected prefix, as Curator's ProtectedUtils.normalize. */
export function unprotectedName(name: string): string {
  return isProtectedName(name) ? name.slice(PROTECTED_PREFIX_LENGTH) : name;
}

/**
 * What a lock-style node sorts by: the text after the last occurrence of any of `lockNames` (the sequence
 * number), so that the random protected prefixes do not decide the order. Names without one sort as they are.
 */
export function sortKey(name: string, lockNames: readonly string[]): string {
  let key = name;
  for (const lockName of lockNames) {
    const at = key.lastIndexOf(lockName);
    if (at >= 0) key = key.slice(at + lockName.length);
  }
  return key;
}

/** `names` ordered by sortKey (a copy). */
export function sortBySequence(names: readonly string[], lockNames: readonly string[]): string[] {
  return [...names].sort((a, b) => {
    const ka = sortKey(a, lockNames);
    const kb = sortKey(b, lockNames);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** The 10-digit suffix ZooKeeper appends to a sequential node, or undefined. */
export function sequenceSuffixOf(name: string): string | undefined {
  return /(\d{10})$/.exec(name)?.[1];
}

/** Failures after which the same idempotent request may simply be sent again. */
function isConnectionTrouble(err: unknown): boolean {
  if (err instanceof NotConnectedError) return err.reason === "timeout";
  return err instanceof ConnectionLossError || err instanceof RequestTimeoutError;
}

/**
 * Calls an idempotent `fn` again after connection loss (a bounded number of times, with back-off); the
 * request then waits in the client's queue until the session is reconnected.
 */
export function retryIdempotent<T>(fn: () => Promise<T>): Promise<T> {
  return retry(() => fn(), { retries: CONNECTION_RETRIES_MAX, baseMs: 10, maxMs: 500, isRetryable: isConnectionTrouble });
}

/** Creates every missing ancestor of `path` (not `path` itself) as a container, like Curator's creatingParentContainersIfNeeded. */
export async function ensureParents(client: ZooKeeperClient, path: string): Promise<void> {
  const ancestors: string[] = [];
  for (let p = parentOf(path); p !== "/"; p = parentOf(p)) ancestors.unshift(p);
  for (const ancestor of ancestors) {
    if ((await retryIdempotent(() => client.exists(ancestor))) !== null) continue;
    await retryIdempotent(() => client.create(ancestor, null, { mode: "container" })).catch((err: unknown) => {
      if (!(err instanceof NodeExistsError)) throw err;
    });
  }
}

/** Creates `path` as a persistent node (parents as containers) unless it exists. */
export async function ensurePersistent(client: ZooKeeperClient, path: string): Promise<void> {
  if ((await retryIdempotent(() => client.exists(path))) !== null) return;
  await createWithParents(client, path, null, "persistent").catch((err: unknown) => {
    if (!(err instanceof NodeExistsError)) throw err;
  });
}

/**
 * create(), creating missing parents as containers when the server answers NoNode. Parents that are
 * containers can be swept between the two steps, so this tries a bounded number of times.
 * Not retried on connection loss: a create is not idempotent (see createProtected for that).
 */
export async function createWithParents(client: ZooKeeperClient, path: string, data: NodeData, mode: CreateMode): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.create(path, data, { mode });
    } catch (err) {
      if (!(err instanceof NoNodeError) || attempt >= CREATE_ATTEMPTS_MAX) throw err;
      await ensureParents(client, path);
    }
  }
}

/**
 * Creates `<dir>/_c_<uuid>-<name>` (sequential modes append the sequence) and returns its path. When the reply
 * is lost with the connection, the node may or may not exist: it is looked up by its unique prefix among the
 * children of `dir` and the create is only sent again if it is not there. This is Curator's protection, so
 * the node is found exactly once and never duplicated.
 */
export async function createProtected(client: ZooKeeperClient, dir: string, name: string, data: NodeData, mode: CreateMode, prefix = newProtectedPrefix()): Promise<string> {
  const path = joinPath(dir, `${prefix}${name}`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await createWithParents(client, path, data, mode);
    } catch (err) {
      if (!isConnectionTrouble(err) || attempt > CONNECTION_RETRIES_MAX) throw err;
      const found = await findByPrefix(client, dir, prefix);
      if (found !== undefined) return found;
    }
  }
}

/** The child of `dir` whose name starts with `prefix`, as a full path. */
export async function findByPrefix(client: ZooKeeperClient, dir: string, prefix: string): Promise<string | undefined> {
  const children = await retryIdempotent(() => client.getChildren(dir)).catch((err: unknown) => {
    if (err instanceof NoNodeError) return [] as string[];
    throw err;
  });
  const name = children.find((child) => child.startsWith(prefix));
  return name === undefined ? undefined : joinPath(dir, name);
}

/** Deletes `path`; already gone, or gone with the session, counts as done. Retried across connection loss. */
export async function deleteQuietly(client: ZooKeeperClient, path: string, version = -1): Promise<void> {
  try {
    await retryIdempotent(() => client.delete(path, version));
  } catch (err) {
    if (err instanceof NoNodeError || err instanceof SessionExpiredError) return;
    throw err;
  }
}

/** A point in time by which a wait must end; `undefined` timeout = never. */
export class Deadline {
  private readonly atMs: number;

  constructor(timeoutMs: number | undefined) {
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new RangeError(`timeout must be ≥ 0 ms, got ${timeoutMs}`);
    this.atMs = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  }

  /** Milliseconds left (Infinity without a timeout, 0 once passed). */
  remainingMs(): number {
    return Math.max(0, this.atMs - Date.now());
  }

  get passed(): boolean {
    return this.remainingMs() === 0;
  }
}

/**
 * A one-shot wake-up: `watcher` (for a one-shot ZooKeeper watch) or `fire()` wakes whoever waits. Waiting is
 * bounded by a Deadline and can be cut short by an AbortSignal; it resolves with what ended it.
 */
export class Wakeup {
  private fired = false;
  private wake: (() => void) | undefined;
  /** Pass as `{ watch }`: any event (a change, or the session's end) wakes the waiter. */
  readonly watcher: Watcher = (_event: WatchEvent) => this.fire();

  fire(): void {
    this.fired = true;
    this.wake?.();
  }

  wait(deadline: Deadline, signal?: AbortSignal): Promise<"woken" | "timeout" | "aborted"> {
    if (this.fired) return Promise.resolve("woken");
    if (signal?.aborted) return Promise.resolve("aborted");
    const remainingMs = deadline.remainingMs();
    if (remainingMs === 0) return Promise.resolve("timeout");
    return new Promise((resolve) => {
      const timer = Number.isFinite(remainingMs) ? setTimeout(() => finish("timeout"), remainingMs) : undefined;
      const onAbort = () => finish("aborted");
      const finish = (how: "woken" | "timeout" | "aborted") => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.wake = undefined;
        resolve(how);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.wake = () => finish("woken");
    });
  }
}

/**
 * Forgets a one-shot watcher we no longer wait for (after a timeout or abort), so it does not pile up. Not
 * awaited by callers: while disconnected the removal waits in the client's queue, and a watcher that fired
 * meanwhile (NoWatcher) is already gone, so there is nothing to report either way.
 */
export function dropWatcher(client: ZooKeeperClient, path: string, watcher: Watcher, type: "data" | "children"): void {
  client.removeWatches(path, watcher, type).catch(() => undefined);
}

/** The error an aborted wait rejects with: the signal's reason, or a plain AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error("the operation was aborted");
  err.name = "AbortError";
  return err;
}

/**
 * Runs an async pass again whenever asked, never two at once: `request()` during a pass makes one more
 * pass after it. Recipes use it so that watch events, reconnections and new sessions that arrive together
 * cannot interleave their reads and writes.
 */
export class SerialRunner {
  private again = false;
  private running: Promise<void> | undefined;

  constructor(private readonly pass: () => Promise<void>, private readonly onError: (err: unknown) => void) {}

  /** Asks for a pass; resolves when no pass is pending any more. */
  request(): Promise<void> {
    this.again = true;
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.again) {
        this.again = false;
        try {
          await this.pass();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}

/** True for states after which a client will never run another request. */
export function sessionEnded(client: ZooKeeperClient): boolean {
  return client.state === "expired" || client.state === "closed" || client.state === "authFailed";
}
