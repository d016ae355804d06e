/**
 * The AdminServer's commands (`GET /commands/<name>`, shared/reference §10): ZooKeeper 3.8's names, aliases and
 * JSON shapes, checked against a real 3.8.0 standalone server (test/admin/fixtures/zookeeper-3.8.0-standalone.json).
 * Each command returns its data fields; `runAdminCommand` adds `"command"` (the name asked for) and `"error"`.
 * Numbers that are 64-bit in ZooKeeper (session ids, zxids) are bigint and written as exact JSON integers.
 * Unlike four-letter words these are not subject to the 4lw whitelist.
 */
import * as os from "node:os";
import * as path from "node:path";
import type { AdminView } from "./admin-view.js";
import type { ConnectionView } from "./four-letter-words.js";
import { VERSION_LINE } from "./four-letter-words.js";
import { monitorValues, round4 } from "./metric-export.js";

/** State the commands share across requests, owned by one admin server. */
export interface AdminState {
  /** ZooKeeper's text trace mask (get_/set_trace_mask); Herd keeps it for compatibility, it traces nothing. */
  traceMask: bigint;
  clock: () => number;
}

export const TRACE_MASK_DEFAULT = 306n;

type CommandData = Record<string, unknown>;

export interface AdminCommand {
  /** Primary name first, then aliases. */
  readonly names: readonly string[];
  /** ZooKeeper refuses these while the server is not serving. */
  readonly requiresServer: boolean;
  run(view: AdminView, args: URLSearchParams, state: AdminState): CommandData;
}

/** Optional per-connection latency figures a runtime may add to ConnectionView (ZooKeeper's cons shows them). */
export interface ConnectionLatencyView extends ConnectionView {
  readonly minLatencyMs?: number;
  readonly avgLatencyMs?: number;
  readonly maxLatencyMs?: number;
  readonly lastResponseMs?: number;
}

export const NOT_SERVING = "This ZooKeeper instance is not currently serving requests";

const command = (names: string[], run: AdminCommand["run"], requiresServer = true): AdminCommand => ({ names, run, requiresServer });

export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  command(["configuration", "conf", "config"], configuration),
  command(["connection_stat_reset", "crst"], () => ({})),
  command(["connections", "cons"], (v) => ({ connections: connectionList(v, false), secure_connections: [] })),
  command(["dirs"], dirs),
  command(["dump"], dump),
  command(["environment", "env", "envi"], environment, false),
  command(["get_trace_mask", "gtmk"], (_v, _a, s) => ({ tracemask: s.traceMask }), false),
  command(["hash"], () => ({ digests: [] })),
  command(["initial_configuration", "icfg"], (v) => ({ initial_configuration: initialConfiguration(v) })),
  command(["is_read_only", "isro"], (v) => ({ read_only: v.serverState === "read-only" })),
  command(["last_snapshot", "lsnp"], lastSnapshot),
  command(["leader", "lead"], leader),
  command(["monitor", "mntr"], (v, _a, s) => monitorValues(v, s.clock()), false),
  command(["observer_connection_stat_reset", "orst"], () => ({})),
  command(["observers", "obsr"], () => ({ synced_observers: 0, observers: [] })),
  command(["ruok"], () => ({})),
  command(["server_stats", "srvr"], serverStats),
  command(["set_trace_mask", "stmk"], setTraceMask, false),
  command(["stat_reset", "srst"], statReset),
  command(["stats", "stat"], (v, a, s) => ({ ...serverStats(v, a, s), connections: connectionList(v, true), secure_connections: [] })),
  command(["system_properties", "sysp"], systemProperties, false),
  command(["voting_view"], () => ({ current_config: {} })),
  command(["watch_summary", "wchs"], watchSummary),
  command(["watches", "wchc"], (v) => ({ session_id_to_watched_paths: watchesBySession(v) })),
  command(["watches_by_path", "wchp"], (v) => ({ path_to_session_ids: watchesByPath(v) })),
  command(["zabstate"], () => ({ voting: false, zabstate: "" }), false),
];

const BY_NAME: ReadonlyMap<string, AdminCommand> = new Map(ADMIN_COMMANDS.flatMap((c) => c.names.map((n) => [n, c] as const)));

export function findAdminCommand(name: string): AdminCommand | undefined {
  return BY_NAME.get(name);
}

export interface CommandResult {
  /** 404 for an unknown command (ZooKeeper 3.8 says 200; a status is more useful to probes). */
  status: number;
  body: CommandData;
}

