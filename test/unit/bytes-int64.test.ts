// The int64 fast path of ByteWriter/ByteReader (two int32 halves, no bigint arithmetic) against Buffer's own
// bigint methods, at the edges where sign and carry bugs hide; and toBuffer's view-or-copy rule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteReader, ByteWriter, readInt64BE, writeInt64BE } from "../../src/base/bytes.js";

const EDGES = [
  0n, 1n, -1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, -0x80000000n, -0x80000001n, -0x100000000n,
  0x7fffffffffffffffn, -0x8000000000000000n, 0x0123456789abcdefn, -0x0123456789abcdefn, 0x1ffffffffn,
];

test("writeInt64BE and readInt64BE agree with Buffer's bigint methods", () => {
  const mine = Buffer.alloc(8);
  const theirs = Buffer.alloc(8);
  let x = 0x9e3779b97f4a7c15n;
  const samples = [...EDGES];
  for (let i = 0; i < 1000; i++) {
    x = BigInt.asIntN(64, x * 6364136223846793005n + 1442695040888963407n);
    samples.push(x);
  }
  for (const v of samples) {
    writeInt64BE(mine, v, 0);
    theirs.writeBigInt64BE(v, 0);
    assert.deepEqual(mine, theirs, `write ${v}`);
    assert.equal(readInt64BE(theirs, 0), v, `read ${v}`);
  }
});

test("ByteWriter.int64 wraps values outside the signed range modulo 2^64, as before", () => {
  const w = new ByteWriter(8);
  w.int64(0xffffffffffffffffn).int64(1n << 64n);
  const r = new ByteReader(w.toBuffer());
  assert.equal(r.int64(), -1n);
  assert.equal(r.int64(), 0n);
});

test("ByteReader.int64 still refuses a short read with a DecodeError", () => {
  assert.throws(() => new ByteReader(Buffer.alloc(7)).int64(), { name: "DecodeError" });
});

test("what toBuffer returns (a view when mostly full, else a copy) keeps its bytes through later writes", () => {
  const full = new ByteWriter(8);
  full.int32(1).int32(2);
  const view = full.toBuffer();
  full.int32(3); // grows into a new buffer; the view keeps its bytes
  assert.deepEqual([...view], [0, 0, 0, 1, 0, 0, 0, 2]);

  const sparse = new ByteWriter(1024);
  sparse.int32(7);
  const copy = sparse.toBuffer();
  sparse.int32(8);
  assert.deepEqual([...copy], [0, 0, 0, 7]);
  assert.deepEqual([...sparse.toBuffer()], [0, 0, 0, 7, 0, 0, 0, 8]);
});
