/**
 * Unit tests of src/sessions/session-tracker.ts (shared/reference §13): expiry bucketed to the next tick
 * boundary, touches moving sessions between buckets, expired() reporting each expired session once and never a
 * closing one, the session-id layout (server id in the top byte) and the password vector of a real ZooKeeper.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initialSessionId, sessionPassword, SessionTracker } from "../../src/sessions/session-tracker.js";

const TICK = 2000;
const ids = (sessions: { id: bigint }[]) => sessions.map((s) => s.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** [now, timeout, expected bucket] with tick 2000: ceil((now + timeout) / tick) · tick. */
const BUCKET_CASES: [number, number, number][] = [
  [0, 4000, 4000],
  [1000, 4000, 6000],
  [1000, 5000, 6000],
  [1001, 5000, 8000],
  [1999, 4000, 6000],
  [2000, 4000, 6000],
  [2001, 4000, 8000],
  [0, 1, 2000],
  [1_700_000_000_001, 30000, 1_700_000_032_000],
];

test("expiry is rounded up to a tick boundary", () => {
  for (const [now, timeout, bucket] of BUCKET_CASES) {
    const t = new SessionTracker(TICK, 1n, 0);
    const s = t.add(7n, timeout, now);
    assert.equal(s.expiresAtMs, bucket, `now ${now} + timeout ${timeout}`);
    assert.equal(s.expiresAtMs % TICK, 0);
    assert.equal(t.nextExpiryMs(), bucket);
  }
});

test("expired(now): a session expires exactly at its bucket, not a millisecond before", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  t.add(1n, 4000, 1000); // bucket 6000
  assert.deepEqual(t.expired(5999), []);
  assert.deepEqual(ids(t.expired(6000)), [1n]);
});

test("expired() returns each expired session once", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  t.add(1n, 4000, 0); // 4000
  t.add(2n, 3000, 100); // 3100 → 4000
  t.add(3n, 10000, 0); // 10000
  assert.deepEqual(ids(t.expired(4000)), [1n, 2n]);
  assert.deepEqual(t.expired(4000), []);
  assert.deepEqual(t.expired(9999), []);
  assert.deepEqual(ids(t.expired(20000)), [3n]);
  assert.deepEqual(t.expired(30000), []);
  assert.equal(t.nextExpiryMs(), null);
  assert.ok(t.get(1n), "expired() does not remove the session; the caller closes it");
});

test("expired(now) long after several buckets returns all of them", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  for (let i = 1; i <= 5; i++) t.add(BigInt(i), i * 2000, 0);
  assert.deepEqual(ids(t.expired(6000)), [1n, 2n, 3n]);
  assert.deepEqual(ids(t.expired(1_000_000)), [4n, 5n]);
});

test("touch moves the session to a later bucket", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  const s = t.add(1n, 4000, 0); // 4000
  assert.equal(t.touch(1n, 1500), true); // 5500 → 6000
  assert.equal(s.expiresAtMs, 6000);
  assert.deepEqual(t.expired(4000), [], "no longer in the old bucket");
  assert.equal(t.nextExpiryMs(), 6000);
  assert.equal(t.touch(1n, 1600), true, "same bucket: still true");
  assert.equal(s.expiresAtMs, 6000);
  assert.deepEqual(ids(t.expired(6000)), [1n]);
});

test("touching regularly keeps a session alive indefinitely", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  t.add(1n, 4000, 0);
  for (let now = 0; now <= 100_000; now += 1000) {
    assert.equal(t.touch(1n, now), true);
    assert.deepEqual(t.expired(now), [], `at ${now}`);
  }
});

test("closing sessions are never returned and cannot be touched", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  t.add(1n, 4000, 0);
  t.add(2n, 4000, 0);
  t.markClosing(1n);
  assert.equal(t.get(1n)!.closing, true);
  assert.equal(t.touch(1n, 100), false);
  assert.deepEqual(ids(t.expired(10_000)), [2n]);
  assert.deepEqual(t.expired(20_000), []);
  t.markClosing(99n); // unknown: no-op
});

