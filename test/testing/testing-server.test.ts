/** The embeddable TestingServer: free port, temp data, stop/restart keep data, expireSession, close cleans up. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { Err, EventType } from "../../src/jute/codes.js";
import { TestingServer } from "../../src/testing/index.js";
import { RawClient } from "../helpers/raw-client.js";

test("TestingServer serves, restarts with its data, expires sessions and cleans up", async (t) => {
  const started = performance.now();
  const server = await TestingServer.start();
  const startMs = performance.now() - started;
  assert.match(server.connectString, /^127\.0\.0\.1:\d+$/);
  t.diagnostic(`TestingServer started in ${startMs.toFixed(1)} ms`);

  const owner = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 10_000 });
  const watcher = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 10_000 });
  assert.equal((await owner.create("/eph", "x", { flags: 1 })).err, Err.OK);
  assert.equal((await owner.create("/kept", "y")).err, Err.OK);
  assert.equal((await watcher.exists("/eph", true)).err, Err.OK);
  server.expireSession(owner.sessionId);
  const event = await watcher.nextEvent(5_000);
  assert.deepEqual([event.event.type, event.event.path], [EventType.NodeDeleted, "/eph"]);
  await owner.closed;
  watcher.destroy();

  await server.restart();
  const again = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 10_000 });
  assert.equal((await again.getData("/kept")).value?.data?.toString(), "y");
  again.destroy();

  const dir = server.dataDir;
  await server.close();
  assert.equal(fs.existsSync(dir), false, "close() removes the temporary data directory");
});
