/** A tiny leveled logger writing one line per event to stderr; the server takes one so tests can silence it. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof levels;

export function consoleLogger(level: LogLevel = "info", name = "herd"): Logger {
  const min = levels[level];
  const emit = (lvl: Exclude<LogLevel, "silent">, msg: string) => {
    if (levels[lvl] < min) return;
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase()} [${name}] ${msg}\n`);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
