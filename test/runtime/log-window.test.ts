// LogWindow trims applied entries in batches (an eighth of its size), never below its size and never an
// entry not yet applied, and reads stay right across trims.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LogWindow } from "../../src/runtime/log-window.js";

const entry = (zxid: number) => ({ zxid: BigInt(zxid), payload: Buffer.from(String(zxid)) });

test("a full window drops applied entries a batch at a time and keeps at least its size", () => {
  const window = new LogWindow(0n, [], 16); // batch of 2
  const lengths: number[] = [];
  for (let z = 1; z <= 100; z++) {
    window.append([entry(z)]);
    window.trim(BigInt(z));
    lengths.push(Number(window.lastZxid() - window.baseZxid()));
  }
  assert.ok(lengths.every((n) => n <= 16 + 2), `window grew to ${Math.max(...lengths)}`);
  assert.ok(lengths.slice(20).every((n) => n >= 16), "never below its size");
  assert.ok(new Set(lengths.slice(20)).size > 1, "trims happen in batches, not one entry per write");
  const base = window.baseZxid();
  assert.deepEqual(window.entriesAfter(base, 1000).map((e) => Number(e.zxid)), Array.from({ length: 100 - Number(base) }, (_, i) => Number(base) + 1 + i));
  assert.equal(window.floorZxid(base + 3n), base + 3n);
});

test("entries not yet applied are never trimmed", () => {
  const window = new LogWindow(0n, [], 8);
  for (let z = 1; z <= 50; z++) window.append([entry(z)]);
  window.trim(10n);
  assert.equal(window.baseZxid(), 10n);
  window.trim(5n); // nothing more is applied: no change
  assert.equal(window.baseZxid(), 10n);
  window.trim(50n);
  assert.equal(window.baseZxid(), 42n);
  assert.equal(window.lastZxid(), 50n);
});
