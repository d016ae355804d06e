/**
 * The authorization matrix (shared/reference §8) as one table: every op × every permission bit granted or
 * withheld × every way an identity can match (or fail to match) an ACL entry ⇒ the error code the op must return,
 * and for getACL the ACL it must show (digest ids masked to `user:x` unless the caller has ADMIN).
 *
 * Each case gets its own node N (with a child `kid`) whose ACL is the one under test; ops that need a permission
 * on the parent (create*, delete) act on a child of N, so N plays the parent. One extra row puts the ACL on the
 * deleted child itself, to show that a node's own ACL does not guard its deletion.
 *
 * exists checks READ only from 3.8.4/3.9.2 (ZOOKEEPER-2590); the reference binary is 3.8.0, so that bit is
 * asserted against Herd only, as in the other semantics tests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AddWatchMode, CreateFlag, Err, OpCode, Perm, errName } from "../../src/jute/index.js";
import type { ACL, MultiResult } from "../../src/jute/index.js";
import { OPEN_ACL_UNSAFE, RawClient, createRequest, ok } from "../helpers/raw-client.js";
import type { Result } from "../helpers/raw-client.js";
import { SUPER_DIGEST_CFG, SUPER_PASSWORD, isHerd, useServer } from "./support.js";

const h = useServer(SUPER_DIGEST_CFG);

/** Cases set up and run at the same time: enough to pipeline, few enough to stay under the outstanding-request limit. */
const CASES_IN_FLIGHT_MAX = 48;
/** Mismatches listed in a failure message; the count is always given. */
const MISMATCHES_SHOWN_MAX = 60;
const TTL_MS = 600_000n;

const ALICE = "alice:secret";
const BOB = "bob:pw";
const digestId = (userPassword: string) =>
  `${userPassword.slice(0, userPassword.indexOf(":"))}:${createHash("sha1").update(userPassword).digest("base64")}`;
const aclOf = (perms: number, scheme: string, id: string): ACL[] => [{ perms, id: { scheme, id } }];

// ------------------------------------------------------------------ the axes

type Caller = "anon" | "alice" | "bob" | "super";

interface Scheme {
  name: string;
  caller: Caller;
  /** The connection that sets the ACL: `auth` entries expand to its identities. */
  setter: Caller;
  /** The ACL as sent in setACL. */
  acl(perms: number): ACL[];
  /** The ACL as the server must store it (after `auth` expansion). */
  stored(perms: number): ACL[];
  /** Whether the caller's identities match the entry, so its perms apply. */
  matches: boolean;
  isSuper: boolean;
  /** The ACL given to nodes the caller creates. */
  newNodeAcl: ACL[];
}

const simpleScheme = (name: string, caller: Caller, scheme: string, id: string, matches: boolean): Scheme => ({
  name,
  caller,
  setter: "anon",
  acl: (perms) => aclOf(perms, scheme, id),
  stored: (perms) => aclOf(perms, scheme, id),
  matches,
  isSuper: false,
  newNodeAcl: OPEN_ACL_UNSAFE,
});

const SCHEMES: Scheme[] = [
  simpleScheme("world:anyone", "anon", "world", "anyone", true),
  simpleScheme("digest (addauth alice)", "alice", "digest", digestId(ALICE), true),
  simpleScheme("digest of another user (bob)", "bob", "digest", digestId(ALICE), false),
  {
    name: "auth expansion (alice)",
    caller: "alice",
    setter: "alice",
    acl: (perms) => aclOf(perms, "auth", ""),
    stored: (perms) => aclOf(perms, "digest", digestId(ALICE)),
    matches: true,
    isSuper: false,
    newNodeAcl: aclOf(Perm.ALL, "auth", ""),
  },
  simpleScheme("ip 127.0.0.1", "anon", "ip", "127.0.0.1", true),
  simpleScheme("ip 127.0.0.0/8", "anon", "ip", "127.0.0.0/8", true),
  simpleScheme("ip 10.0.0.0/8 (no match)", "anon", "ip", "10.0.0.0/8", false),
  { ...simpleScheme("super (superDigest) on alice's node", "super", "digest", digestId(ALICE), false), isSuper: true },
];

const BITS: [string, number][] = [["r", Perm.READ], ["w", Perm.WRITE], ["c", Perm.CREATE], ["d", Perm.DELETE], ["a", Perm.ADMIN]];

/** Nothing, all, each bit alone and all but each bit: every bit is both granted and withheld. */
const PERM_SETS: number[] = [0, Perm.ALL, ...BITS.map(([, b]) => b), ...BITS.map(([, b]) => Perm.ALL & ~b)];

const permsLabel = (perms: number) => BITS.map(([letter, b]) => ((perms & b) !== 0 ? letter : "-")).join("");

