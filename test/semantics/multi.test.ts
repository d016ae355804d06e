/**
 * multi (14) and multiRead (22) (shared/reference §9): result encoding, all-or-nothing atomicity, sub-ops
 * seeing earlier sub-ops, sequential numbering inside one multi, MarshallingError for ops that do not belong,
 * and multiRead's independent per-op results. Also the top-level `check` op, which only belongs inside multi.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CreateFlag, Err, OpCode } from "../../src/jute/index.js";
import type { Request } from "../../src/jute/index.js";
import { createRequest, createTTLRequest, ok, withTimeout } from "../helpers/raw-client.js";
import { assertErr, isHerd, useServer } from "./support.js";

const h = useServer();

const setData = (path: string, data: string | null, version = -1): Request => ({ op: "setData", path, data: data === null ? null : Buffer.from(data), version });
const del = (path: string, version = -1): Request => ({ op: "delete", path, version });
const check = (path: string, version: number): Request => ({ op: "check", path, version });
const create = (path: string, data: string | null = null, flags = 0): Request => createRequest(OpCode.create, path, data, { flags });

test("successful multi: one result per op with the op's type; all ops share one zxid", async () => {
  const c = await h.connect();
  const base = h.freshPath("multi-ok");
  ok(await c.create(base));
  ok(await c.create(`${base}/old`));
  const r = await c.multi([
    create(`${base}/a`, "x"),
    createRequest(OpCode.createContainer, `${base}/c`, null, { flags: CreateFlag.CONTAINER }),
    createTTLRequest(`${base}/t`, null, 60_000n),
    setData(`${base}/a`, "yz"),
    check(`${base}/a`, 1),
    del(`${base}/old`),
  ]);
  const results = ok(r);
  assert.equal(r.err, 0);
  assert.deepEqual(results.map((x) => x.type), [OpCode.create, OpCode.create2, OpCode.create2, OpCode.setData, OpCode.check, OpCode.delete],
    "create (op 1) answers type 1 with the path only; container and TTL creates answer type 15 with a Stat");
  assert.deepEqual(results[0], { type: OpCode.create, path: `${base}/a` });
  const container = results[1];
  const ttl = results[2];
  const set = results[3];
  assert.ok(container?.type === OpCode.create2 && ttl?.type === OpCode.create2 && set?.type === OpCode.setData);
  assert.equal(container.path, `${base}/c`);
  assert.equal(ttl.path, `${base}/t`);
  for (const stat of [container.stat, ttl.stat]) {
    assert.equal(stat.czxid, r.zxid, "every sub-op is part of the multi's single txn");
    assert.equal(stat.ephemeralOwner, 0n);
  }
  assert.equal(set.stat.mzxid, r.zxid);
  assert.equal(set.stat.czxid, r.zxid, "created and modified in the same txn");
  assert.equal(set.stat.version, 1);
  assert.equal(set.stat.dataLength, 2);
  const parent = ok(await c.exists(base));
  assert.equal(parent.pzxid, r.zxid);
  assert.equal(parent.numChildren, 3);
});

test("failed multi: header err 0, results 0 before the failure, its code, then RuntimeInconsistency; nothing applied", async () => {
  const c = await h.connect();
  const base = h.freshPath("multi-fail");
  ok(await c.create(base, "orig"));
  ok(await c.create(`${base}/exists`));
  const before = ok(await c.exists(base));
  const r = await c.multi([
    create(`${base}/new`),
    setData(base, "changed"),
    create(`${base}/exists`),
    setData(base, "again"),
    del(`${base}/nope`),
  ]);
  assert.equal(r.err, 0, "the ReplyHeader err stays 0");
  assert.deepEqual(ok(r), [
    { type: -1, err: 0 },
    { type: -1, err: 0 },
    { type: -1, err: Err.NodeExists },
    { type: -1, err: Err.RuntimeInconsistency },
    { type: -1, err: Err.RuntimeInconsistency },
  ]);
  assertErr(await c.exists(`${base}/new`), Err.NoNode, "the successful create before the failure was rolled back");
  const after = ok(await c.getData(base));
  assert.deepEqual(after.data, Buffer.from("orig"));
  assert.deepEqual(after.stat, before);
});

test("failed multi: a check with the wrong version fails the whole multi", async () => {
  const c = await h.connect();
  const path = h.freshPath("multi-check");
  ok(await c.create(path));
  assert.deepEqual(ok(await c.multi([check(path, 5), setData(path, "x")])), [
    { type: -1, err: Err.BadVersion },
    { type: -1, err: Err.RuntimeInconsistency },
  ]);
  assert.equal(ok(await c.exists(path)).version, 0);
  assert.deepEqual(ok(await c.multi([check(path, 0), setData(path, "x", 0)])).map((x) => x.type), [OpCode.check, OpCode.setData]);
});

test("validation failures inside multi are results, not header errors: bad flags, bad TTL, bad path, NoAuth", async () => {
  const c = await h.connect();
  const base = h.freshPath("multi-validation");
  ok(await c.create(base));
  const cases: [string, Request, number][] = [
    ["flags 9", create(`${base}/f`, null, 9), Err.BadArguments],
    ["ttl 0", createTTLRequest(`${base}/t`, null, 0n), Err.BadArguments],
    ["relative path", create("nope"), Err.BadArguments],
    ["no CREATE on /zookeeper/config", create("/zookeeper/config/x"), Err.NoAuth],
  ];
  for (const [what, op, code] of cases) {
    const r = await c.multi([create(`${base}/first`), op, setData(base, "x")]);
    assert.deepEqual(ok(r, what), [
      { type: -1, err: 0 },
      { type: -1, err: code },
      { type: -1, err: Err.RuntimeInconsistency },
    ], what);
  }
  assertErr(await c.exists(`${base}/first`), Err.NoNode);
});

test("sub-ops see the effects of earlier sub-ops", async () => {
  const c = await h.connect();
  const base = h.freshPath("multi-sequence");
  ok(await c.create(base));
  const r = ok(await c.multi([
    create(`${base}/p`),
    create(`${base}/p/q`, "1"),
    setData(`${base}/p/q`, "2", 0),
    check(`${base}/p/q`, 1),
    del(`${base}/p/q`, 1),
    create(`${base}/p/q`, "3"),
  ]));
  assert.equal(r.length, 6);
  const q = ok(await c.getData(`${base}/p/q`));
  assert.deepEqual(q.data, Buffer.from("3"));
  assert.equal(q.stat.version, 0);
  assert.equal(ok(await c.exists(`${base}/p`)).cversion, 3, "2 creates + 1 delete of children");
});

test("sequential creates inside one multi get consecutive numbers; a failed multi does not advance the counter", async () => {
  const c = await h.connect();
  const base = h.freshPath("multi-seq");
  ok(await c.create(base));
  const failed = ok(await c.multi([create(`${base}/s-`, null, 2), create(`${base}/s-`, null, 2), create(base)]));
  assert.equal(failed[2]?.type, -1);
  const r = ok(await c.multi([create(`${base}/s-`, null, 2), create(`${base}/s-`, null, 2), create(`${base}/x`), create(`${base}/s-`, null, 2)]));
  assert.deepEqual(r, [
    { type: OpCode.create, path: `${base}/s-0000000000` },
    { type: OpCode.create, path: `${base}/s-0000000001` },
    { type: OpCode.create, path: `${base}/x` },
    { type: OpCode.create, path: `${base}/s-0000000003` },
  ]);
});

test("ephemeral creates inside multi belong to the session", async () => {
  const c = await h.connect();
  const path = h.freshPath("multi-eph");
  ok(await c.multi([create(path, null, CreateFlag.EPHEMERAL)]));
  assert.equal(ok(await c.exists(path)).ephemeralOwner, c.sessionId);
});

test("an empty multi succeeds with an empty result list", async () => {
  const c = await h.connect();
  const r = await c.multi([]);
  assert.deepEqual(ok(r), []);
});

test("a read op inside multi is MarshallingError in the ReplyHeader, and nothing is applied", async () => {
  const c = await h.connect();
  const path = h.freshPath("multi-read-op");
  ok(await c.create(path));
  const r = await c.multi([create(`${path}/a`), { op: "getData", path, watch: false }]);
  assertErr(r, Err.MarshallingError);
  assertErr(await c.exists(`${path}/a`), Err.NoNode);
  ok(await c.ping(), "the connection stays usable");
});

test("TTL flags on a plain create inside multi are MarshallingError", async () => {
  const c = await h.connect();
  const path = h.freshPath("multi-ttl-flags");
  assertErr(await c.multi([create(path, null, CreateFlag.PERSISTENT_WITH_TTL)]), Err.MarshallingError);
  assertErr(await c.exists(path), Err.NoNode);
});

test("multiRead: independent per-op results, errors do not fail the others", async () => {
  const c = await h.connect();
  const base = h.freshPath("multiread");
  ok(await c.create(base, "d"));
  ok(await c.create(`${base}/k1`));
  ok(await c.create(`${base}/k2`));
  const r = ok(await c.multiRead([
    { op: "getData", path: base, watch: false },
    { op: "getChildren", path: base, watch: false },
    { op: "getData", path: `${base}/missing`, watch: false },
    { op: "getChildren", path: `${base}/missing`, watch: false },
    { op: "getData", path: `${base}/k1`, watch: false },
  ]));
  assert.equal(r.length, 5);
  const [data, children, missingData, missingChildren, k1] = r;
  assert.ok(data?.type === OpCode.getData);
  assert.deepEqual(data.data, Buffer.from("d"));
  assert.deepEqual(data.stat, ok(await c.exists(base)));
  assert.ok(children?.type === OpCode.getChildren);
  assert.deepEqual([...children.children].sort(), ["k1", "k2"]);
  assert.deepEqual(missingData, { type: -1, err: Err.NoNode });
  assert.deepEqual(missingChildren, { type: -1, err: Err.NoNode });
  assert.ok(k1?.type === OpCode.getData);
  assert.equal(k1.data, null);
  assert.deepEqual(ok(await c.multiRead([])), []);
});

test("a write op inside multiRead is MarshallingError and is not applied", async () => {
  const c = await h.connect();
  const path = h.freshPath("multiread-write");
  assertErr(await c.multiRead([create(path)]), Err.MarshallingError);
  assertErr(await c.exists(path), Err.NoNode);
});

test("top-level check: Herd answers Unimplemented and closes (master behaviour); 3.8.0 never answers", async (t) => {
  if (!isHerd) {
    // 3.8.0 consumes a zxid for it and sends no reply at all, so later replies arrive "out of order" for a
    // FIFO client; there is nothing sensible to assert against it.
    t.skip("3.8.0 sends no reply to a top-level check");
    return;
  }
  const c = await h.connect();
  const path = h.freshPath("toplevel-check");
  ok(await c.create(path));
  const r = await c.request({ op: "check", path, version: 0 });
  assert.equal(r.header.err, Err.Unimplemented);
  await withTimeout(c.closed, 5_000, "connection closed after Unimplemented");
});
