/**
 * Unit tests of src/pipeline/prep.ts against the PendingChanges view: the check order of shared/reference §4
 * (first failing check wins), the create-mode/TTL matrix of §5, sequential numbering from the parent's create
 * counter (also inside one multi and across pipelined, not-yet-applied writes), multi all-or-nothing semantics
 * (§9: codes 0…code…−2, nothing recorded on failure), and the server-issued closeSession / reap preparations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CreateFlag, Err, OpCode, Perm, ZkError } from "../../src/jute/codes.js";
import type { ACL, CreateOpCode, Request } from "../../src/jute/records.js";
import { digestId, type AuthInfo } from "../../src/tree/acl.js";
import { CONTAINER_OWNER, DataTree, ttlOwner } from "../../src/tree/data-tree.js";
import type { TxnBody } from "../../src/tree/txn.js";
import { PendingChanges } from "../../src/pipeline/pending-changes.js";
import { MultiFailure, Preparer, type PrepContext, type PrepOptions, type WriteRequest } from "../../src/pipeline/prep.js";
import { createBody, header } from "./tree-support.js";

// ---------------------------------------------------------------- fixture

const OPEN: ACL[] = [{ perms: Perm.ALL, id: { scheme: "world", id: "anyone" } }];
const worldACL = (perms: number): ACL[] => [{ perms, id: { scheme: "world", id: "anyone" } }];
const CREATOR_ALL: ACL[] = [{ perms: Perm.ALL, id: { scheme: "auth", id: "" } }];
const BAD_ACL: ACL[] = [{ perms: Perm.ALL, id: { scheme: "digest", id: "nocolon" } }];

const ANON: AuthInfo = { ids: [{ scheme: "ip", id: "127.0.0.1" }], isSuper: false };
const ALICE: AuthInfo = { ids: [{ scheme: "ip", id: "127.0.0.1" }, { scheme: "digest", id: digestId("alice:secret") }], isSuper: false };
const SUPER: AuthInfo = { ids: [], isSuper: true };

const SESSION = 0x11n;
const ctx = (auth: AuthInfo = ANON, sessionClosing = false, sessionId = SESSION): PrepContext => ({ sessionId, auth, sessionClosing });
const CLOSING = ctx(ANON, true);

interface CreateOpts {
  flags?: number;
  opcode?: CreateOpCode;
  ttl?: bigint;
  acl?: ACL[] | null;
  data?: Buffer | null;
}
function create(path: string, o: CreateOpts = {}): WriteRequest {
  return { op: "create", opcode: o.opcode ?? OpCode.create, path, data: o.data === undefined ? Buffer.from("d") : o.data, acl: o.acl === undefined ? OPEN : o.acl, flags: o.flags ?? 0, ttl: o.ttl ?? -1n };
}
const del = (path: string, version = -1): WriteRequest => ({ op: "delete", path, version });
const setData = (path: string, version = -1, data: Buffer | null = Buffer.from("x")): WriteRequest => ({ op: "setData", path, data, version });
const setACL = (path: string, acl: ACL[] | null, version = -1): WriteRequest => ({ op: "setACL", path, acl, version });
const check = (path: string, version = -1): WriteRequest => ({ op: "check", path, version });
const multi = (...ops: WriteRequest[]): WriteRequest => ({ op: "multi", ops: ops as Request[] });

/** A tree, its pending-changes view and a preparer, with a zxid counter shared by prepared and raw txns. */
class Fixture {
  readonly tree = new DataTree();
  readonly view = new PendingChanges(this.tree);
  readonly preparer: Preparer;
  zxid = 0n;

  constructor(opts: Partial<PrepOptions> = {}) {
    this.preparer = new Preparer({ extendedTypesEnabled: true, skipACL: false, ...opts });
  }

  /** Prepares at the next zxid without applying: the txn stays pending in the view. */
  prep(req: WriteRequest, c: PrepContext = ctx()): { zxid: bigint; body: TxnBody } {
    const zxid = ++this.zxid;
    return { zxid, body: this.preparer.prepare(req, c, this.view, zxid) };
  }

  apply(zxid: bigint, body: TxnBody, sessionId = SESSION): void {
    this.tree.applyTxn({ ...header(zxid), sessionId }, body);
    this.view.applied(zxid);
  }

