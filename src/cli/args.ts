/**
 * Parsing for the shell: splitting a command line into words the way zkCli.sh does (whitespace-separated,
 * '…' and "…" keep spaces and lose their quotes), options in any position, zkCli's path checks and its
 * `scheme:id:perms` ACL syntax. Everything here is pure and synchronous.
 */
import type { ACL } from "../client/index.js";

/** A usage problem: printed as is, with no stack, and exit code 64 in one-shot mode. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A command that ran and could not do its job for a reason that is not a server error code (e.g. "quota for
 * /x does not exist."): printed as is on stderr, exit code 1 in one-shot mode.
 */
export class CommandFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandFailure";
  }
}

/**
 * zkCli parses options with Apache commons-cli and prints its exceptions whole (class name first), so the
 * option errors read the same here.
 */
const COMMONS_CLI = "org.apache.commons.cli";

export function unrecognizedOption(word: string): UsageError {
  return new UsageError(`${COMMONS_CLI}.UnrecognizedOptionException: Unrecognized option: ${word}`);
}

export function missingArgument(option: string): UsageError {
  return new UsageError(`${COMMONS_CLI}.MissingArgumentException: Missing argument for option: ${option}`);
}

export function alreadySelected(option: string, selected: string): UsageError {
  return new UsageError(`${COMMONS_CLI}.AlreadySelectedException: The option '${option}' was specified but an option ` +
    `from this group has already been selected: '${selected}'`);
}

export function missingOption(descriptions: readonly string[]): UsageError {
  return new UsageError(`${COMMONS_CLI}.MissingOptionException: Missing required option: [${descriptions.join(", ")}]`);
}

/** Longest command line the shell accepts; a bound, not a feature. */
export const COMMAND_LINE_CHARS_MAX = 1024 * 1024;

/** Words of a command line: a word starts with a non-quote and runs to whitespace, or is a quoted string. */
export function splitCommandLine(line: string): string[] {
  if (line.length > COMMAND_LINE_CHARS_MAX) throw new UsageError(`command line longer than ${COMMAND_LINE_CHARS_MAX} characters`);
  const words: string[] = [];
  const word = /([^"'\s]\S*|"[^"]*"|'[^']*')\s*/y;
  const text = line.trim();
  let at = 0;
  while (at < text.length) {
    word.lastIndex = at;
    const m = word.exec(text);
    if (m === null) {
      // An unterminated quote: the rest is one word, as typed.
      words.push(text.slice(at));
      break;
    }
    words.push(unquote(m[1]));
    at = word.lastIndex;
  }
  return words;
}

function unquote(word: string): string {
  const m = /^(['"])([\s\S]*)\1$/.exec(word);
  return m === null ? word : m[2];
}

export interface OptionSpec {
  /** Single-letter switches without a value, e.g. "swR". */
  flags: string;
  /** Single-letter options that take the next word as value, e.g. "v". */
  valued: string;
  /** Letters of which at most one may be given (a commons-cli OptionGroup), e.g. "nbNB" for setquota. */
  exclusive?: string;
}

export interface ParsedArgs {
  /** Positional words, the command name excluded. */
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

/**
 * Options may appear anywhere (as commons-cli parses them for zkCli): `removewatches /w -a` works. A word
 * is an option when it is `-` followed by a letter or `?`; `-1` stays a positional value. `--` ends options.
 * A valued option takes the next word unless that word is one of the command's own options.
 */
export function parseOptions(words: readonly string[], spec: OptionSpec): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], flags: new Set(), values: new Map() };
  let optionsDone = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!optionsDone && word === "--") {
      optionsDone = true;
      continue;
    }
    if (optionsDone || !/^-[A-Za-z?]/.test(word)) {
      parsed.positional.push(word);
      continue;
    }
    const letter = word.slice(1, 2);
    if (spec.valued.includes(letter)) {
      const value = word.length > 2 ? word.slice(2) : words[i + 1];
      if (value === undefined || (word.length === 2 && isOwnOption(value, spec))) throw missingArgument(letter);
      if (word.length === 2) i++;
      selectInGroup(parsed, letter, spec);
      parsed.values.set(letter, value);
    } else if (spec.flags.includes(letter) && word.length === 2) {
      selectInGroup(parsed, letter, spec);
      parsed.flags.add(letter);
    } else {
      throw unrecognizedOption(word);
    }
  }
  return parsed;
}

