/**
 * Differential test for access control (shared/reference §8): digest, auth, ip and world ACLs, the super user,
 * getACL masking, setACL version checks, InvalidACL cases, NoAuth on every op and the check order around it,
 * auth packets and AuthFailed — run against Apache ZooKeeper 3.8 and Herd and compared field by field
 * (machinery and masking in ./support.ts).
 *
 * Left out on purpose, because 3.8.0 (the reference) and 3.8.4+/3.9.2+ (what Herd follows) differ: exists on a
 * node the caller may not read, and watches on such nodes (events are READ-filtered since CVE-2024-23944). The
 * semantics tests assert those against Herd alone.
 */
import { test } from "node:test";
import { createHash } from "node:crypto";
import { AddWatchMode, OpCode, Perm, WatcherType } from "../../src/jute/index.js";
import type { ACL, Request } from "../../src/jute/index.js";
import { RawClient, createRequest, createTTLRequest } from "../helpers/raw-client.js";
import type { Result } from "../helpers/raw-client.js";
import { SUPER_DIGEST_CFG, SUPER_PASSWORD } from "../semantics/support.js";
import { REFERENCE, SUBJECT, runDifferential } from "./support.js";
import type { Step } from "./support.js";

/**
 * A: anonymous (only its ip identity). D: alice. E: bob and carol (a password with colons).
 * S: the super user. F: sends an auth packet with an unknown scheme at the end.
 */
type ClientName = "A" | "D" | "E" | "S" | "F";
const CLIENTS: ClientName[] = ["A", "D", "E", "S", "F"];

const ALICE = "alice:secret";
const BOB = "bob:pw";
const CAROL = "carol:pa:ss";
const TTL_MS = 600_000n;

const digestId = (userPassword: string) =>
  `${userPassword.slice(0, userPassword.indexOf(":"))}:${createHash("sha1").update(userPassword).digest("base64")}`;
const entry = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });
const world = (perms: number): ACL[] => [entry(perms, "world", "anyone")];
const digest = (perms: number, userPassword: string): ACL => entry(perms, "digest", digestId(userPassword));
const authIds = (perms: number, id = ""): ACL => entry(perms, "auth", id);
const OPEN = world(Perm.ALL);

const step = (who: ClientName, label: string, run: Step<ClientName>["run"]): Step<ClientName> => ({ who, label, run });
const create = (path: string, acl: ACL[] | null = OPEN): Request => createRequest(OpCode.create, path, null, { acl });
const setData = (path: string, data: string, version = -1): Request => ({ op: "setData", path, data: Buffer.from(data), version });
const check = (path: string, version: number): Request => ({ op: "check", path, version });
const getData = (path: string): Request => ({ op: "getData", path, watch: false });
const getChildren = (path: string): Request => ({ op: "getChildren", path, watch: false });

/**
 * ZooKeeper keeps a connection's identities in a hash set, so the order whoAmI lists them in, and the order an
 * `auth` entry expands in, are not part of the contract: those replies are compared sorted.
 */
const byText = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

async function whoAmISorted(c: RawClient): Promise<Result<unknown>> {
  const r = await c.whoAmI();
  return { ...r, value: r.value && [...r.value].sort(byText) };
}

async function getACLSorted(c: RawClient, path: string): Promise<Result<unknown>> {
  const r = await c.getACL(path);
  return { ...r, value: r.value && { acl: [...r.value.acl].sort(byText), stat: r.value.stat } };
}

/** Identities: auth packets (digest never fails, ip is accepted), and whoAmI after them. */
const IDENTITIES: Step<ClientName>[] = [
  step("A", "create /acl", (c) => c.create("/acl", "root")),
  step("D", "auth digest alice", (c) => c.auth("digest", ALICE)),
  step("E", "auth digest bob", (c) => c.auth("digest", BOB)),
  step("E", "auth digest carol (password with colons)", (c) => c.auth("digest", CAROL)),
  step("E", "auth digest bob again (no duplicate identity)", (c) => c.auth("digest", BOB)),
  step("S", "auth digest super", (c) => c.auth("digest", SUPER_PASSWORD)),
  step("A", "auth ip 127.0.0.1 succeeds", (c) => c.auth("ip", "127.0.0.1")),
  step("A", "whoAmI anonymous", whoAmISorted),
  step("D", "whoAmI alice", whoAmISorted),
  step("E", "whoAmI bob + carol", whoAmISorted),
  step("S", "whoAmI super", whoAmISorted),
];