  /** Prepares and applies, as the server does for a committed write. */
  write(req: WriteRequest, c: PrepContext = ctx(SUPER)): TxnBody {
    const { zxid, body } = this.prep(req, c);
    this.apply(zxid, body, c.sessionId);
    return body;
  }

  /** Applies a txn that bypasses prep (old data, or states prep would refuse to build). */
  raw(body: TxnBody): void {
    this.apply(++this.zxid, body);
  }

  /** The error code of a write (0 if it succeeds; the prepared txn is then dropped, not applied). */
  code(req: WriteRequest, c: PrepContext = ctx()): number {
    try {
      this.prep(req, c);
      return Err.OK;
    } catch (e) {
      if (e instanceof ZkError) return e.code;
      throw e;
    }
  }

  multiCodes(req: WriteRequest, c: PrepContext = ctx()): number[] {
    try {
      this.prep(req, c);
    } catch (e) {
      if (e instanceof MultiFailure) return e.codes;
      throw e;
    }
    assert.fail("multi unexpectedly succeeded");
  }
}

/**
 * The standard tree for the check-order table:
 *   /open (world ALL) with /open/child and /open/other-eph (ephemeral of session 0x99)
 *   /locked (world READ only) with /locked/x
 *   /noread (world WRITE only)
 *   /versioned (version 2, aversion 0) with child /versioned/c
 *   /eph (ephemeral of SESSION) with /eph/kid (only reachable via old data, so applied raw)
 *   /container, /ttl
 */
function standardTree(opts: Partial<PrepOptions> = {}): Fixture {
  const f = new Fixture(opts);
  f.write(create("/open"));
  f.write(create("/open/child"));
  f.write(create("/open/other-eph", { flags: CreateFlag.EPHEMERAL }), ctx(SUPER, false, 0x99n));
  f.write(create("/locked", { acl: worldACL(Perm.READ) }));
  f.write(create("/locked/x"));
  f.write(create("/noread", { acl: worldACL(Perm.WRITE) }));
  f.write(create("/versioned"));
  f.write(setData("/versioned"));
  f.write(setData("/versioned"));
  f.write(create("/versioned/c"));
  f.write(create("/eph", { flags: CreateFlag.EPHEMERAL }));
  f.raw(createBody("/eph/kid", 1));
  f.write(create("/container", { opcode: OpCode.createContainer }));
  f.write(create("/ttl", { opcode: OpCode.createTTL, flags: CreateFlag.PERSISTENT_WITH_TTL, ttl: 60_000n }));
  assert.equal(f.view.size(), 0, "fixture fully applied");
  return f;
}

// ---------------------------------------------------------------- check order

/** [description, request, context, expected code] */
type OrderCase = [string, WriteRequest, PrepContext, number];

