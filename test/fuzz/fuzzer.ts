/**
 * Black-box fuzzing of a running server: sends generated cases (see generators.ts) on many connections, then
 * checks that the server survived and still behaves. One run:
 *   1. a "keeper" session, authenticated with a per-run random digest password, builds a protected tree
 *      (ACLs that deny fuzzers every change, an ephemeral node it owns) and records it byte for byte;
 *   2. cases run `concurrency` at a time, each on its own connection, never on the keeper's session; a case
 *      whose stream is well framed ends with a probe request, which the server must answer or close on;
 *      every connection is then half-closed by us and the server must close it too;
 *   3. the process must be alive after every case, the protected tree unchanged, a well-behaved client must get
 *      a create/get/delete round trip right, and (optionally) all of that again after a restart that replays
 *      whatever the fuzzers wrote.
 * Everything is bounded: case count, bytes per case, and every wait has a deadline. Findings carry the run
 * seed and case index, which regenerate the exact bytes (`run.js --seed S --only I`).
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { ByteWriter, errName, Perm } from "../../src/jute/index.js";
import type { ACL, Stat } from "../../src/jute/index.js";
import { RawClient, ok } from "../helpers/raw-client.js";
import type { ServerProcess } from "../helpers/server-process.js";
import { buildCase, FRAME_BYTES_MAX, PROBE_XID, probeFrame, SANDBOX } from "./generators.js";
import type { CaseContext, CaseKind, FuzzCase } from "./generators.js";

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Connections in flight at once. */
  concurrency: number;
  /** Cases that build a deep chain of nodes (spread evenly over the run), and their maximum depth. */
  deepChains: number;
  deepChainMax: number;
  /** Run only these case indices, one at a time (reproducing a finding). */
  only?: number[];
  /** Restart the server at the end and check again (replays the fuzzed txn log and snapshots). */
  restart: boolean;
  /** Deadline for the probe of a well-framed case; deep chains get ten times this. */
  replyTimeoutMs: number;
  /** Deadline for the server to close after we half-close. */
  closeTimeoutMs: number;
  /** While a deep chain runs alone, another session's ping slower than this is a "stall" finding. */
  stallMs: number;
  log: (line: string) => void;
}

export type FindingKind =
  | "crash" | "hang" | "stall" | "noCloseAfterEof" | "malformedOutput" | "serverError" | "protectedChanged"
  | "roundTrip" | "keeperLost" | "restart";

export interface Finding {
  kind: FindingKind;
  caseIndex: number | null;
  caseKind?: CaseKind;
  detail: string;
  /** Hex of each frame of the case (long frames cut), with the mutation applied to it. */
  frames?: string[];
}

export interface FuzzReport {
  seed: number;
  /** The run's case count (which indices are deep chains depends on it). */
  cases: number;
  casesRun: number;
  outcomes: Record<string, number>;
  findings: Finding[];
  durationMs: number;
  /** The server process at the end (a new one after a restart). */
  server: ServerProcess;
}

const HEX_BYTES_SHOWN = 256;
const KEEPER_SESSION_TIMEOUT_MS = 30_000;
const KEEPALIVE_INTERVAL_MS = 5_000;
/** Keeper-owned directory for the round-trip check, so the check never touches the recorded tree. */
const CHECKS_DIR = "/checks";
/** Lines in the server's log that mean an internal error escaped, even if the process lived. */
const SERVER_ERROR_LINE = /uncaught|unhandled|AssertionError|TypeError|RangeError|ReferenceError|FATAL|Maximum call stack/i;

// ------------------------------------------------------------ the protected tree

interface Keeper {
  client: RawClient;
  auth: string;
  acls: { all: ACL[]; allReadable: ACL[] };
  paths: string[];
  stopKeepalive(): void;
  keepaliveErrors: string[];
}

interface NodeRecord {
  data: Buffer | null;
  stat: Stat;
  acl: ACL[];
  children: string[];
}

function digestId(userPassword: string): string {
  const user = userPassword.slice(0, userPassword.indexOf(":"));
  return `${user}:${createHash("sha1").update(userPassword).digest("base64")}`;
}

async function connectKeeper(server: ServerProcess, auth: string, session?: { id: bigint; passwd: Buffer }): Promise<RawClient> {
  const client = await RawClient.connect(server.host, server.port, {
    timeoutMs: KEEPER_SESSION_TIMEOUT_MS, sessionId: session?.id, passwd: session?.passwd,
  });
  ok(await client.auth("digest", auth), "keeper digest auth");
  return client;
}