/** A digest-only node, then every op against it by someone else, including the check order around NoAuth. */
const NO_AUTH_ON_EACH_OP: Step<ClientName>[] = [
  step("D", "create2 /acl/alice digest alice ALL", (c) => c.create2("/acl/alice", "a", { acl: [digest(Perm.ALL, ALICE)] })),
  step("D", "create /acl/alice/k", (c) => c.create("/acl/alice/k", "k")),
  step("D", "getData as alice", (c) => c.getData("/acl/alice")),
  step("E", "getData as bob: NoAuth", (c) => c.getData("/acl/alice")),
  step("A", "getData anonymous: NoAuth", (c) => c.getData("/acl/alice")),
  step("A", "getChildren: NoAuth", (c) => c.getChildren("/acl/alice")),
  step("A", "getChildren2: NoAuth", (c) => c.getChildren2("/acl/alice")),
  step("A", "getAllChildrenNumber: NoAuth", (c) => c.getAllChildrenNumber("/acl/alice")),
  step("A", "getACL: NoAuth", (c) => c.getACL("/acl/alice")),
  step("A", "setData: NoAuth", (c) => c.setData("/acl/alice", "x")),
  step("A", "setData wrong version: NoAuth before BadVersion", (c) => c.setData("/acl/alice", "x", 99)),
  step("A", "setACL: NoAuth", (c) => c.setACL("/acl/alice", OPEN)),
  step("A", "setACL wrong version: NoAuth before BadVersion", (c) => c.setACL("/acl/alice", OPEN, 99)),
  step("A", "create child: NoAuth", (c) => c.create("/acl/alice/x")),
  step("A", "create2 child: NoAuth", (c) => c.create2("/acl/alice/x")),
  step("A", "createContainer child: NoAuth", (c) => c.createContainer("/acl/alice/x")),
  step("A", "createTTL child: NoAuth", (c) => c.createTTL("/acl/alice/x", null, TTL_MS)),
  step("A", "create existing child: NoAuth before NodeExists", (c) => c.create("/acl/alice/k")),
  step("A", "delete child: NoAuth", (c) => c.delete("/acl/alice/k")),
  step("A", "delete missing child: NoAuth before NoNode", (c) => c.delete("/acl/alice/missing")),
  step("A", "create under a missing parent: NoNode", (c) => c.create("/acl/alice/missing/x")),
  step("A", "multi check: NoAuth", (c) => c.multi([check("/acl/alice", 0)])),
  step("A", "multi check wrong version: NoAuth before BadVersion", (c) => c.multi([check("/acl/alice", 7)])),
  step("A", "multi create ok + setData NoAuth: rolled back", (c) => c.multi([create("/acl/m-ok"), setData("/acl/alice", "x")])),
  step("A", "multi create child NoAuth first", (c) => c.multi([create("/acl/alice/x"), create("/acl/m-ok")])),
  step("A", "multi delete child NoAuth", (c) => c.multi([{ op: "delete", path: "/acl/alice/k", version: -1 }])),
  step("A", "multi createTTL child NoAuth", (c) => c.multi([createTTLRequest("/acl/alice/t", null, TTL_MS)])),
  step("A", "multiRead: NoAuth per op", (c) => c.multiRead([getData("/acl/alice"), getChildren("/acl/alice"), getData("/acl"), getChildren("/acl")])),
  step("A", "/acl/m-ok was not created", (c) => c.exists("/acl/m-ok")),
  step("A", "sync needs nothing", (c) => c.sync("/acl/alice")),
  step("D", "alice: getChildren2", (c) => c.getChildren2("/acl/alice")),
  step("D", "alice: setData v0", (c) => c.setData("/acl/alice", "a2", 0)),
  step("D", "alice: multi check v1 + setData", (c) => c.multi([check("/acl/alice", 1), setData("/acl/alice", "a3", 1)])),
  step("D", "alice: getAllChildrenNumber", (c) => c.getAllChildrenNumber("/acl/alice")),
  step("D", "alice: delete child", (c) => c.delete("/acl/alice/k")),
  step("D", "alice: getACL unmasked (ADMIN)", (c) => c.getACL("/acl/alice")),
];

