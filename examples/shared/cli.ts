/**
 * What every example program shares: its flags (always `--server host:port`), one plain line per thing that
 * happens (`[who] what`), connecting with a clear message when no server is running, creating parent nodes,
 * and leaving cleanly on Ctrl-C (closing the session, so its ephemeral nodes go at once).
 */
import {
  createClient,
  NoNodeError,
  NodeExistsError,
  NotEmptyError,
  type ClientOptions,
  type ZooKeeperClient,
} from "../../src/client/index.js";

/** Where `npm start` serves. */
export const SERVER_DEFAULT = "127.0.0.1:2181";
export const CONNECT_TIMEOUT_MS = 10_000;
/** `npm start` runs with tickTime 2 s, so 4 s is the shortest session it grants. */
export const SESSION_TIMEOUT_MS_DEFAULT = 4_000;
/** Bound on the nodes a recursive delete visits, so a huge tree cannot keep an example busy forever. */
const DELETE_TREE_NODES_MAX = 100_000;

/** Prints one line saying what `who` did or saw. Pipes are written synchronously on Linux, so a line printed
 * just before the process is killed still reaches the reader. */
export function say(who: string, text: string): void {
  process.stdout.write(`[${who}] ${text}\n`);
}

/** `--name value` flags and `--switch` flags, declared up front; anything else is a usage error. */
export class Flags {
  private constructor(
    private readonly values: Map<string, string>,
    /** Arguments that are not flags, in order (only when the program accepts them). */
    readonly positionals: readonly string[],
  ) {}

  /**
   * `spec` maps each flag name (without `--`) to "value" or "switch"; `--server` is always accepted. Other
   * arguments are refused unless `acceptPositionals`.
   */
  static parse(usage: string, spec: Record<string, "value" | "switch">, acceptPositionals = false, argv = process.argv.slice(2)): Flags {
    const kinds = new Map<string, "value" | "switch">([["server", "value"], ...Object.entries(spec)]);
    const values = new Map<string, string>();
    const positionals: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === "--help" || arg === "-h") {
        process.stdout.write(`${usage}\n`);
        process.exit(0);
      }
      if (acceptPositionals && !arg.startsWith("--")) {
        positionals.push(arg);
        continue;
      }
      const [name, inline] = arg.startsWith("--") ? splitOnce(arg.slice(2), "=") : [undefined, undefined];
      const kind = name === undefined ? undefined : kinds.get(name);
      if (name === undefined || kind === undefined) usageError(usage, `unknown argument ${arg}`);
      if (kind === "switch") {
        values.set(name, "true");
        continue;
      }
      const value = inline ?? argv[++i];
      if (value === undefined) usageError(usage, `--${name} needs a value`);
      values.set(name, value);
    }
    return new Flags(values, positionals);
  }

  get server(): string {
    return this.string("server", SERVER_DEFAULT);
  }

  string(name: string, fallback: string): string {
    return this.values.get(name) ?? fallback;
  }

  /** A non-negative integer flag. */
  count(name: string, fallback: number): number {
    const text = this.values.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, not ${text}`);
    return value;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function usageError(usage: string, problem: string): never {
  process.stderr.write(`${problem}\n${usage}\n`);
  process.exit(64);
}

/**
 * Connects and reports the session's life in plain words. An expired session means everything this process
 * held (ephemerals, locks, leadership) is gone, so the example stops rather than carry on believing otherwise;
 * a long-lived service would start a new session instead (see RenewingClient in docs/RECIPES.md).
 */
export async function connect(server: string, who: string, options: ClientOptions = {}): Promise<ZooKeeperClient> {
  const zk = createClient(server, { sessionTimeoutMs: SESSION_TIMEOUT_MS_DEFAULT, ...options });
  try {
    await zk.whenConnected(CONNECT_TIMEOUT_MS);
  } catch {
    await zk.close();
    throw new Error(`cannot reach a Herd server at ${server} within ${CONNECT_TIMEOUT_MS / 1000} s: start one with \`npm start\`, or pass --server host:port`);
  }
  zk.on("disconnected", () => say(who, "lost the connection to the server; reconnecting"));
  zk.on("reconnected", () => say(who, "connected again, same session"));
  zk.on("expired", () => {
    say(who, "session expired: what this process held in ZooKeeper is gone; stopping");
    process.exit(2);
  });
  return zk;
}

/** Creates `path` and any missing parents as persistent nodes (a no-op for those that exist). */
export async function ensurePath(zk: ZooKeeperClient, path: string): Promise<void> {
  let prefix = "";
  for (const segment of path.split("/").slice(1)) {
    prefix += `/${segment}`;
    try {
      await zk.create(prefix);
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
  }
}

/** Deletes `path` and everything under it (nothing if it is missing): demos start from a clean slate. */
export async function deleteTree(zk: ZooKeeperClient, path: string): Promise<void> {
  const order: string[] = [];
  const pending = [path];
  while (pending.length > 0) {
    if (order.length >= DELETE_TREE_NODES_MAX) throw new Error(`more than ${DELETE_TREE_NODES_MAX} nodes under ${path}`);
    const next = pending.pop()!;
    try {
      const children = await zk.getChildren(next);
      order.push(next);
      pending.push(...children.map((c) => `${next === "/" ? "" : next}/${c}`));
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
    }
  }
  // Children before parents; a node someone else created meanwhile leaves its parent behind, which is fine.
  for (const node of order.reverse()) {
    try {
      await zk.delete(node);
    } catch (err) {
      if (!(err instanceof NoNodeError || err instanceof NotEmptyError)) throw err;
    }
  }
}

/** The number ZooKeeper appended to a sequential node's name (`task-0000000042` → 42). */
export function sequenceOf(name: string): number {
  const digits = /(\d{10})$/.exec(name);
  if (digits === null) throw new Error(`${name} is not a sequential node name`);
  return Number(digits[1]);
}

/**
 * Runs `pass` whenever asked, one at a time: a request while a pass runs makes one more pass afterwards.
 * Watches only say "something changed"; each pass re-reads the state, so events that arrive together
 * collapse into one pass and none is missed.
 */
export function serialPasses(pass: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let running = false;
  let again = false;
  const loop = async () => {
    running = true;
    while (again) {
      again = false;
      try {
        await pass();
      } catch (err) {
        onError(err);
      }
    }
    running = false;
  };
  return () => {
    again = true;
    if (!running) void loop();
  };
}

let stopping = false;

/** True once Ctrl-C or SIGTERM arrived: failures from closing the session are expected then, not news. */
export function isStopping(): boolean {
  return stopping;
}

/** On Ctrl-C or SIGTERM: run `cleanup` (bounded), then exit 0. */
export function onStop(cleanup: () => Promise<void>): void {
  const stop = (signal: string) => {
    stopping = true;
    const bail = setTimeout(() => process.exit(0), 5_000);
    bail.unref();
    cleanup().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${signal}: cleanup failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

/** Runs an example's main function; an error is printed in one line (no stack) and exits 1. */
export function runMain(who: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`[${who}] error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
