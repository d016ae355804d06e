/**
 * Connect handshake semantics (shared/reference §2): ConnectResponse shape, timeout clamping, the optional
 * readOnly byte, re-attaching with the session password, invalid responses, pipelining behind the
 * ConnectRequest, ping and closeSession.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter, Err, OpCode } from "../../src/jute/index.js";
import { ConnectionClosedError, RawClient, encodeConnectRequest, encodeRequest, ok, withTimeout } from "../helpers/raw-client.js";
import { SESSION_TIMEOUT_MS, assertErr, useServer } from "./support.js";

const h = useServer();
const INVALID_PASSWD = Buffer.alloc(16);
const CLOSE_WAIT_MS = 5_000;

function assertInvalidSession(c: RawClient): void {
  assert.ok(c.session);
  assert.equal(c.session.timeOutMs, 0, "invalid response has timeOut 0");
  assert.equal(c.session.sessionId, 0n, "invalid response has sessionId 0");
  assert.deepEqual(c.session.passwd, INVALID_PASSWD, "invalid response has 16 zero bytes as password");
}

test("new session: protocolVersion 0, non-zero id, 16-byte password, readOnly byte echoed", async () => {
  const c = await h.connect();
  assert.ok(c.session);
  assert.equal(c.session.protocolVersion, 0);
  assert.equal(c.session.timeOutMs, SESSION_TIMEOUT_MS);
  assert.notEqual(c.session.sessionId, 0n);
  assert.equal(c.session.passwd.length, 16);
  assert.equal(c.session.readOnly, false, "a client that sent readOnly gets the readOnly byte back (0 on a r/w server)");
  const other = await h.connect();
  assert.notEqual(other.sessionId, c.sessionId, "every session gets its own id");
});

test("timeout is clamped to [2, 20] x tickTime (tickTime 2000)", async () => {
  const cases: [number, number][] = [
    [1000, 4000],
    [100_000, 40_000],
    [10_000, 10_000],
    [4000, 4000],
    [40_000, 40_000],
  ];
  for (const [requested, negotiated] of cases) {
    const c = await h.connect({ timeoutMs: requested });
    assert.equal(c.session?.timeOutMs, negotiated, `requested ${requested}`);
    c.destroy();
  }
});

test("an old client without the readOnly byte gets a response without it", async () => {
  const c = await h.connect({ readOnly: undefined });
  assert.ok(c.session);
  assert.equal(c.session.readOnly, undefined, "response body must be 36 bytes, without the readOnly byte");
  assert.notEqual(c.session.sessionId, 0n);
  ok(await c.ping(), "old client session is usable");
});

test("readOnly=true clients get a normal session from a read-write server", async () => {
  const c = await h.connect({ readOnly: true });
  assert.equal(c.session?.readOnly, false);
  const path = h.freshPath("ro-client");
  ok(await c.create(path), "writes work: the server is not read-only");
});

test("re-attach with the right password keeps the session and closes the old connection", async () => {
  const first = await h.connect();
  const path = h.freshPath("reattach");
  ok(await first.create(path, "x", { flags: 1 }));
  const second = await h.connect({ sessionId: first.sessionId, passwd: first.passwd, timeoutMs: 10_000 });
  assert.equal(second.sessionId, first.sessionId);
  assert.deepEqual(second.session?.passwd, first.passwd);
  assert.equal(second.session?.timeOutMs, 10_000, "the re-attach negotiates the newly requested timeout");
  await withTimeout(first.closed, CLOSE_WAIT_MS, "old connection closed by the server");
  const stat = ok(await second.exists(path));
  assert.equal(stat.ephemeralOwner, first.sessionId, "the ephemeral survived: same session");
});

test("re-attach with a wrong password: invalid response, then close; the legitimate connection is kicked too", async () => {
  const owner = await h.connect();
  const wrong = Buffer.from(owner.passwd);
  wrong[0] = wrong[0]! ^ 0xff;
  const intruder = await h.connect({ sessionId: owner.sessionId, passwd: wrong });
  assertInvalidSession(intruder);
  await withTimeout(intruder.closed, CLOSE_WAIT_MS, "server closes after the invalid response");
  await withTimeout(owner.closed, CLOSE_WAIT_MS, "the existing connection of that session is closed first");
  const again = await h.connect({ sessionId: owner.sessionId, passwd: owner.passwd });
  assert.equal(again.sessionId, owner.sessionId, "the session itself is still alive");
});

test("re-attach to an unknown session id: invalid response, then close", async () => {
  const c = await h.connect({ sessionId: 0x0123456789abcdefn, passwd: Buffer.alloc(16, 7) });
  assertInvalidSession(c);
  await withTimeout(c.closed, CLOSE_WAIT_MS, "server closes after the invalid response");
});

test("lastZxidSeen ahead of the server: connection closed without a response", async () => {
  const probe = await h.connect();
  ok(await probe.ping());
  const serverZxid = probe.lastZxid;
  const c = await RawClient.open(h.server.host, h.server.port);
  await assert.rejects(
    c.handshake({ timeoutMs: SESSION_TIMEOUT_MS, lastZxidSeen: serverZxid + 1000n }),
    ConnectionClosedError,
  );
  assert.equal(c.session, undefined, "no ConnectResponse was sent");
});

test("lastZxidSeen equal to the server's zxid is accepted", async () => {
  const probe = await h.connect();
  ok(await probe.ping());
  const c = await h.connect({ lastZxidSeen: probe.lastZxid });
  assert.notEqual(c.sessionId, 0n);
});

test("requests pipelined behind the ConnectRequest in one TCP write are answered in order", async () => {
  const path = h.freshPath("pipelined");
  const c = await RawClient.open(h.server.host, h.server.port);
  const bytes = Buffer.concat([
    encodeConnectRequest({ timeoutMs: SESSION_TIMEOUT_MS }),
    encodeRequest(-4, { op: "auth", type: 0, scheme: "digest", auth: Buffer.from("alice:secret") }),
    encodeRequest(1, { op: "create", opcode: OpCode.create, path, data: Buffer.from("d"), acl: [{ perms: 31, id: { scheme: "world", id: "anyone" } }], flags: 0, ttl: -1n }),
    encodeRequest(2, { op: "getData", path, watch: false }),
  ]);
  const handshake = c.expectHandshake();
  const replies = [c.expectReply(-4, "auth"), c.expectReply(1, "create"), c.expectReply(2, "getData")];
  c.sendRaw(bytes);
  const session = await withTimeout(handshake, CLOSE_WAIT_MS, "handshake");
  assert.notEqual(session.sessionId, 0n);
  const [auth, create, getData] = await Promise.all(replies);
  assert.equal(auth.header.err, 0);
  assert.equal(create.header.err, 0);
  assert.equal(getData.header.err, 0);
  assert.deepEqual(c.frames.map((f) => (f.kind === "reply" ? f.xid : "event")), [-4, 1, 2]);
  c.destroy();
});

test("a truncated ConnectRequest closes the connection without a response", async () => {
  const c = await RawClient.open(h.server.host, h.server.port);
  const handshake = c.expectHandshake();
  const w = new ByteWriter();
  const at = w.beginFrame();
  w.int32(0).int64(0n).int32(SESSION_TIMEOUT_MS); // sessionId and passwd missing
  w.endFrame(at);
  c.sendRaw(w.toBuffer());
  await assert.rejects(handshake, ConnectionClosedError);
});

test("ping: reply xid -2, err 0, zxid = last processed zxid", async () => {
  const c = await h.connect();
  const created = await c.create(h.freshPath("ping"));
  ok(created);
  const pong = await c.ping();
  assert.equal(pong.xid, -2);
  assert.equal(pong.err, 0);
  assert.equal(pong.zxid, created.zxid, "nothing else was written meanwhile");
});

test("closeSession: reply err 0, then the server closes; the session cannot be re-attached", async () => {
  const c = await h.connect();
  const id = c.sessionId;
  const passwd = c.passwd;
  const reply = await c.close();
  assertErr(reply, Err.OK, "closeSession");
  assert.ok(c.isClosed);
  const again = await h.connect({ sessionId: id, passwd });
  assertInvalidSession(again);
  await withTimeout(again.closed, CLOSE_WAIT_MS, "closed after the invalid response");
});
