/**
 * Four-letter words (shared/reference §10): plain-text status commands sent as the first 4 bytes of a
 * connection. Output formats follow Apache ZooKeeper's, because tools (zkServer.sh, kazoo, monitoring) parse them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import type { AdminView } from "./admin-view.js";
import { monitorValues } from "./metric-export.js";

export const HERD_VERSION = "0.1.0";
/** What Herd reports as its ZooKeeper version: the protocol level it implements. */
export const ZK_COMPAT_VERSION = "3.9.2";
export const VERSION_LINE = `${ZK_COMPAT_VERSION}-herd-${HERD_VERSION}, built on 2026-11-30 00:00 UTC`;

export const FOUR_LETTER_WORDS: ReadonlySet<string> = new Set([
  "ruok", "srvr", "stat", "conf", "cons", "crst", "dump", "envi", "gtmk", "stmk", "srst", "wchc", "wchp", "wchs", "mntr", "isro", "dirs", "hash",
]);

export interface ConnectionView {
  remoteAddress: string;
  remotePort: number;
  sessionId: bigint;
  timeoutMs: number;
  outstanding: number;
  packetsReceived: number;
  packetsSent: number;
  lastOp: string;
  lastCxid: number;
  lastZxid: bigint;
  lastLatencyMs: number;
  establishedMs: number;
}

/** What the commands read from the server; the runtime implements it. */
export interface FourLetterWordView {
  readonly config: {
    clientPort: number;
    dataDir: string;
    dataLogDir: string;
    tickTimeMs: number;
    maxClientCnxns: number;
    minSessionTimeoutMs: number;
    maxSessionTimeoutMs: number;
    fourLetterWordWhitelist: Set<string> | "*";
  };
  readonly port: number;
  readonly lastZxid: bigint;
  readonly outstandingRequests: number;
  readonly startedMs: number;
  readonly connections: Iterable<ConnectionView>;
  readonly stats: { packetsReceived: number; packetsSent: number; latencyMin: number; latencyAvg: number; latencyMaxMs: number; reset(): void };
  readonly tree: { nodeCount(): number; approximateDataSize(): number; ephemerals: Map<bigint, Set<string>> };
  readonly sessions: { sessions: Map<bigint, { id: bigint; expiresAtMs: number }> };
  readonly watches: { summary(): { count: number; paths: Map<string, Set<unknown>> } };
  persistenceSizes(): { dataDirBytes: number; logDirBytes: number };
  /** standalone, leader, follower, observer (default standalone). */
  readonly serverState?: string;
  /** False while the server is not serving clients (e.g. an ensemble member without a quorum). */
  readonly serving?: boolean;
  /** Leader only: counts for mntr's zk_followers / zk_synced_followers / zk_synced_observers. */
  learnerCounts?(): { followers: number; syncedFollowers: number; syncedObservers: number; pendingSyncs: number } | null;
}

const NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n";
/** Commands that answer even when the server is not serving. */
const ALWAYS_ANSWERED = new Set(["ruok", "isro", "envi", "conf", "gtmk", "stmk", "dirs", "crst", "srst"]);

let traceMask = 306n;

