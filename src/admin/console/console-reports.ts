/**
 * The console's read-only views of the server itself, built from the same data as the admin commands (`cons`,
 * `dump`, `wchc`, `wchp`, `wchs`, `srvr`): an overview, sessions with their connections and ephemerals, watches,
 * and the ensemble's members. Session ids are hex strings (JavaScript numbers cannot hold 64 bits).
 *
 * Ensemble: a standalone server is one member with role "standalone". A quorum runtime adds its peers by giving
 * its AdminView an `ensembleMembers()` method (EnsembleView below); the JSON shape does not change.
 */
import type { AdminState } from "../admin-commands.js";
import { runAdminCommand } from "../admin-commands.js";
import type { AdminView, ServerState } from "../admin-view.js";
import { VERSION_LINE } from "../four-letter-words.js";
import { hex64 } from "./console-nodes.js";

/** Rows per table: a server with a million watches still answers with a readable, bounded page. */
export const REPORT_ROWS_MAX = 2000;

/** One server of the ensemble as a quorum runtime reports it. */
export interface EnsembleMemberView {
  readonly serverId: bigint;
  /** `host:clientPort` (or the quorum address when the client port is unknown). */
  readonly address: string;
  readonly role: ServerState | "looking" | "unreachable";
  /** The last zxid the member has applied, when known. */
  readonly lastZxid: bigint | null;
  /** True for the server answering this request. */
  readonly self: boolean;
}

/** What a quorum runtime adds to its AdminView so the console lists every member. */
export interface EnsembleView {
  /** Every member, or null when this server runs standalone. */
  ensembleMembers(): readonly EnsembleMemberView[] | null;
}

export interface EnsembleMemberJson {
  serverId: string | null;
  address: string;
  role: string;
  lastZxid: string | null;
  /** Transactions behind the most advanced member; null when unknown or in another epoch. */
  lagTxns: number | null;
  self: boolean;
}

export interface EnsembleReport {
  mode: "standalone" | "ensemble";
  members: EnsembleMemberJson[];
}

export interface SessionRow {
  sessionId: string;
  timeoutMs: number | null;
  expiresAtMs: number | null;
  ephemerals: string[];
  watchedPaths: number;
  /** Held by the console itself (some browser's connection). */
  console: boolean;
  /** Held by the browser asking. */
  yours: boolean;
  connection: ConnectionRow | null;
}

export interface ConnectionRow {
  remoteAddress: string;
  sessionId: string | null;
  lastOperation: string | null;
  establishedMs: number | null;
  outstandingRequests: number;
  packetsReceived: number;
  packetsSent: number;
  lastLatencyMs: number | null;
  avgLatencyMs: number | null;
  maxLatencyMs: number | null;
}

export interface SessionsReport {
  sessions: SessionRow[];
  /** Connections without a session yet (mid-handshake) or whose session is unknown to the tracker. */
  otherConnections: ConnectionRow[];
  truncated: boolean;
}

export interface WatchesReport {
  summary: { connections: number; paths: number; watches: number };
  byPath: { path: string; sessions: string[] }[];
  bySession: { sessionId: string; paths: string[] }[];
  truncated: boolean;
}

/** Who the console itself is on the server, for marking its sessions. */
export interface ConsoleIdentity {
  consoleSessionIds: ReadonlySet<bigint>;
  yourSessionId: bigint;
}

/** An admin command's data, or null while the server does not serve (the command then reports an error). */
function commandData(name: string, view: AdminView, state: AdminState): Record<string, unknown> | null {
  const result = runAdminCommand(name, view, new URLSearchParams(), state);
  return result.body.error === null ? result.body : null;
}

export class NotServingError extends Error {
  constructor() {
    super("the server is not serving client requests right now");
  }
}

export interface OverviewReport {
  version: string;
  serverState: string;
  serving: boolean;
  clientPort: number;
  lastZxid: string;
  nodeCount: number;
  sessionCount: number;
  connectionCount: number | null;
  watchCount: number | null;
  uptimeMs: number;
  consoleReadOnly: boolean;
}

export function overviewReport(view: AdminView, state: AdminState, readOnly: boolean): OverviewReport {
  const srvr = commandData("srvr", view, state);
  const wchs = commandData("wchs", view, state);
  const stats = (srvr?.server_stats ?? {}) as Record<string, unknown>;
  return {
    version: VERSION_LINE,
    serverState: view.serverState ?? "standalone",
    serving: view.serving,
    clientPort: view.port,
    lastZxid: hex64(view.lastZxid),
    nodeCount: view.tree.nodeCount(),
    sessionCount: view.sessions.sessions.size,
    connectionCount: typeof stats.num_alive_client_connections === "number" ? stats.num_alive_client_connections : null,
    watchCount: typeof wchs?.num_total_watches === "number" ? wchs.num_total_watches : null,
    uptimeMs: state.clock() - view.startedMs,
    consoleReadOnly: readOnly,
  };
}