function startKeepalive(keeper: Omit<Keeper, "stopKeepalive">): () => void {
  const timer = setInterval(() => {
    keeper.client.ping().then(
      (r) => { if (r.err !== 0) keeper.keepaliveErrors.push(errName(r.err)); },
      (e: Error) => keeper.keepaliveErrors.push(e.message),
    );
  }, KEEPALIVE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

async function setUpProtectedTree(server: ServerProcess): Promise<Keeper> {
  // Random per run and not derived from the fuzz seed: no generated case can authenticate as the keeper.
  const auth = `keeper:${randomBytes(12).toString("hex")}`;
  const client = await connectKeeper(server, auth);
  const keeperId = { scheme: "digest", id: digestId(auth) };
  const all: ACL[] = [{ perms: Perm.ALL, id: keeperId }];
  const allReadable: ACL[] = [...all, { perms: Perm.READ, id: { scheme: "world", id: "anyone" } }];
  ok(await client.create("/protected", "protected root", { acl: allReadable }), "create /protected");
  ok(await client.create("/protected/a", Buffer.from([0, 1, 2, 0xff]), { acl: allReadable }), "create /protected/a");
  ok(await client.create("/protected/a/deeper", "d", { acl: allReadable }), "create /protected/a/deeper");
  ok(await client.create("/protected/secret", "keeper only", { acl: all }), "create /protected/secret");
  ok(await client.create("/protected/eph", "ephemeral", { acl: allReadable, flags: 1 }), "create /protected/eph");
  const seq = ok(await client.create("/protected/seq-", null, { acl: allReadable, flags: 2 }), "create /protected/seq-");
  // The sandbox the fuzz cases write in; open to all.
  ok(await client.create(SANDBOX, "sandbox"), `create ${SANDBOX}`);
  // Where the round-trip check writes, outside the recorded tree; the child keeps fuzzers from deleting it.
  ok(await client.create(CHECKS_DIR, null, { acl: allReadable }), `create ${CHECKS_DIR}`);
  ok(await client.create(`${CHECKS_DIR}/keep`, null, { acl: all }), `create ${CHECKS_DIR}/keep`);
  const paths = ["/protected", "/protected/a", "/protected/a/deeper", "/protected/secret", "/protected/eph", seq];
  const partial = { client, auth, acls: { all, allReadable }, paths, keepaliveErrors: [] as string[] };
  return { ...partial, stopKeepalive: startKeepalive(partial) };
}

async function recordTree(client: RawClient, paths: string[]): Promise<Map<string, NodeRecord>> {
  const out = new Map<string, NodeRecord>();
  for (const path of paths) {
    const { data, stat } = ok(await client.getData(path), `getData ${path}`);
    const { acl } = ok(await client.getACL(path), `getACL ${path}`);
    const children = ok(await client.getChildren(path), `getChildren ${path}`).sort();
    out.set(path, { data, stat, acl, children });
  }
  return out;
}

function describeTreeChange(before: Map<string, NodeRecord>, after: Map<string, NodeRecord>): string | null {
  const show = (r: NodeRecord | undefined) =>
    JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  for (const [path, was] of before) {
    const now = after.get(path);
    if (show(was) !== show(now)) return `${path} changed:\n  before ${show(was)}\n  after  ${show(now)}`;
  }
  return null;
}

// ------------------------------------------------------------ one case

type CaseOutcome = "probeAnswered" | "serverClosed" | "closedAfterEof" | "hang" | "noCloseAfterEof" | "connectFailed";

interface CaseResult {
  outcome: CaseOutcome;
  output: Buffer;
  detail?: string;
}

/** Runs one case on a fresh connection; never rejects. */
function runCase(server: ServerProcess, c: FuzzCase, opts: FuzzOptions): Promise<CaseResult> {
  const withProbe = c.wellFramed && !c.isFourLetterWord;
  const replyTimeoutMs = c.kind === "deepChain" ? opts.replyTimeoutMs * 10 : opts.replyTimeoutMs;
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let closed = false;
    let connected = false;
    let phase: "probe" | "eof" | "done" = withProbe ? "probe" : "eof";
    let probeAnswered = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: CaseOutcome, detail?: string) => {
      if (phase === "done") return;
      phase = "done";
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, output: Buffer.concat(chunks), detail });
    };
    const halfClose = () => {
      phase = "eof";
      clearTimeout(timer);
      socket.end();
      timer = setTimeout(() => finish("noCloseAfterEof"), opts.closeTimeoutMs);
    };
    const probeWatch = new ProbeWatch();
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      if (phase === "probe" && probeWatch.sawProbeReply(d)) {
        probeAnswered = true;
        halfClose();
      }
    });
    socket.on("error", () => {
      // "close" follows; a reset is one way for the server to close.
    });
    socket.on("close", () => {
      closed = true;
      if (!connected) return finish("connectFailed");
      finish(phase === "probe" ? "serverClosed" : probeAnswered ? "probeAnswered" : "closedAfterEof");
    });
    socket.on("connect", () => {
      connected = true;
      let at = 0;
      const stream = Buffer.concat(c.frames);
      for (const size of c.writeSizes) {
        if (closed) break;
        socket.write(stream.subarray(at, at + size));
        at += size;
      }
      if (withProbe) {
        socket.write(probeFrame());
        timer = setTimeout(() => finish("hang", `no reply to the probe within ${replyTimeoutMs} ms and no close`), replyTimeoutMs);
      } else {
        halfClose();
      }
    });
  });
}

