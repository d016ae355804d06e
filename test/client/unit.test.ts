/**
 * The client's pure parts, without a server: connect strings, paths and chroot, digest ids, error classes,
 * the watch table's routing and SetWatches batching, retry bounds, and the client's local limits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BadArgumentsError,
  ConnectionLossError,
  NoNodeError,
  NodeExistsError,
  NotConnectedError,
  RequestTimeoutError,
  SessionExpiredError,
  ThrottledError,
  ZooKeeperError,
  createClient,
  digestAcl,
  digestId,
  errorForCode,
  isRetryable,
  parseConnectString,
  retry,
} from "../../src/client/index.js";
import { shuffled } from "../../src/client/connect-string.js";
import { Chroot, validatePath } from "../../src/client/paths.js";
import { SET_WATCHES_BATCH_BYTES_MAX, WatchTable, selfAndAncestors, type Watcher } from "../../src/client/watches.js";
import { rejectionOf } from "./support.js";

test("connect strings: hosts, default port, IPv6, chroot", () => {
  assert.deepEqual(parseConnectString("a:1,b,[::1]:3/app/x"), {
    servers: [{ host: "a", port: 1 }, { host: "b", port: 2181 }, { host: "::1", port: 3 }],
    chroot: "/app/x",
  });
  assert.deepEqual(parseConnectString("h:2/").chroot, null);
  for (const bad of ["", "h:0", "h:70000", "h:x", "::1:2181", ":2181", "h:1/a/"]) {
    assert.throws(() => parseConnectString(bad), BadArgumentsError, bad);
  }
});

test("shuffled: a permutation, fixed by the random source", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const input = [1, 2, 3, 4, 5, 6];
  const out = shuffled(input, random);
  assert.deepEqual([...out].sort(), input);
  seed = 7;
  assert.deepEqual(shuffled(input, random), out);
  assert.deepEqual(input, [1, 2, 3, 4, 5, 6], "input untouched");
});

test("paths: validation and chroot mapping", () => {
  validatePath("/");
  validatePath("/a/b.c");
  validatePath("/queue/", true);
  assert.throws(() => validatePath("/queue/"), BadArgumentsError);
  const chroot = new Chroot("/app");
  assert.equal(chroot.toServer("/"), "/app");
  assert.equal(chroot.toServer("/x"), "/app/x");
  assert.equal(chroot.toClient("/app"), "/");
  assert.equal(chroot.toClient("/app/x/y"), "/x/y");
  assert.equal(chroot.toClient("/application"), "/application", "a sibling with the same prefix is not inside");
  assert.equal(new Chroot(null).toServer("/x"), "/x");
  assert.deepEqual(selfAndAncestors("/a/b"), ["/a/b", "/a", "/"]);
});

test("digest ids match ZooKeeper's (sha1, base64)", () => {
  assert.equal(digestId("alice", "secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
  assert.deepEqual(digestAcl("alice", "secret", 1), { perms: 1, id: { scheme: "digest", id: "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=" } });
});

test("errors: one class per code, all ZooKeeperErrors", () => {
  const e = errorForCode(-101, { path: "/p" });
  assert.ok(e instanceof NoNodeError && e instanceof ZooKeeperError);
  assert.deepEqual([e.code, e.path, e.name, e.message], [-101, "/p", "NoNodeError", "NoNode (/p)"]);
  assert.ok(errorForCode(-110) instanceof NodeExistsError);
  const unknown = errorForCode(-999);
  assert.equal(unknown.constructor, ZooKeeperError);
  assert.equal(unknown.code, -999);
  const notSent = new NotConnectedError("closed");
  assert.ok(!(notSent instanceof ConnectionLossError), "never-sent is distinct from outcome-unknown");
});

test("watch table: routing and one-shot removal", () => {
  const table = new WatchTable();
  const calls: string[] = [];
  const w = (name: string): Watcher => (event) => calls.push(`${name}:${event.type}`);
  const data = w("data");
  const exist = w("exist");
  const child = w("child");
  const persistent = w("persistent");
  const recursive = w("recursive");
  table.add("data", "/a/b", data);
  table.add("exist", "/a/b", exist);
  table.add("child", "/a/b", child);
  table.add("persistent", "/a/b", persistent);
  table.add("persistentRecursive", "/", recursive);
  assert.deepEqual(table.take("NodeChildrenChanged", "/a/b"), [child, persistent], "recursive never gets child events");
  assert.deepEqual(table.take("NodeDataChanged", "/a/b"), [data, exist, persistent, recursive]);
  assert.deepEqual(table.take("NodeDataChanged", "/a/b"), [persistent, recursive], "one-shots are gone");
  assert.deepEqual(table.take("NodeCreated", "/z"), [recursive]);
  table.add("data", "/a/b", data);
  table.add("data", "/a/b", data);
  assert.deepEqual(table.take("NodeDeleted", "/a/b"), [data, persistent, recursive], "a watcher fires once per event");
  assert.deepEqual(new Set(table.drain()), new Set([persistent, recursive]));
  assert.equal(table.has("persistent", "/a/b"), false);
});

test("watch table: SetWatches batches stay under 128 KB; SetWatches2 only when persistent watches exist", () => {
  const table = new WatchTable();
  const noop: Watcher = () => undefined;
  const longName = "x".repeat(1000);
  for (let i = 0; i < 300; i++) table.add("data", `/${longName}${i}`, noop);
  table.add("child", "/c", noop);
  const plain = table.restoreRequests(42n, (p) => `/root${p}`);
  assert.equal(plain.length, 3);
  let paths = 0;
  for (const r of plain) {
    assert.ok(r.op === "setWatches");
    assert.equal(r.v2, false);
    assert.equal(r.relativeZxid, 42n);
    const bytes = [...r.data, ...r.exist, ...r.child].reduce((n, p) => n + 4 + Buffer.byteLength(p), 0);
    assert.ok(bytes <= SET_WATCHES_BATCH_BYTES_MAX, `batch of ${bytes} bytes`);
    paths += r.data.length + r.child.length;
    assert.ok(r.data.every((p) => p.startsWith("/root/")), "server paths");
  }
  assert.equal(paths, 301);
  table.add("persistentRecursive", "/r", noop);
  const withPersistent = table.restoreRequests(1n, (p) => p);
  const last = withPersistent.at(-1);
  assert.ok(last?.op === "setWatches" && last.v2 && last.persistentRecursive[0] === "/r");
  assert.ok(withPersistent.slice(0, -1).every((r) => r.op === "setWatches" && !r.v2));
  assert.deepEqual(new WatchTable().restoreRequests(1n, (p) => p), [], "nothing to restore, nothing sent");
});

test("retry: retries only connection problems, a bounded number of times, with bounded back-off", async () => {
  const delays: number[] = [];
  let calls = 0;
  const lost = await rejectionOf(retry(async () => {
    calls++;
    throw new ConnectionLossError();
  }, { retries: 4, baseMs: 1, maxMs: 4, random: () => 0.999, onRetry: (_e, _n, ms) => delays.push(ms) }));
  assert.ok(lost instanceof ConnectionLossError);
  assert.equal(calls, 5);
  assert.ok(delays.every((ms) => ms <= 4), String(delays));

  calls = 0;
  assert.equal(await retry(async (attempt) => {
    calls++;
    if (attempt < 2) throw new RequestTimeoutError();
    return "done";
  }, { baseMs: 1 }), "done");
  assert.equal(calls, 3);

  for (const final of [new NoNodeError(), new SessionExpiredError(), new NotConnectedError("closed")]) {
    calls = 0;
    assert.equal(await rejectionOf(retry(async () => {
      calls++;
      throw final;
    }, { baseMs: 1 })), final);
    assert.equal(calls, 1, final.name);
  }
  assert.ok(isRetryable(new NotConnectedError("timeout")));
});

test("client limits without a server: queue bound, connect wait bound, close", async () => {
  // Port 1 refuses connections: the client keeps retrying and requests wait in its queue.
  const zk = createClient("127.0.0.1:1", { pendingRequestsMax: 1, reconnect: { baseMs: 5, maxMs: 20 } });
  const queued = rejectionOf(zk.getData("/"));
  assert.ok((await rejectionOf(zk.getData("/"))) instanceof ThrottledError);
  const waited = await rejectionOf(zk.whenConnected(50));
  assert.ok(waited instanceof NotConnectedError && waited.reason === "timeout");
  assert.equal(zk.state, "connecting");
  await zk.close();
  const err = await queued;
  assert.ok(err instanceof NotConnectedError && err.reason === "closed");
  assert.equal(zk.state, "closed");
});