const createOrder: OrderCase[] = [
  ["bad flags beat a closing session", create("/open/a", { flags: 7 }), CLOSING, Err.BadArguments],
  ["negative flags", create("/open/a", { flags: -1 }), ctx(), Err.BadArguments],
  ["closing session beats a bad path", create("nope"), CLOSING, Err.SessionExpired],
  ["path without / ", create("nope"), ctx(), Err.BadArguments],
  ["empty path", create(""), ctx(), Err.BadArguments],
  ["NUL beats a missing parent", create("/missing/a\u0000b"), ctx(), Err.BadArguments],
  ["invalid ACL beats a missing parent", create("/missing/a", { acl: BAD_ACL }), ctx(), Err.InvalidACL],
  ["empty ACL", create("/open/a", { acl: [] }), ctx(), Err.InvalidACL],
  ["null ACL", create("/open/a", { acl: null }), ctx(), Err.InvalidACL],
  ["auth ACL without an authenticated id", create("/open/a", { acl: CREATOR_ALL }), ctx(), Err.InvalidACL],
  ["auth ACL with a digest id", create("/open/a", { acl: CREATOR_ALL }), ctx(ALICE), Err.OK],
  ["missing parent", create("/missing/a"), ctx(), Err.NoNode],
  ["missing parent under a locked node: NoNode before NoAuth", create("/locked/missing/a"), ctx(), Err.NoNode],
  ["'/p//x' has parent '/p/' ⇒ NoNode, not BadArguments", create("/open//x"), ctx(), Err.NoNode],
  ["no CREATE on parent", create("/locked/new"), ctx(), Err.NoAuth],
  ["NoAuth beats NodeExists", create("/locked/x"), ctx(), Err.NoAuth],
  ["NoAuth beats full path validation", create("/locked/."), ctx(), Err.NoAuth],
  ["super may create anywhere", create("/locked/new"), ctx(SUPER), Err.OK],
  ["full validation after the ACL check: '.' segment", create("/open/."), ctx(), Err.BadArguments],
  ["full validation: control char", create("/open/a\u0001"), ctx(), Err.BadArguments],
  ["full validation: trailing slash on a non-sequential create", create("/open/"), ctx(), Err.BadArguments],
  ["full validation: emoji", create("/open/\ud83d\ude00"), ctx(), Err.BadArguments],
  ["node exists", create("/open/child"), ctx(), Err.NodeExists],
  ["the root exists", create("/"), ctx(), Err.NodeExists],
  ["existing child of an ephemeral ⇒ NodeExists", create("/eph/kid"), ctx(), Err.NodeExists],
  ["new child of an ephemeral", create("/eph/new"), ctx(), Err.NoChildrenForEphemerals],
  ["sequential child of an ephemeral", create("/eph/s-", { flags: CreateFlag.EPHEMERAL_SEQUENTIAL }), ctx(), Err.NoChildrenForEphemerals],
  ["child of a container is fine", create("/container/kid"), ctx(), Err.OK],
  ["child of a TTL node is fine", create("/ttl/kid"), ctx(), Err.OK],
  ["create /zookeeper children is not blocked", create("/zookeeper/mine"), ctx(), Err.OK],
  ["plain create", create("/open/new"), ctx(), Err.OK],
];

const deleteOrder: OrderCase[] = [
  ["closing session first", del("/"), CLOSING, Err.SessionExpired],
  ["root", del("/"), ctx(SUPER), Err.BadArguments],
  ["/zookeeper", del("/zookeeper"), ctx(SUPER), Err.BadArguments],
  ["/zookeeper/quota", del("/zookeeper/quota"), ctx(SUPER), Err.BadArguments],
  ["/zookeeper/config", del("/zookeeper/config"), ctx(SUPER), Err.BadArguments],
  ["path without /", del("nope"), ctx(), Err.BadArguments],
  ["NUL", del("/open/a\u0000"), ctx(), Err.BadArguments],
  ["missing parent", del("/missing/a"), ctx(), Err.NoNode],
  ["no DELETE on parent", del("/locked/x"), ctx(), Err.NoAuth],
  ["no DELETE on parent beats a missing node", del("/locked/missing"), ctx(), Err.NoAuth],
  ["missing node", del("/open/missing"), ctx(), Err.NoNode],
  ["missing /zookeeper child", del("/zookeeper/foo"), ctx(), Err.NoNode],
  ["non-empty with a wrong version ⇒ BadVersion", del("/versioned", 1), ctx(), Err.BadVersion],
  ["non-empty with any version ⇒ NotEmpty", del("/versioned", -1), ctx(), Err.NotEmpty],
  ["non-empty with the right version ⇒ NotEmpty", del("/versioned", 2), ctx(), Err.NotEmpty],
  ["wrong version", del("/versioned/c", 5), ctx(), Err.BadVersion],
  ["right version", del("/versioned/c", 0), ctx(), Err.OK],
  ["another session's ephemeral, with DELETE on the parent", del("/open/other-eph"), ctx(), Err.OK],
  ["node's own ACL is irrelevant (parent /open allows DELETE)", del("/noread"), ctx(), Err.OK],
];

const setDataOrder: OrderCase[] = [
  ["closing session first", setData("nope"), CLOSING, Err.SessionExpired],
  ["path validated before NoNode", setData("/missing/"), ctx(), Err.BadArguments],
  ["relative path", setData("nope"), ctx(), Err.BadArguments],
  ["missing", setData("/missing"), ctx(), Err.NoNode],
  ["no WRITE beats BadVersion", setData("/locked", 7), ctx(), Err.NoAuth],
  ["/zookeeper/config is read-only for normal users", setData("/zookeeper/config"), ctx(), Err.NoAuth],
  ["super may write /zookeeper/config", setData("/zookeeper/config"), ctx(SUPER), Err.OK],
  ["wrong version", setData("/versioned", 1), ctx(), Err.BadVersion],
  ["right version", setData("/versioned", 2), ctx(), Err.OK],
  ["any version", setData("/versioned", -1), ctx(), Err.OK],
  ["WRITE without READ is enough", setData("/noread"), ctx(), Err.OK],
];

