/**
 * SASL DIGEST-MD5 (op 102) with users from a JAAS file named by jaasLoginConfig: kazoo (sasl_options) and
 * the Java client (JAAS Client section) authenticate, sasl:<user> ACLs then apply, and a wrong password gets
 * AuthFailed.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { TestingServer } from "../../src/testing/index.js";
import { runProgram as runProcess } from "../helpers/process-io.js";
import { javaBin, javaShareDir, systemPython, zookeeperJar } from "../helpers/interop-tools.js";

let dir: string;
let server: TestingServer;

async function runProgram(file: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runProcess(file, args, { timeoutMs: 60_000 });
  return { status: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "herd-sasl-"));
  const jaas = path.join(dir, "server-jaas.conf");
  fs.writeFileSync(jaas, `Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_bob="bobpw"\n  user_carol="carolpw";\n};\n`);
  server = await TestingServer.start({ config: { raw: new Map([["jaasLoginConfig", jaas]]) } });
});

after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const kazooScript = `
import sys
from kazoo.client import KazooClient
from kazoo.security import make_acl
from kazoo.exceptions import NoAuthError, NodeExistsError
port, user, pw = sys.argv[1], sys.argv[2], sys.argv[3]
zk = KazooClient(hosts='127.0.0.1:' + port, sasl_options={'mechanism': 'DIGEST-MD5', 'username': user, 'password': pw})
try:
    zk.start(timeout=15)
except Exception as e:
    print('START-FAILED', type(e).__name__)
    sys.exit(0)
try:
    zk.create('/sasl-bob', b'secret', acl=[make_acl('sasl', 'bob', all=True)])
except NodeExistsError:
    pass
try:
    print('READ', zk.get('/sasl-bob')[0].decode())
except NoAuthError:
    print('NoAuth')
zk.stop()
`;

test("kazoo authenticates with DIGEST-MD5; sasl ACLs apply per user", async () => {
  const bob = await runProgram(systemPython, ["-c", kazooScript, String(server.port), "bob", "bobpw"]);
  assert.equal(bob.status, 0, bob.stderr);
  assert.match(bob.stdout, /READ secret/);
  const carol = await runProgram(systemPython, ["-c", kazooScript, String(server.port), "carol", "carolpw"]);
  assert.match(carol.stdout, /NoAuth/, carol.stderr);
  const wrong = await runProgram(systemPython, ["-c", kazooScript, String(server.port), "bob", "nope"]);
  assert.doesNotMatch(wrong.stdout, /READ secret/, "a wrong password must not authenticate");
});

test("the Java client authenticates with its JAAS Client section", async () => {
  const clientJaas = path.join(dir, "client-jaas.conf");
  fs.writeFileSync(clientJaas, `Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="bob"\n  password="bobpw";\n};\n`);
  const cp = [zookeeperJar, ...["slf4j-nop.jar"].map((f) => path.join(javaShareDir, f))].join(":");
  const result = await runProgram(javaBin, [
    `-Djava.security.auth.login.config=${clientJaas}`,
    "-Dzookeeper.sasl.client=true",
    "-cp",
    cp,
    "org.apache.zookeeper.ZooKeeperMain",
    "-server",
    `127.0.0.1:${server.port}`,
    "whoami",
  ]);
  assert.match(result.stdout + result.stderr, /scheme: sasl\s+user: bob|sasl.*bob/, result.stdout + result.stderr);
});
