/**
 * Session behaviour under faults, against Herd and Apache ZooKeeper 3.8: restart mid-request, re-attach of
 * the same session, watch re-registration (SetWatches/SetWatches2) including changes made while away, the
 * read-timeout dead-connection detector, request timeouts, expiry (terminal, pending work rejected), auth
 * replay and AuthFailed, read-only mode, server-list failover and TLS.
 *
 * Faults come from a proxy the test controls (refuse / cut / black-hole) or from restarting the server
 * process. tickTime 500 lets sessions be as short as 1 s, so expiry is quick without any sleeping.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterEach, describe, test } from "node:test";
import {
  AuthFailedError,
  CREATOR_ALL_ACL,
  ConnectionLossError,
  NotConnectedError,
  RequestTimeoutError,
  SessionExpiredError,
  type ZooKeeperClient,
} from "../../src/client/index.js";
import { FaultProxy, type ProxyOptions } from "./fault-proxy.js";
import { EventRecorder, SERVER_KINDS, freshPath, nextClientEvent, rejectionOf, useClients, useServers, withTimeout } from "./support.js";

// A long maxSessionTimeout lets the restart test outlive a slow JVM start of Apache ZooKeeper on a loaded machine.
const servers = useServers({ tickTime: "500", maxSessionTimeout: "60000" });
const clients = useClients();

const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** Session timeout short enough to expire quickly (tickTime 500 ⇒ the server's minimum is 1 000). */
const SHORT_SESSION_MS = 1_000;

/** ConnectRequest fields as the proxy captured them. */
function parseConnectRequest(body: Buffer): { lastZxidSeen: bigint; timeOutMs: number; sessionId: bigint; readOnly: number | undefined } {
  return {
    lastZxidSeen: body.readBigInt64BE(4),
    timeOutMs: body.readInt32BE(12),
    sessionId: body.readBigInt64BE(16),
    readOnly: body.length === 45 ? body[44] : undefined,
  };
}

