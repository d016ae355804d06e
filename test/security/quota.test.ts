/**
 * Quotas under /zookeeper/quota with zkCli.sh's setquota/listquota/delquota against Herd: the server keeps
 * zookeeper_stats current, hard limits refuse with QuotaExceeded when enforceQuota is on, soft ones only log.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { TestingServer } from "../../src/testing/index.js";
import { javaBin, javaShareDir, zookeeperJar } from "../helpers/interop-tools.js";

const run = promisify(execFile);
let server: TestingServer;

before(async () => {
  server = await TestingServer.start({ config: { enforceQuota: true } });
});
after(() => server?.close());

/** One zkCli command (ZooKeeperMain) against the server; its output. */
async function zkCli(...cmd: string[]): Promise<string> {
  const cp = [zookeeperJar, path.join(javaShareDir, "slf4j-nop.jar")].join(":");
  try {
    const { stdout, stderr } = await run(javaBin, ["-cp", cp, "org.apache.zookeeper.ZooKeeperMain", "-server", `127.0.0.1:${server.port}`, ...cmd], { encoding: "utf8", timeout: 60_000 });
    return stdout + stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return (err.stdout ?? "") + (err.stderr ?? "");
  }
}

test("setquota -N enforces a hard count limit; listquota shows usage; delquota lifts it", async () => {
  await zkCli("create", "/app", "x");
  await zkCli("setquota", "-N", "2", "/app");
  await zkCli("create", "/app/a", "1");
  const refused = await zkCli("create", "/app/b", "2");
  assert.match(refused, /Quota has exceeded|QuotaExceeded|Quota/i, refused);
  const listed = await zkCli("listquota", "/app");
  assert.match(listed, /countHardLimit=2/, listed);
  assert.match(listed, /Output stat for \/app count=2/, listed);
  await zkCli("delquota", "-N", "/app");
  assert.match(await zkCli("create", "/app/b", "2"), /Created \/app\/b/);
});
