/**
 * Malformed input (shared/reference §1, §3): oversize or negative frame lengths close only the offending
 * connection; a bad length inside a frame is MarshallingError and the connection stays usable; unknown op
 * codes get Unimplemented and a close. Other sessions never notice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter, Err, OpCode } from "../../src/jute/index.js";
import { encodeRequest, encodeRequestFrame, ok, withTimeout } from "../helpers/raw-client.js";
import type { RawClient } from "../helpers/raw-client.js";
import { assertErr, useServer } from "./support.js";

const h = useServer();
const CLOSE_WAIT_MS = 5_000;
/** jute.maxbuffer default: 0xfffff. */
const FRAME_BYTES_MAX = 0xfffff;

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ""), "hex");

/** A second session that must be unaffected by whatever the test does to the first. */
async function bystander(): Promise<{ c: RawClient; path: string }> {
  const c = await h.connect();
  const path = h.freshPath("bystander");
  ok(await c.create(path, "still here", { flags: 1 }));
  return { c, path };
}

async function assertUnaffected(b: { c: RawClient; path: string }): Promise<void> {
  ok(await b.c.ping(), "the other session still answers");
  assert.deepEqual(ok(await b.c.getData(b.path)).data, Buffer.from("still here"));
  assert.equal(b.c.isClosed, false);
}

test("a frame longer than jute.maxbuffer closes that connection without a reply", async () => {
  const other = await bystander();
  const c = await h.connect();
  ok(await c.ping());
  // Nothing else may be in flight: ZooKeeper drops replies still in its pipeline when it closes here.
  c.sendRaw(hex("00100000")); // 1 MiB > 0xfffff; the payload never needs to arrive
  await withTimeout(c.closed, CLOSE_WAIT_MS, "server closes the connection");
  assert.deepEqual(c.frames.map((f) => f.kind === "reply" && f.xid), [-2], "no reply to the oversize frame");
  await assertUnaffected(other);
});

test("a real 1 MiB setData frame closes the connection", async () => {
  const other = await bystander();
  const c = await h.connect();
  const path = h.freshPath("big");
  ok(await c.create(path));
  const reply = c.setData(path, Buffer.alloc(1024 * 1024, 0x61)).then((r) => r.err, (e: Error) => e.name);
  await withTimeout(c.closed, CLOSE_WAIT_MS, "server closes the connection");
  assert.equal(await reply, "ConnectionClosedError");
  assert.equal(ok(await other.c.exists(path)).dataLength, 0, "the write was not applied");
  await assertUnaffected(other);
});

test("a frame of exactly jute.maxbuffer bytes is not rejected by its length", async () => {
  const c = await h.connect();
  const path = h.freshPath("max");
  ok(await c.create(path));
  const pathBytes = Buffer.byteLength(path);
  // payload = RequestHeader (8) + path (4 + n) + data (4 + len) + version (4)
  const dataBytes = FRAME_BYTES_MAX - 8 - (4 + pathBytes) - 4 - 4;
  const frame = encodeRequest(1_000, { op: "setData", path, data: Buffer.alloc(dataBytes, 0x62), version: -1 });
  assert.equal(frame.readInt32BE(0), FRAME_BYTES_MAX);
  const reply = c.expectReply(1_000, "max-size setData");
  c.sendRaw(frame);
  const r = await reply;
  // ZooKeeper also limits znode data to jute.maxbuffer, so the server may refuse the data itself, but it
  // must read the frame and answer instead of dropping the connection.
  assert.equal(r.header.xid, 1_000);
  ok(await c.ping());
});

test("a negative frame length closes that connection", async () => {
  const other = await bystander();
  const c = await h.connect();
  c.sendRaw(hex("ffffffff"));
  await withTimeout(c.closed, CLOSE_WAIT_MS, "server closes the connection");
  await assertUnaffected(other);
});

