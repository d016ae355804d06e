/**
 * One `herd cli` session: the connection (a ZooKeeperClient that `connect` and `close` replace), the numbered
 * history zkCli keeps for `history` and `redo`, and the dispatch of a command line to its command, with
 * zkCli's output and errors. The interactive shell and one-shot mode both drive a CliSession.
 */
import {
  NotConnectedError,
  ZooKeeperError,
  createClient,
  type SessionState,
  type SessionTransition,
  type WatchEvent,
  type ZooKeeperClient,
} from "../client/index.js";
import { CommandFailure, UsageError, intOption, splitCommandLine } from "./args.js";
import { COMMANDS } from "./command-table.js";
import { parseCommandArgs, type CommandContext, type CommandSpec } from "./commands.js";
import { keeperErrorMessage, watchEventBlock, watcherBlock, type KeeperState } from "./format.js";

/** Exit codes of one-shot mode (sysexits-style, as `herd server` uses them). */
export const ExitCode = {
  ok: 0,
  /** The server refused the operation (no node, bad version, no auth…). */
  failed: 1,
  /** Bad command line: unknown command, missing argument, invalid path or option. */
  usage: 64,
  /** No server reachable within the timeout. */
  unavailable: 69,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Text that arrives between commands (watch and session events); the shell redraws its prompt after it. */
  event(text: string): void;
}

export interface CliSessionOptions {
  server: string;
  sessionTimeoutMs: number;
  /** Print each result as one JSON line instead of zkCli's text. */
  json: boolean;
  /** The shell (not one-shot mode): print session and watch events (zkCli's WATCHER:: blocks), and the
   *  command list after an unknown command. */
  interactive: boolean;
  output: CliOutput;
}

export type Outcome =
  | { kind: "done"; result: unknown }
  | { kind: "failed"; exitCode: ExitCodeValue; message: string }
  | { kind: "quit" };

/** zkCli's numbered history: `history` shows the last entries, `redo N` re-runs one. */
export const SESSION_HISTORY_MAX = 10_000;
const HISTORY_SHOWN = 11;

interface ShellCommand {
  name: string;
  usage: string;
}

/** The shell's own commands, listed by `help` with the ZooKeeper ones. */
const SHELL_COMMANDS: readonly ShellCommand[] = [
  { name: "close", usage: "" },
  { name: "connect", usage: "host:port" },
  { name: "help", usage: "" },
  { name: "history", usage: "" },
  { name: "printwatches", usage: "on|off" },
  { name: "quit", usage: "" },
  { name: "redo", usage: "cmdno" },
];

/** Every command name, sorted as zkCli lists them (for `help` and tab completion). */
export const COMMAND_NAMES: readonly string[] = [...SHELL_COMMANDS.map((c) => c.name), ...COMMANDS.map((c) => c.name)]
  .sort(); // code-unit order, as zkCli's Java sort: addWatch before addauth

export function usageText(): string {
  const entries = new Map<string, string>([
    ...SHELL_COMMANDS.map((c): [string, string] => [c.name, c.usage]),
    ...COMMANDS.map((c): [string, string] => [c.name, c.usage]),
  ]);
  const lines = ["herd cli -server host:port [--json] cmd args"];
  // zkCli's list leaves out `help` (to zkCli it is an unknown word that happens to print the list).
  for (const name of COMMAND_NAMES) if (name !== "help") lines.push(`\t${name} ${entries.get(name) ?? ""}`);
  return `${lines.join("\n")}\n`;
}

const promptStates: Record<SessionState, string> = {
  connecting: "CONNECTING",
  connected: "CONNECTED",
  readOnly: "CONNECTEDREADONLY",
  disconnected: "CONNECTING",
  expired: "CLOSED",
  authFailed: "AUTH_FAILED",
  closed: "CLOSED",
};

const eventStates: Record<SessionTransition, KeeperState> = {
  connected: "SyncConnected",
  reconnected: "SyncConnected",
  readOnly: "ConnectedReadOnly",
  disconnected: "Disconnected",
  expired: "Expired",
  authFailed: "AuthFailed",
  closed: "Closed",
};

export class CliSession {
  private zk: ZooKeeperClient | null = null;
  private server: string;
  private readonly history: string[] = [];
  private printWatches = true;

  constructor(private readonly opts: CliSessionOptions) {
    this.server = opts.server;
  }

  get client(): ZooKeeperClient | null {
    return this.zk;
  }

  /** The number the next command gets (zkCli shows it in the prompt). */
  get commandCount(): number {
    return this.history.length;
  }

  prompt(): string {
    const state = this.zk === null ? "CLOSED" : promptStates[this.zk.state];
    return `[zk: ${this.server}(${state}) ${this.commandCount}] `;
  }

  /** Starts a new session with `server` (closing the current one); resolves once the client exists. */
  async connect(server: string = this.server): Promise<void> {
    await this.close();
    this.server = server;
    // A bound on every command, so a shell whose server is gone answers instead of waiting forever.
    const zk = createClient(server, { sessionTimeoutMs: this.opts.sessionTimeoutMs, requestTimeoutMs: this.opts.sessionTimeoutMs });
    zk.on("state", (_state, transition) => {
      if (this.opts.interactive && this.printWatches) this.opts.output.event(watcherBlock(eventStates[transition], "None", null));
    });
    // Watcher callbacks that throw are reported here; the shell must not die of one.
    zk.on("error", (err) => this.opts.output.stderr(`${err.message}\n`));
    this.zk = zk;
  }

  async close(): Promise<void> {
    const zk = this.zk;
    if (zk === null) return;
    await zk.close();
  }

