/**
 * Real-process election and roles: the seeds' example (five fresh servers started one after another in id
 * order elect server 3, and 4 and 5 follow it), an observer that serves reads and forwards writes without
 * voting, and ephemerals of a session whose server died being removed by the leader's expiry.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createClient, type ZooKeeperClient } from "../../src/client/index.js";
import { fourLetterWord } from "../helpers/raw-client.js";
import { launchEnsemble, logMarks, waitForLeader, type TestEnsemble } from "../helpers/ensemble-process.js";

const ensembles: TestEnsemble[] = [];
after(async () => {
  for (const e of ensembles) await e.stopAll();
});

async function client(port: number, sessionTimeoutMs = 10_000): Promise<ZooKeeperClient> {
  const c = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs });
  await c.whenConnected(30_000);
  return c;
}

test("five fresh servers started in id order elect server 3; 4 and 5 follow it", async () => {
  const e = await launchEnsemble({ size: 5, tickTimeMs: 250, start: false });
  ensembles.push(e);
  // 1 and 2 alone are no quorum of five: they keep looking.
  e.member(1).start();
  e.member(2).start();
  await e.member(1).waitForLine(/role looking/);
  await e.member(2).waitForLine(/role looking/);
  e.member(3).start();
  await e.member(3).waitForRole("leading");
  await e.member(1).waitForRole("following");
  await e.member(2).waitForRole("following");
  e.member(4).start();
  e.member(5).start();
  const lines = await Promise.all([4, 5].map((id) => e.member(id).waitForRole("following")));
  for (const line of lines) assert.match(line, /leader 3/);
  const mode = await fourLetterWord("127.0.0.1", e.member(3).plan.clientPort, "srvr");
  assert.match(mode, /Mode: leader/);
  const mntr = await fourLetterWord("127.0.0.1", e.member(3).plan.clientPort, "mntr");
  assert.match(mntr, /zk_synced_followers\t4/);
});

test("an observer serves reads and forwards writes but does not vote", async () => {
  const e = await launchEnsemble({ size: 3, observers: 1, tickTimeMs: 250 });
  ensembles.push(e);
  await waitForLeader(e);
  const observer = e.member(4);
  await observer.waitForRole("observing");
  assert.match(await fourLetterWord("127.0.0.1", observer.plan.clientPort, "srvr"), /Mode: observer/);
  const viaObserver = await client(observer.plan.clientPort);
  await viaObserver.create("/from-observer", Buffer.from("o"));
  const viaFollower = await client(e.member(1).plan.clientPort);
  await viaFollower.sync("/");
  assert.equal((await viaFollower.getData("/from-observer")).data.toString(), "o");
  // Observers do not count towards a quorum: with two voters gone, nothing commits.
  const leader = await waitForLeader(e);
  const others = e.members.filter((m) => m.id !== leader.id && m.id !== 4);
  const marks = logMarks(e);
  await others[0].kill9();
  await others[1].kill9();
  await leader.waitForLine(/role looking/, marks.get(leader.id));
  await observer.waitForLine(/role (looking|observing)(?! \(synced\))/, marks.get(4));
  await viaObserver.close().catch(() => {});
  await viaFollower.close().catch(() => {});
});

test("ephemerals of a session whose server died are removed when the leader expires it", async () => {
  const e = await launchEnsemble({ size: 3, tickTimeMs: 250 });
  ensembles.push(e);
  const leader = await waitForLeader(e);
  const follower = e.members.find((m) => m.id !== leader.id)!;
  const other = e.members.find((m) => m.id !== leader.id && m.id !== follower.id)!;
  const owner = await client(follower.plan.clientPort, 4_000);
  await owner.create("/eph", Buffer.from("x"), { mode: "ephemeral" });
  const watcher = await client(other.plan.clientPort, 30_000);
  const deleted = new Promise<string>((resolve) => void watcher.exists("/eph", { watch: (ev) => resolve(ev.type) }));
  await follower.kill9();
  owner.close().catch(() => {});
  assert.equal(await deleted, "NodeDeleted");
  assert.equal(await watcher.exists("/eph"), null);
  await watcher.close();
});
