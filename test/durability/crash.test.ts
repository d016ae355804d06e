/**
 * Crash test: kill -9 the server in the middle of a stream of pipelined writes, restart it on the same data,
 * and check that every acknowledged write is there and no multi is half-applied. Snapshots are forced often
 * (small snapCount) so crashes also land during snapshot writes. Bounded: 3 crash cycles, each a fixed number
 * of writes.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Err } from "../../src/jute/codes.js";
import { createRequest, RawClient } from "../helpers/raw-client.js";
import { startHerd, type ServerProcess } from "../helpers/server-process.js";

const CYCLES = 3;
const WRITES_PER_CYCLE = 1500;
const IN_FLIGHT_MAX = 64;

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

interface Acked {
  nodes: Map<string, string>;
  pairs: Set<number>;
  counterVersion: number;
}

/** Issues writes with bounded concurrency and kills the server once `killAfter` of them are acknowledged. */
async function writeUntilKilled(proc: ServerProcess, cycle: number, killAfter: number, acked: Acked): Promise<void> {
  const client = await RawClient.connect(proc.host, proc.port, { timeoutMs: 30_000, replyTimeoutMs: 60_000 });
  let ackCount = 0;
  let killed: Promise<void> | null = null;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < WRITES_PER_CYCLE && killed === null; i++) {
    const op = writeOne(client, cycle, i, acked).then(
      (ok) => {
        if (ok && ++ackCount === killAfter && killed === null) killed = proc.kill9();
      },
      () => {}, // the connection died with the server: unacknowledged, so no promise made
    );
    inFlight.add(op);
    void op.finally(() => inFlight.delete(op));
    if (inFlight.size >= IN_FLIGHT_MAX) await Promise.race(inFlight);
  }
  await Promise.allSettled(inFlight);
  if (killed === null) killed = proc.kill9();
  await killed;
  client.destroy();
}

async function writeOne(client: RawClient, cycle: number, i: number, acked: Acked): Promise<boolean> {
  const kind = i % 3;
  if (kind === 0) {
    const path = `/crash/c${cycle}-${i}`;
    const data = `v${cycle}.${i}`;
    const r = await client.create(path, data);
    if (r.err !== Err.OK) throw new Error(`create ${path}: ${r.err}`);
    acked.nodes.set(path, data);
    return true;
  }
  if (kind === 1) {
    const n = cycle * WRITES_PER_CYCLE + i;
    const r = await client.multi([createRequest(1, `/pairs/a${n}`, "x"), createRequest(1, `/pairs/b${n}`, "y")]);
    if (r.err !== Err.OK) throw new Error(`multi ${n}: ${r.err}`);
    acked.pairs.add(n);
    return true;
  }
  const r = await client.setData("/counter", String(i));
  if (r.err !== Err.OK) throw new Error(`setData: ${r.err}`);
  acked.counterVersion = Math.max(acked.counterVersion, r.value!.version);
  return true;
}

async function verify(proc: ServerProcess, acked: Acked): Promise<void> {
  const client = await RawClient.connect(proc.host, proc.port, { timeoutMs: 30_000 });
  try {
    for (const [path, data] of acked.nodes) {
      const r = await client.getData(path);
      assert.equal(r.err, Err.OK, `acknowledged ${path} lost after crash`);
      assert.equal(r.value!.data?.toString(), data);
    }
    const pairs = await client.getChildren("/pairs");
    const names = new Set(pairs.value!);
    for (const n of acked.pairs) assert.ok(names.has(`a${n}`) && names.has(`b${n}`), `acknowledged multi ${n} lost`);
    for (const name of names) {
      const twin = name[0] === "a" ? "b" + name.slice(1) : "a" + name.slice(1);
      assert.ok(names.has(twin), `multi half-applied: ${name} without ${twin}`);
    }
    const counter = await client.exists("/counter");
    assert.ok(counter.value!.version >= acked.counterVersion, "acknowledged setData lost");
  } finally {
    client.destroy();
  }
}

test("kill -9 during pipelined writes loses no acknowledged write", async () => {
  server = await startHerd({ cfg: { snapCount: "300" } });
  const setup = await RawClient.connect(server.host, server.port, { timeoutMs: 30_000 });
  for (const p of ["/crash", "/pairs", "/counter"]) assert.equal((await setup.create(p, "")).err, Err.OK);
  setup.destroy();

  const acked: Acked = { nodes: new Map(), pairs: new Set(), counterVersion: 0 };
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const killAfter = 200 + ((cycle * 397) % 900);
    await writeUntilKilled(server, cycle, killAfter, acked);
    server = await server.restart();
    await verify(server, acked);
  }
  assert.ok(acked.nodes.size > 0 && acked.pairs.size > 0);
});