export function sessionsReport(view: AdminView, state: AdminState, who: ConsoleIdentity): SessionsReport {
  const cons = commandData("cons", view, state);
  const dump = commandData("dump", view, state);
  const wchc = commandData("wchc", view, state);
  if (cons === null || dump === null || wchc === null) throw new NotServingError();
  const timeouts = new Map<bigint, number>();
  for (const s of view.sessions.sessions.values()) timeouts.set(BigInt.asUintN(64, s.id), (s as { timeoutMs?: number }).timeoutMs ?? -1);

  const rows = new Map<bigint, SessionRow>();
  const rowOf = (sid: bigint): SessionRow => {
    let row = rows.get(sid);
    if (row === undefined) {
      const timeout = timeouts.get(sid);
      row = {
        sessionId: hex64(sid),
        timeoutMs: timeout === undefined || timeout < 0 ? null : timeout,
        expiresAtMs: null,
        ephemerals: [],
        watchedPaths: 0,
        console: who.consoleSessionIds.has(sid),
        yours: sid === who.yourSessionId,
        connection: null,
      };
      rows.set(sid, row);
    }
    return row;
  };
  for (const [expiresAt, ids] of Object.entries(dump.expiry_time_to_session_ids as Record<string, bigint[]>)) {
    for (const id of ids) rowOf(BigInt.asUintN(64, id)).expiresAtMs = Number(expiresAt);
  }
  for (const [key, paths] of Object.entries(dump.session_id_to_ephemeral_paths as Record<string, string[]>)) {
    rowOf(unsignedKey(key)).ephemerals = [...paths].sort();
  }
  for (const [key, paths] of Object.entries(wchc.session_id_to_watched_paths as Record<string, string[]>)) {
    const sid = unsignedKey(key);
    if (rows.has(sid)) rowOf(sid).watchedPaths = paths.length;
  }
  const otherConnections: ConnectionRow[] = [];
  for (const c of cons.connections as Record<string, unknown>[]) {
    const sid = typeof c.session_id === "bigint" ? BigInt.asUintN(64, c.session_id) : 0n;
    const connection = connectionRow(c);
    if (sid !== 0n && rows.has(sid)) rowOf(sid).connection = connection;
    else otherConnections.push(connection);
  }
  const sessions = [...rows.values()].sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
  return { sessions: sessions.slice(0, REPORT_ROWS_MAX), otherConnections: otherConnections.slice(0, REPORT_ROWS_MAX), truncated: sessions.length > REPORT_ROWS_MAX || otherConnections.length > REPORT_ROWS_MAX };
}

export function watchesReport(view: AdminView, state: AdminState): WatchesReport {
  const wchs = commandData("wchs", view, state);
  const wchp = commandData("wchp", view, state);
  const wchc = commandData("wchc", view, state);
  if (wchs === null || wchp === null || wchc === null) throw new NotServingError();
  const byPathAll = Object.entries(wchp.path_to_session_ids as Record<string, bigint[]>)
    .map(([path, ids]) => ({ path, sessions: ids.map(hex64).sort() }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const bySessionAll = Object.entries(wchc.session_id_to_watched_paths as Record<string, string[]>)
    .map(([key, paths]) => ({ sessionId: hex64(unsignedKey(key)), paths: [...paths].sort() }))
    .sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
  return {
    summary: { connections: Number(wchs.num_connections), paths: Number(wchs.num_paths), watches: Number(wchs.num_total_watches) },
    byPath: byPathAll.slice(0, REPORT_ROWS_MAX),
    bySession: bySessionAll.slice(0, REPORT_ROWS_MAX),
    truncated: byPathAll.length > REPORT_ROWS_MAX || bySessionAll.length > REPORT_ROWS_MAX,
  };
}

export function hasEnsembleView(view: AdminView): view is AdminView & EnsembleView {
  const members = (view as Partial<EnsembleView>).ensembleMembers;
  return typeof members === "function" && members.call(view) !== null;
}

/** The members and their lag behind the most advanced one; a standalone server is its own single member. */
export function ensembleReport(view: AdminView, clientHost: string): EnsembleReport {
  if (!hasEnsembleView(view)) {
    const self: EnsembleMemberView = {
      serverId: -1n,
      address: `${clientHost}:${view.port}`,
      role: view.serverState ?? "standalone",
      lastZxid: view.lastZxid,
      self: true,
    };
    return { mode: "standalone", members: membersWithLag([self]).map((m) => ({ ...m, serverId: null })) };
  }
  return { mode: "ensemble", members: membersWithLag(view.ensembleMembers() ?? []) };
}

function membersWithLag(members: readonly EnsembleMemberView[]): EnsembleMemberJson[] {
  let newest: bigint | null = null;
  for (const m of members) if (m.lastZxid !== null && (newest === null || m.lastZxid > newest)) newest = m.lastZxid;
  return members.map((m) => ({
    serverId: m.serverId.toString(),
    address: m.address,
    role: m.role,
    lastZxid: m.lastZxid === null ? null : hex64(m.lastZxid),
    lagTxns: lagTxns(newest, m.lastZxid),
    self: m.self,
  }));
}

/** A zxid is epoch (high 32 bits) and counter (low 32): counters compare only within one epoch. */
function lagTxns(newest: bigint | null, zxid: bigint | null): number | null {
  if (newest === null || zxid === null) return null;
  if (newest >> 32n !== zxid >> 32n) return null;
  return Number((newest & 0xffffffffn) - (zxid & 0xffffffffn));
}

function connectionRow(c: Record<string, unknown>): ConnectionRow {
  const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
  return {
    remoteAddress: String(c.remote_socket_address ?? ""),
    sessionId: typeof c.session_id === "bigint" && c.session_id !== 0n ? hex64(c.session_id) : null,
    lastOperation: typeof c.last_operation === "string" ? c.last_operation : null,
    establishedMs: num(c.established),
    outstandingRequests: num(c.outstanding_requests) ?? 0,
    packetsReceived: num(c.packets_received) ?? 0,
    packetsSent: num(c.packets_sent) ?? 0,
    lastLatencyMs: num(c.last_latency),
    avgLatencyMs: num(c.avg_latency),
    maxLatencyMs: num(c.max_latency),
  };
}

/** The admin commands key sessions by signed decimal (Java's long); the console shows them unsigned. */
function unsignedKey(key: string): bigint {
  return BigInt.asUintN(64, BigInt(key));
}
