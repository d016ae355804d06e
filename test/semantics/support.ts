/**
 * Shared setup for the data-model semantics tests: one server per test file (Herd or Apache ZooKeeper, chosen
 * by HERD_TEST_TARGET), raw clients that are torn down after each test, and small assertion helpers.
 * Each test works under its own fresh path so tests in a file never see each other's nodes.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { errName } from "../../src/jute/index.js";
import { RawClient } from "../helpers/raw-client.js";
import type { ConnectOptions, Notification, Result } from "../helpers/raw-client.js";
import { startServer, targetKind } from "../helpers/server-process.js";
import type { ServerKind, ServerProcess } from "../helpers/server-process.js";

export const target: ServerKind = targetKind();
/**
 * Herd follows 3.9 where 3.8.0 differs (notification zxid, exists READ check, top-level check); tests assert the
 * 3.9 behaviour only against Herd.
 */
export const isHerd = target === "herd";

/** Long enough that no session expires during a test unless the test wants it to. */
export const SESSION_TIMEOUT_MS = 30_000;
/** tickTime 2000 ⇒ minSessionTimeout 4000: the shortest expiry a test can wait for. */
export const SHORT_SESSION_TIMEOUT_MS = 4_000;

/** The super user for ACL tests: the digest auth string, and `super:<base64 sha1("super:test")>` for the server. */
export const SUPER_PASSWORD = "super:test";
export const SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";

/**
 * The cfg entry enabling the super user. ZooKeeper turns unknown zoo.cfg keys into `zookeeper.<key>` system
 * properties, so this key sets the JVM property `zookeeper.DigestAuthenticationProvider.superDigest` it reads;
 * Herd accepts the same key.
 */
export const SUPER_DIGEST_CFG: Record<string, string> = { "DigestAuthenticationProvider.superDigest": SUPER_DIGEST };

export interface Harness {
  readonly server: ServerProcess;
  /** A new session on the server; closed (TCP) after the current test. */
  connect(opts?: Partial<ConnectOptions>): Promise<RawClient>;
  /** A fresh, unique, not-yet-created path under the root. */
  freshPath(name: string): string;
}

/** Registers before/after hooks that start one server for the file and clean up clients after each test. */
export function useServer(cfg: Record<string, string> = {}, kind: ServerKind = target): Harness {
  let server: ServerProcess | undefined;
  const clients: RawClient[] = [];
  let counter = 0;
  before(async () => {
    server = await startServer(kind, { cfg: { tickTime: "2000", ...cfg } });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });
  after(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.stop();
  });
  return {
    get server(): ServerProcess {
      assert.ok(server, "server not started");
      return server;
    },
    async connect(opts: Partial<ConnectOptions> = {}) {
      assert.ok(server, "server not started");
      const client = await RawClient.connect(server.host, server.port, { timeoutMs: SESSION_TIMEOUT_MS, ...opts });
      clients.push(client);
      return client;
    },
    freshPath(name: string) {
      counter += 1;
      return `/${name}-${counter}`;
    },
  };
}

/** Asserts a reply carries the expected error code, with names in the message. */
export function assertErr(result: Result<unknown>, expected: number, what = "request"): void {
  assert.equal(result.err, expected, `${what}: expected ${errName(expected)} (${expected}), got ${errName(result.err)} (${result.err})`);
}

/** The events as compact [type, path] pairs, easy to compare with deepEqual. */
export function eventPairs(events: Notification[]): [number, string][] {
  return events.map((n) => [n.event.type, n.event.path]);
}

/**
 * The zxid a notification must carry: the txn's zxid in 3.9+ (Herd), -1 in 3.8 (ZOOKEEPER-4655).
 * `txnZxid` is the zxid of the write that caused it.
 */
export function expectedNotificationZxid(txnZxid: bigint): bigint {
  return isHerd ? txnZxid : -1n;
}