for (const kind of SERVER_KINDS) {
  describe(`client sessions against ${kind}`, () => {
    const direct = (opts = {}) => clients.connect(servers.get(kind).connectString, opts);
    async function viaProxy(opts: Parameters<typeof clients.connect>[1] = {}, proxyOpts: ProxyOptions = {}): Promise<{ zk: ZooKeeperClient; proxy: FaultProxy }> {
      const server = servers.get(kind);
      const proxy = await FaultProxy.start({ host: server.host, port: server.port }, proxyOpts);
      proxies.push(proxy);
      const zk = await clients.connect(proxy.connectString, opts);
      return { zk, proxy };
    }

    test("connect: session id, password, negotiated timeout and the connected event", async () => {
      const zk = clients.open(servers.get(kind).connectString, { sessionTimeoutMs: 100_000 });
      assert.equal(zk.state, "connecting");
      const [info] = await nextClientEvent(zk, "connected");
      assert.equal(info.server, servers.get(kind).connectString);
      assert.equal(zk.state, "connected");
      assert.ok(zk.sessionId > 0n);
      assert.equal(zk.sessionPassword.length, 16);
      assert.equal(zk.sessionTimeoutMs, 60_000, "clamped to maxSessionTimeout");
      assert.equal(zk.currentServer, servers.get(kind).connectString);
    });

    test("restart mid-request: in-flight call fails with ConnectionLoss, same session re-attaches, old watch fires", async () => {
      const { zk, proxy } = await viaProxy({ sessionTimeoutMs: 60_000 });
      const writer = await direct();
      const p = freshPath("restart");
      await zk.create(p, "0");
      await zk.create(`${p}/eph`, "", { mode: "ephemeral" });
      const watch = new EventRecorder();
      await zk.getData(p, { watch: watch.watcher });
      const sessionId = zk.sessionId;
      await writer.close();

      proxy.blackholeExisting(); // the next request leaves the client but never gets an answer
      const inFlight = rejectionOf(zk.getData(p));
      const disconnected = nextClientEvent(zk, "disconnected");
      const reconnected = nextClientEvent(zk, "reconnected", 60_000);
      const restarted = await servers.get(kind).restart();
      servers.replace(kind, restarted);
      assert.ok((await inFlight) instanceof ConnectionLossError, "sent, outcome unknown");
      await disconnected;
      await reconnected;
      assert.equal(zk.sessionId, sessionId, "same session after the restart");
      const reattach = parseConnectRequest(proxy.connectRequests.at(-1) ?? Buffer.alloc(0));
      assert.equal(reattach.sessionId, sessionId);
      assert.ok(reattach.lastZxidSeen > 0n, "lastZxidSeen is sent");
      assert.notEqual(await zk.exists(`${p}/eph`), null, "the session kept its ephemeral");
      const writer2 = await direct();
      await writer2.setData(p, "after restart");
      assert.deepEqual(await watch.next(), { type: "NodeDataChanged", path: p });
    });

    test("watches are re-registered after a reconnect; changes made while away still fire", async () => {
      const { zk, proxy } = await viaProxy();
      const writer = await direct();
      const p = freshPath("rewatch");
      await writer.create(p, "0");
      const data = new EventRecorder();
      const creation = new EventRecorder();
      const stable = new EventRecorder();
      const persistent = new EventRecorder();
      await zk.getData(p, { watch: data.watcher });
      await zk.exists(`${p}/later`, { watch: creation.watcher });
      await writer.create(`${p}/still`);
      await zk.getData(`${p}/still`, { watch: stable.watcher });
      await zk.addWatch(`${p}/tree`, persistent.watcher, "persistentRecursive");

      proxy.mode = "refuse";
      const disconnected = nextClientEvent(zk, "disconnected");
      proxy.cutAll();
      await disconnected;
      await writer.setData(p, "changed while away");
      await writer.create(`${p}/later`);
      const reconnected = nextClientEvent(zk, "reconnected");
      proxy.mode = "forward";
      await reconnected;
      assert.deepEqual(await data.next(), { type: "NodeDataChanged", path: p });
      assert.deepEqual(await creation.next(), { type: "NodeCreated", path: `${p}/later` });
      await writer.create(`${p}/tree`);
      await writer.create(`${p}/tree/leaf`);
      assert.deepEqual(await persistent.next(), { type: "NodeCreated", path: `${p}/tree` });
      assert.deepEqual(await persistent.next(), { type: "NodeCreated", path: `${p}/tree/leaf` });
      await writer.setData(`${p}/still`, "x");
      assert.deepEqual(await stable.next(), { type: "NodeDataChanged", path: `${p}/still` }, "unchanged watch kept");
    });

    test("a silent connection is declared dead after the read timeout, then the session comes back", async () => {
      const { zk, proxy } = await viaProxy({ sessionTimeoutMs: 3_000 });
      const sessionId = zk.sessionId;
      const disconnected = nextClientEvent(zk, "disconnected", 5_000);
      const reconnected = nextClientEvent(zk, "reconnected", 10_000);
      proxy.blackholeExisting();
      const [{ reason }] = await disconnected;
      assert.match(reason.message, /nothing from .* for 2000 ms/);
      await reconnected;
      assert.equal(zk.sessionId, sessionId);
    });

    test("request timeout: sent ⇒ RequestTimeoutError, never sent ⇒ NotConnectedError(timeout)", async () => {
      const { zk, proxy } = await viaProxy({ requestTimeoutMs: 300 });
      proxy.blackholeExisting();
      const sent = await rejectionOf(zk.getData("/"));
      assert.ok(sent instanceof RequestTimeoutError);
      proxy.mode = "refuse";
      const disconnected = nextClientEvent(zk, "disconnected");
      proxy.cutAll();
      await disconnected;
      const queued = await rejectionOf(zk.getData("/"));
      assert.ok(queued instanceof NotConnectedError);
      assert.equal(queued.reason, "timeout");
    });

    test("expiry: `expired` is emitted, pending work and watchers are failed, no new session is opened", async () => {
      const { zk, proxy } = await viaProxy({ sessionTimeoutMs: SHORT_SESSION_MS });
      const observer = await direct();
      const p = freshPath("expire");
      await zk.create(p, "", { mode: "ephemeral" });
      const ephemeralGone = new EventRecorder();
      await observer.exists(p, { watch: ephemeralGone.watcher });
      const oneShot = new EventRecorder();
      await zk.exists(`${p}-never`, { watch: oneShot.watcher });
      const stream = zk.watch(`${p}-tree`, { recursive: true });
      await stream.ready;
      const streamOutcome = rejectionOf(stream.next());
      const sessionId = zk.sessionId;

      proxy.mode = "refuse";
      const disconnected = nextClientEvent(zk, "disconnected");
      proxy.cutAll();
      await disconnected;
      const pending = rejectionOf(zk.getData(p));
      assert.deepEqual(await ephemeralGone.next("server-side expiry"), { type: "NodeDeleted", path: p });
      const expired = nextClientEvent(zk, "expired");
      proxy.mode = "forward";
      await expired;

      assert.equal(zk.state, "expired");
      assert.ok((await pending) instanceof SessionExpiredError, "queued call rejected");
      assert.ok((await streamOutcome) instanceof SessionExpiredError, "watch stream fails");
      assert.deepEqual(oneShot.events, [{ type: "SessionExpired", path: "" }]);
      assert.ok((await rejectionOf(zk.getData("/"))) instanceof SessionExpiredError);
      assert.equal(zk.sessionId, sessionId, "no new session was opened");
      const connectsBefore = proxy.connectRequests.length;
      const closed = nextClientEvent(zk, "closed");
      await zk.close();
      await closed;
      assert.equal(proxy.connectRequests.length, connectsBefore, "no reconnect attempt after expiry");
    });

    test("auth is re-sent after a reconnect, before requests queued while disconnected", async () => {
      const { zk, proxy } = await viaProxy();
      const p = freshPath("authreplay");
      await zk.addAuth("digest", "bob:pw");
      await zk.create(p, "secret", { acl: CREATOR_ALL_ACL });
      proxy.mode = "refuse";
      const disconnected = nextClientEvent(zk, "disconnected");
      proxy.cutAll();
      await disconnected;
      const queued = zk.getData(p);
      proxy.mode = "forward";
      assert.equal((await withTimeout(queued, "queued read")).data.toString(), "secret");
      assert.ok((await zk.whoAmI()).some((i) => i.authScheme === "digest" && i.user === "bob"));
    });

    test("an auth packet the server rejects ends the client with authFailed", async () => {
      const zk = await direct();
      const failed = nextClientEvent(zk, "authFailed");
      assert.ok((await rejectionOf(zk.addAuth("no-such-scheme", "x"))) instanceof AuthFailedError);
      await failed;
      assert.equal(zk.state, "authFailed");
      assert.ok((await rejectionOf(zk.getData("/"))) instanceof AuthFailedError);
    });

    test("read-only: canBeReadOnly sends readOnly=true and a read-only answer gives the readOnly state", async () => {
      const server = servers.get(kind);
      const proxy = await FaultProxy.start({ host: server.host, port: server.port }, { forceReadOnlyResponse: true });
      proxies.push(proxy);
      const zk = clients.open(proxy.connectString, { canBeReadOnly: true });
      const [info] = await nextClientEvent(zk, "readOnly");
      assert.equal(info.server, proxy.connectString);
      assert.equal(zk.state, "readOnly");
      assert.equal(parseConnectRequest(proxy.connectRequests[0]).readOnly, 1);
      await zk.whenConnected();
      assert.ok(Array.isArray(await zk.getChildren("/")));
      const plain = await direct();
      assert.equal(plain.state, "connected");
    });

    test("server list: unreachable servers are skipped in turn", async () => {
      const dead = await unusedPort();
      const zk = clients.open(`127.0.0.1:${dead},${servers.get(kind).connectString}`, { shuffleServers: false });
      const [info] = await nextClientEvent(zk, "connected");
      assert.equal(info.server, servers.get(kind).connectString);
    });

    test("TLS: connects through a TLS endpoint with the given options", async (t) => {
      const cert = makeSelfSignedCert();
      if (!cert) return t.skip("openssl not available");
      const server = servers.get(kind);
      const terminator = await startTlsTerminator(cert, { host: server.host, port: server.port });
      try {
        const zk = await clients.connect(`127.0.0.1:${terminator.port}`, { tls: { ca: cert.cert } });
        assert.ok(Array.isArray(await zk.getChildren("/")));
        await zk.close();
      } finally {
        await terminator.close();
      }
    });

    test("close while disconnected: queued calls fail with NotConnectedError(closed)", async () => {
      const { zk, proxy } = await viaProxy();
      proxy.mode = "refuse";
      const disconnected = nextClientEvent(zk, "disconnected");
      proxy.cutAll();
      await disconnected;
      const queued = rejectionOf(zk.getData("/"));
      await zk.close();
      const err = await queued;
      assert.ok(err instanceof NotConnectedError);
      assert.equal(err.reason, "closed");
      assert.equal(zk.state, "closed");
    });
  });
}

/** A port nothing listens on: bind one, note it, release it. */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

let certificate: { key: Buffer; cert: Buffer } | undefined;

/** A self-signed certificate for 127.0.0.1, made once per file with openssl (EC: quick to generate). */
function makeSelfSignedCert(): { key: Buffer; cert: Buffer } | undefined {
  if (certificate) return certificate;
  const dir = mkdtempSync(path.join(os.tmpdir(), "herd-client-tls-"));
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  const result = spawnSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore", timeout: 20_000 });
  if (result.status === 0) certificate = { key: readFileSync(key), cert: readFileSync(cert) };
  rmSync(dir, { recursive: true, force: true });
  return certificate;
}

/** A TLS endpoint that forwards the decrypted stream to a plain server, like a TLS-terminating proxy. */
function startTlsTerminator(cert: { key: Buffer; cert: Buffer }, target: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: cert.key, cert: cert.cert }, (secure) => {
    const plain = net.connect(target);
    for (const s of [secure, plain]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        secure.destroy();
        plain.destroy();
      });
    }
    secure.pipe(plain);
    plain.pipe(secure);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
