/**
 * A real Herd (in-process TestingServer, admin server on) against ZooKeeper 3.8.0's monitor capture: `mntr` and
 * `/commands/monitor` carry every key the capture has, typed the same; the counters behind them move with real
 * requests (writes, fsyncs, group commits, reads, watches, connections); metrics Herd has no mechanism for stay
 * at zero events; `/metrics` parses and carries every catalogued family.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TestingServer } from "../../src/testing/index.js";
import { ZOOKEEPER_METRICS } from "../../src/admin/metric-catalogue.js";
import type { HerdServer } from "../../src/runtime/herd-server.js";
import { fourLetterWord, ok, RawClient } from "../helpers/raw-client.js";
import { repoRoot } from "../helpers/interop-tools.js";
import { parsePrometheusText, sampleValue } from "./prometheus-parser.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "admin", "fixtures", "zookeeper-3.8.0-standalone.json"), "utf8")) as Record<
  string,
  Record<string, Json>
>;
/** The capture's monitor keys; `command` and `error` are the AdminServer's envelope, not monitor values. */
const FIXTURE_KEYS = Object.keys(fixture.monitor).filter((k) => k !== "command" && k !== "error");
const EPHEMERAL = 1;
const host = "127.0.0.1";

/** `zk_<key>\t<value>` lines as a map; a key printed twice is an error. */
function parseMntr(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^zk_([a-zA-Z0-9_]+)\t(.*)$/.exec(line);
    assert.ok(m !== null, `malformed mntr line ${JSON.stringify(line)}`);
    assert.ok(!rows.has(m[1]), `mntr prints ${m[1]} twice`);
    rows.set(m[1], m[2]);
  }
  return rows;
}

const isNumberText = (v: string) => v.trim() !== "" && Number.isFinite(Number(v));

/** The server-side connection of a client, to wait for the server to see its socket close. */
function serverSocketClosed(server: HerdServer, client: RawClient): Promise<void> {
  const conn = [...server.connections].find((c) => c.remotePort === client.localPort);
  assert.ok(conn !== undefined, "the server has no connection for this client");
  // The server's own close listener was added first, so it has run when this one runs.
  return new Promise((resolve) => conn.socket.once("close", () => resolve()));
}