// ------------------------------------------------------------------ the ops

/** The node under test and its paths. */
interface Fixture {
  node: string;
  kid: string;
  /** A not-yet-existing child of `node`, for creates. */
  fresh: string;
  scheme: Scheme;
}

interface Outcome {
  err: number;
  acl?: ACL[];
}

interface OpSpec {
  name: string;
  /** The ACL under test sits on N, or (one row) on N's child that the op deletes. */
  aclOn: "node" | "kid";
  /** Permission bits of which any one grants the op; 0 = no check. */
  needs: number;
  run(c: RawClient, f: Fixture): Promise<Outcome>;
}

const errOf = (r: Result<unknown>): Outcome => ({ err: r.err });

/** A multi's outcome is its first non-zero sub-result (the header err stays 0). */
function multiOutcome(r: Result<MultiResult[]>): Outcome {
  if (r.err !== 0) return { err: r.err };
  const failed = (r.value ?? []).find((x) => x.type === OpCode.error && x.err !== 0);
  return { err: failed?.type === OpCode.error ? failed.err : 0 };
}

const createOp = (name: string, opcode: 1 | 15 | 19 | 21): OpSpec => ({
  name,
  aclOn: "node",
  needs: Perm.CREATE,
  run: async (c, f) => {
    const acl = f.scheme.newNodeAcl;
    switch (opcode) {
      case OpCode.create:
        return errOf(await c.create(f.fresh, "n", { acl }));
      case OpCode.create2:
        return errOf(await c.create2(f.fresh, "n", { acl }));
      case OpCode.createContainer:
        return errOf(await c.createContainer(f.fresh, "n", { acl }));
      case OpCode.createTTL:
        return errOf(await c.createTTL(f.fresh, "n", TTL_MS, { acl }));
    }
  },
});

const OPS: OpSpec[] = [
  createOp("create", OpCode.create),
  createOp("create2", OpCode.create2),
  createOp("createContainer", OpCode.createContainer),
  createOp("createTTL", OpCode.createTTL),
  { name: "delete (ACL on the parent)", aclOn: "node", needs: Perm.DELETE, run: async (c, f) => errOf(await c.delete(f.kid)) },
  { name: "delete (ACL on the node itself)", aclOn: "kid", needs: 0, run: async (c, f) => errOf(await c.delete(f.kid)) },
  { name: "setData", aclOn: "node", needs: Perm.WRITE, run: async (c, f) => errOf(await c.setData(f.node, "x")) },
  { name: "getData", aclOn: "node", needs: Perm.READ, run: async (c, f) => errOf(await c.getData(f.node)) },
  // ZOOKEEPER-2590: 3.8.0 does no check; Herd follows 3.8.4+/3.9.2+.
  { name: "exists", aclOn: "node", needs: isHerd ? Perm.READ : 0, run: async (c, f) => errOf(await c.exists(f.node)) },
  { name: "getChildren", aclOn: "node", needs: Perm.READ, run: async (c, f) => errOf(await c.getChildren(f.node)) },
  { name: "getChildren2", aclOn: "node", needs: Perm.READ, run: async (c, f) => errOf(await c.getChildren2(f.node)) },
  { name: "getAllChildrenNumber", aclOn: "node", needs: Perm.READ, run: async (c, f) => errOf(await c.getAllChildrenNumber(f.node)) },
  {
    name: "getACL",
    aclOn: "node",
    needs: Perm.READ | Perm.ADMIN,
    run: async (c, f) => {
      const r = await c.getACL(f.node);
      return r.err === 0 ? { err: 0, acl: r.value?.acl ?? [] } : { err: r.err };
    },
  },
  { name: "setACL", aclOn: "node", needs: Perm.ADMIN, run: async (c, f) => errOf(await c.setACL(f.node, OPEN_ACL_UNSAFE)) },
  { name: "check in multi", aclOn: "node", needs: Perm.READ, run: async (c, f) => multiOutcome(await c.multi([{ op: "check", path: f.node, version: 0 }])) },
  {
    name: "multiRead getData",
    aclOn: "node",
    needs: Perm.READ,
    run: async (c, f) => multiOutcome(await c.multiRead([{ op: "getData", path: f.node, watch: false }])),
  },
  {
    name: "multiRead getChildren",
    aclOn: "node",
    needs: Perm.READ,
    run: async (c, f) => multiOutcome(await c.multiRead([{ op: "getChildren", path: f.node, watch: false }])),
  },
  { name: "sync", aclOn: "node", needs: 0, run: async (c, f) => errOf(await c.sync(f.node)) },
  { name: "addWatch", aclOn: "node", needs: 0, run: async (c, f) => errOf(await c.addWatch(f.node, AddWatchMode.Persistent)) },
];

