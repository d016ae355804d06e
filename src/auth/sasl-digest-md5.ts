/**
 * The server side of SASL DIGEST-MD5 (RFC 2831) as ZooKeeper speaks it over op 102 (sasl), for clients whose
 * JAAS "Client" section names a user and password (the Java client, kazoo via pure-sasl, the C client via Cyrus).
 *
 * The exchange, as the Java server and its clients run it:
 *   1. client → empty token;            server → digest-challenge
 *      `realm="zk-sasl-md5",nonce="…",charset=utf-8,algorithm=md5-sess` (no qop directive: only "auth" is offered)
 *   2. client → digest-response;        server verifies it and answers `rspauth=<hex>`; authentication is complete
 *      here: the server adds `sasl:<authorizationId>` to the connection.
 *   3. the client checks rspauth locally and sends nothing more. A token after completion is a protocol error
 *      (the Java server answers AuthFailed and closes), and so is anything after a failure.
 *
 * response-value = HEX(MD5( HEX(H(A1)) ":" nonce ":" nc ":" cnonce ":" qop ":" HEX(H(A2)) )) with
 *   A1 = MD5(user ":" realm ":" password) ":" nonce ":" cnonce [":" authzid]   (the first part as 16 raw bytes)
 *   A2 = "AUTHENTICATE:" digest-uri   for the client's response,   ":" digest-uri   for rspauth.
 * user, realm and password are hashed as ISO-8859-1 when every character fits, else as UTF-8 (RFC 2831 §2.1.2.1).
 *
 * A pure state machine: no I/O, no clock; the nonce source is injectable so tests can replay fixed exchanges.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** ZooKeeper fixes the DIGEST-MD5 "host" to this name; it is the realm and the host part of the digest-uri. */
export const ZK_SASL_DIGEST_REALM = "zk-sasl-md5";
/** The SASL service (protocol) name ZooKeeper uses. */
export const ZK_SASL_PROTOCOL = "zookeeper";
/** A client token longer than this is refused before parsing (RFC 2831 caps a digest-response at 4096 bytes). */
export const DIGEST_RESPONSE_BYTES_MAX = 4096;
/** Raw random bytes in a generated nonce (40 base64 characters, as the Java server makes them). */
const NONCE_RANDOM_BYTES = 30;
/** The server issues one challenge per exchange, so the only valid nonce-count is 1. */
const NONCE_COUNT = 1;
const NONCE_COUNT_HEX = "00000001";

export interface DigestMd5ServerOptions {
  /** The single realm offered; default "zk-sasl-md5". */
  realm?: string;
  /** SASL service name: the digest-uri must be `<protocol>/<serverName>`; default "zookeeper". */
  protocol?: string;
  /** Host part of the expected digest-uri; default "zk-sasl-md5". */
  serverName?: string;
  /** The cleartext password of a user (from the JAAS Server section), or null when the user is unknown. */
  lookupPassword(user: string): string | null;
  /** Nonce source; default 30 random bytes in base64 (injected by tests to replay fixed exchanges). */
  nonce?: () => string;
}

export type DigestMd5Step =
  | { token: Buffer; done: boolean; authorizationId?: string }
  | { error: string };

type State = "initial" | "challenged" | "complete" | "failed";

/** Directives a digest-response may carry; each may appear at most once (auth-param may repeat, ignored). */
const RESPONSE_DIRECTIVES = [
  "username", "realm", "nonce", "cnonce", "nc", "qop", "digest-uri", "response",
  "maxbuf", "charset", "cipher", "authzid",
] as const;
type ResponseDirective = (typeof RESPONSE_DIRECTIVES)[number];
type Directives = Partial<Record<ResponseDirective, Buffer>>;

class DigestError extends Error {}

export class DigestMd5Server {
  private state: State = "initial";
  private readonly realm: string;
  private readonly digestUri: string;
  private nonce: Buffer = Buffer.alloc(0);
  private authorizationId: string | undefined;

  constructor(private readonly options: DigestMd5ServerOptions) {
    this.realm = options.realm ?? ZK_SASL_DIGEST_REALM;
    this.digestUri = `${options.protocol ?? ZK_SASL_PROTOCOL}/${options.serverName ?? ZK_SASL_DIGEST_REALM}`;
  }

  /** True once a client response has been verified. */
  get isComplete(): boolean {
    return this.state === "complete";
  }

  /** The authenticated identity, once complete (ZooKeeper adds it as `sasl:<id>`). */
  get authorizedId(): string | undefined {
    return this.authorizationId;
  }

