/**
 * The interactive shell of `herd cli`: a node:readline loop over a CliSession with zkCli's prompt
 * (`[zk: host:port(CONNECTED) 3] `), tab completion of command names and znode paths (asking the server
 * for children), and a bounded history persisted to ~/.herd_cli_history. Works on a terminal and on pipes
 * (then the prompt is still printed, so a driver can wait for it, and there is no line editing).
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { ZooKeeperClient } from "../client/index.js";
import { COMMAND_NAMES, type CliSession } from "./session.js";

export const HISTORY_FILE_NAME = ".herd_cli_history";
/** Lines kept in the history file: older ones are dropped when a new one is added. */
export const HISTORY_FILE_LINES_MAX = 1000;
/** Tab completion gives up on the server after this long rather than freeze the line. */
const COMPLETION_TIMEOUT_MS = 2000;
/** Completion lists at most this many paths. */
const COMPLETIONS_MAX = 1000;

export interface ShellIo {
  input: Readable;
  output: Writable;
  terminal: boolean;
  /** Where history is persisted; null = not persisted. */
  historyFile: string | null;
}

export function defaultHistoryFile(): string {
  return path.join(os.homedir(), HISTORY_FILE_NAME);
}

/** Reads the interactive loop until `quit` or end of input; resolves with the exit code. */
export async function runShell(session: CliSession, io: ShellIo, shellState: ShellState): Promise<number> {
  const history = new PersistentHistory(io.historyFile);
  const rl = readline.createInterface({
    input: io.input,
    output: io.output,
    terminal: io.terminal,
    prompt: session.prompt(),
    historySize: HISTORY_FILE_LINES_MAX,
    history: history.newestFirst(),
    removeHistoryDuplicates: false,
    completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
      completeLine(line, session.client).then((r) => callback(null, r), () => callback(null, [[], line]));
    },
  });
  shellState.attach(rl, session);
  rl.prompt();
  try {
    for await (const line of rl) {
      shellState.busy = true;
      if (line.trim() !== "") history.add(line);
      const outcome = await session.executeLine(line);
      shellState.busy = false;
      if (outcome.kind === "quit") break;
      rl.setPrompt(session.prompt());
      rl.prompt();
    }
  } finally {
    shellState.detach();
    rl.close();
    await session.close();
  }
  return 0;
}

/**
 * Lets session events (connected, watch fired) be printed between commands without garbling the line
 * being typed: the event is written, then the prompt is drawn again.
 */
export class ShellState {
  busy = false;
  private rl: readline.Interface | null = null;
  private session: CliSession | null = null;

  constructor(private readonly output: Writable) {}

  attach(rl: readline.Interface, session: CliSession): void {
    this.rl = rl;
    this.session = session;
  }

  detach(): void {
    this.rl = null;
  }

  printEvent(text: string): void {
    const rl = this.rl;
    if (rl === null || this.busy || this.session === null) {
      this.output.write(text);
      return;
    }
    this.output.write(text);
    rl.setPrompt(this.session.prompt());
    rl.prompt(true);
  }
}

/**
 * Completes the word under the cursor: the first word against command names, a word starting with "/"
 * against the children of its parent znode.
 */
export async function completeLine(line: string, zk: ZooKeeperClient | null): Promise<[string[], string]> {
  const word = line.slice(line.lastIndexOf(" ") + 1);
  if (!line.includes(" ")) return [COMMAND_NAMES.filter((c) => c.startsWith(word)), word];
  if (!word.startsWith("/") || zk === null || (zk.state !== "connected" && zk.state !== "readOnly")) return [[], word];
  const slash = word.lastIndexOf("/");
  const parent = slash === 0 ? "/" : word.slice(0, slash);
  const prefix = word.slice(slash + 1);
  const children = await withTimeout(zk.getChildren(parent), COMPLETION_TIMEOUT_MS);
  const base = parent === "/" ? "/" : `${parent}/`;
  const matches = children.filter((c) => c.startsWith(prefix)).sort().slice(0, COMPLETIONS_MAX).map((c) => base + c);
  return [matches, word];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("completion timed out")), ms);
    promise.then(
      (v) => { clearTimeout(timer); resolve(v); },
      (e: unknown) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e))); },
    );
  });
}

/** The history file: one command per line, oldest first, at most HISTORY_FILE_LINES_MAX lines. */
export class PersistentHistory {
  private readonly lines: string[];
  private writeFailed = false;

  constructor(private readonly file: string | null) {
    this.lines = file === null ? [] : readHistoryFile(file);
  }

  /** readline wants the newest entry first. */
  newestFirst(): string[] {
    return [...this.lines].reverse();
  }

  add(line: string): void {
    if (this.file === null || line.includes("\n")) return;
    this.lines.push(line);
    if (this.lines.length > HISTORY_FILE_LINES_MAX) this.lines.splice(0, this.lines.length - HISTORY_FILE_LINES_MAX);
    if (this.writeFailed) return;
    try {
      writeFileSync(this.file, `${this.lines.join("\n")}\n`, { mode: 0o600 });
    } catch (err) {
      // History is a convenience: say so once and keep the shell going.
      this.writeFailed = true;
      process.stderr.write(`herd cli: cannot write history to ${this.file}: ${(err as Error).message}\n`);
    }
  }
}

function readHistoryFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim() !== "").slice(-HISTORY_FILE_LINES_MAX);
}