export function runAdminCommand(name: string, view: AdminView, args: URLSearchParams, state: AdminState): CommandResult {
  const cmd = findAdminCommand(name);
  if (cmd === undefined) return { status: 404, body: { command: name, error: `Unknown command: ${name}` } };
  if (cmd.requiresServer && !view.serving) return { status: 200, body: { command: name, error: NOT_SERVING } };
  const data = cmd.run(view, args, state);
  // A command reporting a problem puts "error" in its data; ZooKeeper then keeps that key where it was.
  return { status: 200, body: { ...data, command: name, error: data.error ?? null } };
}

// ---------------------------------------------------------------- commands

function configuration(view: AdminView): CommandData {
  const c = view.config;
  return {
    client_port: view.port,
    data_dir: path.join(c.dataDir, "version-2"),
    data_log_dir: path.join(c.dataLogDir, "version-2"),
    tick_time: c.tickTimeMs,
    max_client_cnxns: c.maxClientCnxns,
    min_session_timeout: c.minSessionTimeoutMs,
    max_session_timeout: c.maxSessionTimeoutMs,
    server_id: 0,
    client_port_listen_backlog: -1,
  };
}

function dirs(view: AdminView): CommandData {
  const sizes = view.persistenceSizes();
  return { datadir_size: sizes.dataDirBytes, logdir_size: sizes.logDirBytes };
}

/** Sessions grouped by the expiry bucket they sit in, and each session's ephemerals. */
function dump(view: AdminView): CommandData {
  const expiry: Record<string, bigint[]> = {};
  for (const s of view.sessions.sessions.values()) (expiry[String(s.expiresAtMs)] ??= []).push(s.id);
  const ephemerals: Record<string, string[]> = {};
  for (const [sid, paths] of view.tree.ephemerals) ephemerals[sessionKey(sid)] = [...paths];
  return { expiry_time_to_session_ids: expiry, session_id_to_ephemeral_paths: ephemerals };
}

/** The keys of ZooKeeper's Environment, with Node's values where Java's would be. */
function environment(): CommandData {
  const mb = (bytes: number) => `${Math.round(bytes / 1048576)}MB`;
  return {
    "zookeeper.version": VERSION_LINE,
    "host.name": os.hostname(),
    "java.version": `node-${process.versions.node}`,
    "java.vendor": "Herd",
    "java.home": process.execPath,
    "java.class.path": "",
    "java.library.path": "",
    "java.io.tmpdir": os.tmpdir(),
    "java.compiler": "<NA>",
    "os.name": os.type(),
    "os.arch": os.arch(),
    "os.version": os.release(),
    "user.name": safeUserName(),
    "user.home": os.homedir(),
    "user.dir": process.cwd(),
    "os.memory.free": mb(os.freemem()),
    "os.memory.max": mb(os.totalmem()),
    "os.memory.total": mb(process.memoryUsage.rss()),
  };
}

/** zoo.cfg as read, one `key=value` line per setting ("" for a server configured in code). */
function initialConfiguration(view: AdminView): string {
  let text = "";
  for (const [key, value] of view.config.raw) text += `${key}=${value}\n`;
  return text;
}

/** zxid as bare hex and the file time in seconds; ZooKeeper's "no snapshot" is zxid -1 and timestamp -1. */
function lastSnapshot(view: AdminView): CommandData {
  const info = view.lastSnapshot();
  if (info === null) return { zxid: BigInt.asUintN(64, -1n).toString(16), timestamp: -1 };
  return { zxid: BigInt.asUintN(64, info.zxid).toString(16), timestamp: Math.floor(info.timestampMs / 1000) };
}

/** A standalone server has no leader; ZooKeeper answers with this error. */
function leader(): CommandData {
  return { error: "server is not initialized" };
}

function serverStats(view: AdminView, _args: URLSearchParams, state: AdminState): CommandData {
  const s = view.stats;
  const sizes = view.persistenceSizes();
  const responses = view.metrics.clientResponseSize;
  const clientResponse = { last_buffer_size: responses.last, min_buffer_size: responses.min, max_buffer_size: responses.max };
  let connections = 0;
  for (const _ of view.connections) connections++;
  return {
    version: VERSION_LINE,
    read_only: view.serverState === "read-only",
    server_stats: {
      packets_sent: s.packetsSent,
      packets_received: s.packetsReceived,
      fsync_threshold_exceed_count: 0,
      client_response_stats: clientResponse,
      data_dir_size: sizes.dataDirBytes,
      log_dir_size: sizes.logDirBytes,
      provider_null: false,
      server_state: view.serverState ?? "standalone",
      last_processed_zxid: view.lastZxid,
      outstanding_requests: view.outstandingRequests,
      avg_latency: round4(s.latencyAvg),
      max_latency: s.latencyMaxMs,
      min_latency: s.latencyMin,
      num_alive_client_connections: connections,
      uptime: state.clock() - view.startedMs,
      auth_failed_count: view.metrics.authFailed.value,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
    },
    client_response: clientResponse,
    node_count: view.tree.nodeCount(),
  };
}