function isOwnOption(word: string, spec: OptionSpec): boolean {
  return word.length === 2 && word[0] === "-" && (spec.flags.includes(word[1]) || spec.valued.includes(word[1]));
}

/** The group letter already given, if any. */
export function selectedInGroup(parsed: ParsedArgs, spec: OptionSpec): string | undefined {
  const group = spec.exclusive ?? "";
  return [...group].find((l) => parsed.flags.has(l) || parsed.values.has(l));
}

function selectInGroup(parsed: ParsedArgs, letter: string, spec: OptionSpec): void {
  if (!(spec.exclusive ?? "").includes(letter)) return;
  const selected = selectedInGroup(parsed, spec);
  if (selected !== undefined && selected !== letter) throw alreadySelected(letter, selected);
}

/** An int option value (a version, a batch size), refused unless it is a plain decimal int32. */
export function intOption(value: string, what: string): number {
  const n = /^-?\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new UsageError(`${what} must be an int value: ${value}`);
  return n;
}

/**
 * zkCli's path checks with its messages. A sequential create may end in "/" (the server appends the
 * counter), so `sequential` skips that one check.
 */
export function checkPath(path: string, sequential = false): void {
  if (path.length === 0) throw new UsageError("Path length must be > 0");
  if (path[0] !== "/") throw new UsageError("Path must start with / character");
  if (path.length === 1) return;
  if (path.endsWith("/") && !sequential) throw new UsageError("Path must not end with / character");
  const reason = pathProblem(sequential && path.endsWith("/") ? `${path}x` : path);
  if (reason !== null) throw new UsageError(`Invalid path string "${path}" caused by ${reason}`);
}

function pathProblem(path: string): string | null {
  let last = "/";
  for (let i = 1; i < path.length; last = path[i], i++) {
    const c = path[i];
    const code = c.charCodeAt(0);
    const segmentEnds = i + 1 === path.length || path[i + 1] === "/";
    if (code === 0) return `null character not allowed @${i}`;
    if (c === "/" && last === "/") return `empty node name specified @${i}`;
    if (c === "." && last === "." && path[i - 2] === "/" && segmentEnds) return `relative paths not allowed @${i}`;
    if (c === "." && last === "/" && segmentEnds) return `relative paths not allowed @${i}`;
    if ((code > 0 && code <= 0x1f) || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xf8ff) || code >= 0xfff0) {
      return `invalid character @${i}`;
    }
  }
  return null;
}

const permBits: Readonly<Record<string, number>> = { r: 1, w: 2, c: 4, d: 8, a: 16 };

export interface ParsedAcl {
  acl: ACL[];
  /** Warnings zkCli prints on stderr for entries it skips or letters it ignores. */
  warnings: string[];
}

/** `scheme:id:perms[,scheme:id:perms…]`; the id is everything between the first and the last colon. */
export function parseAcl(text: string): ParsedAcl {
  const acl: ACL[] = [];
  const warnings: string[] = [];
  for (const entry of text.split(",")) {
    const first = entry.indexOf(":");
    const last = entry.lastIndexOf(":");
    if (first === -1 || first === last) {
      warnings.push(`${entry} does not have the form scheme:id:perm`);
      continue;
    }
    let perms = 0;
    for (const letter of entry.slice(last + 1)) {
      const bit = permBits[letter];
      if (bit === undefined) warnings.push(`Unknown perm type: ${letter}`);
      else perms |= bit;
    }
    acl.push({ perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } });
  }
  return { acl, warnings };
}
