/**
 * Shared setup for the client tests: every file runs each test against BOTH Herd and Apache ZooKeeper 3.8,
 * starting each server once per file, plus small helpers for bounded waiting on events. Nothing here sleeps.
 */
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { createClient, type ClientEvents, type ClientOptions, type WatchEvent, type Watcher, type ZooKeeperClient } from "../../src/client/index.js";
import { startServer, type ServerKind, type ServerProcess } from "../helpers/server-process.js";

export const SERVER_KINDS: readonly ServerKind[] = ["herd", "zookeeper"];

/** Upper bound for any single wait in these tests; generous because a JVM restart is part of some. */
export const WAIT_MS = 15_000;

export interface ServerSet {
  get(kind: ServerKind): ServerProcess;
  /** After a restart the handle changes; the set stops the newest one. */
  replace(kind: ServerKind, server: ServerProcess): void;
}

/** Starts one Herd and one ZooKeeper for the whole file (in parallel) and stops them at the end. */
export function useServers(cfg: Record<string, string> = {}): ServerSet {
  const servers = new Map<ServerKind, ServerProcess>();
  before(async () => {
    const started = await Promise.all(SERVER_KINDS.map((kind) => startServer(kind, { cfg })));
    for (const server of started) servers.set(server.kind, server);
  });
  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });
  return {
    get(kind) {
      const server = servers.get(kind);
      assert.ok(server, `${kind} not started`);
      return server;
    },
    replace(kind, server) {
      servers.set(kind, server);
    },
  };
}

/** Clients opened by a test are closed after it, whatever happened. */
export function useClients(): { open(connectString: string, opts?: ClientOptions): ZooKeeperClient; connect(connectString: string, opts?: ClientOptions): Promise<ZooKeeperClient> } {
  const open: ZooKeeperClient[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  const openClient = (connectString: string, opts: ClientOptions = {}) => {
    const client = createClient(connectString, { sessionTimeoutMs: 10_000, ...opts });
    open.push(client);
    return client;
  };
  return {
    open: openClient,
    async connect(connectString, opts = {}) {
      const client = openClient(connectString, opts);
      await client.whenConnected(WAIT_MS);
      return client;
    },
  };
}

let pathCounter = 0;
/** A path no other test in this process uses. */
export function freshPath(name: string): string {
  pathCounter += 1;
  return `/${name}-${process.pid}-${pathCounter}`;
}

export function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next emission of a client event, bounded. Subscribe before causing the event. */
export function nextClientEvent<K extends keyof ClientEvents>(client: ZooKeeperClient, name: K, ms = WAIT_MS): Promise<ClientEvents[K]> {
  return withTimeout(
    new Promise<ClientEvents[K]>((resolve) => {
      const listener = (...args: ClientEvents[K]) => resolve(args);
      client.once(name, listener as never);
    }),
    `client event "${String(name)}"`,
    ms,
  );
}

/** A watcher that records its events; `next()` waits (bounded) for the next one. */
export class EventRecorder {
  readonly events: WatchEvent[] = [];
  private readIndex = 0;
  private waiter: (() => void) | undefined;
  readonly watcher: Watcher = (event) => {
    this.events.push(event);
    this.waiter?.();
  };

  async next(what = "watch event", ms = WAIT_MS): Promise<WatchEvent> {
    if (this.readIndex >= this.events.length) {
      await withTimeout(new Promise<void>((resolve) => (this.waiter = resolve)), what, ms);
      this.waiter = undefined;
    }
    return this.events[this.readIndex++];
  }

  /** Events recorded but not yet read with next(). */
  unread(): WatchEvent[] {
    return this.events.slice(this.readIndex);
  }
}

/** Resolves with the rejection of `promise` (failing if it resolves), so it can be asserted on later. */
export function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => assert.fail(`expected a rejection, got ${String(value)}`),
    (err: unknown) => err,
  );
}