  /** Feeds one client token (the `token` of a GetSASLRequest); returns the server token or why it failed. */
  step(token: Buffer): DigestMd5Step {
    if (token.length > DIGEST_RESPONSE_BYTES_MAX) {
      return this.fail(`DIGEST-MD5: client token of ${token.length} bytes exceeds ${DIGEST_RESPONSE_BYTES_MAX}`);
    }
    switch (this.state) {
      case "initial":
        // A non-empty first token would be "subsequent authentication", which we, like Java, do not support:
        // the client gets a fresh challenge either way (RFC 2831 §2.2).
        return this.challenge();
      case "challenged":
        try {
          return this.verify(token);
        } catch (e) {
          if (e instanceof DigestError) return this.fail(e.message);
          throw e;
        }
      case "complete":
      case "failed":
        return this.fail("DIGEST-MD5: no more tokens expected in this exchange");
    }
  }

  private fail(error: string): DigestMd5Step {
    this.state = "failed";
    return { error };
  }

  private challenge(): DigestMd5Step {
    const nonce = this.options.nonce?.() ?? randomBytes(NONCE_RANDOM_BYTES).toString("base64");
    this.nonce = Buffer.from(nonce, "utf8");
    this.state = "challenged";
    const text = `realm="${quote(this.realm)}",nonce="${quote(nonce)}",charset=utf-8,algorithm=md5-sess`;
    return { token: Buffer.from(text, "utf8"), done: false };
  }

  /** Checks a digest-response in the order the Java server does, so the first problem reported matches. */
  private verify(token: Buffer): DigestMd5Step {
    const d = parseDirectives(token);
    if (d.charset !== undefined && d.charset.toString("utf8") !== "utf-8") {
      throw new DigestError(`DIGEST-MD5: incompatible charset ${d.charset.toString("utf8")}`);
    }
    if (d.maxbuf !== undefined) parseDecimal(d.maxbuf, "maxbuf");
    const username = required(d, "username").toString("utf8");
    const realm = d.realm === undefined ? "" : d.realm.toString("utf8");
    if (realm !== this.realm) throw new DigestError(`DIGEST-MD5: nonexistent realm: ${realm}`);
    if (!required(d, "nonce").equals(this.nonce)) throw new DigestError("DIGEST-MD5: mismatched nonce");
    const cnonce = required(d, "cnonce");
    if (d.nc !== undefined && parseHex(d.nc, "nc") !== NONCE_COUNT) {
      throw new DigestError(`DIGEST-MD5: nonce count ${d.nc.toString("utf8")} is not 1`);
    }
    const qop = d.qop === undefined ? "auth" : d.qop.toString("utf8");
    if (qop !== "auth") throw new DigestError(`DIGEST-MD5: qop ${qop} not offered (only auth)`);
    const digestUri = d["digest-uri"]?.toString("utf8");
    if (digestUri === undefined || digestUri.toLowerCase() !== this.digestUri.toLowerCase()) {
      throw new DigestError(`DIGEST-MD5: mismatched digest-uri ${digestUri}; expecting ${this.digestUri}`);
    }
    const response = required(d, "response");
    const password = this.options.lookupPassword(username);
    if (password === null) throw new DigestError(`DIGEST-MD5: no password for ${username} in realm ${realm}`);
    const inputs: ResponseInputs = { username, realm, password, nonce: this.nonce, cnonce, qop, digestUri, authzid: d.authzid };
    if (!sameBytes(response, responseValue("AUTHENTICATE", inputs))) {
      throw new DigestError(`DIGEST-MD5: wrong response for ${username}`);
    }
    // ZooKeeper authorizes every authenticated user as itself: the id is the authentication id, whatever
    // authzid the client asked for (the Java client sends authzid = its username).
    this.authorizationId = username;
    this.state = "complete";
    const rspauth = Buffer.concat([Buffer.from("rspauth="), responseValue("", inputs)]);
    return { token: rspauth, done: true, authorizationId: username };
  }
}

function required(d: Directives, key: ResponseDirective): Buffer {
  const value = d[key];
  if (value === undefined) throw new DigestError(`DIGEST-MD5: digest-response has no ${key}`);
  return value;
}

function parseDecimal(value: Buffer, what: string): number {
  const text = value.toString("utf8");
  if (!/^[0-9]{1,10}$/.test(text)) throw new DigestError(`DIGEST-MD5: bad ${what} ${text}`);
  return Number(text);
}

function parseHex(value: Buffer, what: string): number {
  const text = value.toString("utf8");
  if (!/^[0-9a-fA-F]{1,8}$/.test(text)) throw new DigestError(`DIGEST-MD5: bad ${what} ${text}`);
  return Number.parseInt(text, 16);
}

export interface ResponseInputs {
  username: string;
  realm: string;
  password: string;
  nonce: Buffer;
  cnonce: Buffer;
  qop: string;
  digestUri: string;
  authzid?: Buffer | undefined;
}

