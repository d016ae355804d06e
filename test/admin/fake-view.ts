/**
 * An in-memory AdminView for the admin tests: two connections with sessions, ephemerals and watches shaped like
 * the ZooKeeper 3.8.0 capture in fixtures/ (where a kazoo client made /a, /a/eph, /e2 and watched /a and /b),
 * with 64-bit session ids above 2^53 so exact JSON integers are checked.
 */
import type { AdminView } from "../../src/admin/admin-view.js";
import type { ConnectionView } from "../../src/admin/four-letter-words.js";
import { ServerMetrics } from "../../src/admin/metrics.js";

export const SESSION_A = 0x0100000e4a3b0000n; // 72057655412850688: past Number.MAX_SAFE_INTEGER
export const SESSION_B = 0x0100000e4a3b0001n;
export const STARTED_MS = 1_796_073_300_000;
export const NOW_MS = STARTED_MS + 29_145;

export interface FakeView extends AdminView {
  serving: boolean;
  statsResets: number;
}

function connection(sessionId: bigint, remotePort: number): ConnectionView {
  return {
    remoteAddress: "127.0.0.1",
    remotePort,
    sessionId,
    timeoutMs: 10_000,
    outstanding: 0,
    packetsReceived: 4,
    packetsSent: 4,
    lastOp: "GETD",
    lastCxid: 3,
    lastZxid: 5n,
    lastLatencyMs: 1,
    establishedMs: STARTED_MS + 100,
  };
}

export function fakeView(): FakeView {
  const a = connection(SESSION_A, 35464);
  const b = connection(SESSION_B, 35476);
  const metrics = new ServerMetrics();
  const view: FakeView = {
    serving: true,
    statsResets: 0,
    config: {
      clientPort: 2181,
      dataDir: "/var/lib/herd",
      dataLogDir: "/var/lib/herd-log",
      tickTimeMs: 2000,
      maxClientCnxns: 60,
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      fourLetterWordWhitelist: new Set(["srvr"]),
      raw: new Map([["tickTime", "2000"], ["dataDir", "/var/lib/herd"], ["clientPort", "2181"]]),
    },
    port: 2181,
    lastZxid: 5n,
    outstandingRequests: 0,
    startedMs: STARTED_MS,
    connections: [a, b],
    stats: {
      packetsReceived: 9,
      packetsSent: 9,
      latencyMin: 1,
      latencyAvg: 47 / 9,
      latencyMaxMs: 12,
      reset() {
        view.statsResets++;
      },
    },
    tree: {
      nodeCount: () => 8,
      approximateDataSize: () => 61,
      ephemerals: new Map([[SESSION_A, new Set(["/a/eph"])], [SESSION_B, new Set(["/e2"])]]),
    },
    sessions: {
      sessions: new Map([
        [SESSION_A, { id: SESSION_A, expiresAtMs: STARTED_MS + 12_000 }],
        [SESSION_B, { id: SESSION_B, expiresAtMs: STARTED_MS + 12_000 }],
      ]),
    },
    watches: {
      summary: () => ({ count: 3, paths: new Map<string, Set<unknown>>([["/a", new Set([a])], ["/b", new Set([b])]]) }),
    },
    persistenceSizes: () => ({ dataDirBytes: 67109337, logDirBytes: 67109337 }),
    metrics,
    lastSnapshot: () => ({ zxid: 0n, timestampMs: 1_796_073_317_000 }),
  };
  return view;
}
