/**
 * Unit tests of src/tree/byte-arena.ts: entries (name, data or null data, flagged fields) read back exactly
 * through seeded churn with small chunks, so compaction moves them again and again; garbage is reclaimed (the
 * arena stays bounded under rewrites and deletes) with bounded work per write; large values get a buffer of
 * their own that is freed with them; names and values at every length boundary of the encoding.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteArena, type ArenaOptions } from "../../src/tree/byte-arena.js";
import { prng } from "../helpers/prng.js";

/** Fields by flags, as the NodeStore uses them: the test only checks they come back byte for byte. */
const FIELD_BYTES = [0, 8, 20, 28, 8, 16, 28, 36];
const NO_FIELDS = Buffer.alloc(0);

interface Model {
  name: string;
  data: Buffer | null;
  flags: number;
  fields: Buffer;
}

function arena(options: ArenaOptions = {}, rows = 4096): ByteArena {
  const a = new ByteArena({ fieldBytes: FIELD_BYTES, ...options });
  a.growRows(rows);
  for (let r = 0; r < rows; r++) a.initRow(r);
  return a;
}

function put(a: ByteArena, row: number, m: Model): void {
  a.putFromString(row, m.flags, m.fields, m.name, 0, m.name.length, m.data);
}

function fieldsOf(a: ByteArena, row: number): { flags: number; fields: Buffer } {
  a.locate(row);
  const flags = a.entryFlags;
  return { flags, fields: Buffer.from(a.entryBuf.subarray(a.fieldsAt, a.fieldsAt + FIELD_BYTES[flags])) };
}

function assertEntry(a: ByteArena, row: number, m: Model, what: string): void {
  assert.equal(a.name(row), m.name, `${what}: name of row ${row}`);
  assert.equal(a.nameLength(row), Buffer.byteLength(m.name), `${what}: name length of row ${row}`);
  assert.ok(a.nameEquals(row, m.name, 0, m.name.length), `${what}: nameEquals of row ${row}`);
  const nameBytes = Buffer.from(m.name);
  assert.ok(a.nameEqualsBytes(row, nameBytes, 0, nameBytes.length), `${what}: nameEqualsBytes of row ${row}`);
  assert.deepEqual(a.copyData(row), m.data, `${what}: data of row ${row}`);
  assert.equal(a.dataLength(row), m.data === null ? -1 : m.data.length, `${what}: data length of row ${row}`);
  const f = fieldsOf(a, row);
  assert.equal(f.flags, m.flags, `${what}: flags of row ${row}`);
  assert.deepEqual(f.fields, m.fields.subarray(0, FIELD_BYTES[m.flags]), `${what}: fields of row ${row}`);
}