/** A node nobody may touch, and which single permission opens which op. */
const PERMISSION_BITS: Step<ClientName>[] = [
  step("A", "create /acl/sealed world 0", (c) => c.create2("/acl/sealed", "s", { acl: world(0) })),
  step("A", "sealed: getData NoAuth", (c) => c.getData("/acl/sealed")),
  step("A", "sealed: getACL NoAuth", (c) => c.getACL("/acl/sealed")),
  step("A", "sealed: setACL NoAuth", (c) => c.setACL("/acl/sealed", OPEN)),
  step("A", "sealed: addWatch needs nothing", (c) => c.addWatch("/acl/sealed", AddWatchMode.Persistent)),
  step("A", "sealed: removeWatches needs nothing", (c) => c.removeWatches("/acl/sealed", WatcherType.Any)),
  step("A", "create /acl/c world CREATE", (c) => c.create("/acl/c", null, { acl: world(Perm.CREATE) })),
  step("A", "CREATE-only: create child with world 0", (c) => c.create2("/acl/c/k", "k", { acl: world(0) })),
  step("A", "CREATE-only: getChildren NoAuth", (c) => c.getChildren("/acl/c")),
  step("A", "CREATE-only: delete child NoAuth", (c) => c.delete("/acl/c/k")),
  step("A", "create /acl/d world DELETE|CREATE", (c) => c.create("/acl/d", null, { acl: world(Perm.DELETE | Perm.CREATE) })),
  step("A", "create /acl/d/k world 0", (c) => c.create("/acl/d/k", null, { acl: world(0) })),
  step("A", "DELETE on parent deletes a child whose own ACL denies all", (c) => c.delete("/acl/d/k")),
  step("A", "create /acl/w world WRITE", (c) => c.create("/acl/w", "w", { acl: world(Perm.WRITE) })),
  step("A", "WRITE-only: setData", (c) => c.setData("/acl/w", "w2")),
  step("A", "WRITE-only: getData NoAuth", (c) => c.getData("/acl/w")),
  step("A", "WRITE-only: multi check NoAuth (needs READ)", (c) => c.multi([check("/acl/w", 1)])),
  step("A", "WRITE-only: multi setData", (c) => c.multi([setData("/acl/w", "w3", 1)])),
  step("A", "create /acl/r world READ", (c) => c.create("/acl/r", "r", { acl: world(Perm.READ) })),
  step("A", "READ-only: multi check", (c) => c.multi([check("/acl/r", 0)])),
  step("A", "READ-only: setData NoAuth", (c) => c.setData("/acl/r", "x")),
  step("A", "READ-only: getACL", (c) => c.getACL("/acl/r")),
];

