/**
 * Differential test: one scripted sequence of mixed operations (every node type, errors, multi, ACLs,
 * watches, sessions) runs against Apache ZooKeeper 3.8 and against Herd, both started here, and every reply
 * and every notification is compared field by field, Stats included.
 *
 * What is masked, consistently on both sides, because it legitimately differs between two servers:
 * ctime/mtime (wall clock), session ids (ephemeralOwner is replaced by the session's name in the script),
 * and the zxid of notifications (-1 in 3.8, the txn zxid in 3.9+). Every other zxid (reply headers, czxid,
 * mzxid, pzxid) is kept, relative to the zxid of the run's first ping, so zxid consumption must match too
 * (including failed writes, which consume a zxid in ZooKeeper).
 *
 * HERD_DIFF_SUBJECT=zookeeper compares ZooKeeper with itself, which checks that the script and the masking
 * are deterministic.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AddWatchMode, CreateFlag, OpCode, Perm, WatcherType, errName } from "../../src/jute/index.js";
import type { ACL, Request } from "../../src/jute/index.js";
import { RawClient, createRequest, createTTLRequest } from "../helpers/raw-client.js";
import type { Result } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server-process.js";
import type { ServerKind, ServerProcess } from "../helpers/server-process.js";

const REFERENCE: ServerKind = "zookeeper";
const SUBJECT: ServerKind = process.env.HERD_DIFF_SUBJECT === "zookeeper" ? "zookeeper" : "herd";
const SESSION_TIMEOUT_MS = 30_000;

type ClientName = "A" | "B" | "D";
const CLIENTS: ClientName[] = ["A", "B", "D"];

const OPEN: ACL[] = [{ perms: Perm.ALL, id: { scheme: "world", id: "anyone" } }];
const world = (perms: number, id = "anyone"): ACL[] => [{ perms, id: { scheme: "world", id } }];

/** Per-run state a step may need: the other sessions and zxids captured by earlier steps. */
interface RunContext {
  clients: Map<ClientName, RawClient>;
  /** Raw zxids of earlier replies, by step label (so a step can use "the zxid of step X" on this server). */
  zxids: Map<string, bigint>;
}

interface Step {
  who: ClientName;
  label: string;
  run(c: RawClient, ctx: RunContext): Promise<Result<unknown>>;
}

const step = (who: ClientName, label: string, run: Step["run"]): Step => ({ who, label, run });
const create = (path: string, data: string | null, flags = 0, acl: ACL[] | null = OPEN): Request =>
  createRequest(OpCode.create, path, data, { flags, acl });
const setData = (path: string, data: string, version = -1): Request => ({ op: "setData", path, data: Buffer.from(data), version });