const setACLOrder: OrderCase[] = [
  ["closing session first", setACL("nope", BAD_ACL), CLOSING, Err.SessionExpired],
  ["path validated first", setACL("/missing/", BAD_ACL), ctx(), Err.BadArguments],
  ["invalid ACL beats NoNode", setACL("/missing", BAD_ACL), ctx(), Err.InvalidACL],
  ["missing", setACL("/missing", OPEN), ctx(), Err.NoNode],
  ["no ADMIN", setACL("/locked", OPEN), ctx(), Err.NoAuth],
  ["version is compared with aversion, not version", setACL("/versioned", OPEN, 2), ctx(), Err.BadVersion],
  ["aversion matches", setACL("/versioned", OPEN, 0), ctx(), Err.OK],
];

const checkOrder: OrderCase[] = [
  ["closing session first", check("nope"), CLOSING, Err.SessionExpired],
  ["path validated first", check("/missing/"), ctx(), Err.BadArguments],
  ["missing", check("/missing"), ctx(), Err.NoNode],
  ["no READ beats BadVersion", check("/noread", 9), ctx(), Err.NoAuth],
  ["wrong version", check("/versioned", 1), ctx(), Err.BadVersion],
  ["right version", check("/versioned", 2), ctx(), Err.OK],
];

for (const [name, cases] of [
  ["create", createOrder],
  ["delete", deleteOrder],
  ["setData", setDataOrder],
  ["setACL", setACLOrder],
  ["check", checkOrder],
] as [string, OrderCase[]][]) {
  test(`check order (§4): ${name}`, () => {
    for (const [what, req, c, expected] of cases) {
      const f = standardTree();
      const code = f.code(req, c);
      assert.equal(code, expected, `${name}: ${what}: expected ${expected}, got ${code}`);
      if (code !== Err.OK) assert.equal(f.view.size(), 0, `${name}: ${what}: a failed write records nothing`);
    }
  });
}

test("skipACL: permission checks are skipped, ACL lists are still validated", () => {
  const f = standardTree({ skipACL: true });
  assert.equal(f.code(create("/locked/new")), Err.OK);
  assert.equal(f.code(del("/locked/x")), Err.OK);
  assert.equal(f.code(setData("/zookeeper/config")), Err.OK);
  assert.equal(f.code(create("/open/a", { acl: BAD_ACL })), Err.InvalidACL);
  assert.equal(f.code(create("/open/b", { acl: CREATOR_ALL })), Err.InvalidACL);
});

// ---------------------------------------------------------------- txn bodies

test("create txn: path, data, fixed-up ACL, owner and the parent's new create counter", () => {
  const f = standardTree();
  const { body } = f.prep(create("/open/n", { acl: [...CREATOR_ALL, ...CREATOR_ALL], data: null }), ctx(ALICE));
  assert.deepEqual(body, {
    type: "create",
    path: "/open/n",
    data: null,
    acl: [{ perms: Perm.ALL, id: { scheme: "digest", id: digestId("alice:secret") } }],
    ephemeralOwner: 0n,
    parentCreateCount: 3, // /open had child and other-eph
  });
});

test("setData / setACL / delete / check txns carry absolute results", () => {
  const f = standardTree();
  assert.deepEqual(f.prep(setData("/versioned", 2, null)).body, { type: "setData", path: "/versioned", data: null, version: 3 });
  assert.deepEqual(f.prep(setACL("/versioned", worldACL(Perm.READ), 0)).body, { type: "setACL", path: "/versioned", acl: worldACL(Perm.READ), version: 1 });
  assert.deepEqual(f.prep(del("/open/child")).body, { type: "delete", path: "/open/child" });
  assert.deepEqual(f.prep(check("/versioned", -1)).body, { type: "check", path: "/versioned", version: -1 });
});

