// Java `.properties` reader for zoo.cfg.
//
// zoo.cfg is read by ZooKeeper with java.util.Properties, so a file that works there must mean the same thing here.
// The rules it follows:
//   - Line ends are \n, \r or \r\n. A logical line may run over several physical lines: a line that ends with an odd
//     number of backslashes continues on the next one, whose leading whitespace is dropped. A whitespace-only line
//     ends a continuation.
//   - A logical line whose first non-whitespace character is `#` or `!` is a comment; a blank line is skipped. The
//     text after a continuation is never a comment, even if it starts with `#`.
//   - The key ends at the first unescaped `=`, `:` or whitespace (space, tab, form feed). Whitespace after the key
//     is skipped, then at most one `=` or `:`, then whitespace again; the rest is the value. `key` alone means "".
//   - Escapes in keys and values: \t \n \r \f, \uXXXX (exactly four hex digits), and `\x` meaning `x` for any
//     other character (so `\=`, `\:`, `\ `, `\#`, `\\`). A lone backslash at the very end of the text is dropped.
//   - The same key twice: the later one wins (parseProperties); parsePropertyEntries keeps every occurrence.
// ZooKeeper then trims each value (String.trim: every character <= U+0020 at either end, after unescaping); we do
// the same here because this reader exists for zoo.cfg. Keys are not trimmed.
//
// One deliberate difference: Properties.load(InputStream) decodes the file as ISO-8859-1; we take a JS string and
// the caller decides the encoding (loadServerConfig uses UTF-8, so non-ASCII paths survive).

/** One `key=value` pair, with the 1-based physical line its logical line starts on (for error messages). */
export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** The text is not a valid properties file (only a malformed `\uXXXX` escape can cause this). */
export class PropertiesSyntaxError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "PropertiesSyntaxError";
  }
}

/** Upper bound on logical lines, so a hostile or corrupt input cannot make us build an unbounded list. */
export const PROPERTY_LINES_MAX = 100_000;

/** Every property in file order, duplicates included. */
export function parsePropertyEntries(text: string): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  for (const logical of readLogicalLines(text)) {
    if (entries.length >= PROPERTY_LINES_MAX) {
      throw new PropertiesSyntaxError(logical.line, `more than ${PROPERTY_LINES_MAX} properties`);
    }
    entries.push(splitKeyValue(logical.text, logical.line));
  }
  return entries;
}

/** Key -> value, later duplicates winning, in order of each key's first appearance. */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const entry of parsePropertyEntries(text)) properties.set(entry.key, entry.value);
  return properties;
}

interface LogicalLine {
  /** Raw text (escapes not yet converted), continuations joined, leading whitespace removed. */
  readonly text: string;
  readonly line: number;
}

function isPropertiesWhitespace(char: string): boolean {
  return char === " " || char === "\t" || char === "\f";
}

/** Splits on \r\n, \r or \n. */
function physicalLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function stripLeadingWhitespace(text: string): string {
  let start = 0;
  while (start < text.length && isPropertiesWhitespace(text[start]!)) start++;
  return text.slice(start);
}

/** A line continues onto the next one when it ends with an odd number of backslashes. */
function endsWithContinuation(text: string): boolean {
  let backslashes = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}

function* readLogicalLines(text: string): Generator<LogicalLine> {
  const lines = physicalLines(text);
  let index = 0;
  while (index < lines.length) {
    const startLine = index + 1;
    let body = stripLeadingWhitespace(lines[index++]!);
    if (body === "" || body.startsWith("#") || body.startsWith("!")) continue;
    while (endsWithContinuation(body)) {
      body = body.slice(0, -1);
      if (index >= lines.length) break; // a backslash at the end of the text is dropped
      body += stripLeadingWhitespace(lines[index++]!);
    }
    yield { text: body, line: startLine };
  }
}

function splitKeyValue(text: string, line: number): PropertyEntry {
  const keyEnd = findKeyEnd(text);
  let valueStart = keyEnd;
  let sawSeparator = false;
  while (valueStart < text.length) {
    const char = text[valueStart]!;
    if (isPropertiesWhitespace(char)) {
      valueStart++;
    } else if (!sawSeparator && (char === "=" || char === ":")) {
      sawSeparator = true;
      valueStart++;
    } else {
      break;
    }
  }
  const key = unescape(text.slice(0, keyEnd), line);
  const value = trimLikeJava(unescape(text.slice(valueStart), line));
  return { key, value, line };
}

/** Index of the first unescaped `=`, `:` or whitespace, or the text's length. */
function findKeyEnd(text: string): number {
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (escaped) {
      escaped = false;
    } else if (char === "\\") {
      escaped = true;
    } else if (char === "=" || char === ":" || isPropertiesWhitespace(char)) {
      return i;
    }
  }
  return text.length;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: "\t", n: "\n", r: "\r", f: "\f" };

function unescape(raw: string, line: number): string {
  if (!raw.includes("\\")) return raw;
  let out = "";
  let i = 0;
  while (i < raw.length) {
    const char = raw[i++]!;
    if (char !== "\\") {
      out += char;
      continue;
    }
    if (i >= raw.length) break; // only reachable for a backslash at the very end of the text
    const escaped = raw[i++]!;
    if (escaped === "u") {
      out += decodeUnicodeEscape(raw.slice(i, i + 4), line);
      i += 4;
    } else {
      out += SIMPLE_ESCAPES[escaped] ?? escaped;
    }
  }
  return out;
}

function decodeUnicodeEscape(hex: string, line: number): string {
  if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
    throw new PropertiesSyntaxError(line, `malformed \\uXXXX escape "\\u${hex}" (expected four hex digits)`);
  }
  return String.fromCharCode(Number.parseInt(hex, 16));
}

/** Java's String.trim(): drops every character <= U+0020 at both ends (JS trim() would also drop U+00A0 etc.). */
export function trimLikeJava(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}
