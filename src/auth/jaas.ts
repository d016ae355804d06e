/**
 * Reads a JAAS login configuration file (the `-Djava.security.auth.login.config` file ZooKeeper deployments
 * carry) and extracts the DIGEST-MD5 users of its "Server" section, as ZooKeeper's server does: every option
 * named `user_<name>` in any login module of the section is user <name> with that password.
 *
 *   Server {
 *     org.apache.zookeeper.server.auth.DigestLoginModule required
 *       user_super="adminsecret"
 *       user_bob="bobsecret";
 *   };
 *   Client { org.apache.zookeeper.server.auth.DigestLoginModule required username="bob" password="bobsecret"; };
 *
 * Grammar (the JDK's ConfigFile): `Name { ModuleClass Flag key=value … ; … };`, several sections, several
 * modules per section, flag one of required/requisite/sufficient/optional (any case). Tokens follow
 * java.io.StreamTokenizer as the JDK configures it: `//`, `/* … *\/` and lone-`/` line comments; strings in
 * double quotes with backslash escapes, ending at the closing quote or the end of the line (the JDK tokenizes
 * single-quoted strings too but then accepts them nowhere, so they are an error here as well); bare
 * words of letters, digits and `. - _ $ *` that do not start with a digit, `.` or `-` (the JDK reads those as
 * numbers and rejects them). `${property}` references are kept literally: we have no Java system properties.
 */

export type JaasControlFlag = "required" | "requisite" | "sufficient" | "optional";

export interface JaasLoginModule {
  loginModule: string;
  flag: JaasControlFlag;
  /** Option key → value; a repeated key keeps the last value, as the JDK's HashMap does. */
  options: Map<string, string>;
}

/** Section (application) name → its login modules, in file order. */
export type JaasConfig = Map<string, JaasLoginModule[]>;

/** ZooKeeper's server reads this section unless zookeeper.sasl.serverconfig names another. */
export const JAAS_SERVER_SECTION = "Server";
/** ZooKeeper's clients read this section unless zookeeper.sasl.clientconfig names another. */
export const JAAS_CLIENT_SECTION = "Client";
/** Options with this prefix are DIGEST-MD5 users. */
const DIGEST_USER_PREFIX = "user_";
/** A JAAS file is a few lines; anything this large is a mistake, refused before tokenizing. */
export const JAAS_FILE_CHARS_MAX = 1 << 20;

export class JaasSyntaxError extends Error {
  constructor(readonly line: number, detail: string) {
    super(`JAAS configuration line ${line}: ${detail}`);
    this.name = "JaasSyntaxError";
  }
}

const CONTROL_FLAGS: readonly JaasControlFlag[] = ["required", "requisite", "sufficient", "optional"];

/** Parses a whole JAAS configuration; throws JaasSyntaxError naming the line of the first problem. */
export function parseJaas(text: string): JaasConfig {
  if (text.length > JAAS_FILE_CHARS_MAX) {
    throw new JaasSyntaxError(1, `file has ${text.length} characters; the limit is ${JAAS_FILE_CHARS_MAX}`);
  }
  const tokens = new Tokens(tokenize(text));
  const config: JaasConfig = new Map();
  while (!tokens.atEnd()) {
    const name = tokens.text("section name");
    if (config.has(name)) throw new JaasSyntaxError(tokens.line, `section ${name} appears twice`);
    tokens.punct("{");
    const modules: JaasLoginModule[] = [];
    while (!tokens.peekPunct("}")) modules.push(parseModule(tokens));
    tokens.punct("}");
    tokens.punct(";");
    config.set(name, modules);
  }
  return config;
}

function parseModule(tokens: Tokens): JaasLoginModule {
  const loginModule = tokens.text("login module class name");
  const flagText = tokens.text("control flag");
  const flag = CONTROL_FLAGS.find((f) => f === flagText.toLowerCase());
  if (flag === undefined) throw new JaasSyntaxError(tokens.line, `invalid control flag ${flagText}`);
  const options = new Map<string, string>();
  while (!tokens.peekPunct(";")) {
    const key = tokens.text("option key");
    tokens.punct("=");
    options.set(key, tokens.text("option value"));
  }
  tokens.punct(";");
  return { loginModule, flag, options };
}

