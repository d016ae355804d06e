/**
 * LeaderLatch (against Herd and Apache ZooKeeper) and LeaderElection (against Herd): one leader at a time,
 * Curator's node layout, hand-over on close and on a killed leader process, leadership given up while
 * disconnected, and (with a RenewingClient) rejoining after session expiry.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { LeaderElection, LeaderLatch, RenewingClient, isProtectedName, unprotectedName } from "../../src/recipes/index.js";
import { FaultProxy } from "../client/fault-proxy.js";
import { Contender, WAIT_MS, freshPath, useClients, useServer, waitForChildren, waitForDeletion, withTimeout } from "./support.js";

/** tickTime 500 lets sessions be as short as 1 s, so a killed leader's session expires quickly. */
const CFG = { tickTime: "500" };
const CHILD_SESSION_MS = "1500";

for (const kind of ["herd", "zookeeper"] as const) {
  describe(`LeaderLatch against ${kind}`, () => {
    const server = useServer(kind, CFG);
    const clients = useClients();
    const connect = () => clients.connect(server().connectString);

    test("exactly one leader; Curator's node name and id; the next in line leads after close", async () => {
      const zks = await Promise.all([connect(), connect(), connect()]);
      const latchPath = freshPath("latch");
      const latches = zks.map((zk, i) => new LeaderLatch(zk, latchPath, { id: `p${i}` }));
      for (const latch of latches) await latch.start();
      assert.deepEqual(latches.map((l) => l.hasLeadership), [true, false, false]);
      const name = path.posix.basename(latches[0]?.ourPath as string);
      assert.ok(isProtectedName(name));
      assert.match(unprotectedName(name), /^latch-\d{10}$/);
      assert.deepEqual(await latches[2]?.getParticipants(), [
        { id: "p0", isLeader: true },
        { id: "p1", isLeader: false },
        { id: "p2", isLeader: false },
      ]);

      const events: string[] = [];
      latches[1]?.on("isLeader", () => events.push("p1 leads"));
      const p1Leads = latches[1]?.await(WAIT_MS);
      await latches[0]?.close();
      assert.equal(await p1Leads, true);
      assert.deepEqual(events, ["p1 leads"]);
      assert.deepEqual(latches.map((l) => l.hasLeadership), [false, true, false]);
      assert.equal((await latches[2]?.getLeader())?.id, "p1");
      assert.equal(await latches[2]?.await(0), false, "await times out for a follower");
      for (const latch of latches) await latch.close();
      assert.deepEqual(await zks[0]?.getChildren(latchPath), []);
    });

    test("separate processes: exactly one leader, and a new one after the leader's process is killed", async () => {
      const latchPath = freshPath("latch-processes");
      const ids = ["a", "b", "c"];
      const contenders = ids.map((id) => new Contender(["latch", server().connectString, latchPath, id, CHILD_SESSION_MS]));
      try {
        const joined = await Promise.all(contenders.map((c) => c.line(/^joined (\w) (leader|follower)$/, WAIT_MS)));
        const leaders = joined.filter((m) => m[2] === "leader").map((m) => m[1]);
        assert.equal(leaders.length, 1, `exactly one leader, got ${leaders.join()}`);
        const observer = new LeaderLatch(await connect(), latchPath, { id: "observer" });
        assert.equal((await observer.getLeader())?.id, leaders[0]);

        const leaderIndex = ids.indexOf(leaders[0] as string);
        const survivors = contenders.filter((_, i) => i !== leaderIndex);
        const nextLeader = Promise.any(survivors.map((c) => c.line(/^leader (\w)$/, WAIT_MS)));
        await contenders[leaderIndex]?.kill9();
        const [, newLeader] = await withTimeout(nextLeader, "a new leader");
        assert.notEqual(newLeader, leaders[0]);
        assert.equal((await observer.getLeader())?.id, newLeader);
        const participants = await observer.getParticipants();
        assert.deepEqual(participants.filter((p) => p.isLeader).map((p) => p.id), [newLeader]);
        assert.equal(participants.length, 2, "the killed process's node went with its session");
        for (const c of survivors) assert.ok(!c.unread().some((l) => l.startsWith("leader")), `${c.unread().join()}: a second leader`);
      } finally {
        await Promise.all(contenders.map((c) => c.stop()));
      }
    });
  });
}