function randomBytes(rand: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function randomModel(rand: () => number, serial: number): Model {
  const flags = Math.floor(rand() * 8);
  const r = rand();
  const data = r < 0.1 ? null : r < 0.2 ? Buffer.alloc(0) : randomBytes(rand, Math.floor(rand() * (r < 0.95 ? 200 : 1500)));
  const names = [`n${serial}`, `\u00e9l\u00e8ve-${serial}`, `${"x".repeat(Math.floor(rand() * 40))}${serial}`, `\ud83d\ude00${serial}`];
  return { name: names[Math.floor(rand() * names.length)], data, flags, fields: randomBytes(rand, 36) };
}

for (const seed of [1, 2, 3]) {
  test(`entries read back exactly through churn and compaction (seed ${seed})`, () => {
    const rand = prng(seed);
    const a = arena({ chunkBytes: 4096 });
    const model = new Map<number, Model>();
    let serial = 0;
    for (let step = 0; step < 30_000; step++) {
      const row = Math.floor(rand() * 600);
      const m = model.get(row);
      const r = rand();
      if (m === undefined) {
        const fresh = randomModel(rand, serial++);
        put(a, row, fresh);
        model.set(row, fresh);
      } else if (r < 0.5) {
        // New data and fields, same name: what setData does.
        const next = { ...randomModel(rand, serial++), name: m.name };
        a.replace(row, next.flags, next.fields, next.data, 0, next.data === null ? -1 : next.data.length);
        model.set(row, next);
      } else if (r < 0.6) {
        const next = { ...m, flags: Math.floor(rand() * 8), fields: randomBytes(rand, 36) };
        a.replaceFields(row, next.flags, next.fields);
        model.set(row, next);
      } else if (r < 0.8) {
        a.free(row);
        model.delete(row);
      } else {
        assertEntry(a, row, m, `seed ${seed} step ${step}`);
      }
      if (step % 5000 === 0) for (const [row2, m2] of model) assertEntry(a, row2, m2, `seed ${seed} step ${step}`);
    }
    for (const [row, m] of model) assertEntry(a, row, m, `seed ${seed} end`);
    let live = 0;
    for (const m of model.values()) live += 4 + 10 + FIELD_BYTES[m.flags] + Buffer.byteLength(m.name) + (m.data?.length ?? 0);
    assert.ok(a.stats().liveBytes <= live, "live bytes counted no more than the entries hold");
  });
}

test("rewriting the same 1k nodes 100k times keeps the arena bounded, with bounded work per write", () => {
  const rand = prng(7);
  const chunkBytes = 16 * 1024;
  const a = arena({ chunkBytes });
  const rows = 1000;
  for (let row = 0; row < rows; row++) put(a, row, { name: `node-${row}`, data: Buffer.alloc(100, row), flags: 0, fields: NO_FIELDS });
  let maxAllocated = 0;
  let maxEntry = 0;
  for (let i = 0; i < 100_000; i++) {
    const row = Math.floor(rand() * rows);
    const size = 50 + Math.floor(rand() * 150);
    const before = a.stats().scannedBytes;
    a.replace(row, 0, NO_FIELDS, Buffer.alloc(size, i), 0, size);
    const entryBytes = 20 + size;
    maxEntry = Math.max(maxEntry, entryBytes);
    // Written + retired is at most 2 entries of at most 220 bytes: the step's budget, plus one entry of overshoot.
    assert.ok(a.stats().scannedBytes - before <= 3 * 2 * 220 + 256 + 220, `write ${i} scanned too much`);
    maxAllocated = Math.max(maxAllocated, a.stats().allocatedBytes);
  }
  const { liveBytes, allocatedBytes } = a.stats();
  assert.ok(liveBytes < rows * 220, `live ${liveBytes}`);
  // Sealed chunks stay at least half live; the rest is the append chunk, chunks being compacted and spares.
  assert.ok(maxAllocated <= 2 * rows * 220 + 8 * chunkBytes, `arena grew to ${maxAllocated} bytes for ${liveBytes} live`);
  assert.ok(allocatedBytes <= 2 * liveBytes + 8 * chunkBytes, `arena holds ${allocatedBytes} bytes for ${liveBytes} live`);
  assert.ok(a.stats().scannedBytes > 0, "compaction ran");
  for (let row = 0; row < rows; row++) assert.equal(a.nameLength(row), Buffer.byteLength(`node-${row}`));
});

test("freeing every entry gives the chunks back (a couple of spares stay)", () => {
  const chunkBytes = 8 * 1024;
  const a = arena({ chunkBytes, spareChunksMax: 2 });
  for (let round = 0; round < 5; round++) {
    for (let row = 0; row < 2000; row++) put(a, row, { name: `r${row}`, data: Buffer.alloc(90, round), flags: 0, fields: NO_FIELDS });
    assert.ok(a.stats().allocatedBytes >= 2000 * 90, "the entries are there");
    // Delete in an order that leaves every chunk partly live for a while.
    for (let row = 0; row < 2000; row += 2) a.free(row);
    for (let row = 1; row < 2000; row += 2) a.free(row);
    const s = a.stats();
    assert.equal(s.liveBytes, 0);
    assert.ok(s.allocatedBytes <= 3 * chunkBytes, `round ${round}: ${s.allocatedBytes} bytes still allocated`);
  }
});

test("null data and empty data stay distinct", () => {
  const a = arena();
  put(a, 0, { name: "null", data: null, flags: 0, fields: NO_FIELDS });
  put(a, 1, { name: "empty", data: Buffer.alloc(0), flags: 0, fields: NO_FIELDS });
  assert.equal(a.copyData(0), null);
  assert.equal(a.dataView(0), null);
  assert.equal(a.dataLength(0), -1);
  assert.deepEqual(a.copyData(1), Buffer.alloc(0));
  assert.equal(a.dataLength(1), 0);
  a.replace(0, 0, NO_FIELDS, Buffer.alloc(0), 0, 0);
  a.replace(1, 0, NO_FIELDS, null, 0, -1);
  assert.deepEqual(a.copyData(0), Buffer.alloc(0));
  assert.equal(a.copyData(1), null);
  assert.equal(a.name(0), "null");
  assert.equal(a.name(1), "empty");
});

test("names at the encoding's length boundaries, non-ASCII and very long", () => {
  const a = arena({ chunkBytes: 64 * 1024 });
  const names = [
    "",
    "a",
    "x".repeat(15), // name length × 8 + flags still fits one varint byte
    "x".repeat(16), // ...and no longer does
    "x".repeat(2047),
    "x".repeat(2048),
    "\u4e2d\u6587\u00e9",
    "\ud83d\ude00 emoji",
    "lone \ud800 surrogate", // encoded as U+FFFD, as Buffer.from does
    "y".repeat(40_000), // bigger than a quarter chunk: a buffer of its own
  ];
  names.forEach((name, row) => put(a, row, { name, data: Buffer.from([row]), flags: row % 8, fields: Buffer.alloc(36, row) }));
  names.forEach((name, row) => {
    const bytes = Buffer.from(name);
    assert.equal(a.name(row), bytes.toString(), `name ${row}`);
    assert.equal(a.nameLength(row), bytes.length, `name length ${row}`);
    assert.ok(a.nameEquals(row, name, 0, name.length), `nameEquals ${row}`);
    assert.ok(a.nameEqualsBytes(row, bytes, 0, bytes.length), `nameEqualsBytes ${row}`);
    assert.ok(!a.nameEquals(row, name + "z", 0, name.length + 1), `a longer name is different (${row})`);
    if (name.length > 0) assert.ok(!a.nameEquals(row, name, 0, name.length - 1), `a shorter name is different (${row})`);
    const target = Buffer.alloc(bytes.length + 2);
    assert.equal(a.copyName(row, target, 1), bytes.length + 1);
    assert.deepEqual(target.subarray(1, 1 + bytes.length), bytes);
    assert.deepEqual(a.copyData(row), Buffer.from([row]));
    assert.equal(fieldsOf(a, row).flags, row % 8);
  });
  // A substring of a longer string compares like the string itself.
  assert.ok(a.nameEquals(6, "/p/\u4e2d\u6587\u00e9/q", 3, 6));
});

test("values from 1 byte to several MiB; large ones get a buffer of their own, freed with them", () => {
  const a = arena(); // 4 MiB chunks: values over 1 MiB go to their own buffer
  const sizes = [1, 126, 127, 128, 16_382, 16_383, 16_384, 1 << 20, (1 << 20) + 1, 3 << 20, 6 << 20];
  sizes.forEach((size, row) => {
    const data = Buffer.alloc(size, row + 1);
    data[size - 1] = 0xee;
    put(a, row, { name: `v${size}`, data, flags: 2, fields: Buffer.alloc(36, 9) });
  });
  sizes.forEach((size, row) => {
    const data = a.copyData(row)!;
    assert.equal(data.length, size, `size ${size}`);
    if (size > 1) assert.equal(data[0], row + 1);
    assert.equal(data[size - 1], 0xee);
    assert.equal(a.dataLength(row), size);
    assert.deepEqual(a.dataView(row), data);
  });
  const big = a.stats().allocatedBytes;
  assert.ok(big >= (6 << 20) + (3 << 20), "the big values are allocated");
  const bigRow = sizes.indexOf(6 << 20);
  a.replace(bigRow, 0, NO_FIELDS, Buffer.from("small"), 0, 5);
  assert.ok(a.stats().allocatedBytes <= big - (6 << 20), "the 6 MiB buffer went with its value");
  assert.deepEqual(a.copyData(bigRow), Buffer.from("small"));
  assert.equal(a.name(bigRow), `v${6 << 20}`);
  a.replace(0, 0, NO_FIELDS, Buffer.alloc(5 << 20, 1), 0, 5 << 20);
  assert.equal(a.dataLength(0), 5 << 20);
  assert.equal(a.name(0), "v1");
});

test("replaceFields keeps name and data; clear forgets everything", () => {
  const a = arena({ chunkBytes: 1024 });
  put(a, 3, { name: "keep", data: Buffer.from("data"), flags: 1, fields: Buffer.alloc(36, 1) });
  a.replaceFields(3, 6, Buffer.alloc(36, 2));
  assert.equal(a.name(3), "keep");
  assert.deepEqual(a.copyData(3), Buffer.from("data"));
  assert.deepEqual(fieldsOf(a, 3), { flags: 6, fields: Buffer.alloc(28, 2) });
  a.clear();
  assert.equal(a.hasEntry(3), false);
  assert.deepEqual(a.stats(), { chunks: 0, allocatedBytes: 0, liveBytes: 0, queuedChunks: 0, scannedBytes: a.stats().scannedBytes });
});