/**
 * RFC 2831 §2.1.2.1 response-value as 32 lowercase hex bytes. `method` is "AUTHENTICATE" for the client's
 * response and "" for the server's rspauth. Only qop "auth" is supported (no security-layer marker in A2).
 */
export function responseValue(method: string, i: ResponseInputs): Buffer {
  const userRealmPass = md5(Buffer.concat([
    credentialBytes(i.username), Buffer.from(":"), credentialBytes(i.realm), Buffer.from(":"), credentialBytes(i.password),
  ]));
  const a1Parts = [userRealmPass, Buffer.from(":"), i.nonce, Buffer.from(":"), i.cnonce];
  if (i.authzid !== undefined) a1Parts.push(Buffer.from(":"), i.authzid);
  const ha1 = md5Hex(Buffer.concat(a1Parts));
  const ha2 = md5Hex(Buffer.from(`${method}:${i.digestUri}`, "utf8"));
  const kd = Buffer.concat([
    ha1, Buffer.from(":"), i.nonce, Buffer.from(`:${NONCE_COUNT_HEX}:`), i.cnonce, Buffer.from(`:${i.qop}:`), ha2,
  ]);
  return md5Hex(kd);
}

/** ISO-8859-1 when every character fits in it, else UTF-8: what RFC 2831 asks of a charset=utf-8 peer. */
function credentialBytes(s: string): Buffer {
  for (const ch of s) {
    if (ch.codePointAt(0)! > 0xff) return Buffer.from(s, "utf8");
  }
  return Buffer.from(s, "latin1");
}

function md5(data: Buffer): Buffer {
  return createHash("md5").update(data).digest();
}

function md5Hex(data: Buffer): Buffer {
  return Buffer.from(createHash("md5").update(data).digest("hex"), "latin1");
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Escapes a value for a quoted-string (RFC 2831 qdstr-val): backslash before `"` and `\`. */
function quote(value: string): string {
  return value.replace(/["\\]/g, (c) => `\\${c}`);
}

const isLws = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses `key=value,key="quoted value",…` (RFC 2831 §7.1 #rule lists: empty elements and linear white space
 * allowed). Keys are case-insensitive; a known key twice is an error; unknown keys are ignored. Values stay
 * bytes: nonce and cnonce are hashed exactly as sent.
 */
export function parseDirectives(buf: Buffer): Directives {
  const out: Directives = {};
  let i = skipLws(buf, 0);
  while (i < buf.length) {
    if (buf[i] === COMMA) {
      i = skipLws(buf, i + 1);
      continue;
    }
    const keyStart = i;
    while (i < buf.length && buf[i] !== EQUALS && buf[i] !== COMMA && !isLws(buf[i])) i++;
    const key = buf.toString("latin1", keyStart, i).toLowerCase();
    if (key === "") throw new DigestError("DIGEST-MD5: empty directive key");
    i = skipLws(buf, i);
    if (i >= buf.length || buf[i] !== EQUALS) throw new DigestError(`DIGEST-MD5: '=' expected after ${key}`);
    i = skipLws(buf, i + 1);
    if (i >= buf.length) throw new DigestError(`DIGEST-MD5: directive ${key} has no value`);
    const [value, next] = buf[i] === DQUOTE ? readQuoted(buf, i + 1, key) : readToken(buf, i);
    i = skipLws(buf, next);
    if (i < buf.length && buf[i] !== COMMA) throw new DigestError(`DIGEST-MD5: ',' expected after ${key}`);
    store(out, key, value);
  }
  return out;
}

function store(out: Directives, key: string, value: Buffer): void {
  const known = (RESPONSE_DIRECTIVES as readonly string[]).includes(key);
  if (!known) return;
  const k = key as ResponseDirective;
  if (out[k] !== undefined) throw new DigestError(`DIGEST-MD5: more than one ${key} directive`);
  out[k] = value;
}

function readQuoted(buf: Buffer, start: number, key: string): [Buffer, number] {
  const bytes: number[] = [];
  for (let i = start; i < buf.length; i++) {
    const b = buf[i];
    if (b === DQUOTE) return [Buffer.from(bytes), i + 1];
    if (b === BACKSLASH) {
      i++;
      if (i >= buf.length) break;
      bytes.push(buf[i]);
    } else {
      bytes.push(b);
    }
  }
  throw new DigestError(`DIGEST-MD5: unterminated quoted value for ${key}`);
}

function readToken(buf: Buffer, start: number): [Buffer, number] {
  let i = start;
  while (i < buf.length && buf[i] !== COMMA && !isLws(buf[i])) i++;
  return [Buffer.from(buf.subarray(start, i)), i];
}

function skipLws(buf: Buffer, start: number): number {
  let i = start;
  while (i < buf.length && isLws(buf[i])) i++;
  return i;
}
