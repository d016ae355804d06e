/**
 * Restart semantics: data, zxids and sessions survive a restart (clean or kill -9); a session re-attaches
 * with its password inside its timeout and keeps its ephemerals; one that does not come back expires and
 * its ephemerals go; a corrupted log record in the middle stops start-up with a clear error.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, test } from "node:test";
import { Err, EventType } from "../../src/jute/codes.js";
import { RawClient } from "../helpers/raw-client.js";
import { startHerd, type ServerProcess } from "../helpers/server-process.js";

const servers: ServerProcess[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function connect(s: ServerProcess, extra: Partial<Parameters<typeof RawClient.connect>[2]> = {}): Promise<RawClient> {
  return RawClient.connect(s.host, s.port, { timeoutMs: 4000, ...extra });
}

test("sessions, ephemerals and zxids survive kill -9 and restart", async () => {
  let server = await startHerd();
  servers.push(server);
  const keeper = await connect(server);
  const leaver = await connect(server);
  assert.equal((await keeper.create("/kept", "k", { flags: 1 })).err, Err.OK);
  assert.equal((await leaver.create("/gone", "g", { flags: 1 })).err, Err.OK);
  assert.equal((await keeper.create("/persistent", "p")).err, Err.OK);
  const lastZxid = keeper.lastZxid > leaver.lastZxid ? keeper.lastZxid : leaver.lastZxid;
  const keeperId = keeper.sessionId;
  const keeperPasswd = keeper.passwd;
  keeper.destroy();
  leaver.destroy();
  await server.kill9();
  server = await server.restart();
  servers.push(server);

  const back = await connect(server, { sessionId: keeperId, passwd: keeperPasswd, lastZxidSeen: lastZxid });
  assert.equal(back.session!.sessionId, keeperId, "re-attach after restart");
  assert.ok(back.session!.timeOutMs > 0);
  assert.equal((await back.getData("/kept")).err, Err.OK, "re-attached session keeps its ephemeral");
  assert.equal((await back.getData("/persistent")).value?.data?.toString(), "p");
  assert.equal((await back.ping()).zxid, lastZxid, "the restarted server reports the zxid it had");
  const write = await back.create("/after-restart", "");
  assert.ok(write.zxid > lastZxid, "zxids continue after the restart");
  // The session that never came back expires (restored sessions get a fresh full timeout) and takes its ephemeral.
  const watcher = await connect(server, { lastZxidSeen: lastZxid });
  assert.equal((await watcher.exists("/gone", true)).err, Err.OK);
  const event = await watcher.nextEvent(15_000);
  assert.deepEqual([event.event.type, event.event.path], [EventType.NodeDeleted, "/gone"]);
  back.destroy();
  watcher.destroy();
});

test("a corrupted record in the middle of the log is a clear start-up error", async () => {
  const server = await startHerd({ cfg: { snapCount: "100000" } });
  servers.push(server);
  const c = await connect(server);
  for (let i = 0; i < 50; i++) assert.equal((await c.create(`/n${i}`, "x".repeat(100))).err, Err.OK);
  c.destroy();
  await server.stop();
  const dir = path.join(server.dataDir, "version-2");
  const log = fs.readdirSync(dir).filter((f) => f.startsWith("log.")).sort().at(-1)!;
  const file = path.join(dir, log);
  const bytes = fs.readFileSync(file);
  // The middle of the records, not of the file: a log is preallocated, so its tail is zeros.
  let recordsEnd = bytes.length;
  while (recordsEnd > 0 && bytes[recordsEnd - 1] === 0) recordsEnd--;
  bytes[Math.floor(recordsEnd / 2)] ^= 0xff;
  fs.writeFileSync(file, bytes);
  const cfg = fs.readdirSync(server.dataDir).find((f) => f.endsWith(".cfg"));
  const cfgPath = cfg ? path.join(server.dataDir, cfg) : writeCfg(server.dataDir);
  const result = spawnSync(process.execPath, ["dist/src/bin/herd.js", "server", "--config", cfgPath], { encoding: "utf8", timeout: 30_000 });
  assert.notEqual(result.status, 0, "the server must refuse to start");
  assert.match(result.stderr, /cannot start: .*(corrupt|checksum|damaged|invalid)/i);
});

function writeCfg(dataDir: string): string {
  const cfgPath = path.join(dataDir, "restart-check.cfg");
  fs.writeFileSync(cfgPath, `tickTime=2000\ndataDir=${dataDir}\nclientPort=0\nclientPortAddress=127.0.0.1\n`);
  return cfgPath;
}

test("autopurge keeps snapRetainCount snapshots and the logs they need", async () => {
  let server = await startHerd({ cfg: { snapCount: "20" } });
  servers.push(server);
  const c = await connect(server);
  for (let i = 0; i < 300; i++) assert.equal((await c.create(`/p${i}`, "x")).err, Err.OK);
  c.destroy();
  await server.stop();
  const dir = path.join(server.dataDir, "version-2");
  const snapshotsBefore = fs.readdirSync(dir).filter((f) => f.startsWith("snapshot.")).length;
  assert.ok(snapshotsBefore > 3, `expected several snapshots, found ${snapshotsBefore}`);

  server = await startHerd({ dataDir: server.dataDir, cfg: { snapCount: "20", "autopurge.purgeInterval": "1", "autopurge.snapRetainCount": "3" } });
  servers.push(server);
  const snapshotsAfter = fs.readdirSync(dir).filter((f) => f.startsWith("snapshot.")).length;
  assert.equal(snapshotsAfter, 3);
  await server.stop();
  server = await server.restart();
  servers.push(server);
  const check = await connect(server);
  const children = await check.getChildren("/");
  assert.equal(children.value!.filter((n) => n.startsWith("p")).length, 300, "every node survives purge + restart");
  check.destroy();
});
