/**
 * Unit tests of src/tree/acl.ts (shared/reference §8): the digest id vector, permission checks per scheme
 * (world, digest, ip with IPv4/IPv6/IPv4-mapped CIDR, super), ACL fix-up on create/setACL (validation, `auth`
 * expansion, de-duplication) and getACL's digest masking.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Err, Perm, ZkError } from "../../src/jute/codes.js";
import type { ACL, Id } from "../../src/jute/records.js";
import {
  checkPermission,
  digestId,
  fixupACL,
  hasPermission,
  ipMatches,
  maskDigests,
  normalizeClientAddress,
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
  type AuthInfo,
} from "../../src/tree/acl.js";

const ALICE = "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=";
const acl = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });
const who = (...ids: [string, string][]): AuthInfo => ({ ids: ids.map(([scheme, id]) => ({ scheme, id })), isSuper: false });
const anonymous = who(["ip", "127.0.0.1"]);
const alice = who(["ip", "127.0.0.1"], ["digest", ALICE]);

function zkCode(fn: () => unknown): number {
  try {
    fn();
    return Err.OK;
  } catch (e) {
    if (e instanceof ZkError) return e.code;
    throw e;
  }
}

test("digestId: observed vector alice:secret", () => {
  assert.equal(digestId("alice:secret"), ALICE);
});

test("digestId: user is the part before the first colon; the hash covers the whole string", () => {
  const id = digestId("bob:pa:ss");
  assert.match(id, /^bob:[A-Za-z0-9+/]{27}=$/);
  assert.notEqual(id, digestId("bob:pa"));
  // Auth never fails: a string without a colon still yields an id (user = whole string).
  assert.match(digestId("nocolon"), /^nocolon:[A-Za-z0-9+/]{27}=$/);
  assert.match(digestId(""), /^:[A-Za-z0-9+/]{27}=$/);
});

test("built-in ACL constants", () => {
  assert.deepEqual(OPEN_ACL_UNSAFE, [acl(31, "world", "anyone")]);
  assert.deepEqual(READ_ACL_UNSAFE, [acl(1, "world", "anyone")]);
  assert.ok(Object.isFrozen(OPEN_ACL_UNSAFE));
});

/** [description, stored ACL, requested perm, caller, allowed?] */
const permissionCases: [string, ACL[], number, AuthInfo, boolean][] = [
  ["world:anyone grants everybody", [acl(31, "world", "anyone")], Perm.DELETE, anonymous, true],
  ["world:anyone with no identities at all", [acl(31, "world", "anyone")], Perm.READ, who(), true],
  ["perm bit missing", [acl(Perm.READ, "world", "anyone")], Perm.WRITE, anonymous, false],
  ["only the asked bit matters", [acl(Perm.READ | Perm.ADMIN, "world", "anyone")], Perm.ADMIN, anonymous, true],
  ["digest exact match", [acl(31, "digest", ALICE)], Perm.READ, alice, true],
  ["digest: anonymous denied", [acl(31, "digest", ALICE)], Perm.READ, anonymous, false],
  ["digest: other user denied", [acl(31, "digest", ALICE)], Perm.READ, who(["digest", "bob:xyz"]), false],
  ["digest: same id under another scheme denied", [acl(31, "digest", ALICE)], Perm.READ, who(["sasl", ALICE]), false],
  ["digest: comparison is case sensitive", [acl(31, "digest", ALICE)], Perm.READ, who(["digest", ALICE.toUpperCase()]), false],
  ["sasl exact", [acl(31, "sasl", "alice@EXAMPLE")], Perm.READ, who(["sasl", "alice@EXAMPLE"]), true],
  ["x509 exact", [acl(31, "x509", "CN=a")], Perm.READ, who(["x509", "CN=a"]), true],
  ["ip exact", [acl(31, "ip", "127.0.0.1")], Perm.READ, anonymous, true],
  ["ip other address", [acl(31, "ip", "127.0.0.2")], Perm.READ, anonymous, false],
  ["ip /8", [acl(31, "ip", "127.0.0.0/8")], Perm.READ, who(["ip", "127.9.9.9"]), true],
  ["ip /8 outside", [acl(31, "ip", "10.0.0.0/8")], Perm.READ, anonymous, false],
  ["second entry grants", [acl(1, "digest", ALICE), acl(31, "ip", "127.0.0.1")], Perm.WRITE, alice, true],
  ["entry with the right id but wrong perm, another with perm but wrong id", [acl(1, "digest", ALICE), acl(2, "digest", "bob:x")], Perm.WRITE, alice, false],
  ["auth entries are never matched as stored ACLs", [acl(31, "auth", "")], Perm.READ, alice, false],
  ["empty ACL list allows everything", [], Perm.ADMIN, anonymous, true],
  ["super bypasses", [acl(Perm.READ, "digest", ALICE)], Perm.ADMIN, { ids: [], isSuper: true }, true],
];

