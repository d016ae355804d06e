/**
 * Synchronisation with real processes: a member that was down while many txns committed gets a SNAP
 * (it is further behind than the leader's window), is then identical to the others, and recovers that state
 * from its own disk after another restart; a client re-attaches its session on another member.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient, type ZooKeeperClient } from "../../src/client/index.js";
import { launchEnsemble, waitForLeader, type TestEnsemble } from "../helpers/ensemble-process.js";

let ensemble: TestEnsemble | undefined;
after(async () => {
  await ensemble?.stopAll();
});

async function connect(port: number, extra: Parameters<typeof createClient>[1] = {}): Promise<ZooKeeperClient> {
  const c = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 20_000, ...extra });
  await c.whenConnected(30_000);
  return c;
}

async function childrenOf(port: number, path: string): Promise<string[]> {
  const c = await connect(port);
  try {
    await c.sync(path);
    return (await c.getChildren(path)).sort();
  } finally {
    await c.close();
  }
}

test("a lagging member is brought back by SNAP and keeps that state across its own restart", async () => {
  ensemble = await launchEnsemble({ size: 3, tickTimeMs: 250, cfg: { "herd.syncWindowEntries": "40", snapCount: "50" } });
  const leader = await waitForLeader(ensemble);
  const lagger = ensemble.members.find((m) => m.id !== leader.id)!;
  await lagger.stop();

  const writer = await connect(leader.plan.clientPort);
  await writer.create("/snap", Buffer.alloc(0));
  for (let i = 0; i < 300; i++) await writer.create(`/snap/n${i}`, Buffer.from(String(i)));
  const expected = (await writer.getChildren("/snap")).sort();
  assert.equal(expected.length, 300);

  let mark = lagger.lines.length;
  lagger.start();
  await lagger.waitForRole("following", mark);
  await lagger.waitForLine(/installed the leader's snapshot/, mark);
  assert.deepEqual(await childrenOf(lagger.plan.clientPort, "/snap"), expected);

  // Its snapshot and log are consistent on disk: a restart recovers the same tree without help.
  await writer.create("/snap/after", Buffer.alloc(0));
  await lagger.stop();
  mark = lagger.lines.length;
  lagger.start();
  await lagger.waitForRole("following", mark);
  assert.deepEqual(await childrenOf(lagger.plan.clientPort, "/snap"), [...expected, "after"].sort());

  // A session moves: re-attach on another member with id and password.
  const other = ensemble.members.find((m) => m.id !== leader.id && m.id !== lagger.id)!;
  await writer.create("/snap/mine", Buffer.alloc(0), { mode: "ephemeral" });
  const moved = await connect(other.plan.clientPort, { sessionId: writer.sessionId, sessionPassword: writer.sessionPassword });
  try {
    assert.equal(moved.sessionId, writer.sessionId);
    await moved.sync("/snap"); // this member may lag the leader: catch up before reading
    const stat = await moved.exists("/snap/mine");
    assert.equal(stat?.ephemeralOwner, writer.sessionId);
  } finally {
    await moved.close();
    await writer.close().catch(() => {});
  }
});
