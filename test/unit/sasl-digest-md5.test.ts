/**
 * DigestMd5Server against fixed exchanges: RFC 2831's worked examples, and transcripts captured from the JDK's
 * own DIGEST-MD5 client talking to the JDK's DIGEST-MD5 server set up as ZooKeeper sets it up
 * (protocol "zookeeper", server name "zk-sasl-md5", no props). Replaying the JDK server's nonce, our server must
 * accept the JDK client's response and answer the JDK server's exact rspauth. Then the ways an exchange fails.
 * Real clients (pure-sasl as kazoo drives it, the JDK client as ZooKeeper drives it) are in test/auth/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DigestMd5Server, parseDirectives } from "../../src/auth/sasl-digest-md5.js";
import type { DigestMd5ServerOptions, DigestMd5Step } from "../../src/auth/sasl-digest-md5.js";

const users = new Map([["bob", "pw"], ["bob2", "pässwörd"], ["jürgen", "密码"], ["chris", "secret"]]);
const lookupPassword = (user: string) => users.get(user) ?? null;

function server(nonce: string, extra: Partial<DigestMd5ServerOptions> = {}): DigestMd5Server {
  return new DigestMd5Server({ lookupPassword, nonce: () => nonce, ...extra });
}

function okStep(step: DigestMd5Step): { token: Buffer; done: boolean; authorizationId?: string } {
  if ("error" in step) assert.fail(`unexpected error: ${step.error}`);
  return step;
}

function errorOf(step: DigestMd5Step): string {
  if (!("error" in step)) assert.fail(`expected an error, got token ${step.token.toString()}`);
  return step.error;
}

/** Captured from the JDK 17 client (authzid = user name, as ZooKeeper's client sets it) and server. */
const jdkTranscripts = [
  {
    what: "ASCII user and password",
    nonce: "TlZme0LPxzzlzP1/pKVH79J+GlJuHwPDS+GZyLM3",
    response: 'charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="TlZme0LPxzzlzP1/pKVH79J+GlJuHwPDS+GZyLM3",nc=00000001,cnonce="V8u8RRC31Ot8VipxpFHvqe7PC+auVnbN9AYo0NJg",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=1220961b24e75d3786711d2afc6e4333,qop=auth,authzid="bob"',
    rspauth: "rspauth=6f436472ffb6fd9e43aeeca62d2e86e7",
    user: "bob",
  },
  {
    what: "a Latin-1 password (hashed as ISO-8859-1)",
    nonce: "9FCdhDAT62jQe9unEJ75Dawh7wE3PWgnnMYgOTxn",
    response: 'charset=utf-8,username="bob2",realm="zk-sasl-md5",nonce="9FCdhDAT62jQe9unEJ75Dawh7wE3PWgnnMYgOTxn",nc=00000001,cnonce="x+73+SHLqp05w/butc8kfpFZ55pQ4lef1tMo5AJd",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=a1c6a63bcfd0851870209910b4a26b8d,qop=auth,authzid="bob2"',
    rspauth: "rspauth=efa1cefb5ce1b7f18329448765bd2d51",
    user: "bob2",
  },
  {
    what: "a Latin-1 user name and a CJK password (hashed as UTF-8)",
    nonce: "OaodfT0Vjdi2er/6789FEp7ZBxbzExYMX7XDjQUt",
    response: 'charset=utf-8,username="jürgen",realm="zk-sasl-md5",nonce="OaodfT0Vjdi2er/6789FEp7ZBxbzExYMX7XDjQUt",nc=00000001,cnonce="AMq3wQa65vG2/28mJ4DHU9FVIWsFAiYe2fUwEjRN",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=d9bc254a555cc7f61dd6fd468303e2e5,qop=auth,authzid="jürgen"',
    rspauth: "rspauth=70051c667bd455b3aaa045fc03101595",
    user: "jürgen",
  },
];