test("data version wraps as a Java int", () => {
  const f = standardTree();
  f.tree.restoreNode("/open", { ...f.tree.get("/open")!.fields(), version: 2147483647 });
  const body = f.prep(setData("/open", 2147483647)).body as Extract<TxnBody, { type: "setData" }>;
  assert.equal(body.version, -2147483648);
});

/** [description, opcode, flags, ttl, expected owner ("session" | "container" | ttl | 0n) or error code when enabled, when disabled] */
type ModeCase = [string, CreateOpCode, number, bigint, bigint | "session" | "container" | number, bigint | "session" | "container" | number | null];
const T = (ms: bigint) => ttlOwner(ms);
const TTL_MAX = (1n << 40n) - 1n;
const modeCases: ModeCase[] = [
  ["op 1 flags 0", OpCode.create, 0, -1n, 0n, 0n],
  ["op 1 ephemeral", OpCode.create, 1, -1n, "session", "session"],
  ["op 15 ephemeral sequential", OpCode.create2, 3, -1n, "session", "session"],
  ["op 1 flags 4 is an ordinary persistent node", OpCode.create, 4, -1n, 0n, 0n],
  ["op 19 flags 0 is a container", OpCode.createContainer, 0, -1n, "container", "container"],
  ["op 19 flags 4 is a container", OpCode.createContainer, 4, -1n, "container", "container"],
  ["op 19 flags 1 is a container, not ephemeral", OpCode.createContainer, 1, -1n, "container", "container"],
  ["op 1 flags 5 (TTL mode without a TTL)", OpCode.create, 5, -1n, Err.BadArguments, Err.Unimplemented],
  ["op 1 flags 6", OpCode.create, 6, -1n, Err.BadArguments, Err.Unimplemented],
  ["op 15 flags 5", OpCode.create2, 5, -1n, Err.BadArguments, Err.Unimplemented],
  ["op 21 flags 5 ttl 1000", OpCode.createTTL, 5, 1000n, T(1000n), Err.Unimplemented],
  ["op 21 flags 6 ttl 1000", OpCode.createTTL, 6, 1000n, T(1000n), Err.Unimplemented],
  ["op 21 ttl 1", OpCode.createTTL, 5, 1n, T(1n), Err.Unimplemented],
  ["op 21 ttl 2^40−1", OpCode.createTTL, 5, TTL_MAX, T(TTL_MAX), Err.Unimplemented],
  ["op 21 ttl 2^40", OpCode.createTTL, 5, TTL_MAX + 1n, Err.BadArguments, Err.Unimplemented],
  ["op 21 ttl 0", OpCode.createTTL, 5, 0n, Err.BadArguments, Err.Unimplemented],
  ["op 21 ttl −1", OpCode.createTTL, 5, -1n, Err.BadArguments, Err.Unimplemented],
  // Disabled: Java would say BadArguments here (non-TTL mode, TTL ≥ 0) — the spec's wording is ambiguous, so not asserted.
  ["op 21 flags 0 with a TTL", OpCode.createTTL, 0, 1000n, Err.BadArguments, null],
  ["op 21 flags 1 with a TTL", OpCode.createTTL, 1, 1000n, Err.BadArguments, null],
  ["flags 7 on op 21", OpCode.createTTL, 7, 1000n, Err.BadArguments, Err.BadArguments],
  ["flags 7 on op 19", OpCode.createContainer, 7, -1n, Err.BadArguments, Err.BadArguments],
];

test("create mode / TTL matrix (§5), TTLs enabled and disabled", () => {
  for (const enabled of [true, false]) {
    for (const [what, opcode, flags, ttl, whenEnabled, whenDisabled] of modeCases) {
      const expected = enabled ? whenEnabled : whenDisabled;
      if (expected === null) continue;
      const f = new Fixture({ extendedTypesEnabled: enabled });
      const label = `${what} (TTL ${enabled ? "enabled" : "disabled"})`;
      let body: TxnBody;
      try {
        body = f.prep(create("/n", { opcode, flags, ttl })).body;
      } catch (e) {
        if (!(e instanceof ZkError)) throw e;
        assert.equal(e.code, expected, `${label}: got error ${e.code}`);
        continue;
      }
      const owner = expected === "session" ? SESSION : expected === "container" ? CONTAINER_OWNER : expected;
      assert.equal(typeof owner, "bigint", `${label}: expected error ${String(expected)}, but the create succeeded`);
      const createTxn = body as Extract<TxnBody, { type: "create" }>;
      assert.equal(createTxn.ephemeralOwner, owner, `${label}: ephemeralOwner`);
      const sequential = (flags === 2 || flags === 3 || flags === 6) && opcode !== OpCode.createContainer;
      assert.equal(createTxn.path, sequential ? "/n0000000000" : "/n", `${label}: path`);
    }
  }
});