describe("LeaderLatch sessions (Herd)", () => {
  const server = useServer("herd", CFG);
  const clients = useClients();

  test("leadership is given up while disconnected and regained on reconnection", async () => {
    const proxy = await FaultProxy.start({ host: server().host, port: server().port });
    try {
      const zk = await clients.connect(proxy.connectString, { sessionTimeoutMs: 10_000 });
      const latch = new LeaderLatch(zk, freshPath("latch-disconnect"));
      await latch.start();
      assert.equal(latch.hasLeadership, true);
      const lost = new Promise<void>((resolve) => latch.once("notLeader", () => resolve()));
      const regained = new Promise<void>((resolve) => latch.once("isLeader", () => resolve()));
      proxy.cutAll();
      await withTimeout(lost, "notLeader");
      await withTimeout(regained, "isLeader again");
      assert.equal(latch.hasLeadership, true);
      await latch.close();
    } finally {
      await proxy.close();
    }
  });

  test("with a RenewingClient the latch rejoins in a new session after expiry", async () => {
    const proxy = await FaultProxy.start({ host: server().host, port: server().port });
    const renewing = new RenewingClient(proxy.connectString, { sessionTimeoutMs: 1_000 });
    try {
      const other = await clients.connect(server().connectString);
      const latchPath = freshPath("latch-renew");
      const first = new LeaderLatch(other, latchPath, { id: "first" });
      await first.start();
      const latch = new LeaderLatch(renewing, latchPath, { id: "renewing" });
      await latch.start();
      const firstSession = renewing.client.sessionId;

      const renewed = new Promise((resolve) => renewing.once("renewed", resolve));
      proxy.mode = "refuse";
      proxy.cutAll();
      // The server expires the session; only then may the client reach it again and hear so.
      await waitForDeletion(other, latch.ourPath as string, "old session's node gone");
      proxy.mode = "forward";
      await withTimeout(renewed, "renewed");
      await waitForChildren(other, latchPath, (c) => c.length === 2, "rejoined");
      assert.notEqual(renewing.client.sessionId, firstSession);
      const leads = latch.await(WAIT_MS);
      await first.close();
      assert.equal(await leads, true);
      await latch.close();
    } finally {
      await renewing.close();
      await proxy.close();
    }
  });
});

describe("LeaderElection (Herd)", () => {
  const server = useServer("herd", CFG);
  const clients = useClients();

  test("one task leads at a time; leadership passes when the task returns; autoRequeue takes turns again", async () => {
    const zks = await Promise.all([0, 1, 2].map(() => clients.connect(server().connectString)));
    const electionPath = freshPath("election");
    let running = 0;
    let mostRunning = 0;
    const turns: string[] = [];
    const elections: LeaderElection[] = [];
    const finished = new Promise<void>((resolve) => {
      const task = (id: string) => async () => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        turns.push(id);
        // Yield to the network: the other participants' requests get answered while this one leads.
        await zks[0]?.sync("/");
        running -= 1;
        if (turns.length === 9) resolve();
      };
      elections.push(...zks.map((zk, i) => new LeaderElection(zk, electionPath, task(`e${i}`), { id: `e${i}`, autoRequeue: true })));
    });
    for (const election of elections) election.start();
    await withTimeout(finished, "nine turns");
    await Promise.all(elections.map((e) => e.close()));
    assert.equal(mostRunning, 1, "never two leaders at once");
    assert.deepEqual(new Set(turns), new Set(["e0", "e1", "e2"]), "every participant led");
    assert.deepEqual(await zks[0]?.getChildren(electionPath), []);
  });

  test("the task's signal aborts when the session is lost; without autoRequeue there is one turn; requeue() queues again", async () => {
    const zk = await clients.connect(server().connectString);
    const watcher = await clients.connect(server().connectString);
    const electionPath = freshPath("election-abort");
    let turns = 0;
    let abortSeen: (reason: unknown) => void = () => undefined;
    const aborted = new Promise<unknown>((resolve) => (abortSeen = resolve));
    const started = new Promise<void>((resolve) => {
      const election = new LeaderElection(zk, electionPath, async ({ signal }) => {
        turns += 1;
        resolve();
        await new Promise<void>((done) => signal.addEventListener("abort", () => done(), { once: true }));
        abortSeen(signal.reason);
      }, { id: "solo" });
      election.start();
      assert.equal(election.requeue(), false, "already queued");
    });
    await withTimeout(started, "task started");
    assert.equal((await new LeaderElection(watcher, electionPath, () => undefined).getLeader())?.id, "solo");
    await zk.close();
    assert.match(String(await withTimeout(aborted, "abort seen")), /sessionLost/);
    assert.equal(turns, 1);
  });
});