test("a session that expired and was marked closing is not returned again, even after a late touch", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  t.add(1n, 4000, 0);
  assert.deepEqual(ids(t.expired(4000)), [1n]);
  t.markClosing(1n);
  assert.equal(t.touch(1n, 4001), false);
  assert.deepEqual(t.expired(100_000), []);
});

test("remove forgets a session; unknown sessions cannot be touched", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  t.add(1n, 4000, 0);
  t.remove(1n);
  assert.equal(t.get(1n), undefined);
  assert.equal(t.touch(1n, 10), false);
  assert.deepEqual(t.expired(10_000), []);
  assert.equal(t.nextExpiryMs(), null);
  t.remove(1n); // twice: no-op
});

test("setTimeout re-buckets with the new timeout", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  const s = t.add(1n, 4000, 0);
  t.setTimeout(1n, 20000, 1000);
  assert.equal(s.timeoutMs, 20000);
  assert.equal(s.expiresAtMs, 22000);
  assert.deepEqual(t.expired(21999), []);
  assert.deepEqual(ids(t.expired(22000)), [1n]);
});

test("nextExpiryMs is the earliest non-empty bucket", () => {
  const t = new SessionTracker(TICK, 1n, 0);
  assert.equal(t.nextExpiryMs(), null);
  t.add(1n, 10000, 0);
  t.add(2n, 4000, 0);
  assert.equal(t.nextExpiryMs(), 4000);
  t.markClosing(2n);
  assert.equal(t.nextExpiryMs(), 10000);
});

test("sessionPassword: vector observed on ZooKeeper (Random(id ^ 0xB3415C00).nextBytes)", () => {
  assert.equal(sessionPassword(0x0100000447740000n).toString("hex"), "ae3e8201a335c2213c14265024ce569b");
});

test("sessionPassword: 16 bytes, deterministic, differs per session, handles negative ids", () => {
  const ids = [0n, 1n, 0x0100000447740000n, 0x0100000447740001n, -1n, -2n, 0x123456789abcn];
  const seen = new Set<string>();
  for (const id of ids) {
    const p = sessionPassword(id);
    assert.equal(p.length, 16);
    assert.deepEqual(sessionPassword(id), p);
    seen.add(p.toString("hex"));
  }
  assert.equal(seen.size, ids.length);
});

test("sessionPassword: like java.util.Random, only the low 48 bits of the seed matter", () => {
  // Ids that differ only in the top 16 bits (e.g. the server-id byte) get the same password, as in ZooKeeper.
  assert.deepEqual(sessionPassword(0n), sessionPassword(-(1n << 63n)));
  assert.deepEqual(sessionPassword(0x0100000447740000n), sessionPassword(0x0200000447740000n));
  assert.deepEqual(sessionPassword(1n), sessionPassword(BigInt.asIntN(64, 0xff00000000000001n)));
});

test("initialSessionId: top byte is the server id, then the low 40 bits of the clock, then 16 zero bits", () => {
  const now = 1_700_000_000_000;
  for (const serverId of [0n, 1n, 2n, 127n, 128n, 254n, 255n]) {
    const id = initialSessionId(serverId, now);
    const unsigned = BigInt.asUintN(64, id);
    assert.equal(unsigned >> 56n, serverId, `server ${serverId}: top byte`);
    assert.equal((unsigned >> 16n) & ((1n << 40n) - 1n), BigInt(now) & ((1n << 40n) - 1n), `server ${serverId}: clock bits`);
    assert.equal(unsigned & 0xffffn, 0n);
    assert.equal(id, BigInt.asIntN(64, id), "a signed 64-bit value");
  }
  assert.equal(initialSessionId(1n, now), 0x018bcfe568000000n);
});

test("allocateId: sequential from the initial id, unique, top byte = server id", () => {
  const t = new SessionTracker(TICK, 3n, 1_700_000_000_000);
  const first = t.allocateId();
  assert.equal(first, initialSessionId(3n, 1_700_000_000_000));
  const more = Array.from({ length: 100 }, () => t.allocateId());
  assert.equal(new Set([first, ...more]).size, 101);
  assert.equal(more[99], first + 100n);
  for (const id of more) assert.equal(BigInt.asUintN(64, id) >> 56n, 3n);
});
