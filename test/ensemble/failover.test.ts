/**
 * A 3-member ensemble of real processes under a kazoo write load: kill -9 of the leader, restart of the
 * killed member (it resyncs), SIGSTOP/SIGCONT of a follower. No acknowledged write may be lost, service must
 * come back after each fault, and every member ends with the same data. Reports the time from killing the
 * leader to the next acknowledged write.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, test } from "node:test";
import { createClient } from "../../src/client/index.js";
import { systemPython, repoRoot } from "../helpers/interop-tools.js";
import { launchEnsemble, logMarks, waitForLeader, type TestEnsemble } from "../helpers/ensemble-process.js";
import * as path from "node:path";

const WRITES = 1200;
let ensemble: TestEnsemble | undefined;
after(async () => {
  await ensemble?.stopAll();
});

/** The load process: resolves each ack as it arrives; `acked` holds every acknowledged index. */
function startLoad(connectString: string) {
  const child = spawn(systemPython, [path.join(repoRoot, "test/ensemble/python/write_load.py"), connectString, String(WRITES)], { stdio: ["pipe", "pipe", "pipe"] });
  const acked: { i: number; atMs: number }[] = [];
  const waiters: { count: number; resolve(): void }[] = [];
  let stderr = "";
  let buffered = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const m = /^ACK (\d+) (\d+)/.exec(line);
      if (m) acked.push({ i: Number(m[1]), atMs: Number(m[2]) });
    }
    for (const w of waiters.splice(0)) {
      if (acked.length >= w.count) w.resolve();
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    acked,
    exited,
    stderr: () => stderr,
    /** Resolves once `count` writes are acknowledged (bounded). */
    reach(count: number, timeoutMs = 60_000): Promise<void> {
      if (acked.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${acked.length} of ${count} writes acknowledged; load stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    kill: () => child.kill("SIGKILL"),
  };
}

for (const size of [3, 5]) test(`${size} members: leader kill -9, restart, follower and leader pauses lose no acknowledged write`, async (t) => {
  await ensemble?.stopAll();
  ensemble = await launchEnsemble({ size, tickTimeMs: 250, syncLimit: 4 });
  const leader = await waitForLeader(ensemble);
  const load = startLoad(ensemble.connectString);
  t.after(() => load.kill());
  await load.reach(150);

  // 1. kill -9 the leader mid-load
  const marks = logMarks(ensemble);
  const killedAt = Date.now();
  await leader.kill9();
  const newLeader = await waitForLeader(ensemble, marks);
  assert.notEqual(newLeader.id, leader.id);
  const before = load.acked.length;
  await load.reach(before + 1);
  // The write stall the failover caused: from the last acknowledgement before the kill to the first after it.
  const lastBefore = [...load.acked].reverse().find((a) => a.atMs <= killedAt)?.atMs ?? killedAt;
  const firstAfter = load.acked.find((a) => a.atMs > killedAt)!.atMs;
  t.diagnostic(`failover: kill -9 of leader ${leader.id} stalled writes for ${firstAfter - lastBefore} ms (kill to next write ${firstAfter - killedAt} ms; new leader ${newLeader.id})`);

  // 2. the killed member comes back and resyncs as a follower
  const restartMark = leader.lines.length;
  leader.start();
  await leader.waitForRole("following", restartMark);
  await load.reach(before + 200);

  // 3. pause a follower: the other two keep a quorum; resume and it catches up
  const follower = ensemble.members.find((m) => m.id !== newLeader.id && m.alive)!;
  follower.pause();
  const duringPause = load.acked.length;
  await load.reach(duringPause + 100);
  follower.resume();

  // 4. SIGSTOP the leader: the others elect a new one and go on; resumed, the old leader steps down and follows.
  const pausedLeader = await waitForLeader(ensemble);
  const pauseMarks = logMarks(ensemble);
  pausedLeader.pause();
  const successor = await Promise.any(ensemble.members.filter((m) => m !== pausedLeader && m.alive).map((m) => m.waitForRole("leading", pauseMarks.get(m.id)).then(() => m))).catch((e: AggregateError) => {
    throw new Error(`no member took over from paused leader ${pausedLeader.id}:\n${e.errors.map((x: Error) => x.message).join("\n")}`);
  });
  await load.reach(Math.min(WRITES, load.acked.length + 50));
  const resumeMark = pausedLeader.lines.length;
  pausedLeader.resume();
  await pausedLeader.waitForRole("following", resumeMark);
  t.diagnostic(`leader ${pausedLeader.id} paused: ${successor.id} took over; resumed, ${pausedLeader.id} follows`);
  assert.equal(await load.exited, 0, load.stderr().slice(-2000));
  assert.equal(load.acked.length, WRITES);

  // Every member holds every acknowledged write (sync first: reads on followers may lag).
  for (const member of ensemble.members) {
    const client = createClient(`127.0.0.1:${member.plan.clientPort}`, { sessionTimeoutMs: 10_000 });
    try {
      await client.whenConnected(30_000);
      await client.sync("/load");
      const children = new Set(await client.getChildren("/load"));
      const missing = load.acked.filter((a) => !children.has(`n-${a.i}`)).map((a) => a.i);
      assert.deepEqual(missing, [], `server ${member.id} lacks acknowledged writes`);
      assert.equal(children.size, WRITES, `server ${member.id} has exactly the writes that were made`);
    } finally {
      await client.close();
    }
  }
});
