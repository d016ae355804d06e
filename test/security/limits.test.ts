/**
 * Limits that keep one client from hurting others: replies over jute.maxbuffer become an error instead of a
 * frame clients would reject, a client that never reads its replies is disconnected, maxClientCnxns caps
 * connections per address, and the global outstanding limit throttles without deadlocking.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, test } from "node:test";
import { silentLogger } from "../../src/base/logger.js";
import { Err } from "../../src/jute/codes.js";
import { TestingServer } from "../../src/testing/index.js";
import { encodeConnectRequest, encodeRequest, RawClient } from "../helpers/raw-client.js";

const servers: TestingServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(config: Parameters<typeof TestingServer.start>[0] = {}): Promise<TestingServer> {
  const s = await TestingServer.start(config);
  servers.push(s);
  return s;
}

test("a getChildren reply larger than jute.maxbuffer is an error, and the connection stays usable", async () => {
  const server = await start({ config: { juteMaxBufferBytes: 8192 } });
  const c = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 30_000 });
  assert.equal((await c.create("/big", "")).err, Err.OK);
  for (let i = 0; i < 400; i++) assert.equal((await c.create(`/big/child-with-a-longish-name-${i}`, "")).err, Err.OK);
  assert.equal((await c.getChildren("/big")).err, Err.MarshallingError);
  assert.equal((await c.ping()).err, Err.OK);
  c.destroy();
});

test("a client that never reads its replies is disconnected; others are unaffected", async () => {
  let slowReaderLogged!: () => void;
  const dropped = new Promise<void>((resolve) => (slowReaderLogged = resolve));
  const logger = { ...silentLogger, warn: (msg: string) => msg.includes("does not read its replies") && slowReaderLogged() };
  const server = await start({ config: { juteMaxBufferBytes: 65536 }, logger });
  const writer = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 30_000 });
  assert.equal((await writer.create("/blob", Buffer.alloc(60_000, 1))).err, Err.OK);

  const socket = net.connect({ host: "127.0.0.1", port: server.port });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.pause(); // never read
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {});
  socket.write(encodeConnectRequest({ timeoutMs: 30_000 }));
  const request = (xid: number) => encodeRequest(xid, { op: "getData", path: "/blob", watch: false });
  let sent = 0;
  for (let i = 1; i <= 400 && !socket.destroyed; i++) {
    socket.write(request(i));
    sent++;
  }
  await dropped; // the server's decision, logged as it disconnects
  socket.resume(); // now drain what was sent before the close, and see the close itself
  await closed;
  assert.ok(sent > 0);
  assert.equal((await writer.getData("/blob")).err, Err.OK, "other sessions keep working");
  writer.destroy();
});

test("maxClientCnxns caps connections from one address", async () => {
  const server = await start({ config: { maxClientCnxns: 2 } });
  const a = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 30_000 });
  const b = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 30_000 });
  await assert.rejects(RawClient.connect("127.0.0.1", server.port, { timeoutMs: 30_000, connectTimeoutMs: 5_000 }));
  a.destroy();
  await a.closed;
  b.destroy();
});

test("a tiny globalOutstandingLimit throttles pipelined writes but loses none", async () => {
  const server = await start({ config: { globalOutstandingLimit: 2 } });
  const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect("127.0.0.1", server.port, { timeoutMs: 30_000 })));
  const results = await Promise.all(clients.flatMap((c, ci) => Array.from({ length: 100 }, (_, i) => c.create(`/t-${ci}-${i}`, "x"))));
  assert.ok(results.every((r) => r.err === Err.OK));
  const count = await clients[0].getAllChildrenNumber("/");
  assert.equal(count.value, 300 + 3);
  for (const c of clients) c.destroy();
});