// ---------------------------------------------------------------- sequential numbering

const SEQ = { flags: CreateFlag.PERSISTENT_SEQUENTIAL };
const pathOf = (body: TxnBody) => (body as { path: string }).path;

test("sequential: numbered by the parent's count of child creations ever, not numChildren or cversion", () => {
  const f = standardTree();
  f.write(create("/s"));
  assert.equal(pathOf(f.write(create("/s/x-", SEQ))), "/s/x-0000000000");
  f.write(del("/s/x-0000000000"));
  assert.equal(pathOf(f.write(create("/s/x-", SEQ))), "/s/x-0000000001", "a deleted child still counts");
  f.write(create("/s/plain"));
  assert.equal(pathOf(f.write(create("/s/x-", SEQ))), "/s/x-0000000003", "non-sequential creates count too");
  assert.equal(f.tree.statOf(f.tree.get("/s")!).cversion, 2 * 4 - 3);
  assert.equal(pathOf(f.write(create("/s/", SEQ))), "/s/0000000004", "a trailing / is a valid sequential prefix");
  assert.equal(pathOf(f.write(create("/s/e-", { flags: CreateFlag.EPHEMERAL_SEQUENTIAL }))), "/s/e-0000000005");
});

test("sequential: under the root the counter starts at 0 (the built-in /zookeeper is not counted)", () => {
  const f = new Fixture();
  assert.equal(pathOf(f.write(create("/", SEQ))), "/0000000000");
  assert.equal(pathOf(f.write(create("/q-", SEQ))), "/q-0000000001");
});

test("sequential: generated name that already exists ⇒ NodeExists", () => {
  const f = new Fixture();
  f.write(create("/s"));
  f.write(create("/s/x-0000000001")); // counter becomes 1
  assert.equal(f.code(create("/s/x-", SEQ)), Err.NodeExists);
});

test("sequential: the counter is a Java int — 2147483647, then -2147483648 (pipelined, before apply)", () => {
  const f = new Fixture();
  f.write(create("/s"));
  f.tree.restoreNode("/s", { ...f.tree.get("/s")!.fields(), createCount: 2147483647 });
  const names = [f.prep(create("/s/x-", SEQ)), f.prep(create("/s/x-", SEQ)), f.prep(create("/s/x-", SEQ))].map((p) => pathOf(p.body));
  assert.deepEqual(names, ["/s/x-2147483647", "/s/x--2147483648", "/s/x--2147483647"]);
});

/** Found as a bug: applyCreate ignored the wrapped counter (a plain '>' test), so the next create hit NodeExists. */
test("sequential: the counter wraps to -2147483648 once the create at 2147483647 is applied", () => {
  const f = new Fixture();
  f.write(create("/s"));
  f.tree.restoreNode("/s", { ...f.tree.get("/s")!.fields(), createCount: 2147483647 });
  assert.equal(pathOf(f.write(create("/s/x-", SEQ))), "/s/x-2147483647");
  assert.equal(f.tree.get("/s")!.createCount, -2147483648);
  assert.equal(pathOf(f.write(create("/s/x-", SEQ))), "/s/x--2147483648");
});

test("sequential: consecutive numbers inside one multi", () => {
  const f = new Fixture();
  f.write(create("/s"));
  const body = f.write(multi(create("/s/a-", SEQ), create("/s/b"), create("/s/a-", SEQ), create("/s/a-", SEQ)));
  assert.deepEqual((body as Extract<TxnBody, { type: "multi" }>).ops.map(pathOf), ["/s/a-0000000000", "/s/b", "/s/a-0000000002", "/s/a-0000000003"]);
  assert.equal(f.tree.get("/s")!.createCount, 4);
});

