/**
 * The AdminServer in-process against a fake AdminView: every command's JSON shape against what a real
 * ZooKeeper 3.8.0 standalone server answered (fixtures/zookeeper-3.8.0-standalone.json), aliases, errors and
 * status codes, the Prometheus text, and the health endpoints.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ADMIN_COMMANDS } from "../../src/admin/admin-commands.js";
import { startAdminServer, type AdminServerHandle } from "../../src/admin/admin-server.js";
import { silentLogger } from "../../src/base/logger.js";
import { repoRoot } from "../helpers/interop-tools.js";
import { fakeView, NOW_MS, SESSION_A, SESSION_B, STARTED_MS, type FakeView } from "./fake-view.js";
import { parsePrometheusText, sampleValue } from "./prometheus-parser.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const zookeeper = JSON.parse(
  readFileSync(path.join(repoRoot, "test", "admin", "fixtures", "zookeeper-3.8.0-standalone.json"), "utf8"),
) as Record<string, Record<string, Json>>;

/** The names and aliases of shared/reference §10 (standalone-relevant ones, plus observers/orst). */
const EXPECTED_NAMES: Record<string, string[]> = {
  configuration: ["conf", "config"],
  connection_stat_reset: ["crst"],
  connections: ["cons"],
  dirs: [],
  dump: [],
  environment: ["env", "envi"],
  get_trace_mask: ["gtmk"],
  hash: [],
  initial_configuration: ["icfg"],
  is_read_only: ["isro"],
  last_snapshot: ["lsnp"],
  leader: ["lead"],
  monitor: ["mntr"],
  observer_connection_stat_reset: ["orst"],
  observers: ["obsr"],
  ruok: [],
  set_trace_mask: ["stmk"],
  server_stats: ["srvr"],
  stats: ["stat"],
  stat_reset: ["srst"],
  system_properties: ["sysp"],
  voting_view: [],
  watches: ["wchc"],
  watches_by_path: ["wchp"],
  watch_summary: ["wchs"],
  zabstate: [],
};

/**
 * A value's JSON shape: types, object keys, and the element shape of arrays. Objects keyed by session ids,
 * expiry times or paths are maps, so their keys are left out and only their value shape counts.
 */
function shapeOf(value: Json): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "array" : ["array", shapeOf(value[0])];
  if (typeof value !== "object") return typeof value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => /^-?\d+$/.test(k) || k.startsWith("/"))) return { "<map>": shapeOf(value[keys[0]]) };
  return Object.fromEntries(keys.sort().map((k) => [k, shapeOf(value[k])]));
}

interface HttpReply {
  status: number;
  contentType: string;
  text: string;
}