/** The auth scheme: replaced by every digest identity of the caller (not ip); none ⇒ InvalidACL. */
const AUTH_EXPANSION: Step<ClientName>[] = [
  step("D", "create /acl/auth with auth:ignored READ|WRITE|ADMIN", (c) => c.create2("/acl/auth", "x", { acl: [authIds(Perm.READ | Perm.WRITE | Perm.ADMIN, "ignored")] })),
  step("D", "getACL /acl/auth: alice's digest", (c) => c.getACL("/acl/auth")),
  step("E", "create /acl/two with auth: bob and carol", (c) => c.create("/acl/two", null, { acl: [authIds(Perm.ALL)] })),
  step("E", "getACL /acl/two", (c) => getACLSorted(c, "/acl/two")),
  step("E", "create /acl/mixed auth + world READ", (c) => c.create("/acl/mixed", null, { acl: [authIds(Perm.ALL), ...world(Perm.READ)] })),
  step("A", "getACL /acl/mixed with READ only: masked", (c) => getACLSorted(c, "/acl/mixed")),
  step("A", "create with auth and only an ip identity: InvalidACL", (c) => c.create("/acl/noid", null, { acl: [authIds(Perm.ALL)] })),
  step("A", "setACL with auth and only an ip identity: InvalidACL", (c) => c.setACL("/acl/r", [authIds(Perm.ALL)])),
  step("E", "setACL /acl/two to auth READ: replaced by both", (c) => c.setACL("/acl/two", [authIds(Perm.READ | Perm.ADMIN)], 0)),
  step("E", "getACL /acl/two after setACL", (c) => getACLSorted(c, "/acl/two")),
  step("S", "create /acl/sup with auth as super", (c) => c.create("/acl/sup", null, { acl: [authIds(Perm.ALL)] })),
  step("S", "getACL /acl/sup", (c) => c.getACL("/acl/sup")),
];

/** getACL needs READ or ADMIN; without ADMIN digest ids read `user:x`, other schemes are shown as stored. */
const GETACL_MASKING: Step<ClientName>[] = [
  step("D", "create /acl/masked READ for alice, bob, ip, world", (c) => c.create("/acl/masked", null, {
    acl: [digest(Perm.READ, ALICE), digest(Perm.READ, BOB), entry(Perm.READ, "ip", "127.0.0.1"), ...world(Perm.READ)],
  })),
  step("D", "getACL /acl/masked as alice: masked", (c) => c.getACL("/acl/masked")),
  step("A", "getACL /acl/masked anonymous: masked", (c) => c.getACL("/acl/masked")),
  step("S", "getACL /acl/masked as super: unmasked", (c) => c.getACL("/acl/masked")),
  step("D", "create /acl/admin ADMIN for alice, READ for bob", (c) => c.create("/acl/admin", "x", { acl: [digest(Perm.ADMIN, ALICE), digest(Perm.READ, BOB)] })),
  step("D", "getACL /acl/admin as alice: ADMIN alone, unmasked", (c) => c.getACL("/acl/admin")),
  step("E", "getACL /acl/admin as bob: READ, masked", (c) => c.getACL("/acl/admin")),
  step("A", "getACL /acl/admin anonymous: NoAuth", (c) => c.getACL("/acl/admin")),
  step("D", "getData /acl/admin as alice: ADMIN is not READ", (c) => c.getData("/acl/admin")),
  step("A", "getACL /zookeeper/config", (c) => c.getACL("/zookeeper/config")),
  step("A", "getACL /", (c) => c.getACL("/")),
];

/** setACL compares the version with aversion, and its checks run InvalidACL, NoNode, NoAuth, BadVersion. */
const SETACL_VERSIONS: Step<ClientName>[] = [
  step("A", "create /acl/v", (c) => c.create2("/acl/v", "v")),
  step("A", "setACL v0", (c) => c.setACL("/acl/v", world(Perm.ALL), 0)),
  step("A", "setACL v0 again: BadVersion", (c) => c.setACL("/acl/v", world(Perm.ALL), 0)),
  step("A", "setACL v1 to ip 127.0.0.1", (c) => c.setACL("/acl/v", [entry(Perm.ALL, "ip", "127.0.0.1")], 1)),
  step("A", "setACL -1", (c) => c.setACL("/acl/v", [entry(Perm.ALL, "ip", "127.0.0.0/8")], -1)),
  step("A", "setACL v5: BadVersion", (c) => c.setACL("/acl/v", OPEN, 5)),
  step("A", "setData v0 (data version untouched by setACL)", (c) => c.setData("/acl/v", "v2", 0)),
  step("A", "setACL v3 back to open", (c) => c.setACL("/acl/v", OPEN, 3)),
  step("A", "getACL /acl/v", (c) => c.getACL("/acl/v")),
  step("A", "setACL missing node: NoNode", (c) => c.setACL("/acl/missing", OPEN)),
  step("A", "setACL missing node with []: InvalidACL first", (c) => c.setACL("/acl/missing", [])),
  step("A", "setACL no-ADMIN node with []: InvalidACL before NoAuth", (c) => c.setACL("/acl/alice", [])),
  step("A", "setACL world:someone wrong version: InvalidACL before BadVersion", (c) => c.setACL("/acl/v", [entry(Perm.ALL, "world", "someone")], 99)),
  step("A", "setACL duplicates are removed", (c) => c.setACL("/acl/v", [...OPEN, ...OPEN, ...world(Perm.READ)])),
  step("A", "getACL /acl/v after de-duplication", (c) => c.getACL("/acl/v")),
];

