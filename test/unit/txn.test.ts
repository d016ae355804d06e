/**
 * Unit tests of src/tree/txn.ts: encodeTxn/decodeTxn round trips for every body type and boundary values,
 * and that truncated, extended or corrupted bytes are a DecodeError (never a RangeError or a wrong txn).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter, DecodeError } from "../../src/base/bytes.js";
import { CONTAINER_OWNER, ttlOwner } from "../../src/tree/data-tree.js";
import { decodeTxn, encodeTxn, type Txn, type TxnBody, type TxnHeader } from "../../src/tree/txn.js";
import { OPEN } from "./tree-support.js";

const H: TxnHeader = { sessionId: 0x0100000447740000n, cxid: 17, zxid: 0x100000005n, timeMs: 1_700_000_000_123 };
const DIGEST_ACL = [
  { perms: 31, id: { scheme: "digest", id: "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=" } },
  { perms: 1, id: { scheme: "world", id: "anyone" } },
];

const bodies: [string, TxnBody][] = [
  ["create persistent", { type: "create", path: "/a", data: Buffer.from("hello"), acl: OPEN, ephemeralOwner: 0n, parentCreateCount: 1 }],
  ["create null data", { type: "create", path: "/a", data: null, acl: OPEN, ephemeralOwner: 0n, parentCreateCount: 1 }],
  ["create empty data", { type: "create", path: "/a", data: Buffer.alloc(0), acl: OPEN, ephemeralOwner: 0n, parentCreateCount: 1 }],
  ["create binary data", { type: "create", path: "/bin", data: Buffer.from([0, 255, 128, 1, 0]), acl: DIGEST_ACL, ephemeralOwner: 0n, parentCreateCount: 2 }],
  ["create ephemeral", { type: "create", path: "/e", data: null, acl: OPEN, ephemeralOwner: 0x0100000447740000n, parentCreateCount: 3 }],
  ["create container", { type: "create", path: "/c", data: null, acl: OPEN, ephemeralOwner: CONTAINER_OWNER, parentCreateCount: 4 }],
  ["create ttl", { type: "create", path: "/t", data: null, acl: OPEN, ephemeralOwner: ttlOwner((1n << 40n) - 1n), parentCreateCount: 5 }],
  ["create counter max", { type: "create", path: "/s-2147483647", data: null, acl: OPEN, ephemeralOwner: 0n, parentCreateCount: 2147483647 }],
  ["create counter wrapped", { type: "create", path: "/s--2147483648", data: null, acl: OPEN, ephemeralOwner: 0n, parentCreateCount: -2147483648 }],
  ["create empty ACL list", { type: "create", path: "/x", data: null, acl: [], ephemeralOwner: 0n, parentCreateCount: 1 }],
  ["create unicode path", { type: "create", path: "/\u00e9t\u00e9/\u4e2d", data: null, acl: OPEN, ephemeralOwner: 0n, parentCreateCount: 1 }],
  ["delete", { type: "delete", path: "/a/b" }],
  ["setData", { type: "setData", path: "/a", data: Buffer.from("x"), version: 1 }],
  ["setData null", { type: "setData", path: "/a", data: null, version: 2147483647 }],
  ["setData wrapped version", { type: "setData", path: "/a", data: Buffer.alloc(0), version: -2147483648 }],
  ["setACL", { type: "setACL", path: "/a", acl: DIGEST_ACL, version: 3 }],
  ["setACL empty", { type: "setACL", path: "/a", acl: [], version: 0 }],
  ["check", { type: "check", path: "/a", version: -1 }],
  ["createSession", { type: "createSession", timeoutMs: 30000 }],
  ["closeSession none", { type: "closeSession", paths: [] }],
  ["closeSession", { type: "closeSession", paths: ["/a/e1", "/b/e2", "/\u4e2d"] }],
  ["error", { type: "error", err: -110 }],
  ["multi empty", { type: "multi", ops: [] }],
  ["multi mixed", {
    type: "multi",
    ops: [
      { type: "create", path: "/m", data: Buffer.from("m"), acl: OPEN, ephemeralOwner: 0n, parentCreateCount: 9 },
      { type: "setData", path: "/m", data: null, version: 1 },
      { type: "check", path: "/m", version: 1 },
      { type: "setACL", path: "/m", acl: DIGEST_ACL, version: 1 },
      { type: "delete", path: "/m" },
      { type: "error", err: -2 },
    ],
  }],
  ["multi nested", { type: "multi", ops: [{ type: "multi", ops: [{ type: "delete", path: "/n" }] }, { type: "createSession", timeoutMs: 1 }] }],
];

const headers: [string, TxnHeader][] = [
  ["typical", H],
  ["zeros", { sessionId: 0n, cxid: 0, zxid: 0n, timeMs: 0 }],
  ["extremes", { sessionId: -(1n << 63n), cxid: -2147483648, zxid: (1n << 63n) - 1n, timeMs: Number.MAX_SAFE_INTEGER }],
  ["negative session id", { sessionId: -0x7fffff0000000000n, cxid: -1, zxid: 1n, timeMs: 1 }],
];

test("encodeTxn/decodeTxn round trip every body type", () => {
  for (const [what, body] of bodies) {
    const txn: Txn = { header: H, body };
    assert.deepEqual(decodeTxn(encodeTxn(txn)), txn, what);
  }
});

test("encodeTxn/decodeTxn round trip header boundary values", () => {
  for (const [what, header] of headers) {
    const txn: Txn = { header, body: { type: "delete", path: "/a" } };
    assert.deepEqual(decodeTxn(encodeTxn(txn)), txn, what);
  }
});

test("encoding is deterministic and distinct bodies encode differently", () => {
  const encoded = bodies.map(([, body]) => encodeTxn({ header: H, body }).toString("hex"));
  assert.deepEqual(bodies.map(([, body]) => encodeTxn({ header: H, body }).toString("hex")), encoded);
  assert.equal(new Set(encoded).size, encoded.length);
});

test("decoded buffers are copies, not views of the input", () => {
  const bytes = encodeTxn({ header: H, body: { type: "setData", path: "/a", data: Buffer.from("abc"), version: 1 } });
  const txn = decodeTxn(bytes);
  bytes.fill(0);
  assert.deepEqual((txn.body as { data: Buffer }).data, Buffer.from("abc"));
});

function decodeErrorOf(bytes: Buffer): unknown {
  try {
    decodeTxn(bytes);
    return null;
  } catch (e) {
    return e;
  }
}

test("every truncation of every encoded txn is a DecodeError", () => {
  for (const [what, body] of bodies) {
    const bytes = encodeTxn({ header: H, body });
    for (let len = 0; len < bytes.length; len++) {
      const err = decodeErrorOf(bytes.subarray(0, len));
      assert.ok(err instanceof DecodeError, `${what} truncated to ${len}/${bytes.length}: ${String(err)}`);
    }
  }
});

test("trailing bytes after a txn are a DecodeError", () => {
  for (const [what, body] of bodies) {
    const bytes = Buffer.concat([encodeTxn({ header: H, body }), Buffer.from([0])]);
    assert.ok(decodeErrorOf(bytes) instanceof DecodeError, what);
  }
});

test("an unknown body tag is a DecodeError", () => {
  const headerBytes = new ByteWriter().int64(1n).int32(1).int64(1n).int64(1n).toBuffer();
  for (const tag of [0, 10, 255]) {
    const bytes = Buffer.concat([headerBytes, Buffer.from([tag])]);
    assert.ok(decodeErrorOf(bytes) instanceof DecodeError, `tag ${tag}`);
  }
});

test("a multi op count that is negative or larger than the remaining bytes is a DecodeError", () => {
  const headerBytes = new ByteWriter().int64(1n).int32(1).int64(1n).int64(1n).toBuffer();
  for (const count of [-1, -2147483648, 2147483647, 5]) {
    const bytes = Buffer.concat([headerBytes, new ByteWriter().uint8(9).int32(count).uint8(2).toBuffer()]);
    assert.ok(decodeErrorOf(bytes) instanceof DecodeError, `count ${count}`);
  }
});

test("random byte corruption never escapes as anything but a DecodeError (or a valid txn)", () => {
  let state = 12345;
  const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  for (const [what, body] of bodies) {
    const original = encodeTxn({ header: H, body });
    for (let trial = 0; trial < 40; trial++) {
      const bytes = Buffer.from(original);
      const at = 29 + Math.floor(rand() * Math.max(1, bytes.length - 29)); // corrupt the body, after the header
      if (at >= bytes.length) continue;
      bytes[at] = Math.floor(rand() * 256);
      const err = decodeErrorOf(bytes);
      assert.ok(err === null || err instanceof DecodeError, `${what} byte ${at}: ${String(err)}`);
    }
  }
});