describe("admin server against a fake view", () => {
  let view: FakeView;
  let admin: AdminServerHandle;
  const get = async (urlPath: string, init: RequestInit = {}): Promise<HttpReply> => {
    const res = await fetch(`http://127.0.0.1:${admin.port}${urlPath}`, init);
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
  };
  const command = async (name: string, query = ""): Promise<Record<string, Json>> => {
    const res = await get(`/commands/${name}${query}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.contentType, "application/json");
    return JSON.parse(res.text) as Record<string, Json>;
  };

  /** Traffic the monitor tests read; stat_reset (run by the every-command tests) zeroes it, so they re-seed. */
  const seedMetrics = () => {
    view.metrics.recordRequest("getData", false, 2, 93);
    view.metrics.recordRequest("create", true, 8, 16);
    view.metrics.fsyncTime.record(1);
  };

  before(async () => {
    view = fakeView();
    seedMetrics();
    admin = await startAdminServer(view, { host: "127.0.0.1", port: 0, logger: silentLogger, clock: () => NOW_MS });
  });
  after(() => admin.close());

  test("the command table has ZooKeeper's names and aliases", () => {
    const table = Object.fromEntries(ADMIN_COMMANDS.map((c) => [c.names[0], c.names.slice(1)]));
    assert.deepEqual(table, EXPECTED_NAMES);
  });

  test("every command answers with ZooKeeper 3.8's JSON shape", async () => {
    for (const name of Object.keys(zookeeper)) {
      if (name === "nope" || name === "monitor") continue;
      const ours = await command(name);
      const theirs = zookeeper[name];
      if (name === "set_trace_mask" || name === "leader") {
        // Captured without arguments / on a standalone server: both are errors in ZooKeeper too.
        assert.deepEqual(ours, theirs, name);
        continue;
      }
      assert.deepEqual(shapeOf(ours), shapeOf(theirs), `shape of ${name}: ${JSON.stringify(ours)}`);
      assert.equal(ours.command, name);
      assert.equal(ours.error, null);
    }
  });

  test("every alias runs its command and reports the name it was called by", async () => {
    for (const [primary, aliases] of Object.entries(EXPECTED_NAMES)) {
      for (const alias of aliases) {
        const body = await command(alias);
        assert.equal(body.command, alias);
        const expected = await command(primary);
        assert.deepEqual(Object.keys(body).sort(), Object.keys(expected).sort(), `${alias} vs ${primary}`);
      }
    }
    seedMetrics(); // stat_reset and srst ran above
  });

  test("ruok is just the command and a null error", async () => {
    assert.equal((await get("/commands/ruok")).text, '{\n  "command": "ruok",\n  "error": null\n}');
  });

  test("64-bit session ids are exact JSON integers", async () => {
    const text = (await get("/commands/connections")).text;
    assert.ok(SESSION_A > BigInt(Number.MAX_SAFE_INTEGER));
    assert.match(text, new RegExp(`"session_id": ${SESSION_A}\\b`));
    const dump = (await get("/commands/dump")).text;
    assert.match(dump, new RegExp(`"${SESSION_B}": \\[\\s*"/e2"\\s*\\]`));
    assert.match(dump, new RegExp(`"${STARTED_MS + 12_000}": \\[\\s*${SESSION_A},\\s*${SESSION_B}\\s*\\]`));
    const wchp = (await get("/commands/wchp")).text;
    assert.match(wchp, new RegExp(`"/b": \\[\\s*${SESSION_B}\\s*\\]`));
  });

  test("values come from the view", async () => {
    const conf = await command("configuration");
    assert.equal(conf.data_dir, "/var/lib/herd/version-2");
    assert.equal(conf.data_log_dir, "/var/lib/herd-log/version-2");
    assert.equal(conf.client_port, 2181);
    const srvr = await command("srvr");
    const stats = srvr.server_stats as Record<string, Json>;
    assert.equal(stats.avg_latency, 5.2222);
    assert.equal(stats.uptime, NOW_MS - STARTED_MS);
    assert.equal(stats.num_alive_client_connections, 2);
    assert.equal(stats.server_state, "standalone");
    assert.deepEqual(srvr.client_response, { last_buffer_size: 16, min_buffer_size: 16, max_buffer_size: 93 });
    assert.equal(srvr.node_count, 8);
    assert.deepEqual(await command("wchs"), { num_connections: 2, num_paths: 2, num_total_watches: 3, command: "wchs", error: null });
    assert.deepEqual(await command("lsnp"), { zxid: "0", timestamp: 1_796_073_317, command: "lsnp", error: null });
    assert.equal((await command("icfg")).initial_configuration, "tickTime=2000\ndataDir=/var/lib/herd\nclientPort=2181\n");
    assert.deepEqual(await command("isro"), { read_only: false, command: "isro", error: null });
    assert.deepEqual(await command("dirs"), { datadir_size: 67109337, logdir_size: 67109337, command: "dirs", error: null });
  });

  test("environment has ZooKeeper's keys; system_properties is sorted and leaves the environment out", async () => {
    assert.deepEqual(Object.keys(await command("envi")).sort(), Object.keys(zookeeper.environment).sort());
    const sysp = await command("sysp");
    const keys = Object.keys(sysp).filter((k) => k !== "command" && k !== "error");
    assert.deepEqual(keys, [...keys].sort());
    assert.ok(keys.includes("node.versions.node"));
    assert.ok(!keys.some((k) => k.startsWith("env.")));
  });

  test("monitor has the keys monitoring tools read, typed as in ZooKeeper", async () => {
    const ours = await command("monitor");
    const theirs = zookeeper.monitor;
    const core = [
      "version", "server_state", "avg_latency", "min_latency", "max_latency", "packets_received", "packets_sent",
      "num_alive_connections", "outstanding_requests", "znode_count", "watch_count", "ephemerals_count",
      "approximate_data_size", "open_file_descriptor_count", "max_file_descriptor_count", "global_sessions",
      "local_sessions", "uptime", "bytes_received_count", "response_bytes", "connection_request_count",
      "avg_fsynctime", "min_fsynctime", "max_fsynctime", "cnt_fsynctime", "sum_fsynctime",
      "avg_readlatency", "p50_readlatency", "p95_readlatency", "p99_readlatency", "p999_readlatency",
      "avg_updatelatency", "cnt_updatelatency", "p99_updatelatency",
    ];
    for (const key of core) {
      assert.ok(key in theirs, `fixture lacks ${key}`);
      assert.ok(key in ours, `monitor lacks ${key}`);
    }
    for (const key of Object.keys(ours)) {
      if (key in theirs) assert.equal(typeof ours[key], typeof theirs[key], key);
    }
    assert.equal(ours.server_state, "standalone");
    assert.equal(ours.znode_count, 8);
    assert.equal(ours.ephemerals_count, 2);
    assert.equal(ours.cnt_readlatency, 1);
    assert.equal(ours.p50_updatelatency, 8);
    assert.equal(ours.avg_getData_herd_request_latency, 2);
    assert.equal(ours.response_bytes, 109);
  });

  test("set_trace_mask takes ?traceMask and get_trace_mask returns it", async () => {
    assert.equal((await command("gtmk")).tracemask, 306);
    assert.deepEqual(await command("stmk", "?traceMask=100"), { tracemask: 100, command: "stmk", error: null });
    assert.equal((await command("get_trace_mask")).tracemask, 100);
    assert.deepEqual(await command("stmk", "?traceMask=abc"), {
      error: "setTraceMask requires long traceMask argument, got abc",
      command: "stmk",
    });
    await command("stmk", "?traceMask=306");
  });

  test("stat_reset resets the server's stats and its metrics", async () => {
    const before = view.statsResets;
    assert.deepEqual(await command("srst"), { command: "srst", error: null });
    assert.equal(view.statsResets, before + 1);
    assert.equal((await command("monitor")).cnt_fsynctime, 0);
    seedMetrics();
  });

  test("an unknown command is a 404 with ZooKeeper's error body", async () => {
    const res = await get("/commands/nope");
    assert.equal(res.status, 404);
    assert.equal(res.contentType, "application/json");
    assert.deepEqual(JSON.parse(res.text), zookeeper.nope);
    assert.equal((await get("/commands/%E0%A4%A")).status, 404);
  });

  test("unknown paths are 404 and other methods 405, both with JSON bodies", async () => {
    const missing = await get("/nothing-here");
    assert.equal(missing.status, 404);
    assert.match(JSON.parse(missing.text).error, /Not found: \/nothing-here/);
    const post = await get("/commands/ruok", { method: "POST" });
    assert.equal(post.status, 405);
    assert.ok("error" in JSON.parse(post.text));
  });

  test("/commands lists links like ZooKeeper, or JSON when asked", async () => {
    const html = await get("/commands");
    assert.equal(html.status, 200);
    const links = [...html.text.matchAll(/<a href="\/commands\/([a-z_]+)">\1<\/a>/g)].map((m) => m[1]);
    assert.deepEqual(links, Object.keys(EXPECTED_NAMES).sort());
    assert.equal((await get("/commands/")).text, html.text);
    const json = await get("/commands", { headers: { Accept: "application/json" } });
    const list = (JSON.parse(json.text) as { commands: { name: string; aliases: string[]; url: string }[] }).commands;
    assert.deepEqual(list.map((c) => c.name), links);
    assert.deepEqual(list.find((c) => c.name === "monitor"), { name: "monitor", aliases: ["mntr"], url: "/commands/monitor" });
  });

  test("/metrics is valid Prometheus text with ZooKeeper's metric names", async () => {
    const res = await get("/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.contentType, "text/plain; version=0.0.4; charset=utf-8");
    const families = parsePrometheusText(res.text);
    const gauges = ["znode_count", "watch_count", "num_alive_connections", "outstanding_requests", "ephemerals_count",
      "approximate_data_size", "global_sessions", "uptime", "packets_received", "packets_sent", "avg_latency"];
    for (const name of gauges) assert.equal(families.get(name)?.type, "gauge", name);
    assert.equal(sampleValue(families, "znode_count", "znode_count"), 8);
    assert.equal(sampleValue(families, "ephemerals_count", "ephemerals_count"), 2);
    assert.equal(sampleValue(families, "uptime", "uptime"), NOW_MS - STARTED_MS);
    assert.equal(sampleValue(families, "num_alive_connections", "num_alive_connections"), 2);
    assert.equal(families.get("response_bytes")?.type, "counter");
    assert.equal(sampleValue(families, "response_bytes", "response_bytes"), 109);
    assert.equal(families.get("readlatency")?.type, "summary");
    assert.equal(sampleValue(families, "readlatency", "readlatency", { quantile: "0.99" }), 2);
    assert.equal(sampleValue(families, "readlatency", "readlatency_count"), 1);
    assert.equal(sampleValue(families, "updatelatency", "updatelatency_sum"), 8);
    assert.deepEqual(families.get("fsynctime")?.samples.map((s) => s.labels.quantile ?? s.name), ["0.5", "fsynctime_count", "fsynctime_sum"]);
    assert.equal(sampleValue(families, "herd_request_latency", "herd_request_latency_count", { op: "create" }), 1);
    assert.equal(sampleValue(families, "herd_server_state", "herd_server_state", { state: "standalone" }), 1);
    assert.equal(families.get("process_cpu_seconds_total")?.type, "counter");
    // An empty summary's quantiles are NaN, as Prometheus clients report them.
    assert.ok(Number.isNaN(sampleValue(families, "snapshottime", "snapshottime", { quantile: "0.5" })));
  });

  test("/healthz answers; /readyz follows whether the server serves", async () => {
    assert.equal((await get("/healthz")).status, 200);
    assert.equal((await get("/readyz")).status, 200);
    view.serving = false;
    try {
      assert.equal((await get("/healthz")).status, 200);
      const ready = await get("/readyz");
      assert.equal(ready.status, 503);
      assert.equal(ready.text, "not serving\n");
      // Commands that need a running server say so, as ZooKeeper's do; the others still answer.
      assert.deepEqual(await command("srvr"), { command: "srvr", error: "This ZooKeeper instance is not currently serving requests" });
      assert.equal((await command("mntr")).error, null);
      assert.equal((await command("envi")).error, null);
    } finally {
      view.serving = true;
    }
  });

  test("HEAD gets headers and no body", async () => {
    const res = await get("/commands/ruok", { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.text, "");
  });
});

describe("admin server lifecycle", () => {
  test("close() stops it even with a keep-alive connection open", async () => {
    const admin = await startAdminServer(fakeView(), { host: "127.0.0.1", port: 0, logger: silentLogger });
    assert.equal((await fetch(`http://127.0.0.1:${admin.port}/healthz`)).status, 200);
    await admin.close();
    await assert.rejects(fetch(`http://127.0.0.1:${admin.port}/healthz`));
  });

  test("a taken port is a clear error", async () => {
    const first = await startAdminServer(fakeView(), { host: "127.0.0.1", port: 0, logger: silentLogger });
    try {
      await assert.rejects(
        startAdminServer(fakeView(), { host: "127.0.0.1", port: first.port, logger: silentLogger }),
        new RegExp(`admin server cannot listen on 127.0.0.1:${first.port}: .*EADDRINUSE`),
      );
    } finally {
      await first.close();
    }
  });

  test("it logs where it listens", async () => {
    const lines: string[] = [];
    const logger = { ...silentLogger, info: (msg: string) => void lines.push(msg) };
    const admin = await startAdminServer(fakeView(), { host: "127.0.0.1", port: 0, logger });
    await admin.close();
    assert.deepEqual(lines, [`admin server listening on 127.0.0.1:${admin.port}`]);
  });
});