for (const t of jdkTranscripts) {
  test(`replays a JDK client/server exchange: ${t.what}`, () => {
    const s = server(t.nonce);
    const challenge = okStep(s.step(Buffer.alloc(0)));
    assert.equal(challenge.token.toString(), `realm="zk-sasl-md5",nonce="${t.nonce}",charset=utf-8,algorithm=md5-sess`);
    assert.equal(challenge.done, false);
    const final = okStep(s.step(Buffer.from(t.response, "utf8")));
    assert.equal(final.token.toString(), t.rspauth);
    assert.equal(final.done, true);
    assert.equal(final.authorizationId, t.user);
    assert.equal(s.isComplete, true);
    assert.equal(s.authorizedId, t.user);
  });
}

test("RFC 2831 §4 example 1 (IMAP): response and rspauth", () => {
  const s = server("OA6MG9tEQGm2hh", { realm: "elwood.innosoft.com", protocol: "imap", serverName: "elwood.innosoft.com" });
  okStep(s.step(Buffer.alloc(0)));
  const response = 'charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,' +
    'cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",response=d388dad90d4bbd760a152321f2143af7,qop=auth';
  const final = okStep(s.step(Buffer.from(response)));
  assert.equal(final.token.toString(), "rspauth=ea40f60335c427b5527b84dbabcdfffd");
  assert.equal(final.authorizationId, "chris");
});

test("RFC 2831 §4 example 2 (ACAP), with white space around the directives", () => {
  const s = server("OA9BSXrbuRhWay", { realm: "elwood.innosoft.com", protocol: "acap", serverName: "elwood.innosoft.com" });
  okStep(s.step(Buffer.alloc(0)));
  const response = ' charset=utf-8 , username="chris",realm="elwood.innosoft.com",nonce="OA9BSXrbuRhWay",nc=00000001,\r\n' +
    '  cnonce="OA9BSuZWMSpW8m",digest-uri="acap/elwood.innosoft.com",response=6084c6db3fede7352c551284490fd0fc,qop=auth,';
  const final = okStep(s.step(Buffer.from(response)));
  assert.equal(final.token.toString(), "rspauth=2f0b3d7c3c2e486600ef710726aa2eae");
});

test("the default nonce is fresh per exchange and 40 base64 characters, as the JDK makes it", () => {
  const a = okStep(new DigestMd5Server({ lookupPassword }).step(Buffer.alloc(0))).token.toString();
  const b = okStep(new DigestMd5Server({ lookupPassword }).step(Buffer.alloc(0))).token.toString();
  const nonceOf = (challenge: string) => /nonce="([^"]*)"/.exec(challenge)?.[1] ?? "";
  assert.match(nonceOf(a), /^[A-Za-z0-9+/]{40}$/);
  assert.notEqual(nonceOf(a), nonceOf(b));
});

test("a non-empty first token still gets a challenge (no subsequent authentication)", () => {
  const s = server("n1");
  const challenge = okStep(s.step(Buffer.from('username="bob"')));
  assert.match(challenge.token.toString(), /^realm="zk-sasl-md5",nonce="n1",/);
});

/** The first JDK transcript with one directive replaced, removed (value null) or added. */
function variant(changes: Record<string, string | null>): Buffer {
  const base = jdkTranscripts[0].response;
  const kept = base.split(/,(?=[a-z-]+=)/).filter((kv) => !(kv.split("=")[0] in changes));
  const added = Object.entries(changes).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  return Buffer.from([...kept, ...added].join(","));
}

