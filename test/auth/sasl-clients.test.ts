/**
 * DigestMd5Server against real DIGEST-MD5 client implementations, each driven the way a ZooKeeper client drives
 * it: Debian's pure-sasl in kazoo's SASL loop (puresasl_digest_client.py), and the JDK's SaslClient created as
 * ZooKeeper's Java client creates it (JavaDigestClient.java). The client runs as a child process; every token
 * it would put in a SASL request comes to us as a line, we answer with our server's token, and the client
 * reports whether it authenticated and accepted our rspauth.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { DigestMd5Server } from "../../src/auth/sasl-digest-md5.js";
import { javaBin, repoRoot, requireTool, systemPython } from "../helpers/interop-tools.js";
import { terminate, trackChild } from "../helpers/process-io.js";

const EXCHANGE_TIMEOUT_MS = 60_000;
const JAVAC_TIMEOUT_MS = 120_000;
const javacBin = "/usr/bin/javac";

/** JavaDigestClient is compiled once per run: starting the JDK's source launcher per exchange is slow. */
let javaClassDir = "";
before(() => {
  javaClassDir = mkdtempSync(path.join(os.tmpdir(), "herd-sasl-java-"));
  execFileSync(requireTool(javacBin), ["-nowarn", "-encoding", "UTF-8", "-d", javaClassDir,
    path.join(repoRoot, "test/auth/JavaDigestClient.java")], { timeout: JAVAC_TIMEOUT_MS, stdio: "pipe" });
});
after(() => {
  if (javaClassDir !== "") rmSync(javaClassDir, { recursive: true, force: true });
});
const TOKENS_MAX = 8;

const users = new Map([["bob", "pw"], ["li", "密码"], ["jürgen", "pässwörd"], ["with \"quote\"", "p,w=\"x\""]]);
const lookupPassword = (user: string) => users.get(user) ?? null;

type ClientKind = "pure-sasl (kazoo)" | "JDK (ZooKeeper Java client)";

function clientCommand(kind: ClientKind, user: string, password: string): [string, string[]] {
  const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");
  if (kind === "pure-sasl (kazoo)") {
    return [requireTool(systemPython), [path.join(repoRoot, "test/auth/puresasl_digest_client.py"), hex(user), hex(password)]];
  }
  return [requireTool(javaBin), ["-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", javaClassDir, "JavaDigestClient", hex(user), hex(password)]];
}

interface Exchange {
  /** The client's last word: DONE, or FAIL with a reason. */
  outcome: string;
  /** Tokens the client sent, as text. */
  clientTokens: string[];
  serverErrors: string[];
  server: DigestMd5Server;
}

/** Runs one exchange; `tamper` may rewrite a server token before the client sees it. */
async function exchange(kind: ClientKind, user: string, password: string, tamper?: (t: Buffer) => Buffer): Promise<Exchange> {
  const server = new DigestMd5Server({ lookupPassword });
  const [command, args] = clientCommand(kind, user, password);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  trackChild(child);
  const result: Exchange = { outcome: "", clientTokens: [], serverErrors: [], server };
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const timer = setTimeout(() => void terminate(child, "SIGKILL", 5_000), EXCHANGE_TIMEOUT_MS);
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (!line.startsWith("TOKEN ")) {
        result.outcome = line;
        break;
      }
      const token = Buffer.from(line.slice("TOKEN ".length), "hex");
      result.clientTokens.push(token.toString("utf8"));
      if (result.clientTokens.length > TOKENS_MAX) throw new Error("client sent too many tokens");
      const step = server.step(token);
      if ("error" in step) {
        // What ZooKeeper does on a failed step: no token, the connection closes.
        result.serverErrors.push(step.error);
        child.stdin.end();
        continue;
      }
      child.stdin.write(`${(tamper ? tamper(step.token) : step.token).toString("hex")}\n`);
    }
  } finally {
    clearTimeout(timer);
    child.stdin.end();
    await terminate(child, "SIGKILL", 5_000);
  }
  assert.notEqual(result.outcome, "", `client ended without a verdict; stderr:\n${stderr}`);
  return result;
}

const clients: ClientKind[] = ["pure-sasl (kazoo)", "JDK (ZooKeeper Java client)"];

/**
 * pure-sasl hashes user, realm and password as UTF-8 even when they fit in ISO-8859-1, where RFC 2831 (and the
 * JDK server ZooKeeper uses) hash ISO-8859-1: kazoo cannot log in as a Latin-1 user against ZooKeeper either.
 */
const latin1Users = new Set(["jürgen"]);

for (const kind of clients) {
  for (const [user, password] of users) {
    if (kind === "pure-sasl (kazoo)" && latin1Users.has(user)) continue;
    test(`${kind}: ${JSON.stringify(user)} authenticates and accepts our rspauth`, async () => {
      const r = await exchange(kind, user, password);
      assert.equal(r.outcome, "DONE");
      assert.deepEqual(r.serverErrors, []);
      assert.equal(r.server.isComplete, true);
      assert.equal(r.server.authorizedId, user);
      // Empty first token, one digest-response, and nothing after rspauth.
      assert.equal(r.clientTokens.length, 2);
      assert.equal(r.clientTokens[0], "");
      assert.match(r.clientTokens[1], /digest-uri="zookeeper\/zk-sasl-md5"/);
    });
  }

  test(`${kind}: a wrong password fails on our side`, async () => {
    const r = await exchange(kind, "bob", "not-pw");
    assert.match(r.outcome, /^FAIL/);
    assert.equal(r.serverErrors.length, 1);
    assert.match(r.serverErrors[0], /wrong response/);
    assert.equal(r.server.isComplete, false);
  });

  test(`${kind}: an unknown user fails on our side`, async () => {
    const r = await exchange(kind, "mallory", "pw");
    assert.match(r.outcome, /^FAIL/);
    assert.match(r.serverErrors[0] ?? "", /no password for mallory/);
  });

  test(`${kind}: the client rejects a forged rspauth (so it really checks ours)`, async () => {
    const forge = (t: Buffer) => (t.toString().startsWith("rspauth=") ? Buffer.from(`rspauth=${"0".repeat(32)}`) : t);
    const r = await exchange(kind, "bob", "pw", forge);
    assert.match(r.outcome, /^FAIL/);
  });
}

test("pure-sasl with a Latin-1 user fails, as against ZooKeeper's JDK server (it hashes UTF-8)", async () => {
  const r = await exchange("pure-sasl (kazoo)", "jürgen", "pässwörd");
  assert.match(r.outcome, /^FAIL/);
  assert.match(r.serverErrors[0] ?? "", /wrong response for jürgen/);
});

test("the JDK client sends authzid = its user name; pure-sasl sends none (both verified above)", async () => {
  const jdk = await exchange("JDK (ZooKeeper Java client)", "bob", "pw");
  const kazoo = await exchange("pure-sasl (kazoo)", "bob", "pw");
  assert.match(jdk.clientTokens[1], /authzid="bob"/);
  assert.doesNotMatch(kazoo.clientTokens[1], /authzid/);
});
