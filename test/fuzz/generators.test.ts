/**
 * The fuzzer's own guarantees: a case is a pure function of (seed, index), so a printed seed reproduces it;
 * the framing check agrees with the server's rules; mutations do what their names say.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildCase, caseSeed, FRAME_BYTES_MAX, isWellFramed, mutate, Rng } from "./generators.js";
import type { CaseContext } from "./generators.js";

const ctx: CaseContext = { forbiddenSessionIds: new Set([5n]), protectedPaths: ["/protected"], deepChainMax: 50 };

const frame = (payload: Buffer) => {
  const out = Buffer.alloc(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
};

test("the same seed and index give the same bytes; other seeds or indices do not", () => {
  for (let i = 0; i < 50; i++) {
    const a = buildCase(7, i, ctx);
    const b = buildCase(7, i, ctx);
    assert.deepEqual(a.frames, b.frames);
    assert.deepEqual(a.writeSizes, b.writeSizes);
  }
  assert.notDeepEqual(buildCase(7, 1, ctx).frames, buildCase(8, 1, ctx).frames);
  assert.notEqual(caseSeed(7, 1), caseSeed(7, 2));
});

test("write sizes cover the whole stream", () => {
  for (let i = 0; i < 50; i++) {
    const c = buildCase(3, i, ctx);
    assert.equal(c.writeSizes.reduce((a, b) => a + b, 0), Buffer.concat(c.frames).length);
  }
});

test("every case kind is generated, deep chains only on request", () => {
  const kinds = new Set(Array.from({ length: 300 }, (_, i) => buildCase(1, i, ctx).kind));
  assert.deepEqual([...kinds].sort(), ["badHandshake", "deepWatches", "fourLetterWord", "randomBytes", "session"]);
  const chain = buildCase(1, 0, ctx, "deepChain");
  assert.ok(chain.frames.length > ctx.deepChainMax / 2);
  assert.equal(chain.wellFramed, true);
});

test("isWellFramed follows the server's framing rules", () => {
  const ok = frame(Buffer.from("abc"));
  assert.equal(isWellFramed(Buffer.concat([ok, ok])), true);
  assert.equal(isWellFramed(Buffer.alloc(0)), true);
  assert.equal(isWellFramed(ok.subarray(0, 5)), false, "incomplete");
  assert.equal(isWellFramed(Buffer.from([0, 0, 0])), false, "partial length");
  assert.equal(isWellFramed(Buffer.from([0xff, 0xff, 0xff, 0xfe])), false, "negative");
  const big = Buffer.alloc(4);
  big.writeInt32BE(FRAME_BYTES_MAX + 1, 0);
  assert.equal(isWellFramed(big), false, "over jute.maxbuffer");
});

test("mutations: fixed truncation keeps framing, raw truncation breaks it, opcode changes bytes 8..11", () => {
  const rng = new Rng(1);
  const original = frame(Buffer.from("0123456789abcdefghij"));
  for (let i = 0; i < 20; i++) {
    assert.equal(isWellFramed(mutate(rng, original, "truncateFixed")), true);
    assert.equal(isWellFramed(mutate(rng, original, "truncateRaw")), false);
    const m = mutate(rng, original, "opcode");
    assert.deepEqual(m.subarray(0, 8), original.subarray(0, 8));
    assert.deepEqual(m.subarray(12), original.subarray(12));
  }
  assert.deepEqual(original, frame(Buffer.from("0123456789abcdefghij")), "the original is not modified");
});