describe("mntr and /commands/monitor against a real Herd", () => {
  let server: TestingServer;
  let client: RawClient;
  let adminBase: string;

  const mntr = async () => parseMntr(await fourLetterWord(host, server.port, "mntr"));
  const monitor = async (): Promise<Record<string, Json>> => {
    const res = await fetch(`${adminBase}/commands/monitor`);
    assert.equal(res.status, 200);
    return (await res.json()) as Record<string, Json>;
  };
  const num = (values: Map<string, string>, key: string): number => {
    const v = values.get(key);
    assert.ok(v !== undefined && isNumberText(v), `mntr ${key} = ${v}`);
    return Number(v);
  };

  before(async () => {
    server = await TestingServer.start({
      config: { adminEnableServer: true, adminServerAddress: host, adminServerPort: 0, juteMaxBufferBytes: 64 * 1024 },
    });
    adminBase = `http://${host}:${server.instance.adminPort}`;
    client = await RawClient.connect(host, server.port, { timeoutMs: 30_000 });
    // The capture's traffic: a kazoo client made /a, /a/eph and /e2 and read /a.
    ok(await client.create("/a", "x"));
    ok(await client.create("/a/eph", "y", { flags: EPHEMERAL }));
    ok(await client.create("/e2", null, { flags: EPHEMERAL }));
    ok(await client.getData("/a", true));
    ok(await client.getChildren("/a", true));
  });
  after(async () => {
    await client?.close();
    await server?.close();
  });

  test("mntr prints every key ZooKeeper 3.8.0's monitor has, with the same kind of value", async () => {
    const ours = await mntr();
    for (const key of FIXTURE_KEYS) {
      const theirs = fixture.monitor[key];
      const value = ours.get(key);
      assert.ok(value !== undefined, `mntr lacks zk_${key}`);
      if (typeof theirs === "number") assert.ok(isNumberText(value), `zk_${key} should be a number, is ${JSON.stringify(value)}`);
      else assert.ok(!isNumberText(value), `zk_${key} should be text, is ${JSON.stringify(value)}`);
    }
    assert.equal(ours.get("server_state"), "standalone");
  });

  test("/commands/monitor has every key of the capture, with the same JSON type", async () => {
    const ours = await monitor();
    assert.equal(ours.command, "monitor");
    assert.equal(ours.error, null);
    for (const key of FIXTURE_KEYS) {
      assert.ok(key in ours, `monitor lacks ${key}`);
      assert.equal(typeof ours[key], typeof fixture.monitor[key], `type of ${key}: ${JSON.stringify(ours[key])}`);
    }
    // The 4lw and the admin command are the same dump (values move between the two reads, keys do not).
    const fromMntr = [...(await mntr()).keys()].sort();
    assert.deepEqual(fromMntr, Object.keys(ours).filter((k) => k !== "command" && k !== "error").sort());
  });

  test("start-up is measured once: database load, snapshot load, txn replay", async () => {
    const m = await mntr();
    assert.equal(num(m, "cnt_dbinittime"), 1);
    assert.equal(num(m, "cnt_startup_snap_load_time"), 1);
    assert.equal(num(m, "cnt_startup_txns_load_time"), 1);
    assert.equal(num(m, "cnt_startup_txns_loaded"), 1);
    assert.equal(num(m, "sum_startup_txns_loaded"), 0, "a fresh data directory has no txns to replay");
  });

  test("writes move the write path: latency, prep, group commit, fsync, per-namespace bytes", async () => {
    const writes = 5;
    const before = await mntr();
    for (let i = 0; i < writes; i++) ok(await client.setData("/a", `v${i}`));
    const now = await mntr();
    const grew = (key: string) => num(now, key) - num(before, key);
    assert.equal(grew("cnt_updatelatency"), writes);
    assert.equal(grew("prep_processor_request_queued"), writes);
    assert.equal(grew("cnt_prep_process_time"), writes);
    assert.equal(grew("cnt_prep_processor_queue_time_ms"), writes);
    assert.equal(grew("sync_processor_request_queued"), writes);
    assert.equal(grew("sum_sync_processor_batch_size"), writes, "every logged txn is in exactly one group commit");
    assert.ok(grew("cnt_sync_processor_batch_size") >= 1 && grew("cnt_sync_processor_batch_size") <= writes);
    assert.equal(grew("cnt_fsynctime"), grew("cnt_sync_processor_batch_size"), "one fsync per group commit");
    assert.equal(grew("cnt_sync_processor_queue_and_flush_time_ms"), writes);
    assert.equal(grew("cnt_sync_processor_queue_time_ms"), writes);
    assert.equal(grew("cnt_propagation_latency"), writes);
    assert.equal(grew("outstanding_changes_queued"), writes, "setData records one change");
    assert.equal(grew("outstanding_changes_removed"), writes);
    assert.equal(grew("cnt_a_write_per_namespace"), writes);
    assert.equal(grew("sum_a_write_per_namespace"), writes * "/a".length + 2 * writes, "path plus 2 data bytes each");
    assert.ok(grew("packets_received") >= writes && grew("packets_sent") >= writes);
    assert.ok(grew("bytes_received_count") > 0 && grew("response_bytes") > 0);
    assert.ok(num(now, "last_client_response_size") > 0);
  });

  test("reads move readlatency and the per-namespace read sizes", async () => {
    const reads = 4;
    const before = await mntr();
    for (let i = 0; i < reads; i++) ok(await client.getData("/a"));
    ok(await client.exists("/e2"));
    const now = await mntr();
    const grew = (key: string) => num(now, key) - num(before, key);
    assert.equal(grew("cnt_readlatency"), reads + 1);
    assert.equal(grew("cnt_a_read_per_namespace"), reads);
    assert.equal(num(now, "cnt_e2_read_per_namespace"), 1, "first read under /e2");
    // path + data ("v4") + ZooKeeper's 68-byte stat overhead
    assert.equal(num(now, "max_a_read_per_namespace"), Math.max(num(before, "max_a_read_per_namespace"), 2 + 2 + 68));
    assert.ok(grew("packets_received") >= reads + 1);
  });

  test("a change fires watchers and counts them by event type, with the notification bytes", async () => {
    ok(await client.getData("/a", true));
    const watcher = await RawClient.connect(host, server.port, { timeoutMs: 30_000 });
    ok(await watcher.getData("/a", true));
    const before = await mntr();
    ok(await client.setData("/a", "changed"));
    const now = await mntr();
    await watcher.close();
    const grew = (key: string) => num(now, key) - num(before, key);
    assert.equal(grew("cnt_node_changed_watch_count"), 1);
    assert.equal(grew("sum_node_changed_watch_count"), 2, "two connections watched /a");
    assert.ok(grew("watch_bytes") > 0);
    assert.equal(grew("cnt_node_created_watch_count"), 0);
  });

  test("a closed connection's watches are cleaned up and counted", async () => {
    const watcher = await RawClient.connect(host, server.port, { timeoutMs: 30_000 });
    assert.equal((await watcher.exists("/never", true)).err, -101); // NoNode, and a watch for its creation
    const before = await mntr();
    const closed = serverSocketClosed(server.instance, watcher);
    await watcher.close();
    await closed;
    const now = await mntr();
    assert.equal(num(now, "dead_watchers_queued") - num(before, "dead_watchers_queued"), 1);
    assert.equal(num(now, "dead_watchers_cleared") - num(before, "dead_watchers_cleared"), 1);
    assert.equal(num(now, "cnt_dead_watchers_cleaner_latency") - num(before, "cnt_dead_watchers_cleaner_latency"), 1);
    assert.equal(num(now, "connection_drop_count"), num(before, "connection_drop_count"), "a session close is not a drop");
  });

  test("a dropped connection, a reconnect to its session, an oversized frame and a bad auth are counted", async () => {
    const before = await mntr();
    const first = await RawClient.connect(host, server.port, { timeoutMs: 30_000 });
    const dropped = serverSocketClosed(server.instance, first);
    first.destroy();
    await dropped;
    const again = await RawClient.connect(host, server.port, { timeoutMs: 30_000, sessionId: first.sessionId, passwd: first.passwd });
    assert.equal(again.sessionId, first.sessionId);
    assert.equal((await again.auth("no-such-scheme", "x")).err, -115); // AuthFailed, and the server closes
    await again.closed;
    const big = await RawClient.connect(host, server.port, { timeoutMs: 30_000 });
    void big.create("/big", Buffer.alloc(128 * 1024)).catch(() => undefined); // over jute.maxbuffer: the server hangs up
    await big.closed;
    const now = await mntr();
    const grew = (key: string) => num(now, key) - num(before, key);
    assert.equal(grew("connection_drop_count"), 1);
    assert.equal(grew("connection_revalidate_count"), 1);
    assert.equal(grew("connection_request_count"), 3);
    assert.equal(grew("auth_failed_count"), 1);
    assert.equal(grew("large_requests_rejected"), 1);
  });

  test("metrics Herd has no mechanism for stay at zero events", async () => {
    const values = await monitor();
    for (const entry of ZOOKEEPER_METRICS) {
      if (entry.absentBecause === undefined) continue;
      const key = entry.kind === "summary" ? `cnt_${entry.name}` : entry.name;
      if (entry.kind === "summarySet") {
        assert.ok(!Object.keys(values).some((k) => k.endsWith(`_${entry.name}`)), `${entry.name} has entries`);
        continue;
      }
      assert.equal(values[key], 0, `${key} of a mechanism Herd lacks`);
    }
  });

  test("/metrics parses and has a family for every catalogued metric, labelled sets included", async () => {
    const res = await fetch(`${adminBase}/metrics`);
    assert.equal(res.status, 200);
    const families = parsePrometheusText(await res.text());
    for (const entry of ZOOKEEPER_METRICS) {
      const family = families.get(entry.name);
      assert.ok(family !== undefined, `no family ${entry.name}`);
      const type = entry.kind === "counter" || entry.kind === "counterSet" ? "counter" : "summary";
      assert.equal(family.type, type, entry.name);
      if (entry.absentBecause !== undefined) assert.match(family.help, /always 0 events in Herd/, entry.name);
    }
    assert.ok(sampleValue(families, "read_per_namespace", "read_per_namespace_count", { key: "a" }) >= 1);
    assert.ok(sampleValue(families, "write_per_namespace", "write_per_namespace_count", { key: "e2" }) >= 1);
    assert.ok(sampleValue(families, "sync_processor_batch_size", "sync_processor_batch_size_count") >= 1);
    assert.ok(sampleValue(families, "fsynctime", "fsynctime_count") >= 1);
    assert.equal(sampleValue(families, "jvm_pause_time_ms", "jvm_pause_time_ms_count"), 0);
  });

  // Last in this suite: it zeroes what the tests above read.
  test("srst and /commands/stat_reset zero counters and summaries (ZooKeeper's resetAll); gauges stay live", async () => {
    ok(await client.setData("/a", "before-reset"));
    assert.ok(num(await mntr(), "cnt_updatelatency") > 0);
    assert.equal((await fourLetterWord(host, server.port, "srst")).trim(), "Server stats reset.");
    const reset = await mntr();
    for (const key of ["cnt_updatelatency", "prep_processor_request_queued", "sum_sync_processor_batch_size", "cnt_fsynctime"]) {
      assert.equal(num(reset, key), 0, `${key} after srst`);
    }
    assert.ok(num(reset, "znode_count") > 4, "gauges read live state, not reset");
    ok(await client.setData("/a", "after-reset"));
    assert.equal(num(await mntr(), "cnt_updatelatency"), 1, "counting starts again");
    const res = await fetch(`${adminBase}/commands/stat_reset`);
    assert.equal(res.status, 200);
    assert.equal((await monitor()).cnt_updatelatency, 0);
  });
});

describe("connection limits", () => {
  test("a connection over maxClientCnxns is refused and counted", async () => {
    const server = await TestingServer.start({ config: { adminEnableServer: true, adminServerAddress: host, adminServerPort: 0, maxClientCnxns: 1 } });
    try {
      const first = await RawClient.connect(host, server.port, { timeoutMs: 30_000 });
      await assert.rejects(RawClient.connect(host, server.port, { timeoutMs: 30_000, connectTimeoutMs: 5_000 }));
      const res = await fetch(`http://${host}:${server.instance.adminPort}/commands/monitor`);
      const values = (await res.json()) as Record<string, Json>;
      assert.equal(values.connection_rejected, 1);
      await first.close();
    } finally {
      await server.close();
    }
  });
});
