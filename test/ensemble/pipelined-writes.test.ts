/**
 * Pipelined writes on a real 3-member ensemble. The leader prepares a write while the ones before it are still
 * in flight (proposed, or committed but not yet applied on its own disk's schedule), validating it against the
 * outstanding changes, not the applied tree. So a session that sends many dependent writes without waiting —
 * create after create on one path, conditional setData and delete, sequential creates, multi with a version
 * check, ephemerals — must get exactly ZooKeeper's answers, whether it is attached to the leader or to a
 * follower; and a brand-new session's first writes, sent the moment it is connected, must not be refused.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient, type ZooKeeperClient } from "../../src/client/index.js";
import { launchEnsemble, waitForLeader, type MemberProcess, type TestEnsemble } from "../helpers/ensemble-process.js";

let ensemble: TestEnsemble | undefined;
let leader: MemberProcess;
let follower: MemberProcess;

before(async () => {
  ensemble = await launchEnsemble({ size: 3, tickTimeMs: 250 });
  leader = await waitForLeader(ensemble);
  follower = ensemble.members.find((m) => m.id !== leader.id)!;
});

after(async () => {
  await ensemble?.stopAll();
});

async function connect(port: number): Promise<ZooKeeperClient> {
  const c = createClient(`127.0.0.1:${port}`, { sessionTimeoutMs: 20_000 });
  await c.whenConnected(30_000);
  return c;
}

/** What a write came to: its result's telling part, or the error's code name. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    const v = await p;
    if (typeof v === "string") return `ok ${v}`;
    if (v !== null && typeof v === "object" && "version" in v) return `ok v${(v as { version: number }).version}`;
    return "ok";
  } catch (e) {
    const name = (e as Error).constructor.name;
    return name === "Error" ? `error ${(e as Error).message}` : name;
  }
}

/** One burst of dependent writes on `p`, all sent before any answer; the answers ZooKeeper gives, in order. */
function burst(c: ZooKeeperClient, p: string): { sent: Promise<unknown>[]; expected: string[] } {
  const sent: Promise<unknown>[] = [];
  const expected: string[] = [];
  const add = (op: Promise<unknown>, answer: string) => {
    sent.push(op);
    expected.push(answer);
  };
  add(c.create(p, "a"), `ok ${p}`);
  add(c.create(p, "b"), "NodeExistsError");
  add(c.setData(p, "c", 0), "ok v1");
  add(c.setData(p, "d", 0), "BadVersionError");
  add(c.setData(p, "e", 1), "ok v2");
  for (let i = 0; i < 3; i++) add(c.create(`${p}/s-`, "", { mode: "persistentSequential" }), `ok ${p}/s-000000000${i}`);
  add(c.delete(p, 2), "NotEmptyError");
  add(c.delete(p, 7), "BadVersionError");
  add(c.delete(`${p}/s-0000000000`), "ok");
  add(c.delete(`${p}/s-0000000000`), "NoNodeError");
  add(c.transaction().check(p, 2).setData(p, "f", 2).commit(), "ok");
  add(c.transaction().check(p, 2).setData(p, "g").commit(), "BadVersionError");
  add(c.setData(p, "h", 3), "ok v4");
  add(c.create(`${p}/eph`, "", { mode: "ephemeral" }), `ok ${p}/eph`);
  add(c.create(`${p}/eph/child`, ""), "NoChildrenForEphemeralsError");
  add(c.delete(`${p}/eph`), "ok");
  add(c.create(`${p}/eph`, ""), `ok ${p}/eph`);
  return { sent, expected };
}

async function runBursts(c: ZooKeeperClient, root: string, rounds: number): Promise<void> {
  await c.create(root, "");
  for (let r = 0; r < rounds; r++) {
    // Several independent bursts interleaved, so each path's writes sit among others in flight.
    const bursts = [0, 1, 2].map((k) => burst(c, `${root}/r${r}k${k}`));
    for (const b of bursts) assert.deepEqual(await Promise.all(b.sent.map(outcome)), b.expected, `round ${r}`);
  }
}

test("a session on the leader gets ZooKeeper's answers to dependent writes sent without waiting", async () => {
  const c = await connect(leader.plan.clientPort);
  try {
    await runBursts(c, "/pipelined-leader", 10);
  } finally {
    await c.close();
  }
});

test("a session on a follower gets ZooKeeper's answers to dependent writes sent without waiting", async () => {
  const c = await connect(follower.plan.clientPort);
  try {
    await runBursts(c, "/pipelined-follower", 10);
  } finally {
    await c.close();
  }
});

test("new sessions' first writes, sent the moment they connect, are not refused", async () => {
  await (await connect(leader.plan.clientPort)).close();
  const setup = await connect(leader.plan.clientPort);
  await setup.create("/fresh", "");
  await setup.close();
  for (const member of [follower, leader]) {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(member.plan.clientPort)));
    try {
      const made = await Promise.all(clients.map((c, i) => outcome(c.create(`/fresh/m${member.id}-${i}`, "", { mode: "ephemeral" }))));
      assert.deepEqual(made, clients.map((_, i) => `ok /fresh/m${member.id}-${i}`));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }
});
