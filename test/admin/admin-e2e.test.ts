/**
 * End to end: a real Herd process started from zoo.cfg with `admin.enableServer=true` answers the AdminServer
 * endpoints with what a client just did. Assumes the admin server is listening by the time Herd prints its
 * "serving" line (start it before that line is written).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { RawClient } from "../helpers/raw-client.js";
import { startHerd } from "../helpers/server-process.js";
import { parsePrometheusText, sampleValue } from "./prometheus-parser.js";

const EPHEMERAL = 1;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

test("a Herd process serves /commands, /metrics and /readyz", async (t) => {
  const adminPort = await freePort();
  const server = await startHerd({
    cfg: { "admin.enableServer": "true", "admin.serverAddress": "127.0.0.1", "admin.serverPort": String(adminPort) },
  });
  t.after(() => server.stop());
  // Closed at the end of the test; if the test fails first, stopping the server drops it.
  const client = await RawClient.connect(server.host, server.port, { timeoutMs: 10_000 });
  assert.equal((await client.create("/admin-e2e", "x", { flags: EPHEMERAL })).err, 0);

  const base = `http://127.0.0.1:${adminPort}`;
  const json = async (name: string) => {
    const res = await fetch(`${base}/commands/${name}`);
    assert.equal(res.status, 200);
    return { text: await res.text(), type: res.headers.get("content-type") };
  };

  const ruok = await json("ruok");
  assert.deepEqual(JSON.parse(ruok.text), { command: "ruok", error: null });
  assert.equal(ruok.type, "application/json");

  const srvr = JSON.parse((await json("srvr")).text);
  assert.equal(srvr.error, null);
  assert.equal(srvr.server_stats.server_state, "standalone");
  assert.ok(srvr.node_count >= 2, "the root, /zookeeper … and /admin-e2e");

  // The session id is written exactly, even past 2^53.
  const dump = (await json("dump")).text;
  assert.match(dump, new RegExp(`"${BigInt.asIntN(64, client.sessionId)}": \\[\\s*"/admin-e2e"\\s*\\]`));

  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  const families = parsePrometheusText(await metrics.text());
  assert.equal(sampleValue(families, "znode_count", "znode_count"), srvr.node_count);
  assert.equal(sampleValue(families, "ephemerals_count", "ephemerals_count"), 1);
  assert.ok(sampleValue(families, "updatelatency", "updatelatency_count") >= 1, "the create was recorded");

  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/commands/nope`)).status, 404);
  await client.close();
});