export function runFourLetterWord(word: string, server: FourLetterWordView): string {
  const wl = server.config.fourLetterWordWhitelist;
  if (wl !== "*" && !wl.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
  if (server.serving === false && !ALWAYS_ANSWERED.has(word)) return NOT_SERVING;
  switch (word) {
    case "ruok":
      return "imok";
    case "isro":
      return "rw";
    case "srvr":
      return serverSummary(server, false);
    case "stat":
      return serverSummary(server, true);
    case "cons":
      return [...server.connections].map((c) => connectionLine(c, true)).join("") + "\n";
    case "crst":
      return "Connection stats reset.\n";
    case "srst":
      server.stats.reset();
      (server as AdminView).metrics.registry.resetAll(); // ZooKeeper's ServerStats.reset() resets its metrics too
      return "Server stats reset.\n";
    case "conf":
      return conf(server);
    case "envi":
      return envi();
    case "mntr":
      return mntr(server);
    case "wchs":
      return wchs(server);
    case "wchc":
    case "wchp":
      return watchDump(server, word);
    case "dump":
      return dump(server);
    case "dirs": {
      const sizes = server.persistenceSizes();
      return `datadir_size: ${sizes.dataDirBytes}\nlogdir_size: ${sizes.logDirBytes}\n`;
    }
    case "gtmk":
      return `${traceMask}\n`;
    case "stmk":
      return `${traceMask}\n`;
    case "hash":
      return "";
    default:
      return "";
  }
}

const hex = (v: bigint) => "0x" + BigInt.asUintN(64, v).toString(16);

function connectionLine(c: ConnectionView, detailed: boolean): string {
  const head = ` /${c.remoteAddress}:${c.remotePort}[${c.sessionId === 0n ? 0 : 1}](queued=${c.outstanding},recved=${c.packetsReceived},sent=${c.packetsSent}`;
  if (!detailed) return head + ")\n";
  if (c.sessionId === 0n) return head + ")\n";
  return (
    head +
    `,sid=${hex(c.sessionId)},lop=${c.lastOp},est=${c.establishedMs},to=${c.timeoutMs},lcxid=0x${(c.lastCxid >>> 0).toString(16)}` +
    `,lzxid=${hex(c.lastZxid)},lresp=${Date.now()},llat=${c.lastLatencyMs},minlat=0,avglat=0,maxlat=0)\n`
  );
}

function connectionCount(server: FourLetterWordView): number {
  let n = 0;
  for (const _ of server.connections) n++;
  return n;
}

function serverSummary(server: FourLetterWordView, withClients: boolean): string {
  const s = server.stats;
  const lines = [`Zookeeper version: ${VERSION_LINE}`];
  if (withClients) {
    lines.push("Clients:");
    for (const c of server.connections) lines.push(connectionLine(c, false).replace(/\n$/, ""));
    lines.push("");
  }
  lines.push(
    `Latency min/avg/max: ${s.latencyMin}/${s.latencyAvg.toFixed(4)}/${s.latencyMaxMs}`,
    `Received: ${s.packetsReceived}`,
    `Sent: ${s.packetsSent}`,
    `Connections: ${connectionCount(server)}`,
    `Outstanding: ${server.outstandingRequests}`,
    `Zxid: ${hex(server.lastZxid)}`,
    `Mode: ${server.serverState ?? "standalone"}`,
    `Node count: ${server.tree.nodeCount()}`,
  );
  return lines.join("\n") + "\n";
}

function conf(server: FourLetterWordView): string {
  const c = server.config;
  const sizes = server.persistenceSizes();
  return [
    `clientPort=${server.port}`,
    "secureClientPort=-1",
    `dataDir=${c.dataDir}/version-2`,
    `dataDirSize=${sizes.dataDirBytes}`,
    `dataLogDir=${c.dataLogDir}/version-2`,
    `dataLogSize=${sizes.logDirBytes}`,
    `tickTime=${c.tickTimeMs}`,
    `maxClientCnxns=${c.maxClientCnxns}`,
    `minSessionTimeout=${c.minSessionTimeoutMs}`,
    `maxSessionTimeout=${c.maxSessionTimeoutMs}`,
    "clientPortListenBacklog=-1",
    "serverId=0",
    "",
  ].join("\n");
}

function envi(): string {
  return [
    "Environment:",
    `zookeeper.version=${VERSION_LINE}`,
    `host.name=${os.hostname()}`,
    `java.version=node-${process.versions.node}`,
    "java.vendor=Herd",
    `java.home=${process.execPath}`,
    "java.class.path=",
    "java.library.path=",
    `java.io.tmpdir=${os.tmpdir()}`,
    "java.compiler=<NA>",
    `os.name=${os.type()}`,
    `os.arch=${os.arch()}`,
    `os.version=${os.release()}`,
    `user.name=${os.userInfo().username}`,
    `user.home=${os.homedir()}`,
    `user.dir=${process.cwd()}`,
    `os.memory.free=${Math.round(os.freemem() / 1048576)}MB`,
    `os.memory.max=${Math.round(os.totalmem() / 1048576)}MB`,
    `os.memory.total=${Math.round(process.memoryUsage().rss / 1048576)}MB`,
    "",
  ].join("\n");
}

/**
 * mntr: with the server's metrics registry (every runtime server has one) the same keys as the admin `monitor`,
 * one `zk_<key>\t<value>` line each. A leader adds the pre-3.6 `zk_followers` line that older tools read (the
 * leader's synced_* gauges are already among the monitor values).
 */
function mntr(server: FourLetterWordView): string {
  if (!("metrics" in server)) return basicMntr(server);
  const values = monitorValues(server as AdminView, Date.now());
  const rows = Object.entries(values).map(([k, v]) => `zk_${k}\t${v}`);
  const learners = server.learnerCounts?.() ?? null;
  if (learners !== null) rows.push(`zk_followers\t${learners.followers}`);
  return rows.join("\n") + "\n";
}

function basicMntr(server: FourLetterWordView): string {
  const s = server.stats;
  const watchSummary = server.watches.summary();
  let ephemerals = 0;
  for (const set of server.tree.ephemerals.values()) ephemerals += set.size;
  const rows: [string, string | number][] = [
    ["zk_version", VERSION_LINE],
    ["zk_server_state", server.serverState ?? "standalone"],
    ["zk_avg_latency", s.latencyAvg.toFixed(4)],
    ["zk_max_latency", s.latencyMaxMs],
    ["zk_min_latency", s.latencyMin],
    ["zk_packets_received", s.packetsReceived],
    ["zk_packets_sent", s.packetsSent],
    ["zk_num_alive_connections", connectionCount(server)],
    ["zk_outstanding_requests", server.outstandingRequests],
    ["zk_znode_count", server.tree.nodeCount()],
    ["zk_watch_count", watchSummary.count],
    ["zk_ephemerals_count", ephemerals],
    ["zk_approximate_data_size", server.tree.approximateDataSize()],
    ["zk_open_file_descriptor_count", openFileDescriptors()],
    ["zk_max_file_descriptor_count", 1048576],
    ["zk_global_sessions", server.sessions.sessions.size],
    ["zk_local_sessions", 0],
    ["zk_uptime", Date.now() - server.startedMs],
    ["zk_last_zxid", hex(server.lastZxid)],
  ];
  const learners = server.learnerCounts?.() ?? null;
  if (learners !== null) {
    rows.push(
      ["zk_followers", learners.followers],
      ["zk_synced_followers", learners.syncedFollowers],
      ["zk_synced_non_voting_followers", 0],
      ["zk_synced_observers", learners.syncedObservers],
      ["zk_pending_syncs", learners.pendingSyncs],
    );
  }
  return rows.map(([k, v]) => `${k}\t${v}`).join("\n") + "\n";
}

/** Open descriptors of this process (Linux /proc); 0 where that is not available. */
function openFileDescriptors(): number {
  try {
    return fs.readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}

function wchs(server: FourLetterWordView): string {
  const { count, paths } = server.watches.summary();
  const watchers = new Set<unknown>();
  for (const set of paths.values()) for (const w of set) watchers.add(w);
  return `${watchers.size} connections watching ${paths.size} paths\nTotal watches:${count}\n`;
}

function watchDump(server: FourLetterWordView, word: "wchc" | "wchp"): string {
  const { paths } = server.watches.summary();
  const sessionOf = (w: unknown) => hex((w as { sessionId?: bigint }).sessionId ?? 0n);
  if (word === "wchp") {
    let out = "";
    for (const [path, set] of paths) out += `${path}\n` + [...set].map((w) => `\t${sessionOf(w)}\n`).join("");
    return out;
  }
  const bySession = new Map<string, string[]>();
  for (const [path, set] of paths) {
    for (const w of set) {
      const sid = sessionOf(w);
      const list = bySession.get(sid) ?? [];
      list.push(path);
      bySession.set(sid, list);
    }
  }
  let out = "";
  for (const [sid, list] of bySession) out += `${sid}\n` + list.map((p) => `\t${p}\n`).join("");
  return out;
}

function dump(server: FourLetterWordView): string {
  const lines = ["SessionTracker dump:", `Global Sessions(${server.sessions.sessions.size}):`];
  for (const s of server.sessions.sessions.values()) lines.push(`${hex(s.id)}\texpires at ${new Date(s.expiresAtMs).toISOString()}`);
  lines.push("ephemeral nodes dump:", `Sessions with Ephemerals (${server.tree.ephemerals.size}):`);
  for (const [sid, paths] of server.tree.ephemerals) {
    lines.push(`${hex(sid)}:`);
    for (const p of paths) lines.push(`\t${p}`);
  }
  lines.push("Connections dump:");
  return lines.join("\n") + "\n";
}
