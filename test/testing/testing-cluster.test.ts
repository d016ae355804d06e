/** TestingCluster: a 3-member ensemble that serves, survives killServer(leader) and restarts the member. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "../../src/client/index.js";
import { TestingCluster } from "../../src/testing/index.js";

test("TestingCluster starts an ensemble, fails over and restarts a killed member", async () => {
  const cluster = await TestingCluster.start({ size: 3 });
  try {
    const client = createClient(cluster.connectString, { sessionTimeoutMs: 10_000 });
    await client.whenConnected(30_000);
    await client.create("/tc", Buffer.from("1"));
    const leader = await cluster.leader();
    await cluster.killServer(leader);
    const next = await cluster.leader();
    assert.notEqual(next, leader);
    await cluster.restartServer(leader);
    assert.equal(cluster.servers.filter((s) => s.alive).length, 3);
    assert.equal((await client.getData("/tc")).data.toString(), "1");
    // expireSession: the session's ephemeral goes and its client is told it expired.
    const victim = createClient(cluster.connectString, { sessionTimeoutMs: 10_000 });
    await victim.whenConnected(30_000);
    await victim.create("/tc/eph", Buffer.alloc(0), { mode: "ephemeral" });
    const expired = new Promise<void>((resolve) => victim.once("expired", () => resolve()));
    await cluster.expireSession(victim.sessionId, victim.sessionPassword);
    await expired;
    await client.sync("/tc");
    assert.equal(await client.exists("/tc/eph"), null);
    await client.close();
  } finally {
    await cluster.close();
  }
});