const failures: { what: string; response: Buffer; error: RegExp }[] = [
  { what: "wrong password (response mismatch)", response: variant({ response: "00000000000000000000000000000000" }), error: /wrong response/ },
  { what: "upper-case response hex (the JDK compares bytes)", response: variant({ response: "1220961B24E75D3786711D2AFC6E4333" }), error: /wrong response/ },
  { what: "unknown user", response: variant({ username: '"mallory"' }), error: /no password for mallory/ },
  { what: "missing username", response: variant({ username: null }), error: /no username/ },
  { what: "wrong realm", response: variant({ realm: '"other"' }), error: /nonexistent realm: other/ },
  { what: "missing realm", response: variant({ realm: null }), error: /nonexistent realm/ },
  { what: "wrong nonce", response: variant({ nonce: '"abc"' }), error: /mismatched nonce/ },
  { what: "missing cnonce", response: variant({ cnonce: null }), error: /no cnonce/ },
  { what: "nonce count 2", response: variant({ nc: "00000002" }), error: /nonce count/ },
  { what: "non-hex nonce count", response: variant({ nc: "zz" }), error: /bad nc/ },
  { what: "qop auth-int (not offered)", response: variant({ qop: "auth-int" }), error: /qop auth-int/ },
  { what: "wrong digest-uri", response: variant({ "digest-uri": '"zookeeper/elsewhere"' }), error: /mismatched digest-uri/ },
  { what: "missing digest-uri", response: variant({ "digest-uri": null }), error: /mismatched digest-uri/ },
  { what: "missing response", response: variant({ response: null }), error: /no response/ },
  { what: "charset other than utf-8", response: variant({ charset: "iso-8859-1" }), error: /charset/ },
  { what: "bad maxbuf", response: variant({ maxbuf: "abc" }), error: /bad maxbuf/ },
  { what: "a directive given twice", response: Buffer.concat([variant({}), Buffer.from(',username="bob"')]), error: /more than one username/ },
  { what: "unterminated quote", response: Buffer.from('username="bob'), error: /unterminated/ },
  { what: "a key without '='", response: Buffer.from("username"), error: /'=' expected/ },
  { what: "an empty key", response: Buffer.from('="x"'), error: /empty directive key/ },
  { what: "garbage after a quoted value", response: Buffer.from('username="bob"x'), error: /',' expected/ },
  { what: "a token over 4096 bytes", response: Buffer.alloc(4097, 0x61), error: /exceeds 4096/ },
];

for (const f of failures) {
  test(`fails, and stays failed: ${f.what}`, () => {
    const s = server(jdkTranscripts[0].nonce);
    okStep(s.step(Buffer.alloc(0)));
    assert.match(errorOf(s.step(f.response)), f.error);
    assert.equal(s.isComplete, false);
    assert.equal(s.authorizedId, undefined);
    // The JDK server is in an invalid state after a failure: even the right answer is refused now.
    assert.match(errorOf(s.step(Buffer.from(jdkTranscripts[0].response))), /no more tokens/);
  });
}

test("the digest-uri is compared case-insensitively and the client's spelling is what gets hashed", () => {
  // Only possible to check that a mixed-case URI is accepted as the right one: its hash then differs, so
  // the JDK response computed for the lower-case URI no longer matches.
  const s = server(jdkTranscripts[0].nonce);
  okStep(s.step(Buffer.alloc(0)));
  assert.match(errorOf(s.step(variant({ "digest-uri": '"ZooKeeper/ZK-SASL-MD5"' }))), /wrong response/);
});

test("unknown directives are ignored, quoted-pairs unescaped, keys case-insensitive", () => {
  const d = parseDirectives(Buffer.from('USERNAME="a\\"b\\\\c", x-extra=1, ,realm=r ,auth-param="q"'));
  assert.equal(d.username?.toString(), 'a"b\\c');
  assert.equal(d.realm?.toString(), "r");
  assert.equal(Object.keys(d).length, 2);
});

test("a token after completion is an error (the JDK server is then at an illegal state)", () => {
  const t = jdkTranscripts[0];
  const s = server(t.nonce);
  okStep(s.step(Buffer.alloc(0)));
  okStep(s.step(Buffer.from(t.response)));
  assert.match(errorOf(s.step(Buffer.alloc(0))), /no more tokens/);
});

test("the realm in the challenge is a quoted-string with escapes", () => {
  const s = new DigestMd5Server({ lookupPassword, realm: 'we"ird\\realm', nonce: () => "n" });
  assert.equal(okStep(s.step(Buffer.alloc(0))).token.toString(),
    'realm="we\\"ird\\\\realm",nonce="n",charset=utf-8,algorithm=md5-sess');
});
