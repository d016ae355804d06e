/**
 * TLS on secureClientPort with ZooKeeper's own PEM settings: the Java client (Netty socket,
 * zookeeper.client.secure=true) and kazoo (use_ssl) work over it; a plain-TCP client on the TLS port is
 * refused; a client certificate gives the identity x509:<subject DN>, usable in ACLs.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { TestingServer } from "../../src/testing/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { runProgram as runProcess } from "../helpers/process-io.js";
import { javaBin, javaShareDir, systemPython, zookeeperJar } from "../helpers/interop-tools.js";

/** The server runs in this process, so clients run asynchronously (a sync spawn would block it). */
async function runProgram(file: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runProcess(file, args, { timeoutMs: 60_000 });
  return { status: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let server: TestingServer;
const CLIENT_DN = "CN=client,O=Herd";

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files with key + cert together. */
function makeCertificates(): void {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Herd Test CA");
  for (const [name, subject, ext] of [
    ["server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    ["client", "/O=Herd/CN=client", "extendedKeyUsage=clientAuth"],
  ]) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext + "\n");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`);
    fs.writeFileSync(path.join(dir, `${name}.pem`), fs.readFileSync(path.join(dir, `${name}.key`), "utf8") + fs.readFileSync(path.join(dir, `${name}.crt`), "utf8"));
  }
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "herd-tls-"));
  makeCertificates();
  server = await TestingServer.start({
    config: {
      raw: new Map([
        ["secureClientPort", "0"],
        ["ssl.keyStore.location", path.join(dir, "server.pem")],
        ["ssl.keyStore.type", "PEM"],
        ["ssl.trustStore.location", path.join(dir, "ca.pem")],
        ["ssl.trustStore.type", "PEM"],
        ["ssl.clientAuth", "need"],
      ]),
    },
  });
});

after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function securePort(): number {
  const port = server.instance.securePort;
  assert.ok(port !== null, "the secure port is listening");
  return port;
}

test("kazoo over TLS with a client certificate; x509 ACLs apply", async () => {
  const script = `
import sys
from kazoo.client import KazooClient
from kazoo.security import make_acl
from kazoo.exceptions import NoAuthError
d = sys.argv[2]
zk = KazooClient(hosts='127.0.0.1:' + sys.argv[1], use_ssl=True, ca=d + '/ca.pem', certfile=d + '/client.crt', keyfile=d + '/client.key', verify_certs=True)
zk.start(timeout=15)
zk.create('/tls-kazoo', b'secret', acl=[make_acl('x509', '${CLIENT_DN}', all=True)])
print(zk.get('/tls-kazoo')[0].decode())
print(zk.get_acls('/tls-kazoo')[0][0].id.scheme, zk.get_acls('/tls-kazoo')[0][0].id.id)
zk.stop()
plain = KazooClient(hosts='127.0.0.1:' + sys.argv[3])
plain.start(timeout=15)
try:
    plain.get('/tls-kazoo')
    print('READ')
except NoAuthError:
    print('NoAuth')
plain.stop()
`;
  const result = await runProgram(systemPython, ["-c", script, String(securePort()), dir, String(server.port)]);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split("\n"), ["secret", `x509 ${CLIENT_DN}`, "NoAuth"]);
});

test("the Java client with its Netty socket in TLS mode", async () => {
  // Debian splits Netty into one jar per module; take the unversioned names (netty-all.jar alone is empty).
  const jars = fs.readdirSync(javaShareDir).filter((f) => /^netty-[a-z-]+\.jar$/.test(f) || f === "slf4j-nop.jar");
  const cp = [zookeeperJar, ...jars.map((f) => path.join(javaShareDir, f))].join(":");
  const zkMain = (...cmd: string[]) =>
    runProgram(
      javaBin,
      [
        "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
        "-Dzookeeper.client.secure=true",
        `-Dzookeeper.ssl.keyStore.location=${path.join(dir, "client.pem")}`,
        "-Dzookeeper.ssl.keyStore.type=PEM",
        `-Dzookeeper.ssl.trustStore.location=${path.join(dir, "ca.pem")}`,
        "-Dzookeeper.ssl.trustStore.type=PEM",
        "-cp",
        cp,
        "org.apache.zookeeper.ZooKeeperMain",
        "-server",
        `127.0.0.1:${securePort()}`,
        ...cmd,
      ],
    );
  const created = await zkMain("create", "/tls-java", "hello");
  assert.match(created.stdout + created.stderr, /Created \/tls-java/);
  const got = await zkMain("get", "/tls-java");
  assert.match(got.stdout, /^hello$/m);
});

test("a plain-TCP client on the TLS port is refused without harming the server", async () => {
  const socket = net.connect({ host: "127.0.0.1", port: securePort() });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const connectRequest = Buffer.alloc(4 + 45);
  connectRequest.writeInt32BE(45, 0);
  connectRequest.writeInt32BE(30_000, 16);
  connectRequest.writeInt32BE(16, 28);
  socket.write(connectRequest);
  const received: Buffer[] = [];
  socket.on("data", (d) => received.push(d));
  await new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const reply = Buffer.concat(received);
  assert.ok(reply.length < 4 || reply.readInt32BE(0) !== 36, "no ConnectResponse on the TLS port for a plain client");
  // The refused client harmed nobody: a plain client on the plain port still gets a session and a reply.
  const plain = await RawClient.connect("127.0.0.1", server.port, { timeoutMs: 10_000 });
  assert.equal((await plain.exists("/")).err, 0);
  plain.destroy();
});