test("sequential: pipelined creates see each other's counters before they are applied", () => {
  const f = new Fixture();
  f.write(create("/s"));
  const first = f.prep(create("/s/x-", SEQ));
  const second = f.prep(create("/s/x-", SEQ));
  assert.equal(pathOf(first.body), "/s/x-0000000000");
  assert.equal(pathOf(second.body), "/s/x-0000000001");
  f.apply(first.zxid, first.body);
  f.apply(second.zxid, second.body);
  assert.equal(f.tree.get("/s")!.createCount, 2);
  assert.equal(f.view.size(), 0);
});

// ---------------------------------------------------------------- pipelining through PendingChanges

test("pipelined writes see each other through PendingChanges before they are applied", () => {
  const f = new Fixture();
  const p1 = f.prep(create("/a"));
  assert.equal(f.tree.get("/a"), undefined, "nothing applied yet");
  const p2 = f.prep(create("/a/b"));
  assert.equal(f.code(create("/a")), Err.NodeExists, "pending create is visible");
  const p3 = f.prep(setData("/a", 0));
  assert.equal(f.code(setData("/a", 0)), Err.BadVersion, "pending setData bumped the version to 1");
  assert.equal(f.code(del("/a")), Err.NotEmpty, "pending child makes /a non-empty");
  const p4 = f.prep(del("/a/b"));
  assert.equal(f.code(del("/a/b")), Err.NoNode, "pending delete is visible");
  const p5 = f.prep(del("/a", 1));
  assert.equal(f.code(create("/a/c")), Err.NoNode, "pending delete of the parent is visible");
  assert.ok(f.view.size() > 0);

  for (const p of [p1, p2, p3, p4, p5]) f.apply(p.zxid, p.body);
  assert.equal(f.view.size(), 0, "every record dropped once its txn is applied");
  assert.equal(f.tree.get("/a"), undefined);
  assert.equal(f.tree.get("/")!.createCount, 1);
});

test("a failed single write records nothing in the view", () => {
  const f = standardTree();
  for (const req of [create("/open/child"), del("/versioned"), setData("/versioned", 9), setACL("/locked", OPEN), check("/missing")]) {
    assert.notEqual(f.code(req), Err.OK);
    assert.equal(f.view.size(), 0);
  }
});

// ---------------------------------------------------------------- multi

test("multi failure: codes 0 before, the code, then RuntimeInconsistency; nothing recorded", () => {
  const f = standardTree();
  assert.deepEqual(f.multiCodes(multi(create("/open/new"), create("/open/child"), setData("/open"))), [0, Err.NodeExists, Err.RuntimeInconsistency]);
  assert.equal(f.view.size(), 0, "no records from the successful first op");
  assert.equal(f.view.lookup("/open/new"), null);
  assert.deepEqual(f.multiCodes(multi(check("/versioned", 1))), [Err.BadVersion]);
  assert.deepEqual(f.multiCodes(multi(setData("/open"), setData("/open"), del("/missing"), create("/x"), create("/y"))), [0, 0, Err.NoNode, -2, -2]);
  assert.deepEqual(f.multiCodes(multi(create("/a")), CLOSING), [Err.SessionExpired]);
  assert.equal(f.view.size(), 0);
  assert.equal(f.code(create("/open/new")), Err.OK, "the failed multi's create left no trace");
});

test("multi with a sub-op that is not create/delete/setData/check, or TTL flags on a plain create ⇒ MarshallingError for the whole request", () => {
  const f = standardTree();
  const cases: [string, WriteRequest][] = [
    ["nested multi", multi(create("/a"), multi(create("/b")))],
    ["setACL", multi(create("/a"), setACL("/open", OPEN))],
    ["TTL flags on op 1", multi(create("/a"), create("/t", { flags: CreateFlag.PERSISTENT_WITH_TTL }))],
    ["TTL sequential flags on op 15", multi(create("/t", { opcode: OpCode.create2, flags: CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL }))],
  ];
  for (const [what, req] of cases) {
    assert.equal(f.code(req), Err.MarshallingError, what);
    assert.equal(f.view.size(), 0, `${what}: nothing recorded`);
  }
  assert.equal(f.code(multi(create("/t", { opcode: OpCode.createTTL, flags: CreateFlag.PERSISTENT_WITH_TTL, ttl: 100n }))), Err.OK, "op 21 with TTL flags is fine");
});

