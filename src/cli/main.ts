/**
 * `herd cli [-server host:port] [-timeout ms] [--json] [command args…]`: with a command, runs it once and
 * exits (0, or the failure's exit code with one line on stderr); without, starts the interactive shell.
 */
import { UsageError } from "./args.js";
import { CliSession, ExitCode } from "./session.js";
import { ShellState, defaultHistoryFile, runShell } from "./shell.js";

export const CLI_USAGE = `usage: herd cli [-server host:port] [-timeout ms] [--json] [command [args...]]
  Without a command: an interactive shell with zkCli.sh's commands (type help).
  With a command: runs it once and exits; --json prints the result as one JSON object.`;

const DEFAULT_SERVER = "127.0.0.1:2181";
const DEFAULT_TIMEOUT_MS = 30_000;

export interface CliArgs {
  server: string;
  timeoutMs: number;
  json: boolean;
  help: boolean;
  /** The one-shot command, or empty for the shell. */
  command: string[];
}

/** Options come before the command; everything from the first other word on is the command. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { server: DEFAULT_SERVER, timeoutMs: DEFAULT_TIMEOUT_MS, json: false, help: false, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === "-server" || name === "--server") args.server = value();
    else if (name === "-timeout" || name === "--timeout") args.timeoutMs = positiveInt(value(), name);
    else if (name === "--json" || name === "-json") args.json = true;
    else if (name === "-h" || name === "--help") args.help = true;
    else {
      args.command = argv.slice(i);
      break;
    }
  }
  return args;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer, not ${text}`);
  return n;
}

/** Entry point of `herd cli`; resolves with the process exit code. */
export async function cliMain(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`herd cli: ${err.message}\n${CLI_USAGE}\n`);
    return ExitCode.usage;
  }
  if (args.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return ExitCode.ok;
  }
  return args.command.length > 0 ? runOnce(args) : runInteractive(args);
}

/** Where one-shot mode writes; the process's streams, or a test's buffers. */
export interface TextSink {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processSink: TextSink = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** One-shot mode: connect, run `args.command`, close; resolves with the exit code. */
export async function runOnce(args: CliArgs, sink: TextSink = processSink): Promise<number> {
  const session = new CliSession({
    server: args.server,
    sessionTimeoutMs: args.timeoutMs,
    json: args.json,
    interactive: false,
    output: { ...sink, event: () => {} },
  });
  try {
    await session.connect();
    try {
      await session.client?.whenConnected(args.timeoutMs);
    } catch (err) {
      sink.stderr(`herd cli: cannot connect to ${args.server}: ${(err as Error).message}\n`);
      return ExitCode.unavailable;
    }
    const outcome = await session.execute(args.command);
    return outcome.kind === "failed" ? outcome.exitCode : ExitCode.ok;
  } finally {
    await session.close();
  }
}

async function runInteractive(args: CliArgs): Promise<number> {
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const shellState = new ShellState(process.stdout);
  const session = new CliSession({
    server: args.server,
    sessionTimeoutMs: args.timeoutMs,
    json: args.json,
    interactive: true,
    output: { ...processSink, event: (text) => shellState.printEvent(text) },
  });
  process.stdout.write(`Connecting to ${args.server}\n`);
  await session.connect();
  process.stdout.write("Welcome to Herd!\n");
  return runShell(session, {
    input: process.stdin,
    output: process.stdout,
    terminal,
    historyFile: defaultHistoryFile(),
  }, shellState);
}