test("hasPermission per scheme", () => {
  for (const [what, stored, perm, caller, allowed] of permissionCases) {
    assert.equal(hasPermission(stored, perm, caller), allowed, what);
  }
});

test("hasPermission: world entry with an id other than anyone grants nothing to ordinary callers", () => {
  assert.equal(hasPermission([acl(31, "world", "someone")], Perm.READ, anonymous), false);
  assert.equal(hasPermission([acl(31, "world", "someone")], Perm.READ, alice), false);
});

test("checkPermission throws NoAuth, unless skipACL", () => {
  const stored = [acl(Perm.READ, "world", "anyone")];
  assert.equal(zkCode(() => checkPermission(stored, Perm.WRITE, anonymous, false)), Err.NoAuth);
  assert.equal(zkCode(() => checkPermission(stored, Perm.WRITE, anonymous, true)), Err.OK);
  assert.equal(zkCode(() => checkPermission(stored, Perm.READ, anonymous, false)), Err.OK);
});

/** [ACL id, client address, matches?] */
const ipCases: [string, string, boolean][] = [
  ["10.1.2.3", "10.1.2.3", true],
  ["10.1.2.3", "10.1.2.4", false],
  ["10.1.2.3/32", "10.1.2.3", true],
  ["10.1.2.3/32", "10.1.2.4", false],
  ["10.0.0.0/8", "10.255.255.255", true],
  ["10.0.0.0/8", "11.0.0.0", false],
  ["192.168.1.0/24", "192.168.1.77", true],
  ["192.168.1.0/24", "192.168.2.77", false],
  ["192.168.1.128/25", "192.168.1.200", true],
  ["192.168.1.128/25", "192.168.1.100", false],
  ["172.16.0.0/12", "172.31.255.1", true],
  ["172.16.0.0/12", "172.32.0.1", false],
  ["0.0.0.0/0", "8.8.8.8", true],
  ["10.1.2.3/0", "200.1.1.1", true],
  // IPv6.
  ["::1", "::1", true],
  ["::1", "::2", false],
  ["fe80::/10", "fe80::1", true],
  ["fe80::/10", "febf:ffff::1", true],
  ["fe80::/10", "fec0::1", false],
  ["2001:db8::/32", "2001:db8:1234::5", true],
  ["2001:db8::/32", "2001:db9::5", false],
  ["2001:db8:0:0:0:0:0:1", "2001:db8::1", true],
  ["::/0", "2001:db8::1", true],
  // IPv4-mapped IPv6 clients (a dual-stack listener reports ::ffff:a.b.c.d) match IPv4 ids.
  ["10.0.0.0/8", "::ffff:10.1.2.3", true],
  ["127.0.0.1", "::ffff:127.0.0.1", true],
  ["10.0.0.0/8", "::ffff:11.1.2.3", false],
  ["10.0.0.0/8", "::ffff:a01:203", true],
  // Families never cross otherwise.
  ["::1", "127.0.0.1", false],
  ["127.0.0.1", "::1", false],
  ["0.0.0.0/0", "::1", false],
  // Malformed ACL ids or client addresses never match.
  ["1.2.3", "1.2.3.0", false],
  ["10.0.0.0/33", "10.0.0.1", false],
  ["10.0.0.0/x", "10.0.0.1", false],
  ["10.0.0.1", "", false],
  ["10.0.0.1", "not-an-ip", false],
];

test("ipMatches: IPv4/IPv6 CIDR and IPv4-mapped clients", () => {
  for (const [id, client, matches] of ipCases) {
    assert.equal(ipMatches(id, client), matches, `ip:${id} vs ${client}`);
  }
});

