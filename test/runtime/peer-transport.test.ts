/**
 * PeerTransport over real sockets on 127.0.0.1: a batch of messages (one Ready's) reaches each peer complete and
 * in order, in one write per peer, and a message to a peer that is not connected is dropped, not queued.
 */
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, test } from "node:test";
import { createLogger } from "../../src/base/logger.js";
import { PeerTransport, type PeerAddress } from "../../src/runtime/peer-transport.js";
import { makeZxid, type OutboundMessage, type ZabMessage } from "../../src/zab/index.js";

const host = "127.0.0.1";
const logger = createLogger({ level: "error" });
const transports: PeerTransport[] = [];

after(async () => {
  await Promise.all(transports.map((t) => t.close()));
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Member {
  transport: PeerTransport;
  received: { from: number; msg: ZabMessage }[];
  connected: Set<number>;
  waiters: (() => void)[];
}

/** Members 1..n, each with a transport; resolves once every member's outbound connections are up. */
async function startMembers(n: number): Promise<Map<number, Member>> {
  const addresses = new Map<number, PeerAddress>();
  for (let id = 1; id <= n; id++) addresses.set(id, { host, port: await freePort() });
  const members = new Map<number, Member>();
  for (const [id, address] of addresses) {
    const member: Member = { transport: null as unknown as PeerTransport, received: [], connected: new Set(), waiters: [] };
    const wake = () => member.waiters.splice(0).forEach((w) => w());
    member.transport = new PeerTransport(id, address, addresses, (from, msg) => {
      member.received.push({ from, msg });
      wake();
    }, logger, (peer, reachable) => {
      if (reachable) member.connected.add(peer);
      else member.connected.delete(peer);
      wake();
    });
    members.set(id, member);
    transports.push(member.transport);
  }
  for (const m of members.values()) await m.transport.start();
  for (const m of members.values()) await until(m, () => m.connected.size === n - 1);
  return members;
}

/** Waits for the member's next event until `done()`, bounded by a count of events. */
async function until(member: Member, done: () => boolean): Promise<void> {
  for (let events = 0; !done(); events++) {
    assert.ok(events < 10_000, "condition not reached");
    await new Promise<void>((resolve) => member.waiters.push(resolve));
  }
}

const proposal = (i: number): ZabMessage => ({ kind: "proposal", epoch: 1, prevZxid: makeZxid(1, i - 1), zxid: makeZxid(1, i), payload: Buffer.alloc(i * 37, i) });

test("a batch reaches every peer complete and in order, with one socket write per peer", async () => {
  const members = await startMembers(3);
  const sender = members.get(1)!;
  const batch: OutboundMessage[] = [];
  for (let i = 1; i <= 50; i++) {
    batch.push({ to: 2, msg: proposal(i) }, { to: 3, msg: proposal(i) });
    if (i % 10 === 0) batch.push({ to: 3, msg: { kind: "commit", epoch: 1, zxid: makeZxid(1, i) } as ZabMessage });
  }
  const writes: number[] = [];
  for (const peer of [2, 3]) {
    // Count the socket writes: the outbound socket is the one whose remote port is the peer's quorum port.
    const socket = (sender.transport as unknown as { outbound: Map<number, { socket: net.Socket }> }).outbound.get(peer)!.socket;
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(peer);
      return write(chunk, ...rest);
    }) as typeof socket.write;
  }
  sender.transport.sendAll(batch);
  assert.deepEqual(writes, [2, 3], "one write per peer, the first-named peer first");
  for (const peer of [2, 3]) {
    const member = members.get(peer)!;
    const expected = batch.filter((m) => m.to === peer).map((m) => m.msg);
    await until(member, () => member.received.length >= expected.length);
    assert.deepEqual(member.received.map((r) => r.msg), expected);
    assert.ok(member.received.every((r) => r.from === 1));
  }
});

test("a message to a peer that is not connected is dropped", async () => {
  const members = await startMembers(2);
  const second = members.get(2)!;
  await second.transport.close();
  const first = members.get(1)!;
  await until(first, () => !first.connected.has(2));
  first.transport.sendAll([{ to: 2, msg: proposal(1) }]);
  assert.equal(first.transport.isConnected(2), false);
});