/** Splits server output into frames; `rest` is a trailing partial frame. */
function framesOf(output: Buffer): { frames: Buffer[]; rest: number; badLength: number | null } {
  const frames: Buffer[] = [];
  let at = 0;
  while (output.length - at >= 4) {
    const length = output.readInt32BE(at);
    if (length < 0 || length > 16 * FRAME_BYTES_MAX) return { frames, rest: output.length - at, badLength: length };
    if (output.length - at - 4 < length) break;
    frames.push(output.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { frames, rest: output.length - at, badLength: null };
}

/** Scans server output as it arrives for the probe's reply (frame 0 is the ConnectResponse). */
class ProbeWatch {
  private tail: Buffer = Buffer.alloc(0);
  private frameIndex = 0;

  sawProbeReply(chunk: Buffer): boolean {
    this.tail = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    let seen = false;
    while (this.tail.length >= 4) {
      const length = this.tail.readInt32BE(0);
      // A bad length is checkOutput's business; it only stops the scan here.
      if (length < 0 || length > 16 * FRAME_BYTES_MAX || this.tail.length < 4 + length) break;
      const isReply = this.frameIndex > 0 && length >= 16;
      if (isReply && this.tail.readInt32BE(4) === PROBE_XID) seen = true;
      this.frameIndex++;
      this.tail = this.tail.subarray(4 + length);
    }
    return seen;
  }
}

/** Server frames must have sane lengths and the shape of a ConnectResponse followed by ReplyHeader-led replies. */
function checkOutput(c: FuzzCase, output: Buffer): string | null {
  if (c.isFourLetterWord || output.length === 0) return null;
  const { frames, badLength } = framesOf(output);
  if (badLength !== null) return `server sent a frame length of ${badLength}`;
  // A partial last frame is not flagged: a server that closes a connection (on bad input, or after our FIN)
  // drops the output it has not flushed yet, mid-frame if need be, exactly as ZooKeeper does.
  if (frames.length === 0) return null;
  if (frames[0].length < 36) return `first frame is ${frames[0].length} bytes, too short for a ConnectResponse`;
  for (const [i, f] of frames.entries()) {
    if (i === 0) continue;
    // Not more: a request may itself use xid -1, and its reply then looks like a notification.
    if (f.length < 16) return `frame ${i} is ${f.length} bytes, too short for a ReplyHeader`;
  }
  return null;
}

export function caseFramesHex(c: FuzzCase): string[] {
  return c.frames.map((f, i) => {
    const shown = f.subarray(0, HEX_BYTES_SHOWN).toString("hex");
    const cut = f.length > HEX_BYTES_SHOWN ? `… (${f.length} bytes)` : "";
    return `${c.notes[i]}: ${shown}${cut}`;
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A separate session pinging back to back, recording the slowest round trip: how long others had to wait. */
class Pinger {
  private stopped = false;
  private worstMs = 0;
  private loop: Promise<void> = Promise.resolve();

  private constructor(private readonly client: RawClient) {}

  static async start(server: ServerProcess): Promise<Pinger> {
    const client = await RawClient.connect(server.host, server.port, { timeoutMs: 30_000, replyTimeoutMs: 600_000 });
    const pinger = new Pinger(client);
    pinger.loop = pinger.run();
    return pinger;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const t0 = Date.now();
      try {
        await this.client.ping();
      } catch {
        return;
      }
      this.worstMs = Math.max(this.worstMs, Date.now() - t0);
    }
  }

  async stop(): Promise<number> {
    this.stopped = true;
    await this.loop;
    this.client.destroy();
    return this.worstMs;
  }
}

// ------------------------------------------------------------ the run

function deepChainIndices(opts: FuzzOptions): Set<number> {
  const out = new Set<number>();
  for (let k = 0; k < opts.deepChains; k++) out.add(Math.floor(((k + 0.5) * opts.cases) / Math.max(1, opts.deepChains)));
  return out;
}

/** Runs the cases against a running server, then checks it; resolves with everything found. */
export async function runFuzz(initial: ServerProcess, opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  let server = initial;
  const findings: Finding[] = [];
  const outcomes: Record<string, number> = {};
  const keeper = await setUpProtectedTree(server);
  const before = await recordTree(keeper.client, keeper.paths);
  const ctx: CaseContext = {
    forbiddenSessionIds: new Set([keeper.client.sessionId]),
    protectedPaths: keeper.paths,
    deepChainMax: opts.deepChainMax,
  };
  const deep = deepChainIndices(opts);
  const indices = opts.only ?? Array.from({ length: opts.cases }, (_, i) => i);
  const concurrency = opts.only ? 1 : opts.concurrency;
  const inFlight = new Set<FuzzCase>();
  let next = 0;
  let casesRun = 0;
  let crashed = false;

  const runOne = async (index: number, solo: boolean) => {
    const c = buildCase(opts.seed, index, ctx, deep.has(index) ? "deepChain" : undefined);
    inFlight.add(c);
    const pinger = solo ? await Pinger.start(server) : null;
    const caseStarted = Date.now();
    const result = await runCase(server, c, opts);
    const worstPingMs = await pinger?.stop();
    if (solo) opts.log(`case #${c.index} (${c.kind}): ${result.outcome} after ${Date.now() - caseStarted} ms; slowest ping beside it ${worstPingMs} ms`);
    inFlight.delete(c);
    casesRun++;
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
    recordCaseFindings(findings, c, result);
    if (worstPingMs !== undefined && worstPingMs > opts.stallMs) {
      findings.push({
        kind: "stall", caseIndex: c.index, caseKind: c.kind, frames: caseFramesHex(c),
        detail: `another session's ping took ${worstPingMs} ms while this case ran (limit ${opts.stallMs} ms): ` +
          `the server stopped serving everyone`,
      });
    }
    if (!crashed && (!processAlive(server.pid) || result.outcome === "connectFailed")) {
      crashed = true;
      findings.push(crashFinding(server, c, [...inFlight]));
    }
  };
  // Deep chains run first and alone, with another session pinging: on a tree fuzzers have not yet locked up
  // (they may setACL "/"), and so a stall they cause is measured and blamed on them rather than showing up as
  // hangs of whatever ran beside them. The chains stay in the tree for the other cases to walk.
  for (const index of indices.filter((i) => deep.has(i))) {
    if (!crashed) await runOne(index, true);
  }
  const regular = indices.filter((i) => !deep.has(i));
  const worker = async () => {
    while (next < regular.length && !crashed) await runOne(regular[next++], false);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  keeper.stopKeepalive();
  opts.log(`fuzz: ${casesRun} cases in ${Date.now() - started} ms: ${JSON.stringify(outcomes)}`);

  if (!crashed) {
    await checkAfterwards(server, keeper, before, findings, "after fuzzing");
    if (opts.restart) server = await restartAndCheck(server, keeper, before, findings);
  }
  checkServerLog(server, findings);
  keeper.client.destroy();
  return { seed: opts.seed, cases: opts.cases, casesRun, outcomes, findings, durationMs: Date.now() - started, server };
}

function recordCaseFindings(findings: Finding[], c: FuzzCase, result: CaseResult): void {
  const base = { caseIndex: c.index, caseKind: c.kind, frames: caseFramesHex(c) };
  if (result.outcome === "hang") findings.push({ kind: "hang", detail: result.detail ?? "", ...base });
  if (result.outcome === "noCloseAfterEof") {
    findings.push({ kind: "noCloseAfterEof", detail: "server kept the connection open after our FIN", ...base });
  }
  const malformed = checkOutput(c, result.output);
  if (malformed !== null) findings.push({ kind: "malformedOutput", detail: malformed, ...base });
}

function crashFinding(server: ServerProcess, last: FuzzCase, inFlight: FuzzCase[]): Finding {
  const suspects = [last, ...inFlight];
  return {
    kind: "crash",
    caseIndex: last.index,
    caseKind: last.kind,
    detail: `server process ${server.pid} died (or refused connections); cases in flight: ` +
      `${suspects.map((c) => `#${c.index} (${c.kind})`).join(", ")}\n--- server log tail ---\n${server.logTail().split("\n").slice(-40).join("\n")}`,
    frames: suspects.flatMap((c) => caseFramesHex(c).map((h) => `#${c.index} ${h}`)),
  };
}

async function checkAfterwards(
  server: ServerProcess, keeper: Keeper, before: Map<string, NodeRecord>, findings: Finding[], when: string,
): Promise<void> {
  if (!processAlive(server.pid)) {
    findings.push({ kind: "crash", caseIndex: null, detail: `server died ${when}\n${server.logTail()}` });
    return;
  }
  if (keeper.keepaliveErrors.length > 0) {
    findings.push({ kind: "keeperLost", caseIndex: null, detail: `keeper pings failed ${when}: ${keeper.keepaliveErrors.join("; ")}` });
  }
  try {
    const changed = describeTreeChange(before, await recordTree(keeper.client, keeper.paths));
    if (changed !== null) findings.push({ kind: "protectedChanged", caseIndex: null, detail: `${when}: ${changed}` });
  } catch (e) {
    findings.push({ kind: "protectedChanged", caseIndex: null, detail: `${when}: cannot read the protected tree: ${String(e)}` });
  }
  const problem = await roundTrip(server, keeper.auth);
  if (problem !== null) findings.push({ kind: "roundTrip", caseIndex: null, detail: `${when}: ${problem}` });
}

/** A fresh, well-behaved session: create, read back, delete, and see it gone. Returns what went wrong. */
async function roundTrip(server: ServerProcess, auth: string): Promise<string | null> {
  let client: RawClient | undefined;
  try {
    client = await RawClient.connect(server.host, server.port, { timeoutMs: 10_000 });
    ok(await client.auth("digest", auth), "auth");
    const path = `${CHECKS_DIR}/check-${Date.now()}`;
    const data = new ByteWriter().ustring("round trip ✓").int64(2n ** 40n).toBuffer();
    const created = ok(await client.create2(path, data), "create2");
    if (created.path !== path) return `create2 returned ${created.path}`;
    const got = ok(await client.getData(path), "getData");
    if (!got.data?.equals(data)) return `getData returned ${got.data?.toString("hex")}`;
    if (got.stat.czxid !== created.stat.czxid || got.stat.dataLength !== data.length) return "stat differs from create2's";
    ok(await client.delete(path, 0), "delete");
    const gone = await client.exists(path);
    if (gone.err === 0) return "node still exists after delete";
    ok(await client.close(), "closeSession");
    return null;
  } catch (e) {
    return String(e);
  } finally {
    client?.destroy();
  }
}

async function restartAndCheck(
  server: ServerProcess, keeper: Keeper, before: Map<string, NodeRecord>, findings: Finding[],
): Promise<ServerProcess> {
  const session = { id: keeper.client.sessionId, passwd: keeper.client.passwd };
  keeper.client.destroy();
  let restarted: ServerProcess;
  try {
    restarted = await server.restart();
  } catch (e) {
    findings.push({ kind: "restart", caseIndex: null, detail: `restart after fuzzing failed: ${String(e)}` });
    return server;
  }
  try {
    keeper.client = await connectKeeper(restarted, keeper.auth, session);
  } catch (e) {
    findings.push({ kind: "restart", caseIndex: null, detail: `keeper could not resume its session after restart: ${String(e)}` });
    return restarted;
  }
  await checkAfterwards(restarted, keeper, before, findings, "after restart");
  return restarted;
}

function checkServerLog(server: ServerProcess, findings: Finding[]): void {
  const lines = server.logTail().split("\n").filter((l) => SERVER_ERROR_LINE.test(l));
  if (lines.length > 0) findings.push({ kind: "serverError", caseIndex: null, detail: lines.slice(0, 20).join("\n") });
}

/** A report as text: the seed and reproduction command first, then each finding. */
export function formatReport(report: FuzzReport): string {
  const lines = [
    `fuzz seed ${report.seed}: ${report.casesRun} cases, ${report.findings.length} findings, ${report.durationMs} ms`,
    `outcomes: ${JSON.stringify(report.outcomes)}`,
  ];
  for (const f of report.findings) {
    const where = f.caseIndex === null ? "" : ` case #${f.caseIndex} (${f.caseKind})` +
      ` — reproduce: node dist/test/fuzz/run.js --seed ${report.seed} --cases ${report.cases} --only ${f.caseIndex}`;
    lines.push(`\n[${f.kind}]${where}\n${f.detail}`);
    for (const h of f.frames ?? []) lines.push(`  ${h}`);
  }
  return lines.join("\n");
}