function statReset(view: AdminView): CommandData {
  view.stats.reset();
  view.metrics.registry.resetAll(); // ZooKeeper's ServerStats.reset() resets its metrics too
  return {};
}

/** `?traceMask=<long>`, as ZooKeeper's set_trace_mask takes it. */
function setTraceMask(_view: AdminView, args: URLSearchParams, state: AdminState): CommandData {
  const given = args.get("traceMask");
  if (given === null) return { error: "setTraceMask requires long traceMask argument" };
  if (!/^[+-]?\d{1,19}$/.test(given) || BigInt.asIntN(64, BigInt(given)) !== BigInt(given)) {
    return { error: `setTraceMask requires long traceMask argument, got ${given}` };
  }
  state.traceMask = BigInt(given);
  return { tracemask: state.traceMask };
}

/**
 * ZooKeeper lists the JVM's system properties. Herd has none; it lists the same kind of facts about its Node
 * process, sorted by key. Environment variables are deliberately left out: they often hold secrets.
 */
function systemProperties(): CommandData {
  const props: Record<string, string> = {
    "file.separator": path.sep,
    "line.separator": os.EOL,
    "path.separator": path.delimiter,
    "os.arch": os.arch(),
    "os.name": os.type(),
    "os.version": os.release(),
    "user.dir": process.cwd(),
    "user.home": os.homedir(),
    "user.name": safeUserName(),
    "node.exec.path": process.execPath,
    "node.exec.argv": process.execArgv.join(" "),
    "node.pid": String(process.pid),
    "node.platform": process.platform,
  };
  for (const [k, v] of Object.entries(process.versions)) if (v !== undefined) props[`node.versions.${k}`] = v;
  return Object.fromEntries(Object.entries(props).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function watchSummary(view: AdminView): CommandData {
  const { count, paths } = view.watches.summary();
  const watchers = new Set<unknown>();
  for (const set of paths.values()) for (const w of set) watchers.add(w);
  return { num_connections: watchers.size, num_paths: paths.size, num_total_watches: count };
}

function watchesBySession(view: AdminView): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [p, set] of view.watches.summary().paths) {
    for (const w of set) (out[sessionKey(sessionOf(w))] ??= []).push(p);
  }
  return out;
}

function watchesByPath(view: AdminView): Record<string, bigint[]> {
  const out: Record<string, bigint[]> = {};
  for (const [p, set] of view.watches.summary().paths) out[p] = [...set].map(sessionOf);
  return out;
}

// ---------------------------------------------------------------- helpers

/** ZooKeeper's connection info: brief for `stats`, full for `connections`. */
function connectionList(view: AdminView, brief: boolean): CommandData[] {
  const list: CommandData[] = [];
  for (const c of view.connections as Iterable<ConnectionLatencyView>) {
    const info: CommandData = {
      remote_socket_address: socketAddress(c.remoteAddress, c.remotePort),
      interest_ops: 1,
      outstanding_requests: c.outstanding,
      packets_received: c.packetsReceived,
      packets_sent: c.packetsSent,
    };
    if (!brief) {
      Object.assign(info, {
        session_id: c.sessionId,
        last_operation: c.lastOp,
        established: c.establishedMs,
        session_timeout: c.timeoutMs,
        last_cxid: c.lastCxid,
        last_zxid: c.lastZxid,
        last_response_time: c.lastResponseMs ?? 0,
        last_latency: c.lastLatencyMs,
        min_latency: c.minLatencyMs ?? 0,
        avg_latency: c.avgLatencyMs ?? 0,
        max_latency: c.maxLatencyMs ?? 0,
      });
    }
    list.push(info);
  }
  return list;
}

function socketAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** JSON object keys are strings; ZooKeeper writes session ids there as signed decimal. */
function sessionKey(sessionId: bigint): string {
  return BigInt.asIntN(64, sessionId).toString();
}

/** Watchers are connections; one without a session id (never expected) reports 0. */
function sessionOf(watcher: unknown): bigint {
  const sid = (watcher as { sessionId?: unknown }).sessionId;
  return typeof sid === "bigint" ? sid : 0n;
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "";
  }
}