/** The script. Paths live under /d; the three sessions are A, B and D (D authenticates as alice). */
const SCRIPT: Step[] = [
  step("A", "create /d", (c) => c.create("/d", "root")),
  step("A", "create2 /d/p", (c) => c.create2("/d/p", "p")),
  step("A", "create /d/p again: NodeExists", (c) => c.create("/d/p", "again")),
  step("A", "create under a missing parent: NoNode", (c) => c.create("/d/missing/x")),
  step("A", "exists watch on missing /d/w", (c) => c.exists("/d/w", true)),
  step("B", "getChildren2 watch on /d", (c) => c.getChildren2("/d", true)),
  step("A", "create2 /d/w fires NodeCreated + NodeChildrenChanged", (c) => c.create2("/d/w", "w")),
  step("A", "getData watch /d/w", (c) => c.getData("/d/w", true)),
  step("B", "exists watch /d/w", (c) => c.exists("/d/w", true)),
  step("A", "setData /d/w v0 fires NodeDataChanged to A and B", (c) => c.setData("/d/w", "w2", 0)),
  step("A", "setData /d/w v0 again: BadVersion", (c) => c.setData("/d/w", "w3", 0)),
  step("A", "sequential /d/s-", (c) => c.create("/d/s-", null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })),
  step("A", "sequential /d/s- again", (c) => c.create2("/d/s-", "s", { flags: CreateFlag.PERSISTENT_SEQUENTIAL })),
  step("A", "ephemeral /d/e", (c) => c.create2("/d/e", "e", { flags: CreateFlag.EPHEMERAL })),
  step("B", "ephemeral sequential /d/es-", (c) => c.create2("/d/es-", null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL })),
  step("A", "child of an ephemeral: NoChildrenForEphemerals", (c) => c.create("/d/e/child")),
  step("A", "container /d/c", (c) => c.createContainer("/d/c", "c")),
  step("A", "child of the container", (c) => c.create2("/d/c/k")),
  step("A", "TTL node /d/t", (c) => c.createTTL("/d/t", "t", 600_000n)),
  step("A", "TTL 0: BadArguments", (c) => c.createTTL("/d/t2", null, 0n)),
  step("A", "flags 7: BadArguments", (c) => c.create("/d/x", null, { flags: 7 })),
  step("A", "op 1 with TTL flags: BadArguments", (c) => c.create("/d/x", null, { flags: CreateFlag.PERSISTENT_WITH_TTL })),
  step("A", "getChildren2 /d", (c) => c.getChildren2("/d")),
  step("A", "getData /d", (c) => c.getData("/d")),
  step("A", "delete non-empty /d: NotEmpty", (c) => c.delete("/d")),
  step("A", "delete /d version 9: BadVersion first", (c) => c.delete("/d", 9)),
  step("A", "delete /zookeeper: BadArguments", (c) => c.delete("/zookeeper")),
  step("A", "delete missing node: NoNode", (c) => c.delete("/d/nope")),
  step("A", "multi create/create/setData/check/delete", (c) => c.multi([
    create("/d/m1", "1"),
    create("/d/m2", null),
    setData("/d/m1", "11", 0),
    { op: "check", path: "/d/m1", version: 1 },
    { op: "delete", path: "/d/m2", version: -1 },
  ])),
  step("A", "multi with container and TTL creates", (c) => c.multi([
    createRequest(OpCode.createContainer, "/d/mc", null, { flags: CreateFlag.CONTAINER }),
    createTTLRequest("/d/mt", "x", 600_000n),
    create("/d/mseq-", null, CreateFlag.PERSISTENT_SEQUENTIAL),
    create("/d/mseq-", null, CreateFlag.PERSISTENT_SEQUENTIAL),
  ])),
  step("A", "failing multi: NodeExists in the middle", (c) => c.multi([create("/d/m3", null), create("/d/m1", null), setData("/d", "x")])),
  step("A", "empty multi", (c) => c.multi([])),
  step("A", "read op inside multi: MarshallingError", (c) => c.multi([{ op: "getData", path: "/d", watch: false }])),
  step("A", "multiRead mixed results", (c) => c.multiRead([
    { op: "getData", path: "/d/m1", watch: false },
    { op: "getChildren", path: "/d", watch: false },
    { op: "getData", path: "/d/nope", watch: false },
  ])),
  step("D", "auth digest alice", (c) => c.auth("digest", "alice:secret")),
  step("D", "create /d/acl with the auth scheme", (c) => c.create2("/d/acl", "secret", { acl: [{ perms: Perm.ALL, id: { scheme: "auth", id: "" } }] })),
  step("A", "getData without the identity: NoAuth", (c) => c.getData("/d/acl")),
  step("D", "getData as alice", (c) => c.getData("/d/acl")),
  step("A", "getACL without READ or ADMIN: NoAuth", (c) => c.getACL("/d/acl")),
  step("D", "getACL as alice (ADMIN: unmasked)", (c) => c.getACL("/d/acl")),
  step("D", "setACL to READ|ADMIN for alice + world READ", (c) => c.setACL("/d/acl", [
    { perms: Perm.READ | Perm.ADMIN, id: { scheme: "auth", id: "" } },
    ...world(Perm.READ),
  ], 0)),
  step("A", "getACL with READ only: digest masked", (c) => c.getACL("/d/acl")),
  step("D", "create /d/open world READ|CREATE", (c) => c.create("/d/open", null, { acl: world(Perm.READ | Perm.CREATE) })),
  step("A", "setData without WRITE: NoAuth", (c) => c.setData("/d/open", "x")),
  step("A", "create under CREATE-only parent", (c) => c.create("/d/open/k")),
  step("A", "delete under a parent without DELETE: NoAuth", (c) => c.delete("/d/open/k")),
  step("A", "empty ACL: InvalidACL", (c) => c.create("/d/bad", null, { acl: [] })),
  step("A", "world:someone: InvalidACL", (c) => c.create("/d/bad", null, { acl: world(Perm.ALL, "someone") })),
  step("A", "auth scheme without identity: InvalidACL", (c) => c.create("/d/bad", null, { acl: [{ perms: Perm.ALL, id: { scheme: "auth", id: "" } }] })),
  step("A", "setACL /d/p version 0", (c) => c.setACL("/d/p", world(Perm.ALL), 0)),
  step("A", "setACL /d/p version 0 again: BadVersion", (c) => c.setACL("/d/p", world(Perm.ALL), 0)),
  step("A", "getACL /d/p", (c) => c.getACL("/d/p")),
  step("A", "recursive watch on /d/r", (c) => c.addWatch("/d/r", AddWatchMode.PersistentRecursive)),
  step("B", "create /d/r", (c) => c.create("/d/r")),
  step("B", "create /d/r/a", (c) => c.create("/d/r/a", "a")),
  step("B", "setData /d/r/a", (c) => c.setData("/d/r/a", "b")),
  step("B", "delete /d/r/a", (c) => c.delete("/d/r/a")),
  step("A", "removeWatches Any on /d/r", (c) => c.removeWatches("/d/r", WatcherType.Any)),
  step("A", "checkWatches Data on /d/r: NoWatcher", (c) => c.checkWatches("/d/r", WatcherType.Data)),
  step("A", "persistent watch on /d/c", (c) => c.addWatch("/d/c", AddWatchMode.Persistent)),
  step("A", "delete the container's child", (c) => c.delete("/d/c/k")),
  step("B", "setWatches relative to the first setData", (c, ctx) => c.setWatches(ctx.zxids.get("setData /d/w v0 fires NodeDataChanged to A and B") ?? 0n, {
    data: ["/d/w", "/d/p", "/d/gone"],
    exist: ["/d/m1", "/d/later"],
    child: ["/d", "/d/r"],
  })),
  step("A", "create /d/later fires B's exist watch", (c) => c.create("/d/later")),
  step("A", "sync /d", (c) => c.sync("/d")),
  step("A", "getAllChildrenNumber /d", (c) => c.getAllChildrenNumber("/d")),
  step("B", "getEphemerals /d", (c) => c.getEphemerals("/d")),
  step("A", "getEphemerals /", (c) => c.getEphemerals("/")),
  step("A", "getChildren watch /d before B closes", (c) => c.getChildren("/d", true)),
  step("B", "closeSession deletes B's ephemeral", (c) => c.close()),
  step("A", "getChildren2 /d after B closed", (c) => c.getChildren2("/d")),
  step("A", "setData /zookeeper/config: NoAuth", (c) => c.setData("/zookeeper/config", "x")),
  step("A", "getData /zookeeper/config", (c) => c.getData("/zookeeper/config")),
  step("A", "getChildren2 /zookeeper", (c) => c.getChildren2("/zookeeper")),
  step("A", "sequential after deletes counts all creates", (c) => c.create("/d/s-", null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })),
  step("A", "exists /d", (c) => c.exists("/d")),
  step("A", "ping", (c) => c.ping()),
];

