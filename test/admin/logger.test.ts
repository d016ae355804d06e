/** Logger formats: readable text, one JSON object per line, level filtering, and the auto choice. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { consoleLogger, createLogger, jsonLogger, type LogSink } from "../../src/base/logger.js";

const T0 = Date.UTC(2026, 10, 30, 21, 15, 18, 123);
const clock = () => T0;

function recorder(isTTY?: boolean): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, isTTY, write: (line: string) => void lines.push(line) };
}

test("text: time, padded level, logger name, message, then key=value fields", () => {
  const sink = recorder();
  const log = consoleLogger("info", "herd", sink, clock);
  log.info("session expired", { sessionId: "0x1", timeoutMs: 4000 });
  log.warn("plain");
  log.error("odd values", { path: "/a b", empty: "", quote: 'say "hi"', big: 0x10n, obj: { a: 1 } });
  assert.deepEqual(sink.lines, [
    "2026-11-30T21:15:18.123Z INFO  [herd] session expired sessionId=0x1 timeoutMs=4000\n",
    "2026-11-30T21:15:18.123Z WARN  [herd] plain\n",
    '2026-11-30T21:15:18.123Z ERROR [herd] odd values path="/a b" empty="" quote="say \\"hi\\"" big=16 obj="{\\"a\\":1}"\n',
  ]);
});

test("json: one object per line with ts, level, logger, msg and the fields", () => {
  const sink = recorder();
  const log = jsonLogger("debug", "herd.admin", sink, clock);
  log.debug("hello", { zxid: 0x100000001n, err: new TypeError("boom"), msg: "shadow", nested: { s: new Set([1]) } });
  log.info("no fields");
  assert.equal(sink.lines.length, 2);
  for (const line of sink.lines) assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"));
  const first = JSON.parse(sink.lines[0]);
  assert.deepEqual(Object.keys(first).slice(0, 4), ["ts", "level", "logger", "msg"]);
  assert.equal(first.ts, "2026-11-30T21:15:18.123Z");
  assert.equal(first.level, "debug");
  assert.equal(first.logger, "herd.admin");
  assert.equal(first.msg, "hello");
  assert.equal(first.zxid, "4294967297");
  assert.equal(first.err.name, "TypeError");
  assert.equal(first.err.message, "boom");
  assert.equal(first["field.msg"], "shadow", "a field cannot overwrite the message");
  assert.deepEqual(first.nested, { s: [1] });
  assert.deepEqual(JSON.parse(sink.lines[1]), { ts: "2026-11-30T21:15:18.123Z", level: "info", logger: "herd.admin", msg: "no fields" });
});

test("levels below the threshold are dropped; silent drops everything", () => {
  for (const make of [consoleLogger, jsonLogger]) {
    const sink = recorder();
    const log = make("warn", "herd", sink, clock);
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    assert.equal(sink.lines.length, 2);
    const quiet = recorder();
    make("silent", "herd", quiet, clock).error("e");
    assert.equal(quiet.lines.length, 0);
  }
});

test("a cyclic field is cut instead of looping", () => {
  const sink = recorder();
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  jsonLogger("info", "herd", sink, clock).info("cycle", { cyclic });
  assert.match(JSON.parse(sink.lines[0]).cyclic.self.self.self.self.self.self.self.self, /too deep/);
});

test("createLogger: auto is text on a terminal and JSON otherwise; explicit formats win", () => {
  const tty = recorder(true);
  createLogger({ format: "auto", sink: tty, clock }).info("x");
  assert.match(tty.lines[0], /^2026-11-30T21:15:18\.123Z INFO  \[herd\] x\n$/);
  const pipe = recorder(false);
  createLogger({ sink: pipe, clock, name: "n" }).info("x");
  assert.equal(JSON.parse(pipe.lines[0]).logger, "n");
  const forcedText = recorder(false);
  createLogger({ format: "text", sink: forcedText, clock }).info("x");
  assert.ok(forcedText.lines[0].startsWith("2026-"));
  const forcedJson = recorder(true);
  createLogger({ format: "json", level: "error", sink: forcedJson, clock }).info("dropped");
  createLogger({ format: "json", level: "error", sink: forcedJson, clock }).error("kept");
  assert.deepEqual(forcedJson.lines.map((l) => JSON.parse(l).msg), ["kept"]);
});

test("the old call style still works: message only", () => {
  const sink = recorder();
  const log = consoleLogger("info", "herd", sink, clock);
  log.info("just a message");
  assert.equal(sink.lines[0], "2026-11-30T21:15:18.123Z INFO  [herd] just a message\n");
});
