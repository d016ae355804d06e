/**
 * Session lifecycle (shared/reference §2, §13): expiry decided by the server (ephemerals deleted in one txn,
 * watch events, socket closed, no message), pings keeping a session alive, re-attaching after a dropped
 * connection, explicit closeSession, and invalid responses for dead sessions.
 *
 * Every session here uses the long default timeout unless the test is about expiry, and tests close what
 * they create, so no session expires in the background while a later test counts zxids.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CreateFlag, Err, EventType } from "../../src/jute/index.js";
import { ok, withTimeout } from "../helpers/raw-client.js";
import type { RawClient } from "../helpers/raw-client.js";
import { SHORT_SESSION_TIMEOUT_MS, assertErr, eventPairs, isHerd, useServer } from "./support.js";

const h = useServer();

/** Expiry happens within one tick after the timeout; allow generous slack on a loaded machine. */
const EXPIRY_WAIT_MS = SHORT_SESSION_TIMEOUT_MS * 4;
const KEEPALIVE_INTERVAL_MS = SHORT_SESSION_TIMEOUT_MS / 4;

function assertInvalid(c: RawClient): void {
  assert.deepEqual([c.session?.timeOutMs, c.session?.sessionId, c.session?.passwd], [0, 0n, Buffer.alloc(16)]);
}

/** Pings every interval until stopped; a ping that fails ends the loop (the test then sees the failure). */
function keepAlive(c: RawClient): () => void {
  const timer = setInterval(() => {
    c.ping().catch(() => clearInterval(timer));
  }, KEEPALIVE_INTERVAL_MS);
  return () => clearInterval(timer);
}

test("expiry: the server closes the silent session's socket and deletes its ephemerals in one txn, with events", async () => {
  const watcher = await h.connect();
  const parent = h.freshPath("expiry");
  ok(await watcher.create(parent));
  const silent = await h.connect({ timeoutMs: SHORT_SESSION_TIMEOUT_MS });
  const pinger = await h.connect({ timeoutMs: SHORT_SESSION_TIMEOUT_MS });
  assert.equal(silent.session?.timeOutMs, SHORT_SESSION_TIMEOUT_MS);
  ok(await silent.create(`${parent}/e1`, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await silent.create(`${parent}/e2`, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await pinger.create(`${parent}/kept`, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await watcher.exists(`${parent}/e1`, true));
  ok(await watcher.exists(`${parent}/e2`, true));
  ok(await watcher.getChildren(parent, true));
  const lastZxidBefore = (await watcher.ping()).zxid;
  const stopPinging = keepAlive(pinger);
  try {
    await withTimeout(silent.closed, EXPIRY_WAIT_MS, "server closes the expired session's connection");
    assert.deepEqual(silent.frames.filter((f) => f.kind === "event"), [], "no message is sent to the expired client");
    const seen = [await watcher.nextEvent(EXPIRY_WAIT_MS), await watcher.nextEvent(EXPIRY_WAIT_MS), await watcher.nextEvent(EXPIRY_WAIT_MS)];
    const sorted = eventPairs(seen).sort((a, b) => a[1].localeCompare(b[1]) || a[0] - b[0]);
    assert.deepEqual(sorted, [
      [EventType.NodeChildrenChanged, parent],
      [EventType.NodeDeleted, `${parent}/e1`],
      [EventType.NodeDeleted, `${parent}/e2`],
    ]);
    const parentStat = ok(await watcher.exists(parent));
    assert.equal(parentStat.numChildren, 1, "only the live session's ephemeral is left");
    assert.equal(parentStat.pzxid, lastZxidBefore + 1n, "one closeSession txn removed both ephemerals");
    // 3.8.0 sends -1 in notifications; Herd (3.9) sends the closeSession txn's zxid.
    if (isHerd) for (const n of seen) assert.equal(n.zxid, parentStat.pzxid);
    ok(await pinger.ping(), "pings kept the other short session alive past the timeout");
    assert.equal(ok(await watcher.exists(`${parent}/kept`)).ephemeralOwner, pinger.sessionId);
  } finally {
    stopPinging();
  }
  const back = await h.connect({ sessionId: silent.sessionId, passwd: silent.passwd });
  assertInvalid(back);
  await withTimeout(back.closed, 5_000, "closed after the invalid response");
  ok(await pinger.close(), "close the short session so it does not expire during later tests");
});

test("a dropped connection does not end the session: re-attach within the timeout keeps ephemerals, not watches", async () => {
  const writer = await h.connect();
  const first = await h.connect();
  const path = h.freshPath("reattach");
  ok(await writer.create(path));
  ok(await first.create(`${path}/eph`, null, { flags: CreateFlag.EPHEMERAL }));
  ok(await first.getData(path, true));
  first.destroy();
  await first.closed;
  const second = await h.connect({ sessionId: first.sessionId, passwd: first.passwd });
  assert.equal(second.sessionId, first.sessionId);
  assert.equal(ok(await second.exists(`${path}/eph`)).ephemeralOwner, first.sessionId);
  ok(await writer.setData(path, "x"));
  assert.deepEqual(eventPairs(await second.settledEvents()), [], "watches belong to the connection and were lost with it");
  ok(await second.close());
});

test("closeSession deletes the session's ephemerals at once, fires their events, replies, then closes", async () => {
  const watcher = await h.connect();
  const owner = await h.connect();
  const parent = h.freshPath("close");
  ok(await watcher.create(parent));
  ok(await owner.create(`${parent}/e`, null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL }));
  ok(await watcher.getChildren(parent, true));
  const closed = await owner.close();
  assertErr(closed, Err.OK);
  assert.ok(closed.zxid > 0n);
  assert.deepEqual(eventPairs(await watcher.settledEvents()), [[EventType.NodeChildrenChanged, parent]]);
  const stat = ok(await watcher.exists(parent));
  assert.equal(stat.numChildren, 0);
  assert.equal(stat.pzxid, closed.zxid, "the closeSession reply carries the txn that deleted the ephemerals");
  const back = await h.connect({ sessionId: owner.sessionId, passwd: owner.passwd });
  assertInvalid(back);
});

test("requests queued behind closeSession on the same connection are not answered with data", async () => {
  const c = await h.connect();
  const path = h.freshPath("after-close");
  const closing = c.request({ op: "closeSession" });
  const late = c.request({ op: "create", opcode: 1, path, data: null, acl: [{ perms: 31, id: { scheme: "world", id: "anyone" } }], flags: 0, ttl: -1n });
  assert.equal((await closing).header.err, 0);
  const outcome = await late.then((r) => r.header.err, (e: Error) => e.name);
  assert.notEqual(outcome, 0, "a request after closeSession must not succeed");
  await withTimeout(c.closed, 5_000, "server closes after closeSession");
  const probe = await h.connect();
  assertErr(await probe.exists(path), Err.NoNode);
});