test("multi sub-ops see earlier sub-ops; later ops fail on state earlier ops produced", () => {
  const f = standardTree();
  assert.equal(f.code(multi(create("/m"), setData("/m", 0), check("/m", 1), create("/m/k"), del("/m/k"), del("/m", 1))), Err.OK);
  assert.deepEqual(f.multiCodes(multi(create("/m2"), create("/m2"))), [0, Err.NodeExists]);
  assert.deepEqual(f.multiCodes(multi(del("/open/child"), check("/open/child"))), [0, Err.NoNode]);
});

test("multi success: one zxid, records visible to later writes, dropped when applied", () => {
  const f = standardTree();
  const m = f.prep(multi(create("/m"), create("/m/k"), setData("/open")));
  assert.equal(m.body.type, "multi");
  assert.equal(f.code(create("/m")), Err.NodeExists);
  assert.equal(f.code(setData("/open", 0)), Err.BadVersion);
  assert.ok(f.view.size() >= 4);
  f.apply(m.zxid, m.body);
  assert.equal(f.view.size(), 0);
  assert.ok(f.tree.get("/m/k"));
  assert.equal(f.tree.get("/open")!.version, 1);
});

test("empty multi succeeds with no ops", () => {
  const f = new Fixture();
  assert.deepEqual(f.prep(multi()).body, { type: "multi", ops: [] });
  assert.equal(f.view.size(), 0);
});

// ---------------------------------------------------------------- server-issued writes

test("prepareCloseSession: only this session's ephemerals, pending ones included, sorted, deduplicated", () => {
  const f = new Fixture();
  f.write(create("/open"));
  f.write(create("/open/child"));
  f.write(create("/open/other-eph", { flags: CreateFlag.EPHEMERAL }), ctx(SUPER, false, 0x99n));
  f.write(create("/eph", { flags: CreateFlag.EPHEMERAL }));
  f.write(create("/open/e2", { flags: CreateFlag.EPHEMERAL }));
  const pending = f.prep(create("/open/e1", { flags: CreateFlag.EPHEMERAL })); // not applied yet
  const zxid = ++f.zxid;
  const body = f.preparer.prepareCloseSession(
    SESSION,
    ["/open/e2", "/open/e1", "/eph", "/open/e2", "/open/other-eph", "/open/child", "/missing"],
    f.view,
    zxid,
  );
  assert.deepEqual(body, { type: "closeSession", paths: ["/eph", "/open/e1", "/open/e2"] });
  assert.equal(f.view.lookup("/open/e1"), null);
  assert.equal(f.view.lookup("/open/e2"), null);
  assert.ok(f.view.lookup("/open/other-eph"));
  f.apply(pending.zxid, pending.body);
  f.apply(zxid, body);
  assert.equal(f.view.size(), 0);
  assert.equal(f.tree.get("/open/e1"), undefined);
  assert.equal(f.tree.ephemerals.has(SESSION), false);
});

test("prepareReap: NoNode, NotEmpty (also for a pending child), otherwise a delete without ACL or version checks", () => {
  const f = standardTree();
  f.write(create("/locked/c", { opcode: OpCode.createContainer }), ctx(SUPER));
  assert.throws(() => f.preparer.prepareReap("/missing", f.view, ++f.zxid), (e: unknown) => e instanceof ZkError && e.code === Err.NoNode);
  assert.throws(() => f.preparer.prepareReap("/versioned", f.view, ++f.zxid), (e: unknown) => e instanceof ZkError && e.code === Err.NotEmpty);
  const child = f.prep(create("/container/kid"));
  assert.throws(() => f.preparer.prepareReap("/container", f.view, ++f.zxid), (e: unknown) => e instanceof ZkError && e.code === Err.NotEmpty);
  f.apply(child.zxid, child.body);
  const zxid = ++f.zxid;
  assert.deepEqual(f.preparer.prepareReap("/locked/c", f.view, zxid), { type: "delete", path: "/locked/c" });
  assert.equal(f.view.lookup("/locked/c"), null);
});
