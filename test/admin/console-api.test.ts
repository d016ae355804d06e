/**
 * The web console's API against a real in-process Herd: the console works through Herd's own client on the client
 * port, so these tests check what an operator sees and that their writes go through the normal pipeline (another
 * client's watch fires, ACLs apply, versions are checked). Also the pieces that need no server: the event batcher
 * and the ensemble report's lag.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import { startAdminServer } from "../../src/admin/admin-server.js";
import { CONSOLE_APP_JS } from "../../src/admin/console/assets/app-js.js";
import { ChangeBatcher, type ChangeBatch } from "../../src/admin/console/console-events.js";
import { ensembleReport, type EnsembleMemberView } from "../../src/admin/console/console-reports.js";
import { CONSOLE_SESSION_IDLE_MS, CONSOLE_SESSIONS_MAX, ConsoleSessions } from "../../src/admin/console/console-sessions.js";
import { silentLogger } from "../../src/base/logger.js";
import { createClient, digestAcl, Perms, worldAcl, type WatchEvent, type ZooKeeperClient } from "../../src/client/index.js";
import { ConsoleBrowser, EventStreamReader, startConsoleServer, type ConsoleServer } from "./console-support.js";
import { fakeView } from "./fake-view.js";
import { TestingServer } from "../../src/testing/index.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("web console API against a real Herd", () => {
  let herd: ConsoleServer;
  let app: ZooKeeperClient; // an application's client, next to the console
  let browser: ConsoleBrowser;

  before(async () => {
    herd = await startConsoleServer();
    app = createClient(herd.server.connectString);
    await app.whenConnected(10_000);
    browser = new ConsoleBrowser(herd.adminBase);
  });

  after(async () => {
    await app.close();
    await herd.server.close();
  });

  test("serves the page, its script and style; /console redirects", async () => {
    const page = await fetch(`${herd.adminBase}/console/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script src="app.js" defer><\/script>/);

    const redirect = await fetch(`${herd.adminBase}/console`, { redirect: "manual" });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), "/console/");

    const js = await fetch(`${herd.adminBase}/console/app.js`);
    assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.equal(await js.text(), CONSOLE_APP_JS);
    assert.doesNotThrow(() => new vm.Script(CONSOLE_APP_JS, { filename: "app.js" }), "the embedded script parses");
    const css = await fetch(`${herd.adminBase}/console/style.css`);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);

    assert.equal((await fetch(`${herd.adminBase}/console/nope.js`)).status, 404);
    assert.equal((await fetch(`${herd.adminBase}/console/app.js`, { method: "POST" })).status, 405);
    assert.equal((await browser.get("nope")).status, 404);
    // The rest of the admin server is untouched.
    assert.equal((await fetch(`${herd.adminBase}/commands/ruok`)).status, 200);
  });

  test("a browser gets a session cookie and keeps its own connection", async () => {
    const fresh = new ConsoleBrowser(herd.adminBase);
    for (const route of ["overview", "sessions", "watches", "ensemble"]) {
      assert.equal((await fresh.get(route)).headers.get("set-cookie"), null, `${route} needs no connection, so makes no session`);
    }
    const first = await fresh.get("auth");
    assert.equal(first.status, 200);
    assert.match(first.headers.get("set-cookie") ?? "", /^herd_console=[0-9a-f]{32}; Path=\/console; HttpOnly; SameSite=Strict/);
    assert.match(first.body.sessionId, /^0x[0-9a-f]+$/);
    assert.deepEqual(first.body.users, []);
    assert.ok(first.body.identities.some((i: { authScheme: string }) => i.authScheme === "ip"));
    const again = await fresh.get("auth");
    assert.equal(again.headers.get("set-cookie"), null, "a known cookie is kept");
    assert.equal(again.body.sessionId, first.body.sessionId);
    const other = await new ConsoleBrowser(herd.adminBase).get("auth");
    assert.notEqual(other.body.sessionId, first.body.sessionId, "another browser, another session");
  });

  test("overview and ensemble describe a standalone server", async () => {
    const overview = await browser.get("overview");
    assert.equal(overview.status, 200);
    assert.equal(overview.body.serverState, "standalone");
    assert.equal(overview.body.serving, true);
    assert.equal(overview.body.clientPort, herd.server.port);
    assert.match(overview.body.lastZxid, /^0x[0-9a-f]+$/);
    assert.equal(overview.body.consoleReadOnly, false);

    const ensemble = await browser.get("ensemble");
    assert.deepEqual(ensemble.body, {
      mode: "standalone",
      members: [
        { serverId: null, address: `127.0.0.1:${herd.server.port}`, role: "standalone", lastZxid: ensemble.body.members[0].lastZxid, lagTxns: 0, self: true },
      ],
    });
  });

  test("children come sorted, in pages, with counts, and can be filtered", async () => {
    const tx = app.transaction().create("/paged", "");
    for (let i = 0; i < 250; i++) tx.create(`/paged/n${String(i).padStart(3, "0")}`, i % 2 === 0 ? "even" : "");
    await tx.commit();
    await app.create("/paged/n007/grandchild", "");

    const first = await browser.get("children", { path: "/paged", limit: "100" });
    assert.equal(first.status, 200);
    assert.equal(first.body.total, 250);
    assert.equal(first.body.children.length, 100);
    assert.equal(first.body.children[0].name, "n000");
    assert.equal(first.body.children[99].name, "n099");
    assert.deepEqual(first.body.children[7], { name: "n007", path: "/paged/n007", numChildren: 1, dataLength: 0, ephemeral: false });
    assert.equal(first.body.children[0].dataLength, 4);

    const last = await browser.get("children", { path: "/paged", offset: "200", limit: "100" });
    assert.deepEqual(last.body.children.map((c: { name: string }) => c.name), Array.from({ length: 50 }, (_, i) => `n${200 + i}`));

    const filtered = await browser.get("children", { path: "/paged", filter: "n24" });
    assert.equal(filtered.body.total, 10);
    assert.equal((await browser.get("children", { path: "/paged", limit: "501" })).status, 400);
    assert.equal((await browser.get("children", { path: "/missing" })).status, 404);
    assert.equal((await browser.get("children", {})).status, 400);
    const root = await browser.get("children", { path: "/" });
    assert.ok(root.body.children.some((c: { name: string }) => c.name === "zookeeper"));
  });

  test("a node's data, Stat and ACL", async () => {
    await app.create("/doc", '{"a":1,"b":[true,null]}', { acl: [worldAcl(Perms.ALL)] });
    const node = await browser.get("node", { path: "/doc" });
    assert.equal(node.status, 200);
    assert.equal(node.body.path, "/doc");
    assert.deepEqual(node.body.data, { base64: b64('{"a":1,"b":[true,null]}'), bytes: 23, utf8: true });
    assert.equal(node.body.stat.version, 0);
    assert.equal(node.body.stat.dataLength, 23);
    assert.equal(node.body.stat.ephemeralOwner, "0x0");
    assert.match(node.body.stat.czxid, /^0x[0-9a-f]+$/);
    assert.equal(typeof node.body.stat.ctime, "number");
    assert.deepEqual(node.body.acl, [{ perms: "cdrwa", permsMask: 31, scheme: "world", id: "anyone" }]);

    await app.create("/binary", Buffer.from([0xff, 0x00, 0xfe]), { mode: "ephemeral" });
    const binary = await browser.get("node", { path: "/binary" });
    assert.deepEqual(binary.body.data, { base64: "/wD+", bytes: 3, utf8: false });
    assert.equal(binary.body.stat.ephemeralOwner, `0x${app.sessionId.toString(16)}`);

    const missing = await browser.get("node", { path: "/nope" });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, "NoNode");
    const invalid = await browser.get("node", { path: "no-slash" });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, "BadArguments");
  });

  test("create, setData and delete go through the pipeline: another client's watch fires", async () => {
    const events: WatchEvent[] = [];
    await app.exists("/made", { watch: (e) => events.push(e) });
    const created = await browser.call("POST", "node", { body: { path: "/made", data: "v0" } });
    assert.equal(created.status, 201);
    assert.equal(created.body.path, "/made");
    assert.equal(created.body.stat.version, 0);
    assert.deepEqual(events, [{ type: "NodeCreated", path: "/made" }], "the create fired the app's watch before the reply");
    assert.equal((await app.getData("/made")).data.toString(), "v0");

    const seq = await browser.call("POST", "node", { body: { path: "/made/item-", data: "00ff", encoding: "hex", mode: "persistentSequential" } });
    assert.equal(seq.status, 201);
    assert.match(seq.body.path, /^\/made\/item-\d{10}$/);
    assert.deepEqual((await app.getData(seq.body.path)).data, Buffer.from([0x00, 0xff]));

    const exists = await browser.call("POST", "node", { body: { path: "/made", data: "" } });
    assert.equal(exists.status, 409);
    assert.equal(exists.body.code, "NodeExists");

    const updated = await browser.call("PUT", "node", { body: { path: "/made", data: "djE=", encoding: "base64", version: 0 } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.stat.version, 1);
    assert.equal((await app.getData("/made")).data.toString(), "v1");

    const notEmpty = await browser.call("DELETE", "node", { params: { path: "/made", version: "1" } });
    assert.equal(notEmpty.status, 409);
    assert.equal(notEmpty.body.code, "NotEmpty");
    assert.equal((await browser.call("DELETE", "node", { params: { path: seq.body.path, version: "0" } })).status, 200);
    assert.equal((await browser.call("DELETE", "node", { params: { path: "/made" } })).status, 400, "the version is required");
    assert.equal((await browser.call("DELETE", "node", { params: { path: "/made", version: "1" } })).status, 200);
    assert.equal(await app.exists("/made"), null);
  });

  test("a conflicting edit or delete gets a clear BadVersion message", async () => {
    await app.create("/contested", "mine");
    const shown = await browser.get("node", { path: "/contested" });
    await app.setData("/contested", "theirs"); // someone else writes after the console loaded version 0
    const edit = await browser.call("PUT", "node", { body: { path: "/contested", data: "console", version: shown.body.stat.version } });
    assert.equal(edit.status, 409);
    assert.equal(edit.body.code, "BadVersion");
    assert.match(edit.body.error, /you edited version 0, but the node was changed since \(it is now at version 1\)/);
    assert.match(edit.body.error, /Nothing was written/);
    assert.equal((await app.getData("/contested")).data.toString(), "theirs");

    const del = await browser.call("DELETE", "node", { params: { path: "/contested", version: "0" } });
    assert.equal(del.status, 409);
    assert.match(del.body.error, /Nothing was deleted/);
    assert.notEqual(await app.exists("/contested"), null);
  });

  test("bad input is refused before it reaches the server", async () => {
    const cases: [unknown, RegExp][] = [
      [{ data: "x" }, /path must be a non-empty string/],
      [{ path: "/x", mode: "forever" }, /unknown create mode/],
      [{ path: "/x", acl: "everyone" }, /unknown ACL preset/],
      [{ path: "/x", data: "zz", encoding: "hex" }, /hex data must be pairs/],
      [{ path: "/x", data: 5 }, /data must be a string/],
    ];
    for (const [body, message] of cases) {
      const res = await browser.call("POST", "node", { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error, message);
    }
    assert.equal((await browser.call("POST", "node", { body: "{not json" })).status, 400);
    assert.equal((await browser.call("PUT", "node", { body: { path: "/x", data: "", version: 1.5 } })).status, 400);
  });

  test("writes from another origin, or not as JSON, are refused", async () => {
    const foreign = await browser.call("POST", "node", { body: { path: "/csrf" }, headers: { origin: "http://evil.example" } });
    assert.equal(foreign.status, 403);
    const form = await browser.call("POST", "node", { body: "path=/csrf", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(form.status, 415);
    const sameOrigin = await browser.call("POST", "node", { body: { path: "/csrf" }, headers: { origin: herd.adminBase } });
    assert.equal(sameOrigin.status, 201);
    assert.notEqual(await app.exists("/csrf"), null);
  });

  test("ACLs apply; digest credentials typed in by the operator are this browser's only", async () => {
    await app.create("/secret", "s3cret", { acl: [digestAcl("alice", "pw")] });
    await app.create("/admin-only", "hidden", { acl: [digestAcl("alice", "pw"), worldAcl(Perms.ADMIN)] });
    const operator = new ConsoleBrowser(herd.adminBase);
    const locked = await operator.get("node", { path: "/secret" });
    assert.equal(locked.status, 403);
    assert.equal(locked.body.code, "NoAuth");
    assert.match(locked.body.error, /Not allowed by the ACL of \/secret: authenticate/);
    const adminOnly = await operator.get("node", { path: "/admin-only" });
    assert.equal(adminOnly.status, 200, "with ADMIN alone the Stat and ACL are shown");
    assert.equal(adminOnly.body.data, null);
    assert.match(adminOnly.body.dataError, /no READ permission/);
    assert.equal(adminOnly.body.acl.length, 2);
    const denied = await operator.call("PUT", "node", { body: { path: "/secret", data: "x", version: 0 } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, "NoAuth");

    assert.equal((await operator.call("POST", "auth", { body: { credentials: "no-colon" } })).status, 400);
    assert.equal((await operator.call("POST", "auth", { body: { scheme: "ip", credentials: "a:b" } })).status, 400);
    const auth = await operator.call("POST", "auth", { body: { scheme: "digest", credentials: "alice:pw" } });
    assert.equal(auth.status, 200);
    assert.deepEqual(auth.body.users, ["alice"]);
    assert.ok(auth.body.identities.some((i: { authScheme: string; user: string }) => i.authScheme === "digest" && i.user === "alice"));
    assert.ok(!JSON.stringify(auth.body).includes("pw"), "the password is never sent back");
    const unlocked = await operator.get("node", { path: "/secret" });
    assert.equal(Buffer.from(unlocked.body.data.base64, "base64").toString(), "s3cret");
    assert.equal((await operator.call("PUT", "node", { body: { path: "/secret", data: "x", version: 0 } })).status, 200);

    assert.equal((await browser.get("node", { path: "/secret" })).status, 403, "another browser is not alice");

    const reset = await operator.call("DELETE", "auth");
    assert.deepEqual(reset.body.users, []);
    assert.equal((await operator.get("node", { path: "/secret" })).status, 403, "forgotten credentials no longer apply");
  });

  test("sessions list the applications' sessions, their ephemerals, and the console's own", async () => {
    await app.create("/app-eph", "", { mode: "ephemeral" });
    const res = await browser.get("sessions");
    assert.equal(res.status, 200);
    const mine = (await browser.get("auth")).body.sessionId;
    const appRow = res.body.sessions.find((s: { sessionId: string }) => s.sessionId === `0x${app.sessionId.toString(16)}`);
    assert.ok(appRow, "the application's session is listed");
    assert.ok(appRow.ephemerals.includes("/app-eph"));
    assert.equal(appRow.console, false);
    assert.match(appRow.connection.remoteAddress, /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof appRow.timeoutMs, "number");
    assert.equal(typeof appRow.expiresAtMs, "number");
    const consoleRow = res.body.sessions.find((s: { sessionId: string }) => s.sessionId === mine);
    assert.equal(consoleRow.yours, true);
    assert.equal(consoleRow.console, true);
  });

  test("watches by path and by session", async () => {
    await app.create("/watched", "");
    await app.getData("/watched", { watch: () => undefined });
    const res = await browser.get("watches");
    assert.equal(res.status, 200);
    const appId = `0x${app.sessionId.toString(16)}`;
    assert.deepEqual(res.body.byPath.find((w: { path: string }) => w.path === "/watched"), { path: "/watched", sessions: [appId] });
    assert.ok(res.body.bySession.find((w: { sessionId: string }) => w.sessionId === appId).paths.includes("/watched"));
    assert.ok(res.body.summary.watches >= 1);
  });

  test("live updates: another client's changes below the watched path arrive, coalesced", async () => {
    const viewer = new ConsoleBrowser(herd.adminBase);
    await viewer.get("auth");
    const stream = await EventStreamReader.open(viewer, "/live");
    try {
      assert.deepEqual(await stream.next("ready"), { path: "/live" });
      await app.create("/live", "");
      await app.create("/live/a", "1");
      await app.setData("/live/a", "2");
      await app.setData("/live/a", "3");
      await app.create("/elsewhere", ""); // outside the subtree: not reported
      await app.delete("/live/a");
      const { events } = await stream.changesUntil((seen) => seen.some((e) => e.type === "NodeDeleted" && e.path === "/live/a"));
      assert.ok(events.some((e) => e.type === "NodeCreated" && e.path === "/live"));
      assert.ok(events.every((e) => e.path.startsWith("/live")), JSON.stringify(events));
      // One entry per path per batch: three changes of /live/a in quick succession are not three messages.
      assert.ok(events.filter((e) => e.path === "/live/a").length < 4, JSON.stringify(events));
    } finally {
      await stream.close();
    }
    // The watch goes with the stream, once the server has seen the stream close: ask until it has (bounded).
    let watchedPaths: { path: string }[] = [];
    for (let attempt = 0; attempt < 500; attempt++) {
      watchedPaths = (await viewer.get("watches")).body.byPath;
      if (!watchedPaths.some((w) => w.path === "/live")) break;
    }
    assert.ok(!watchedPaths.some((w) => w.path === "/live"), JSON.stringify(watchedPaths));
  });
});

describe("web console options", () => {
  test("a read-only console browses but refuses writes", async () => {
    const herd = await startConsoleServer();
    const admin = await startAdminServer(herd.server.instance, { host: "127.0.0.1", port: 0, logger: silentLogger, console: { readOnly: true } });
    try {
      const browser = new ConsoleBrowser(`http://127.0.0.1:${admin.port}`);
      assert.equal((await browser.get("overview")).body.consoleReadOnly, true);
      assert.equal((await browser.get("node", { path: "/" })).status, 200);
      const refused = await browser.call("POST", "node", { body: { path: "/ro" } });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error, /read-only/);
    } finally {
      await admin.close();
      await herd.server.close();
    }
  });

  test("console: false leaves /console out of the admin server", async () => {
    const admin = await startAdminServer(fakeView(), { host: "127.0.0.1", port: 0, logger: silentLogger, console: false });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${admin.port}/console/`)).status, 404);
    } finally {
      await admin.close();
    }
  });
});

describe("console sessions", () => {
  test("bounded: the least recently used browser without a live stream makes room; idle ones are closed", async () => {
    const server = await TestingServer.start();
    let nowMs = 1_000_000;
    const sessions = new ConsoleSessions(server.connectString, () => nowMs, silentLogger);
    try {
      const tokens: string[] = [];
      for (let i = 0; i < CONSOLE_SESSIONS_MAX; i++) {
        nowMs++;
        tokens.push(sessions.acquire(undefined).session.token);
      }
      const streaming = sessions.acquire(tokens[0]).session; // used last now, and it has a live stream
      streaming.openStreams = 1;
      nowMs++;
      sessions.acquire(undefined); // one too many: tokens[1] is now the least recently used without a stream
      assert.equal(sessions.size, CONSOLE_SESSIONS_MAX);
      assert.equal(sessions.peek(tokens[1]), undefined, "the least recently used went");
      assert.equal(sessions.peek(tokens[0]), streaming);
      assert.equal(sessions.acquire("not-a-token").created, true, "a malformed cookie gets a new session");

      nowMs += CONSOLE_SESSION_IDLE_MS;
      sessions.closeIdle();
      assert.equal(sessions.size, 1, "only the session with a live stream stays");
      assert.equal(sessions.peek(tokens[0]), streaming);
    } finally {
      await sessions.closeAll();
      await server.close();
    }
  });
});

describe("ChangeBatcher", () => {
  test("coalesces per path and sends one batch per window", async () => {
    const batches: ChangeBatch[] = [];
    let sent!: () => void;
    const firstSent = new Promise<void>((resolve) => (sent = resolve));
    const batcher = new ChangeBatcher(20, 100, (b) => {
      batches.push(b);
      sent();
    });
    batcher.add({ type: "NodeCreated", path: "/a" });
    batcher.add({ type: "NodeDataChanged", path: "/b" });
    batcher.add({ type: "NodeDataChanged", path: "/a" });
    assert.equal(batches.length, 0, "nothing is sent before the window ends");
    await firstSent;
    assert.deepEqual(batches, [{ events: [{ type: "NodeDataChanged", path: "/b" }, { type: "NodeDataChanged", path: "/a" }], overflow: false }]);
    batcher.close();
  });

  test("past the path limit a batch only says overflow", () => {
    const batches: ChangeBatch[] = [];
    const batcher = new ChangeBatcher(60_000, 3, (b) => batches.push(b));
    for (let i = 0; i < 5; i++) batcher.add({ type: "NodeCreated", path: `/n${i}` });
    batcher.flush();
    assert.deepEqual(batches, [{ events: [], overflow: true }]);
    batcher.flush();
    assert.equal(batches.length, 1, "an empty window sends nothing");
    batcher.close();
  });
});

describe("ensemble report", () => {
  test("an ensemble view lists its members with their lag behind the newest", () => {
    const members: EnsembleMemberView[] = [
      { serverId: 1n, address: "10.0.0.1:2181", role: "leader", lastZxid: 0x500000010n, self: false },
      { serverId: 2n, address: "10.0.0.2:2181", role: "follower", lastZxid: 0x50000000cn, self: true },
      { serverId: 3n, address: "10.0.0.3:2181", role: "follower", lastZxid: 0x400000099n, self: false },
      { serverId: 4n, address: "10.0.0.4:2181", role: "unreachable", lastZxid: null, self: false },
    ];
    const view = Object.assign(fakeView(), { ensembleMembers: () => members });
    const report = ensembleReport(view, "127.0.0.1");
    assert.equal(report.mode, "ensemble");
    assert.deepEqual(
      report.members.map((m) => [m.serverId, m.role, m.lastZxid, m.lagTxns, m.self]),
      [
        ["1", "leader", "0x500000010", 0, false],
        ["2", "follower", "0x50000000c", 4, true],
        ["3", "follower", "0x400000099", null, false],
        ["4", "unreachable", null, null, false],
      ],
    );
  });
});