test("bad lengths inside a frame: MarshallingError with the request's xid; the connection stays usable", async () => {
  const other = await bystander();
  const c = await h.connect();
  const path = h.freshPath("marshal");
  ok(await c.create(path));
  const cases: [string, number, string][] = [
    ["create: path length beyond the frame", OpCode.create, "00000050 2f78"],
    ["create: ACL count beyond the frame", OpCode.create, "00000002 2f78 ffffffff 7fffffff 00000000"],
    ["setData: buffer length -2", OpCode.setData, "00000002 2f78 fffffffe ffffffff"],
    ["getChildren: missing watch flag", OpCode.getChildren, "00000001 2f"],
    ["exists: empty body", OpCode.exists, ""],
    ["multi: empty body", OpCode.multi, ""],
  ];
  for (const [what, type, body] of cases) {
    const r = await c.requestRaw(type, hex(body), undefined, what);
    assert.equal(r.header.err, Err.MarshallingError, what);
    assert.equal(r.body.length, 0, `${what}: error replies have no body`);
    ok(await c.ping(), `${what}: connection still usable`);
  }
  assertErr(await c.setData(path, "fine"), Err.OK);
  assert.equal(c.protocolErrors.length, 0);
  await assertUnaffected(other);
});

test("unknown op code: Unimplemented with zxid -1, then the connection is closed", async () => {
  const other = await bystander();
  for (const type of [50, 0, 10, 99, 108]) {
    const c = await h.connect();
    const r = await c.requestRaw(type, Buffer.alloc(0), undefined, `op ${type}`);
    assert.deepEqual([r.header.err, r.header.zxid], [Err.Unimplemented, -1n], `op ${type}`);
    await withTimeout(c.closed, CLOSE_WAIT_MS, `closed after op ${type}`);
  }
  await assertUnaffected(other);
});

test("a frame too short for a RequestHeader closes the connection", async () => {
  const c = await h.connect();
  c.sendRaw(hex("00000004 00000007"));
  await withTimeout(c.closed, CLOSE_WAIT_MS, "server closes the connection");
});

test("requests written one byte at a time are reassembled", async () => {
  const c = await h.connect();
  const path = h.freshPath("bytewise");
  const frame = encodeRequest(500, { op: "create", opcode: OpCode.create, path, data: Buffer.from("d"), acl: [{ perms: 31, id: { scheme: "world", id: "anyone" } }], flags: 0, ttl: -1n });
  const reply = c.expectReply(500, "bytewise create");
  for (const byte of frame) c.sendRaw(Buffer.from([byte]));
  assert.equal((await reply).header.err, 0);
  ok(await c.exists(path));
});

test("many requests in one TCP write are answered in order", async () => {
  const c = await h.connect();
  const base = h.freshPath("burst");
  const frames: Buffer[] = [];
  const replies: Promise<unknown>[] = [];
  const count = 50;
  for (let i = 0; i < count; i++) {
    const xid = 1_000 + i;
    const req = i === 0
      ? encodeRequest(xid, { op: "create", opcode: OpCode.create, path: base, data: null, acl: [{ perms: 31, id: { scheme: "world", id: "anyone" } }], flags: 0, ttl: -1n })
      : i % 2 === 1
        ? encodeRequest(xid, { op: "setData", path: base, data: Buffer.from(String(i)), version: -1 })
        : encodeRequestFrame(xid, OpCode.getData, Buffer.concat([encodePath(base), Buffer.from([0])]));
    frames.push(req);
    replies.push(c.expectReply(xid));
  }
  c.sendRaw(Buffer.concat(frames));
  await Promise.all(replies);
  const xids = c.frames.filter((f) => f.kind === "reply").map((f) => (f.kind === "reply" ? f.xid : 0));
  assert.deepEqual(xids, Array.from({ length: count }, (_, i) => 1_000 + i));
  assert.equal(ok(await c.exists(base)).version, count / 2);
});

function encodePath(path: string): Buffer {
  const w = new ByteWriter();
  w.ustring(path);
  return w.toBuffer();
}