  /** Runs one command line: records it in the numbered history (if not empty), then executes it. */
  async executeLine(line: string): Promise<Outcome> {
    let words: string[];
    try {
      words = splitCommandLine(line);
    } catch (err) {
      return this.fail(err);
    }
    if (words.length === 0) return { kind: "done", result: null };
    this.remember(line);
    return this.execute(words);
  }

  /** Runs one command given as words (one-shot mode: the shell already split them). */
  async execute(words: readonly string[]): Promise<Outcome> {
    let outcome: Outcome;
    try {
      outcome = await this.dispatch(words);
    } catch (err) {
      return this.fail(err);
    }
    if (this.opts.json && outcome.kind === "done") this.opts.output.stdout(`${JSON.stringify(outcome.result)}\n`);
    return outcome;
  }

  remember(line: string): void {
    if (this.history.length >= SESSION_HISTORY_MAX) this.history.shift();
    this.history.push(line);
  }

  private async dispatch(words: readonly string[]): Promise<Outcome> {
    const [name, ...rest] = words;
    const done = (result: unknown): Outcome => ({ kind: "done", result });
    switch (name) {
      case "quit":
      case "exit":
        return { kind: "quit" };
      case "help":
        this.opts.output.stderr(usageText());
        return done({ commands: COMMAND_NAMES });
      case "history":
        return done(this.showHistory());
      case "redo":
        return this.redo(rest);
      case "printwatches":
        return done(this.setPrintWatches(rest[0]));
      case "connect":
        await this.connect(rest[0] ?? this.server);
        return done({ server: this.server });
      case "close":
        await this.close();
        return done({ closed: true });
    }
    const spec = COMMANDS.find((c) => c.name === name);
    if (spec === undefined) {
      if (this.opts.interactive && !this.opts.json) this.opts.output.stderr(usageText());
      throw new UsageError(`Command not found: ${name}`);
    }
    return done(await this.run(spec, rest));
  }

  private async run(spec: CommandSpec, words: readonly string[]): Promise<unknown> {
    const args = parseCommandArgs(spec, words);
    const zk = this.zk;
    const live = zk !== null && zk.state !== "closed" && zk.state !== "expired" && zk.state !== "authFailed";
    if (!live) throw new NotConnectedError("closed", { message: "Not connected" });
    const out = this.opts.output;
    for (const notice of args.notices) out.stderr(`${notice}\n`);
    const ctx: CommandContext = {
      client: () => zk,
      print: (line) => { if (!this.opts.json) out.stdout(`${line}\n`); },
      warn: (line) => out.stderr(`${line}\n`),
      note: (line) => { if (!this.opts.json) out.stderr(`${line}\n`); },
      watcher: (event) => this.printWatchEvent(event),
    };
    return spec.run(ctx, args);
  }

  private printWatchEvent(event: WatchEvent): void {
    // A watch that ends with the session is reported by the session's own state event, as zkCli does.
    if (event.type === "SessionExpired" || event.type === "Closed") return;
    if (this.opts.interactive && this.printWatches) this.opts.output.event(watchEventBlock(event));
  }

  private showHistory(): { history: { index: number; command: string }[] } {
    // The `history` line itself is already recorded, so the newest entry shown is the command itself.
    const last = this.history.length - 1;
    const shown: { index: number; command: string }[] = [];
    for (let i = Math.max(0, last - HISTORY_SHOWN + 1); i <= last; i++) shown.push({ index: i, command: this.history[i] });
    if (!this.opts.json) for (const h of shown) this.opts.output.stdout(`${h.index} - ${h.command}\n`);
    return { history: shown };
  }

  private async redo(rest: readonly string[]): Promise<Outcome> {
    if (rest[0] === undefined) throw new UsageError("redo cmdno");
    const index = intOption(rest[0], "cmdno");
    // The redo itself is the newest entry; it may not redo itself or anything later.
    const current = this.history.length - 1;
    if (index < 0 || index >= current) throw new UsageError("Command index out of range");
    const line = this.history[index];
    const words = splitCommandLine(line);
    if (words[0] === "redo") throw new UsageError("No redoing redos");
    this.history[current] = line;
    return this.dispatch(words);
  }

  private setPrintWatches(value: string | undefined): { printwatches: boolean } {
    if (value === undefined) {
      if (!this.opts.json) this.opts.output.stdout(`printwatches is ${this.printWatches ? "on" : "off"}\n`);
    } else {
      this.printWatches = value === "on";
    }
    return { printwatches: this.printWatches };
  }

  /** Turns a thrown error into zkCli's one line on stderr (a JSON object with --json) and an exit code. */
  private fail(err: unknown): Outcome {
    const { exitCode, message, code } = describeFailure(err);
    const text = this.opts.json ? JSON.stringify({ error: { message, ...(code !== undefined ? { code } : {}) } }) : message;
    this.opts.output.stderr(`${text}\n`);
    return { kind: "failed", exitCode, message };
  }
}

function describeFailure(err: unknown): { exitCode: ExitCodeValue; message: string; code?: number } {
  if (err instanceof UsageError) return { exitCode: ExitCode.usage, message: err.message };
  if (err instanceof CommandFailure) return { exitCode: ExitCode.failed, message: err.message };
  if (err instanceof NotConnectedError) {
    return { exitCode: ExitCode.unavailable, message: err.reason === "closed" ? "Not connected" : err.message, code: err.code };
  }
  if (err instanceof ZooKeeperError) {
    // The client's own path check (e.g. a path outside the BMP) reads like the server's BadArguments.
    return { exitCode: ExitCode.failed, message: keeperErrorMessage(err, err.path), code: err.code };
  }
  // Anything else (a broken frame, a bug) is still one line: the shell must outlive it.
  return { exitCode: ExitCode.failed, message: err instanceof Error ? err.message : String(err) };
}
