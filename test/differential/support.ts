/**
 * The machinery of the differential tests: run one script of steps against Apache ZooKeeper 3.8 and against
 * Herd, both started here, and compare every reply and every notification field by field, Stats included.
 *
 * What is masked, consistently on both sides, because it legitimately differs between two servers:
 * ctime/mtime (wall clock), session ids (ephemeralOwner is replaced by the session's name in the script),
 * and the zxid of notifications (-1 in 3.8, the txn zxid in 3.9+). Every other zxid (reply headers, czxid,
 * mzxid, pzxid) is kept, relative to the zxid of the run's first ping, so zxid consumption must match too
 * (including failed writes, which consume a zxid in ZooKeeper).
 *
 * HERD_DIFF_SUBJECT=zookeeper compares ZooKeeper with itself, which checks that a script and the masking
 * are deterministic. HERD_DIFF_DUMP=<dir> writes both normalized transcripts there.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { errName } from "../../src/jute/index.js";
import { RawClient } from "../helpers/raw-client.js";
import type { Result } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server-process.js";
import type { ServerKind, ServerProcess } from "../helpers/server-process.js";

export const REFERENCE: ServerKind = "zookeeper";
export const SUBJECT: ServerKind = process.env.HERD_DIFF_SUBJECT === "zookeeper" ? "zookeeper" : "herd";
const SESSION_TIMEOUT_MS = 30_000;

/** Per-run state a step may need: the other sessions and zxids captured by earlier steps. */
export interface RunContext<Name extends string> {
  clients: Map<Name, RawClient>;
  /** Raw zxids of earlier replies, by step label (so a step can use "the zxid of step X" on this server). */
  zxids: Map<string, bigint>;
}

export interface Step<Name extends string> {
  who: Name;
  label: string;
  run(c: RawClient, ctx: RunContext<Name>): Promise<Result<unknown>>;
}

export interface Script<Name extends string> {
  /** The sessions, opened in this order; the first one's ping fixes the zxid base. */
  clients: readonly Name[];
  steps: readonly Step<Name>[];
}

export interface DifferentialOptions {
  /** zoo.cfg entries for both servers. */
  cfg?: Record<string, string>;
  /** Prefix of the HERD_DIFF_DUMP file names, so two scripts do not overwrite each other's transcripts. */
  dumpPrefix?: string;
}

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
  who: string;
  reply: Plain;
  /** Notifications each client received because of this step (zxid masked). */
  events: Plain;
}

async function runScript<Name extends string>(server: ServerProcess, script: Script<Name>): Promise<StepRecord[]> {
  const clients = new Map<Name, RawClient>();
  try {
    for (const name of script.clients) {
      clients.set(name, await RawClient.connect(server.host, server.port, { timeoutMs: SESSION_TIMEOUT_MS }));
    }
    const first = clients.get(script.clients[0]!)!;
    const base = (await first.ping()).zxid;
    const sessionNames = new Map<bigint, string>(script.clients.map((name) => [clients.get(name)!.sessionId, name]));
    const n: Normalizer = { base, sessionNames };
    const ctx: RunContext<Name> = { clients, zxids: new Map() };
    const records: StepRecord[] = [];
    for (const s of script.steps) {
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
async function settle(clients: Map<string, RawClient>): Promise<Plain> {
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

function dumpTranscripts(reference: StepRecord[], subject: StepRecord[], prefix: string): void {
  const dir = process.env.HERD_DIFF_DUMP;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${prefix}${REFERENCE}.json`), `${JSON.stringify(reference, null, 2)}\n`);
  writeFileSync(path.join(dir, `${prefix}${SUBJECT}-subject.json`), `${JSON.stringify(subject, null, 2)}\n`);
}

// ------------------------------------------------------------------ the comparison

/**
 * Starts both servers with the same zoo.cfg, runs the script on each and fails with every differing field;
 * the script must also run without exceptions against the reference.
 */
export async function runDifferential<Name extends string>(script: Script<Name>, opts: DifferentialOptions = {}): Promise<void> {
  const cfg = { tickTime: "2000", ...opts.cfg };
  const [reference, subject] = await Promise.all([startServer(REFERENCE, { cfg }), startServer(SUBJECT, { cfg })]);
  try {
    const [refRecords, subRecords] = await Promise.all([runScript(reference, script), runScript(subject, script)]);
    dumpTranscripts(refRecords, subRecords, opts.dumpPrefix ?? "");
    const problems = diffRecords(refRecords, subRecords);
    if (problems.length > 0) {
      assert.fail(`${problems.length} of ${script.steps.length} steps differ (${REFERENCE} is the reference):\n\n${problems.join("\n\n")}`);
    }
    const exceptions = refRecords.filter((r) => r.reply !== null && typeof r.reply === "object" && "exception" in r.reply);
    assert.deepEqual(exceptions, [], "the script itself must run cleanly against the reference");
  } finally {
    await Promise.all([reference.stop(), subject.stop()]);
  }
}