// ------------------------------------------------------------------ expectations

interface Case {
  op: OpSpec;
  scheme: Scheme;
  perms: number;
  fixture: Fixture;
}

function expectedErr(k: Case): number {
  if (k.op.needs === 0 || k.scheme.isSuper) return Err.OK;
  return k.scheme.matches && (k.perms & k.op.needs) !== 0 ? Err.OK : Err.NoAuth;
}

/** getACL without ADMIN shows digest ids as `user:x`; other schemes are shown as stored. */
function expectedAcl(k: Case): ACL[] {
  const hasAdmin = k.scheme.isSuper || (k.scheme.matches && (k.perms & Perm.ADMIN) !== 0);
  const stored = k.scheme.stored(k.perms);
  if (hasAdmin) return stored;
  return stored.map((a) => (a.id.scheme === "digest" ? { perms: a.perms, id: { scheme: "digest", id: `${a.id.id.split(":")[0]}:x` } } : a));
}

function describe(k: Case): string {
  return `${k.op.name} | ${k.scheme.name} | perms ${permsLabel(k.perms)}`;
}

/** What is wrong with an outcome, or undefined if it is right. */
function mismatch(k: Case, got: Outcome): string | undefined {
  const want = expectedErr(k);
  if (got.err !== want) return `${describe(k)}: expected ${errName(want)}, got ${errName(got.err)} (${got.err})`;
  if (k.op.name === "getACL" && got.err === 0) {
    const acl = expectedAcl(k);
    if (JSON.stringify(got.acl) !== JSON.stringify(acl)) return `${describe(k)}: ACL ${JSON.stringify(got.acl)}, expected ${JSON.stringify(acl)}`;
  }
  return undefined;
}

// ------------------------------------------------------------------ running

type Clients = Record<Caller, RawClient>;

async function connectAll(): Promise<Clients> {
  const [anon, alice, bob, superUser] = await Promise.all([h.connect(), h.connect(), h.connect(), h.connect()]);
  ok(await alice.auth("digest", ALICE));
  ok(await bob.auth("digest", BOB));
  ok(await superUser.auth("digest", SUPER_PASSWORD));
  return { anon, alice, bob, super: superUser };
}

/** Creates N and its child openly in one multi, then restricts the one the row is about. */
async function setUp(clients: Clients, k: Case): Promise<void> {
  const { node, kid } = k.fixture;
  const created = ok(await clients.anon.multi([
    createRequest(OpCode.create, node, "d", { acl: OPEN_ACL_UNSAFE }),
    createRequest(OpCode.create, kid, "k", { acl: OPEN_ACL_UNSAFE, flags: CreateFlag.PERSISTENT }),
  ]), `set up ${node}`);
  assert.ok(created.every((r) => r.type !== OpCode.error), `set up ${node}: ${JSON.stringify(created)}`);
  const restricted = k.op.aclOn === "node" ? node : kid;
  ok(await clients[k.scheme.setter].setACL(restricted, k.scheme.acl(k.perms)), `setACL ${restricted}`);
}

async function runCase(clients: Clients, k: Case): Promise<string | undefined> {
  await setUp(clients, k);
  return mismatch(k, await k.op.run(clients[k.scheme.caller], k.fixture));
}

/** Runs every case with at most `limit` in flight; returns the mismatches in table order. */
async function runAll(clients: Clients, cases: Case[], limit: number): Promise<string[]> {
  const results: (string | undefined)[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(clients, cases[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results.filter((m): m is string => m !== undefined);
}

function buildCases(root: string): Case[] {
  const cases: Case[] = [];
  SCHEMES.forEach((scheme, s) => {
    for (const perms of PERM_SETS) {
      OPS.forEach((op, o) => {
        const node = `${root}/s${s}-${permsLabel(perms)}-op${o}`;
        cases.push({ op, scheme, perms, fixture: { node, kid: `${node}/kid`, fresh: `${node}/new`, scheme } });
      });
    }
  });
  return cases;
}

test("authorization matrix: op × permission bit × scheme ⇒ error code (and getACL masking)", async () => {
  const clients = await connectAll();
  const root = h.freshPath("acl-matrix");
  ok(await clients.anon.create(root));
  const cases = buildCases(root);
  assert.equal(cases.length, OPS.length * SCHEMES.length * PERM_SETS.length);
  const mismatches = await runAll(clients, cases, CASES_IN_FLIGHT_MAX);
  for (const c of Object.values(clients)) assert.deepEqual(c.protocolErrors, [], "no protocol errors");
  if (mismatches.length > 0) {
    const shown = mismatches.slice(0, MISMATCHES_SHOWN_MAX).join("\n");
    assert.fail(`${mismatches.length} of ${cases.length} cases differ from §8:\n${shown}`);
  }
});