/** ACL lists the providers must reject (and a few they must accept). */
const INVALID_ACLS: [string, ACL[] | null][] = [
  ["empty list", []],
  ["null list", null],
  ["world:someone", [entry(Perm.ALL, "world", "someone")]],
  ["unknown scheme", [entry(Perm.ALL, "nosuchscheme", "x")]],
  ["super is not an ACL scheme", [entry(Perm.ALL, "super", "x")]],
  ["digest without colon", [entry(Perm.ALL, "digest", "nocolon")]],
  ["ip with three octets", [entry(Perm.ALL, "ip", "1.2.3")]],
  ["ip /33", [entry(Perm.ALL, "ip", "127.0.0.1/33")]],
  ["ip not a number", [entry(Perm.ALL, "ip", "localhost")]],
  ["one bad entry among good ones", [...OPEN, entry(Perm.ALL, "ip", "1.2.3")]],
];

const VALID_ACLS: [string, ACL[]][] = [
  ["world 0 perms", world(0)],
  ["ip /0", [entry(Perm.READ, "ip", "0.0.0.0/0")]],
  ["ip 10.0.0.0/8", [entry(Perm.ALL, "ip", "10.0.0.0/8")]],
  ["digest with an arbitrary hash", [entry(Perm.ALL, "digest", "alice:not-a-real-hash")]],
  ["same id, different perms", [...world(Perm.READ), ...world(Perm.WRITE)]],
];

const ACL_VALIDATION: Step<ClientName>[] = [
  ...INVALID_ACLS.map(([what, acl], i) => step("A", `create with ${what}: InvalidACL`, (c) => c.create(`/acl/bad${i}`, null, { acl }))),
  ...INVALID_ACLS.map(([what, acl]) => step("A", `setACL with ${what}: InvalidACL`, (c) => c.setACL("/acl/v", acl))),
  step("A", "create under a missing parent with []: InvalidACL before NoNode", (c) => c.create("/acl/missing/x", null, { acl: [] })),
  step("A", "create existing node with []: InvalidACL before NodeExists", (c) => c.create("/acl/v", null, { acl: [] })),
  step("A", "multi create ok + create []: InvalidACL, rolled back", (c) => c.multi([create("/acl/m-ok"), create("/acl/m-bad", [])])),
  ...VALID_ACLS.map(([what, acl], i) => step("A", `create with ${what}`, (c) => c.create2(`/acl/good${i}`, null, { acl }))),
  ...VALID_ACLS.map((_, i) => step("S", `getACL /acl/good${i}`, (c) => c.getACL(`/acl/good${i}`))),
  step("A", "ip /0 matches: getData", (c) => c.getData("/acl/good1")),
  step("A", "ip 10.0.0.0/8 does not: getData NoAuth", (c) => c.getData("/acl/good2")),
  step("D", "a wrong hash does not match alice", (c) => c.getData("/acl/good3")),
];

