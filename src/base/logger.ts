/**
 * Herd's leveled logger. One event is one line: readable text for a person at a terminal, one JSON object per
 * line for log shippers (`{ts, level, logger, msg, ...fields}`). The server takes a Logger so tests can silence
 * or record it. `createLogger({format: "auto"})` picks text on a TTY and JSON otherwise.
 */

/** Extra structured context for one event, e.g. `{ sessionId: "0x1", path: "/a" }`. */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof levels;
type EventLevel = Exclude<LogLevel, "silent">;

export const LOG_LEVELS: readonly LogLevel[] = Object.keys(levels) as LogLevel[];

export function isLogLevel(value: string): value is LogLevel {
  return Object.prototype.hasOwnProperty.call(levels, value);
}

export type LogFormat = "json" | "text" | "auto";

/** Where lines go: process.stderr, or anything with a write method (tests pass a recorder). */
export interface LogSink {
  write(line: string): unknown;
  readonly isTTY?: boolean;
}

/** The JSON keys every event carries; a field with one of these names is written as `field.<name>`. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["ts", "level", "logger", "msg"]);

type Formatter = (nowMs: number, level: EventLevel, name: string, msg: string, fields: LogFields | undefined) => string;

function leveledLogger(level: LogLevel, name: string, sink: LogSink, format: Formatter, clock: () => number): Logger {
  const min = levels[level];
  const emit = (lvl: EventLevel, msg: string, fields?: LogFields) => {
    if (levels[lvl] < min) return;
    sink.write(format(clock(), lvl, name, msg, fields));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

// ---------------------------------------------------------------- text

/** `2026-11-30T21:15:18.123Z INFO  [herd] message key=value other="two words"` */
export function consoleLogger(level: LogLevel = "info", name = "herd", sink: LogSink = process.stderr, clock = Date.now): Logger {
  return leveledLogger(level, name, sink, formatText, clock);
}

function formatText(nowMs: number, level: EventLevel, name: string, msg: string, fields: LogFields | undefined): string {
  let line = `${new Date(nowMs).toISOString()} ${level.toUpperCase().padEnd(5)} [${name}] ${msg}`;
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) line += ` ${key}=${textValue(fields[key])}`;
  }
  return line + "\n";
}

/** Bare when unambiguous, JSON-quoted when it has spaces, quotes, `=` or is empty, so lines stay splittable. */
function textValue(value: unknown): string {
  const plain = value !== null && typeof value === "object" ? JSON.stringify(toJsonValue(value)) : String(value);
  return plain === "" || /[\s"=\\]/.test(plain) ? JSON.stringify(plain) : plain;
}

// ---------------------------------------------------------------- JSON

/** One JSON object per line: `{"ts":"…","level":"info","logger":"herd","msg":"…",…fields}`. */
export function jsonLogger(level: LogLevel = "info", name = "herd", sink: LogSink = process.stderr, clock = Date.now): Logger {
  return leveledLogger(level, name, sink, formatJson, clock);
}

function formatJson(nowMs: number, level: EventLevel, name: string, msg: string, fields: LogFields | undefined): string {
  const event: Record<string, unknown> = { ts: new Date(nowMs).toISOString(), level, logger: name, msg };
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) event[RESERVED_KEYS.has(key) ? `field.${key}` : key] = toJsonValue(fields[key]);
  }
  return JSON.stringify(event) + "\n";
}

/** Fields nest at most this deep; deeper (or cyclic) values are cut, so a log call can never loop or explode. */
const FIELD_DEPTH_MAX = 8;

/** What JSON.stringify cannot take on its own: bigint (zxids, session ids) as decimal strings, Errors as objects. */
function toJsonValue(value: unknown, depth = 0): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (depth >= FIELD_DEPTH_MAX) return "[too deep]";
  const inner = (v: unknown) => toJsonValue(v, depth + 1);
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map(inner);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), inner(v)]));
  if (value instanceof Set) return [...value].map(inner);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inner(v)]));
}

// ---------------------------------------------------------------- choice

export interface LoggerOptions {
  /** "auto" (default): text when the sink is a terminal, JSON otherwise (files, pipes, journald, containers). */
  format?: LogFormat;
  level?: LogLevel;
  name?: string;
  sink?: LogSink;
  clock?: () => number;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const sink = opts.sink ?? process.stderr;
  const format = opts.format ?? "auto";
  const useJson = format === "json" || (format === "auto" && sink.isTTY !== true);
  const make = useJson ? jsonLogger : consoleLogger;
  return make(opts.level ?? "info", opts.name ?? "herd", sink, opts.clock ?? Date.now);
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