test("normalizeClientAddress shows IPv4-mapped addresses as IPv4", () => {
  assert.equal(normalizeClientAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(normalizeClientAddress("127.0.0.1"), "127.0.0.1");
  assert.equal(normalizeClientAddress("::1"), "::1");
  assert.equal(normalizeClientAddress(undefined), "");
});

test("fixupACL: null or empty list ⇒ InvalidACL", () => {
  assert.equal(zkCode(() => fixupACL(null, alice)), Err.InvalidACL);
  assert.equal(zkCode(() => fixupACL([], alice)), Err.InvalidACL);
});

/** [description, ACL id, valid?] — one entry with perms ALL. */
const idCases: [string, Id, boolean][] = [
  ["world:anyone", { scheme: "world", id: "anyone" }, true],
  ["world id must be anyone", { scheme: "world", id: "everyone" }, false],
  ["world empty id", { scheme: "world", id: "" }, false],
  ["digest user:hash", { scheme: "digest", id: ALICE }, true],
  ["digest with empty hash still has one colon", { scheme: "digest", id: "alice:" }, true],
  ["digest without colon", { scheme: "digest", id: "nocolon" }, false],
  ["digest with two colons", { scheme: "digest", id: "a:b:c" }, false],
  ["ip v4", { scheme: "ip", id: "10.0.0.1" }, true],
  ["ip v4 cidr", { scheme: "ip", id: "10.0.0.0/8" }, true],
  ["ip v6", { scheme: "ip", id: "::1" }, true],
  ["ip v6 cidr", { scheme: "ip", id: "fe80::/10" }, true],
  ["ip three octets", { scheme: "ip", id: "1.2.3" }, false],
  ["ip v4 /33", { scheme: "ip", id: "10.0.0.0/33" }, false],
  ["ip v6 /129", { scheme: "ip", id: "::1/129" }, false],
  ["ip hostname", { scheme: "ip", id: "localhost" }, false],
  ["sasl principal", { scheme: "sasl", id: "alice" }, true],
  ["x509 DN", { scheme: "x509", id: "CN=alice,O=herd" }, true],
  ["unknown scheme", { scheme: "kerberos", id: "alice" }, false],
  ["super is not an ACL scheme", { scheme: "super", id: "x" }, false],
  ["empty scheme", { scheme: "", id: "" }, false],
];

test("fixupACL: id validation per scheme", () => {
  for (const [what, id, valid] of idCases) {
    const code = zkCode(() => fixupACL([{ perms: Perm.ALL, id }], alice));
    assert.equal(code, valid ? Err.OK : Err.InvalidACL, what);
  }
});

test("fixupACL: one bad entry among good ones fails the whole list", () => {
  const list = [acl(31, "world", "anyone"), acl(1, "digest", "nocolon")];
  assert.equal(zkCode(() => fixupACL(list, alice)), Err.InvalidACL);
});

test("fixupACL: auth expands to every authenticated identity (digest, sasl, x509 — not ip), keeping perms", () => {
  const caller = who(["ip", "127.0.0.1"], ["digest", ALICE], ["sasl", "alice@R"], ["x509", "CN=a"]);
  const out = fixupACL([acl(Perm.READ | Perm.WRITE, "auth", "")], caller);
  assert.deepEqual(out, [acl(3, "digest", ALICE), acl(3, "sasl", "alice@R"), acl(3, "x509", "CN=a")]);
});

test("fixupACL: the auth entry's id is ignored", () => {
  assert.deepEqual(fixupACL([acl(31, "auth", "whatever")], alice), [acl(31, "digest", ALICE)]);
});

test("fixupACL: auth without an authenticated identity ⇒ InvalidACL", () => {
  assert.equal(zkCode(() => fixupACL([acl(31, "auth", "")], anonymous)), Err.InvalidACL);
  assert.equal(zkCode(() => fixupACL([acl(31, "auth", "")], who())), Err.InvalidACL);
  // Even when another entry of the list is fine.
  assert.equal(zkCode(() => fixupACL([acl(31, "world", "anyone"), acl(31, "auth", "")], anonymous)), Err.InvalidACL);
});

test("fixupACL: duplicates are removed, order of first appearance kept", () => {
  const list = [
    acl(31, "world", "anyone"),
    acl(1, "digest", ALICE),
    acl(31, "world", "anyone"),
    acl(1, "digest", ALICE),
    acl(2, "digest", ALICE), // same id, other perms: a different ACL
  ];
  assert.deepEqual(fixupACL(list, alice), [acl(31, "world", "anyone"), acl(1, "digest", ALICE), acl(2, "digest", ALICE)]);
});

test("fixupACL: an auth expansion equal to an explicit entry is de-duplicated", () => {
  const out = fixupACL([acl(31, "digest", ALICE), acl(31, "auth", "")], alice);
  assert.deepEqual(out, [acl(31, "digest", ALICE)]);
});

test("fixupACL: does not modify or alias the caller's list", () => {
  const list = [acl(31, "auth", ""), acl(1, "world", "anyone")];
  const copy = structuredClone(list);
  const out = fixupACL(list, alice);
  assert.deepEqual(list, copy);
  out[1].id.id = "mutated";
  assert.equal(list[1].id.id, "anyone");
});

test("maskDigests: digest ids become user:x, everything else untouched", () => {
  const list = [acl(31, "digest", ALICE), acl(1, "world", "anyone"), acl(3, "ip", "10.0.0.0/8"), acl(5, "digest", "bob:abc=")];
  assert.deepEqual(maskDigests(list), [
    acl(31, "digest", "alice:x"),
    acl(1, "world", "anyone"),
    acl(3, "ip", "10.0.0.0/8"),
    acl(5, "digest", "bob:x"),
  ]);
  assert.equal(list[0].id.id, ALICE, "input not modified");
});