// ------------------------------------------------------------------ normalization

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

interface Normalizer {
  base: bigint;
  sessionNames: Map<bigint, string>;
}

function zxidText(z: bigint, n: Normalizer): string {
  if (z === 0n || z === -1n) return String(z);
  const delta = z - n.base;
  return delta >= 0n ? `base+${delta}` : `base${delta}`;
}

const ZXID_FIELDS = new Set(["czxid", "mzxid", "pzxid", "zxid"]);
const TIME_FIELDS = new Set(["ctime", "mtime"]);

/** Turns a decoded reply into plain JSON with the masking described at the top of the file. */
function normalize(value: unknown, n: Normalizer, key = ""): Plain {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint") {
    if (ZXID_FIELDS.has(key)) return zxidText(value, n);
    if (TIME_FIELDS.has(key)) return "<time>";
    if (key === "ephemeralOwner") return value === 0n ? "0" : (n.sessionNames.get(value) ?? "<unknown session>");
    return String(value);
  }
  if (Buffer.isBuffer(value)) return `bytes:${JSON.stringify(value.toString("utf8"))}`;
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v, n));
    // The only string lists in replies (children, getEphemerals) are unordered on the wire.
    return items.every((v) => typeof v === "string") ? [...items].sort() : items;
  }
  if (typeof value === "object") {
    const out: { [k: string]: Plain } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = normalize(v, n, k);
    return out;
  }
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  return String(value);
}