/** DIGEST-MD5 user → password from every login module of `section` (default "Server"); empty if absent. */
export function digestUsers(jaas: JaasConfig, section = JAAS_SERVER_SECTION): Map<string, string> {
  const users = new Map<string, string>();
  for (const module of jaas.get(section) ?? []) {
    for (const [key, value] of module.options) {
      if (key.startsWith(DIGEST_USER_PREFIX)) users.set(key.slice(DIGEST_USER_PREFIX.length), value);
    }
  }
  return users;
}

// ------------------------------------------------------------ tokens

type Token =
  | { kind: "text"; value: string; line: number }
  | { kind: "punct"; value: string; line: number };

class Tokens {
  private index = 0;
  constructor(private readonly list: Token[]) {}

  /** Line of the next token (or of the last one at the end), for error messages. */
  get line(): number {
    return (this.list[this.index] ?? this.list[this.list.length - 1])?.line ?? 1;
  }

  atEnd(): boolean {
    return this.index >= this.list.length;
  }

  peekPunct(value: string): boolean {
    const t = this.list[this.index];
    return t !== undefined && t.kind === "punct" && t.value === value;
  }

  /** A bare word or quoted string. */
  text(what: string): string {
    const t = this.list[this.index];
    if (t === undefined) throw new JaasSyntaxError(this.line, `expected ${what}, found end of file`);
    if (t.kind !== "text") throw new JaasSyntaxError(t.line, `expected ${what}, found '${t.value}'`);
    this.index++;
    return t.value;
  }

  punct(value: string): void {
    const t = this.list[this.index];
    if (t === undefined) throw new JaasSyntaxError(this.line, `expected '${value}', found end of file`);
    if (t.kind !== "punct" || t.value !== value) {
      throw new JaasSyntaxError(t.line, `expected '${value}', found ${t.kind === "text" ? JSON.stringify(t.value) : `'${t.value}'`}`);
    }
    this.index++;
  }
}

const isWordStart = (c: string) => /[A-Za-z$_*]/.test(c) || c.charCodeAt(0) >= 0xa0;
const isWordPart = (c: string) => isWordStart(c) || /[0-9.\-]/.test(c);
const isNumberStart = (c: string) => /[0-9.\-]/.test(c);

/** Splits the text into words, quoted strings and single-character punctuation, dropping comments. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c.charCodeAt(0) <= 0x20) {
      i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new JaasSyntaxError(line, "unterminated /* comment");
      line += countNewlines(text, i, end);
      i = end + 2;
    } else if (c === "/") {
      // `//` and, as in StreamTokenizer, a lone `/`: both comment out the rest of the line.
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "'") {
      throw new JaasSyntaxError(line, "single-quoted strings are not accepted: use double quotes");
    } else if (c === '"') {
      const [value, next] = readQuoted(text, i + 1, c);
      tokens.push({ kind: "text", value, line });
      i = next;
    } else if (isWordStart(c)) {
      const start = i;
      while (i < text.length && isWordPart(text[i])) i++;
      tokens.push({ kind: "text", value: text.slice(start, i), line });
    } else if (isNumberStart(c)) {
      throw new JaasSyntaxError(line, `unquoted value starting with '${c}': quote it`);
    } else {
      tokens.push({ kind: "punct", value: c, line });
      i++;
    }
  }
  return tokens;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (text[i] === "\n") n++;
  return n;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** A quoted string from just after its opening quote; ends at the matching quote or the end of the line. */
function readQuoted(text: string, start: number, quote: string): [string, number] {
  let out = "";
  let i = start;
  while (i < text.length && text[i] !== quote && text[i] !== "\n" && text[i] !== "\r") {
    if (text[i] !== "\\" || i + 1 >= text.length) {
      out += text[i++];
      continue;
    }
    const [ch, next] = readEscape(text, i + 1);
    out += ch;
    i = next;
  }
  return [out, text[i] === quote ? i + 1 : i];
}

/** The character a backslash escape stands for: \n-style letters, 1–3 octal digits, or the character itself. */
function readEscape(text: string, at: number): [string, number] {
  const c = text[at];
  if (c in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[c], at + 1];
  const octal = /^[0-7]{1,3}/.exec(text.slice(at, at + 3));
  if (octal !== null) {
    // StreamTokenizer allows a third octal digit only when the first is 0-3 (the value stays below 256).
    const digits = octal[0].length === 3 && octal[0][0] > "3" ? octal[0].slice(0, 2) : octal[0];
    return [String.fromCharCode(Number.parseInt(digits, 8)), at + digits.length];
  }
  return [c, at + 1];
}
