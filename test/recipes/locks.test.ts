/**
 * Mutex (against Herd and Apache ZooKeeper), ReadWriteLock and Semaphore (against Herd): exclusion, fairness,
 * reentrancy, timeouts, Curator's node layout, connection loss, and contention between separate processes,
 * where exclusion is checked (an exact counter and non-overlapping sections), not assumed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { ConnectionLossError, type ZooKeeperClient } from "../../src/client/index.js";
import { Mutex, ReadWriteLock, Semaphore, isProtectedName, unprotectedName } from "../../src/recipes/index.js";
import { FaultProxy } from "../client/fault-proxy.js";
import { Contender, WAIT_MS, assertNoOverlap, freshPath, useClients, useServer, waitForChildren, withTimeout } from "./support.js";

const CONTENDERS = 4;
const ITERATIONS = 12;

for (const kind of ["herd", "zookeeper"] as const) {
  describe(`Mutex against ${kind}`, () => {
    const server = useServer(kind);
    const clients = useClients();
    const connect = () => clients.connect(server().connectString);

    test("one holder at a time, Curator's node name, next waiter gets it on release", async () => {
      const [a, b] = await Promise.all([connect(), connect()]);
      const lockPath = freshPath("mutex");
      const first = new Mutex(a, lockPath);
      const second = new Mutex(b, lockPath);
      assert.equal(await first.acquire(WAIT_MS), true);
      const name = path.posix.basename(first.lockPath as string);
      assert.ok(isProtectedName(name), name);
      assert.match(unprotectedName(name), /^lock-\d{10}$/);
      assert.equal((await a.getData(first.lockPath as string)).stat.ephemeralOwner, a.sessionId);

      assert.equal(await second.acquire(0), false, "tryLock fails while held");
      const waiting = second.acquire(WAIT_MS);
      await first.release();
      assert.equal(await waiting, true);
      assert.equal(first.isAcquired, false);
      await second.release();
      assert.deepEqual(await a.getChildren(lockPath), [], "no node left behind");
    });

    test("reentrant: the same owner acquires again and must release as often", async () => {
      const zk = await connect();
      const lockPath = freshPath("reentrant");
      const mutex = new Mutex(zk, lockPath);
      assert.equal(await mutex.acquire(WAIT_MS), true);
      assert.equal(await mutex.acquire(WAIT_MS), true);
      assert.equal((await zk.getChildren(lockPath)).length, 1, "one node for both acquires");
      await mutex.release();
      assert.equal(mutex.isAcquired, true);
      await mutex.release();
      assert.equal(mutex.isAcquired, false);
      await assert.rejects(mutex.release(), /without holding/);
    });

    test("fair and no herd: each waiter watches only its predecessor, and they get the lock in queue order", async () => {
      const zk = await connect();
      const lockPath = freshPath("fair");
      const holder = new Mutex(zk, lockPath);
      await holder.acquire(WAIT_MS);
      const order: number[] = [];
      const waiters = [0, 1, 2, 3].map((i) => new Mutex(zk, lockPath));
      const acquisitions: Promise<void>[] = [];
      for (const [i, waiter] of waiters.entries()) {
        acquisitions.push(
          waiter.acquire(WAIT_MS).then(async (ok) => {
            assert.equal(ok, true);
            order.push(i);
            await waiter.release();
          }),
        );
        // Queue them in a known order: wait until this waiter's node is in the queue.
        await waitForChildren(zk, lockPath, (c) => c.length === i + 2, "waiter queued");
      }
      const queue = await holder.participantNodes();
      assert.equal(queue.length, 5);
      assert.equal(queue[0], holder.lockPath);
      await holder.release();
      await withTimeout(Promise.all(acquisitions), "all waiters");
      assert.deepEqual(order, [0, 1, 2, 3]);
    });

    test("a holder's session ending releases the lock", async () => {
      const [a, b] = await Promise.all([connect(), connect()]);
      const lockPath = freshPath("session-end");
      assert.equal(await new Mutex(a, lockPath).acquire(WAIT_MS), true);
      const waiting = new Mutex(b, lockPath).acquire(WAIT_MS);
      await a.close();
      assert.equal(await waiting, true);
    });

    test(`contention from ${CONTENDERS} processes: an exact count and no overlapping sections`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "herd-mutex-"));
      const counterFile = path.join(dir, "counter");
      const logFile = path.join(dir, "log");
      writeFileSync(counterFile, "0\n");
      writeFileSync(logFile, "");
      const lockPath = freshPath("processes");
      const contenders = Array.from({ length: CONTENDERS }, () =>
        new Contender(["mutex", server().connectString, lockPath, counterFile, logFile, String(ITERATIONS)]));
      await Promise.all(contenders.map((c) => c.exitedCleanly(40_000)));
      assert.equal(Number(readFileSync(counterFile, "utf8").trim()), CONTENDERS * ITERATIONS);
      assert.equal(assertNoOverlap(readFileSync(logFile, "utf8")), CONTENDERS * ITERATIONS);
    });
  });
}

describe("Mutex connection handling (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("a create whose reply was lost is found by its protected name: no duplicate, no orphan", async () => {
    const zk = await clients.connect(server().connectString);
    const lockPath = freshPath("lost-reply");
    let lostReplies = 0;
    // The first create reaches the server, but the caller hears ConnectionLoss, as when a reply is lost.
    const lossy = new Proxy(zk, {
      get(target, prop, receiver) {
        if (prop !== "create") return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<ZooKeeperClient["create"]>) => {
          const created = await target.create(...args);
          if (!args[0].includes("-lock-")) return created; // the lock's parent
          if (lostReplies++ === 0) throw new ConnectionLossError({ path: args[0], message: "reply lost (simulated)" });
          return created;
        };
      },
    });
    const mutex = new Mutex(lossy as ZooKeeperClient, lockPath);
    assert.equal(await mutex.acquire(WAIT_MS), true);
    assert.equal(lostReplies, 1, "the create was not sent again");
    const children = await zk.getChildren(lockPath);
    assert.deepEqual(children, [path.posix.basename(mutex.lockPath as string)]);
    await mutex.release();
  });

  test("a waiter keeps its place across a dropped connection and gets the lock", async () => {
    const proxy = await FaultProxy.start({ host: server().host, port: server().port });
    try {
      const holderClient = await clients.connect(server().connectString);
      const waiterClient = await clients.connect(proxy.connectString);
      const lockPath = freshPath("reconnect");
      const holder = new Mutex(holderClient, lockPath);
      await holder.acquire(WAIT_MS);
      const waiting = new Mutex(waiterClient, lockPath).acquire(WAIT_MS);
      await waitForChildren(holderClient, lockPath, (c) => c.length === 2, "waiter queued");
      const reconnected = new Promise((resolve) => waiterClient.once("reconnected", resolve));
      proxy.cutAll();
      await withTimeout(reconnected, "reconnected");
      await holder.release();
      assert.equal(await waiting, true);
    } finally {
      await proxy.close();
    }
  });

  test("acquire() can be aborted, and leaves no node", async () => {
    const zk = await clients.connect(server().connectString);
    const lockPath = freshPath("abort");
    await new Mutex(zk, lockPath).acquire(WAIT_MS);
    const controller = new AbortController();
    const waiting = new Mutex(zk, lockPath).acquire(WAIT_MS, controller.signal);
    await waitForChildren(zk, lockPath, (c) => c.length === 2, "waiter queued");
    controller.abort(new Error("stop waiting"));
    await assert.rejects(waiting, /stop waiting/);
    assert.equal((await zk.getChildren(lockPath)).length, 1);
  });
});

describe("ReadWriteLock (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("readers share, a writer excludes, and waits for readers ahead of it", async () => {
    const zk = await clients.connect(server().connectString);
    const lockPath = freshPath("rw");
    const [r1, r2, w] = [new ReadWriteLock(zk, lockPath), new ReadWriteLock(zk, lockPath), new ReadWriteLock(zk, lockPath)];
    assert.equal(await r1.readLock.acquire(WAIT_MS), true);
    assert.equal(await r2.readLock.acquire(WAIT_MS), true, "two readers at once");
    const names = await zk.getChildren(lockPath);
    assert.ok(names.every((n) => /^_c_[0-9a-f-]{36}-__READ__\d{10}$/.test(n)), names.join());
    assert.equal(await w.writeLock.acquire(0), false, "no writer while read-locked");
    const writing = w.writeLock.acquire(WAIT_MS);
    await waitForChildren(zk, lockPath, (c) => c.length === 3, "writer queued");
    const r3 = new ReadWriteLock(zk, lockPath);
    assert.equal(await r3.readLock.acquire(0), false, "a reader behind a waiting writer waits");
    await r1.readLock.release();
    await r2.readLock.release();
    assert.equal(await writing, true);
    assert.match(path.posix.basename(w.writeLock.lockPath as string), /-__WRIT__\d{10}$/);
    assert.equal(await r1.readLock.acquire(0), false, "no reader while write-locked");
    await w.writeLock.release();
    assert.equal(await r1.readLock.acquire(WAIT_MS), true);
    await r1.readLock.release();
  });

  test("the writer may downgrade: take the read lock, then release the write lock, staying ahead of later writers", async () => {
    const zk = await clients.connect(server().connectString);
    const lockPath = freshPath("downgrade");
    const rw = new ReadWriteLock(zk, lockPath);
    const other = new ReadWriteLock(zk, lockPath);
    await rw.writeLock.acquire(WAIT_MS);
    const laterWriter = other.writeLock.acquire(WAIT_MS);
    await waitForChildren(zk, lockPath, (c) => c.length === 2, "later writer queued");
    assert.equal(await rw.readLock.acquire(0), true, "the write holder can read");
    await rw.writeLock.release();
    assert.equal(await other.readLock.acquire(0), false, "the later writer is still behind our read lock");
    assert.equal(other.writeLock.isAcquired, false);
    await rw.readLock.release();
    assert.equal(await laterWriter, true);
    await other.writeLock.release();
  });

  test(`write half under contention from ${CONTENDERS} processes`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "herd-rw-"));
    const counterFile = path.join(dir, "counter");
    const logFile = path.join(dir, "log");
    writeFileSync(counterFile, "0\n");
    writeFileSync(logFile, "");
    const lockPath = freshPath("rw-processes");
    const contenders = Array.from({ length: CONTENDERS }, () =>
      new Contender(["rwlock", server().connectString, lockPath, counterFile, logFile, String(ITERATIONS)]));
    await Promise.all(contenders.map((c) => c.exitedCleanly(40_000)));
    assert.equal(Number(readFileSync(counterFile, "utf8").trim()), CONTENDERS * ITERATIONS);
    assertNoOverlap(readFileSync(logFile, "utf8"));
  });
});

describe("Semaphore (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();

  test("at most maxLeases at once; a release lets the next acquirer in; Curator's layout", async () => {
    const [a, b] = await Promise.all([clients.connect(server().connectString), clients.connect(server().connectString)]);
    const semPath = freshPath("semaphore");
    const semA = new Semaphore(a, semPath, 2);
    const semB = new Semaphore(b, semPath, 2);
    const leases = await semA.acquire(2, WAIT_MS);
    assert.equal(leases?.length, 2);
    assert.ok((await semA.leaseNodes()).every((n) => /^_c_[0-9a-f-]{36}-lease-\d{10}$/.test(n)));
    assert.deepEqual((await a.getChildren(semPath)).sort(), ["leases", "locks"]);
    assert.equal(await semB.acquireOne(0), undefined, "full");
    assert.equal((await semA.leaseNodes()).length, 2, "a failed acquire leaves no lease");
    const waiting = semB.acquireOne(WAIT_MS);
    await leases?.[0]?.release();
    const third = await waiting;
    assert.ok(third);
    assert.equal((await semA.leaseNodes()).length, 2);
    await third.release();
    await leases?.[1]?.release();
    assert.equal((await semA.leaseNodes()).length, 0);
  });

  test("many concurrent acquirers never hold more than maxLeases", async () => {
    const zk = await clients.connect(server().connectString);
    const semPath = freshPath("semaphore-load");
    const maxLeases = 3;
    let holding = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 10 }, async () => {
      const lease = await new Semaphore(zk, semPath, maxLeases).acquireOne(WAIT_MS);
      assert.ok(lease);
      holding += 1;
      most = Math.max(most, holding, (await zk.getChildren(`${semPath}/leases`)).length);
      holding -= 1;
      await lease.release();
    }));
    assert.ok(most <= maxLeases && most >= 1, `at most ${maxLeases}, saw ${most}`);
  });
});

describe("lock node names", () => {
  test("protected names are recognised as Curator's ProtectedUtils does", () => {
    assert.equal(isProtectedName("_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1-lock-0000000001"), true);
    assert.equal(unprotectedName("_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1-lock-0000000001"), "lock-0000000001");
    assert.equal(isProtectedName("_c_not-a-uuid-lock-0000000001"), false);
    assert.equal(unprotectedName("lock-0000000001"), "lock-0000000001");
  });
});