function normalizeResult(r: Result<unknown>, n: Normalizer): Plain {
  return { err: `${r.err} ${errName(r.err)}`, zxid: zxidText(r.zxid, n), value: normalize(r.value, n) };
}

// ------------------------------------------------------------------ running

interface StepRecord {
  label: string;
  who: ClientName;
  reply: Plain;
  /** Notifications each client received because of this step (zxid masked). */
  events: Plain;
}

async function runScript(server: ServerProcess): Promise<StepRecord[]> {
  const clients = new Map<ClientName, RawClient>();
  try {
    for (const name of CLIENTS) {
      clients.set(name, await RawClient.connect(server.host, server.port, { timeoutMs: SESSION_TIMEOUT_MS }));
    }
    const a = clients.get("A")!;
    const base = (await a.ping()).zxid;
    const n: Normalizer = { base, sessionNames: new Map(CLIENTS.map((name) => [clients.get(name)!.sessionId, name])) };
    const ctx: RunContext = { clients, zxids: new Map() };
    const records: StepRecord[] = [];
    for (const s of SCRIPT) {
      const c = clients.get(s.who)!;
      let reply: Plain;
      try {
        const r = await s.run(c, ctx);
        ctx.zxids.set(s.label, r.zxid);
        reply = normalizeResult(r, n);
      } catch (e) {
        reply = { exception: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
      }
      records.push({ label: s.label, who: s.who, reply, events: await settle(clients) });
    }
    return records;
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}

/** Collects every client's notifications caused so far: a ping round trip flushes them (events precede replies). */
async function settle(clients: Map<ClientName, RawClient>): Promise<Plain> {
  const out: { [k: string]: Plain } = {};
  for (const [name, c] of clients) {
    if (c.isClosed) continue;
    try {
      await c.ping();
    } catch {
      continue; // a closed connection has nothing more to deliver; its reply mismatch shows elsewhere
    }
    const events = c.takeEvents().map((e) => `${e.event.type}:${eventName(e.event.type)} ${e.event.path} state=${e.event.state}`);
    if (events.length > 0) out[name] = events;
  }
  return out;
}

function eventName(type: number): string {
  return ({ 1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged", 4: "NodeChildrenChanged" } as Record<number, string>)[type] ?? "?";
}

// ------------------------------------------------------------------ diff

function flatten(value: Plain, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out.set(prefix, Array.isArray(value) ? "[]" : "{}");
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, JSON.stringify(value));
}

/**
 * Zxids are compared through a correspondence learned from reply headers, so one extra or missing zxid is
 * reported once, at the step where the servers' zxid sequences part, instead of on every later step: a reply
 * zxid pairs the two servers' values, and later Stat fields holding that zxid must hold the paired value.
 */
class ZxidCorrespondence {
  private readonly pairs = new Map<string, string>();
  /** subject − reference, for zxids not seen in any reply yet. */
  private drift = 0n;

  /** Records a reply-header pair; returns a problem description if it breaks the correspondence. */
  pairReply(ref: string, sub: string): string | undefined {
    const known = this.pairs.get(ref);
    if (known !== undefined) return known === sub ? undefined : `already paired with ${SUBJECT}=${known}`;
    const expected = this.shift(ref);
    this.pairs.set(ref, sub);
    const refN = offset(ref);
    const subN = offset(sub);
    if (refN !== undefined && subN !== undefined) this.drift = subN - refN;
    return expected === sub ? undefined : `zxid sequences part here (${SUBJECT} now off by ${this.drift}; later zxids are compared through this pairing)`;
  }

  matches(ref: string, sub: string): boolean {
    return (this.pairs.get(ref) ?? this.shift(ref)) === sub;
  }

  private shift(ref: string): string {
    const n = offset(ref);
    if (n === undefined || this.drift === 0n) return ref;
    return JSON.stringify(baseText(n + this.drift));
  }
}

/** "base+N" (as flattened JSON text) to N; undefined for literal zxids such as 0 and -1. */
function offset(text: string): bigint | undefined {
  const m = /^"base([+-]\d+)"$/.exec(text);
  return m ? BigInt(m[1]!) : undefined;
}

function baseText(n: bigint): string {
  return n >= 0n ? `base+${n}` : `base${n}`;
}

const isZxidKey = (key: string) => /(^|\.)(zxid|czxid|mzxid|pzxid)$/.test(key);

function diffRecords(reference: StepRecord[], subject: StepRecord[]): string[] {
  const problems: string[] = [];
  const zxids = new ZxidCorrespondence();
  const count = Math.max(reference.length, subject.length);
  for (let i = 0; i < count; i++) {
    const ref = reference[i];
    const sub = subject[i];
    if (!ref || !sub) {
      problems.push(`step ${i + 1}: missing on ${ref ? SUBJECT : REFERENCE}`);
      continue;
    }
    const left = new Map<string, string>();
    const right = new Map<string, string>();
    flatten({ reply: ref.reply, events: ref.events }, "", left);
    flatten({ reply: sub.reply, events: sub.events }, "", right);
    const lines: string[] = [];
    const show = (key: string, l: string, r: string, note = "") =>
      lines.push(`    ${key}: ${REFERENCE}=${l}  ${SUBJECT}=${r}${note ? `  -- ${note}` : ""}`);
    const replyZxidL = left.get("reply.zxid");
    const replyZxidR = right.get("reply.zxid");
    if (replyZxidL !== undefined && replyZxidR !== undefined) {
      const problem = zxids.pairReply(replyZxidL, replyZxidR);
      if (problem) show("reply.zxid", replyZxidL, replyZxidR, problem);
    }
    for (const key of new Set([...left.keys(), ...right.keys()])) {
      if (key === "reply.zxid") continue;
      const l = left.get(key) ?? "<absent>";
      const r = right.get(key) ?? "<absent>";
      const same = isZxidKey(key) ? zxids.matches(l, r) : l === r;
      if (!same) show(key, l, r);
    }
    if (lines.length > 0) problems.push(`step ${i + 1} [${ref.who}] ${ref.label}\n${lines.join("\n")}`);
  }
  return problems;
}

/** HERD_DIFF_DUMP=<dir> writes both normalized transcripts there, for reading or diffing by hand. */
function dumpTranscripts(reference: StepRecord[], subject: StepRecord[]): void {
  const dir = process.env.HERD_DIFF_DUMP;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${REFERENCE}.json`), `${JSON.stringify(reference, null, 2)}\n`);
  writeFileSync(path.join(dir, `${SUBJECT}-subject.json`), `${JSON.stringify(subject, null, 2)}\n`);
}

// ------------------------------------------------------------------ the test

test(`differential: ${SCRIPT.length} scripted operations give identical replies and events on ${REFERENCE} and ${SUBJECT}`, async () => {
  const cfg = { tickTime: "2000" };
  const [reference, subject] = await Promise.all([startServer(REFERENCE, { cfg }), startServer(SUBJECT, { cfg })]);
  try {
    const [refRecords, subRecords] = await Promise.all([runScript(reference), runScript(subject)]);
    dumpTranscripts(refRecords, subRecords);
    const problems = diffRecords(refRecords, subRecords);
    if (problems.length > 0) {
      assert.fail(`${problems.length} of ${SCRIPT.length} steps differ (${REFERENCE} is the reference):\n\n${problems.join("\n\n")}`);
    }
    const exceptions = refRecords.filter((r) => r.reply !== null && typeof r.reply === "object" && "exception" in r.reply);
    assert.deepEqual(exceptions, [], "the script itself must run cleanly against the reference");
  } finally {
    await Promise.all([reference.stop(), subject.stop()]);
  }
});