/** ip ACLs: the exact address and a matching prefix grant; another network does not. */
const IP_ACLS: Step<ClientName>[] = [
  step("D", "create /acl/ip ip 127.0.0.1 READ|ADMIN", (c) => c.create("/acl/ip", "i", { acl: [entry(Perm.READ | Perm.ADMIN, "ip", "127.0.0.1")] })),
  step("E", "getData /acl/ip from 127.0.0.1", (c) => c.getData("/acl/ip")),
  step("E", "setData /acl/ip: NoAuth", (c) => c.setData("/acl/ip", "x")),
  step("E", "getACL /acl/ip (ADMIN via ip)", (c) => c.getACL("/acl/ip")),
  step("D", "create /acl/cidr ip 127.0.0.0/8 ALL", (c) => c.create("/acl/cidr", "c", { acl: [entry(Perm.ALL, "ip", "127.0.0.0/8")] })),
  step("A", "setData /acl/cidr", (c) => c.setData("/acl/cidr", "c2")),
  step("D", "create /acl/other ip 10.1.2.0/24 ALL", (c) => c.create("/acl/other", "o", { acl: [entry(Perm.ALL, "ip", "10.1.2.0/24")] })),
  step("A", "getData /acl/other: NoAuth", (c) => c.getData("/acl/other")),
  step("A", "create under /acl/other: NoAuth", (c) => c.create("/acl/other/k")),
];

/** The super user (superDigest) passes every check; a wrong super password is just another digest. */
const SUPER_USER: Step<ClientName>[] = [
  step("S", "getData sealed", (c) => c.getData("/acl/sealed")),
  step("S", "create child of sealed", (c) => c.create2("/acl/sealed/k", "k", { acl: world(0) })),
  step("S", "getChildren2 sealed", (c) => c.getChildren2("/acl/sealed")),
  step("S", "getAllChildrenNumber sealed", (c) => c.getAllChildrenNumber("/acl/sealed")),
  step("S", "setData sealed v0", (c) => c.setData("/acl/sealed", "s2", 0)),
  step("S", "multi check + setData sealed", (c) => c.multi([check("/acl/sealed", 1), setData("/acl/sealed", "s3", 1)])),
  step("S", "multiRead sealed", (c) => c.multiRead([getData("/acl/sealed"), getChildren("/acl/sealed")])),
  step("S", "getACL alice's node unmasked", (c) => c.getACL("/acl/alice")),
  step("S", "setACL alice's node v0", (c) => c.setACL("/acl/alice", [digest(Perm.READ, ALICE)], 0)),
  step("D", "alice can no longer write", (c) => c.setData("/acl/alice", "x")),
  step("S", "delete child of sealed", (c) => c.delete("/acl/sealed/k")),
  step("S", "setACL sealed to world 0 again", (c) => c.setACL("/acl/sealed", world(0))),
  step("S", "getACL /zookeeper/config", (c) => c.getACL("/zookeeper/config")),
  step("E", "auth digest super with the wrong password", (c) => c.auth("digest", "super:wrong")),
  step("E", "wrong super password: getData sealed NoAuth", (c) => c.getData("/acl/sealed")),
  step("E", "whoAmI after a wrong super password", whoAmISorted),
];

/** AuthFailed (unknown scheme): reply xid -4, zxid 0, err -115, then the server closes the connection. */
const AUTH_FAILED: Step<ClientName>[] = [
  step("F", "auth with an unknown scheme: AuthFailed", (c) => c.auth("nosuchscheme", "x")),
  step("A", "the others carry on", (c) => c.getChildren2("/acl")),
  step("A", "ping", (c) => c.ping()),
];

const SCRIPT: Step<ClientName>[] = [
  ...IDENTITIES,
  ...NO_AUTH_ON_EACH_OP,
  ...PERMISSION_BITS,
  ...AUTH_EXPANSION,
  ...GETACL_MASKING,
  ...SETACL_VERSIONS,
  ...ACL_VALIDATION,
  ...IP_ACLS,
  ...SUPER_USER,
  ...AUTH_FAILED,
];

test(`ACL differential: ${SCRIPT.length} scripted operations give identical replies on ${REFERENCE} and ${SUBJECT}`, async () => {
  await runDifferential({ clients: CLIENTS, steps: SCRIPT }, { cfg: SUPER_DIGEST_CFG, dumpPrefix: "acl-" });
});
