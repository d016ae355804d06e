/**
 * Four-letter words (shared/reference §10): 4 ASCII bytes as the first bytes of a fresh connection, plain-text
 * answer, then close. Only the shapes monitoring tools rely on are checked (Mode/Zxid lines, tab-separated
 * zk_* keys, ...), not version strings or counters that legitimately differ between servers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fourLetterWord, ok, withTimeout } from "../helpers/raw-client.js";
import { useServer } from "./support.js";

const WHITELIST = ["ruok", "srvr", "stat", "mntr", "isro", "envi", "conf", "cons"];
const h = useServer({ "4lw.commands.whitelist": WHITELIST.join(",") });

const word = (cmd: string) => fourLetterWord(h.server.host, h.server.port, cmd);

function lineValue(text: string, prefix: string): string {
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  assert.ok(line !== undefined, `no line starting with ${JSON.stringify(prefix)} in:\n${text}`);
  return line.slice(prefix.length);
}

test("a fresh server counts 5 nodes: /, /zookeeper, /zookeeper/quota, /zookeeper/config and the root's \"\" alias", async () => {
  // First test in the file: nothing has been created yet.
  assert.equal(Number(lineValue(await word("srvr"), "Node count: ")), 5);
});

test("ruok answers imok with no newline", async () => {
  assert.equal(await word("ruok"), "imok");
});

test("isro answers rw on a read-write server", async () => {
  assert.equal(await word("isro"), "rw");
});

test("srvr: version, latency, counters, Zxid in hex, Mode standalone, Node count", async () => {
  const c = await h.connect();
  const path = h.freshPath("srvr");
  const before = await word("srvr");
  const created = await c.create(path);
  ok(created);
  const out = await word("srvr");
  assert.match(out, /^Zookeeper version: .+\n/);
  assert.match(out, /^Latency min\/avg\/max: [\d.]+\/[\d.]+\/[\d.]+$/m);
  for (const key of ["Received", "Sent", "Connections", "Outstanding", "Node count"]) {
    assert.match(lineValue(out, `${key}: `), /^\d+$/, key);
  }
  assert.equal(lineValue(out, "Mode: "), "standalone");
  assert.equal(lineValue(out, "Zxid: "), `0x${created.zxid.toString(16)}`, "the last processed zxid, lower-case hex");
  const nodesBefore = Number(lineValue(before, "Node count: "));
  assert.equal(Number(lineValue(out, "Node count: ")), nodesBefore + 1);
});

test("stat: srvr's fields plus a Clients section listing this connection", async () => {
  const c = await h.connect();
  ok(await c.ping());
  const out = await word("stat");
  assert.match(out, /^Zookeeper version: /);
  assert.match(out, /^Clients:$/m);
  assert.match(out, new RegExp(`^ /127\\.0\\.0\\.1:${c.localPort}\\[1\\]\\(queued=\\d+,recved=\\d+,sent=\\d+\\)$`, "m"));
  assert.equal(lineValue(out, "Mode: "), "standalone");
  assert.match(lineValue(out, "Zxid: "), /^0x[0-9a-f]+$/);
});

test("cons: one line per connection with the session id in hex", async () => {
  const c = await h.connect();
  ok(await c.ping());
  const out = await word("cons");
  const mine = out.split("\n").find((l) => l.startsWith(` /127.0.0.1:${c.localPort}[`));
  assert.ok(mine, `this connection is listed:\n${out}`);
  assert.match(mine, /^ \/127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,/);
  assert.ok(mine.includes(`sid=0x${c.sessionId.toString(16)},`), mine);
  assert.ok(mine.includes(`to=${c.session?.timeOutMs}`), mine);
});

test("mntr: every line is zk_<key>TAB<value>, with the keys monitoring tools read", async () => {
  const out = await word("mntr");
  const lines = out.split("\n").filter((l) => l !== "");
  const values = new Map<string, string>();
  for (const line of lines) {
    assert.match(line, /^zk_[^\s]+\t.*$/, `malformed mntr line ${JSON.stringify(line)}`);
    const [key, value] = line.split("\t");
    values.set(key!, value!);
  }
  const required = ["zk_version", "zk_server_state", "zk_avg_latency", "zk_min_latency", "zk_max_latency",
    "zk_packets_received", "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests",
    "zk_znode_count", "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
    "zk_open_file_descriptor_count", "zk_max_file_descriptor_count", "zk_global_sessions", "zk_local_sessions", "zk_uptime"];
  for (const key of required) assert.ok(values.has(key), `mntr lacks ${key}`);
  assert.equal(values.get("zk_server_state"), "standalone");
  for (const key of ["zk_znode_count", "zk_num_alive_connections", "zk_ephemerals_count", "zk_watch_count"]) {
    assert.match(values.get(key) ?? "", /^\d+$/, key);
  }
});

test("envi: Environment: header and key=value lines including zookeeper.version", async () => {
  const out = await word("envi");
  assert.match(out, /^Environment:\n/);
  assert.match(out, /^zookeeper\.version=.+$/m);
  assert.match(out, /^host\.name=.*$/m);
});

test("conf: clientPort, dataDir, tickTime and the session timeout bounds", async () => {
  const out = await word("conf");
  assert.equal(lineValue(out, "clientPort="), String(h.server.port));
  assert.equal(lineValue(out, "tickTime="), "2000");
  assert.equal(lineValue(out, "minSessionTimeout="), "4000");
  assert.equal(lineValue(out, "maxSessionTimeout="), "40000");
  assert.ok(lineValue(out, "dataDir=").length > 0);
  assert.match(lineValue(out, "maxClientCnxns="), /^\d+$/);
});

test("a known command outside the whitelist gets the whitelist message", async () => {
  for (const cmd of ["wchs", "dump", "crst"]) {
    assert.equal(await word(cmd), `${cmd} is not executed because it is not in the whitelist.\n`);
  }
});

test("an unknown 4-byte prefix is a frame length: closed without output", async () => {
  assert.equal(await word("xxxx"), "");
});

test("4lw bytes after the handshake are not a command: the huge 'length' closes the connection", async () => {
  const c = await h.connect();
  c.sendRaw(Buffer.from("ruok"));
  await withTimeout(c.closed, 5_000, "closed");
  assert.deepEqual(c.frames, [], "nothing was answered");
});
