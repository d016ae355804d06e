/**
 * Interop with the npm client node-zookeeper-client (1.1.x), in-process, against the server named by
 * HERD_TEST_TARGET: every create mode it supports, versions, children, one-shot watches, transactions,
 * digest ACLs, session expiry and re-attaching to a session by id and password.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import zookeeper from "node-zookeeper-client";
import type { Client, ClientOptions, Event, OpResult, Stat } from "node-zookeeper-client";
import { startTarget, targetKind, type ServerProcess } from "../helpers/server-process.js";
import { InteractiveProgram, terminate } from "../helpers/process-io.js";

const { ACL, CreateMode, Exception, Id, Permission } = zookeeper;
const EventType = zookeeper.Event;

/** Requested session timeout; servers clamp it to at least 2 * tickTime (4 s at tickTime 2000). */
const sessionTimeoutMs = 4000;
const connectDeadlineMs = 15_000;
const eventDeadlineMs = 10_000;
/** Expiry takes the session timeout plus up to one tick of the expiry wheel, plus slack. */
const expiryDeadlineMs = 30_000;

// ---- promise wrappers ----------------------------------------------------------------------

type Done<T> = (error: Error | null, value: T) => void;

function call<T>(start: (done: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

function connect(connectString: string, options: ClientOptions = {}): Promise<Client> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: sessionTimeoutMs, retries: 0, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`not connected within ${connectDeadlineMs} ms`)), connectDeadlineMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      client.close();
      reject(error);
    };
    client.once("connected", () => { clearTimeout(timer); resolve(client); });
    client.once("expired", () => fail(new Error("session expired while connecting")));
    client.once("authenticationFailed", () => fail(new Error("authentication failed")));
    client.connect();
  });
}

const create = (c: Client, p: string, data: Buffer | null = null, mode = CreateMode.PERSISTENT, acls = ACL.OPEN_ACL_UNSAFE) =>
  call<string>((done) => c.create(p, data, acls, mode, done));
const remove = (c: Client, p: string, version = -1) => call<void>((done) => c.remove(p, version, (e) => done(e, undefined)));
const setData = (c: Client, p: string, data: Buffer, version = -1) => call<Stat>((done) => c.setData(p, data, version, done));
const getData = (c: Client, p: string, watcher?: (e: Event) => void) =>
  call<{ data: Buffer; stat: Stat }>((done) => c.getData(p, watcher, (e, data, stat) => done(e, { data, stat })));
const exists = (c: Client, p: string, watcher?: (e: Event) => void) => call<Stat | null>((done) => c.exists(p, watcher, done));
const getChildren = (c: Client, p: string, watcher?: (e: Event) => void) =>
  call<{ children: string[]; stat: Stat }>((done) => c.getChildren(p, watcher, (e, children, stat) => done(e, { children, stat })));

/** Asserts the promise rejects with this ZooKeeper error code. */
async function rejectsWith(promise: Promise<unknown>, code: number, what: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: number }) => {
    assert.equal(error.code, code, what);
    return true;
  }, what);
}

/** A watcher that queues events; `next` waits for one with a deadline. */
class Events {
  private readonly queue: Event[] = [];
  private wake: (() => void) | null = null;
  readonly watcher = (event: Event): void => {
    this.queue.push(event);
    this.wake?.();
  };

  async next(timeoutMs = eventDeadlineMs): Promise<Event> {
    if (this.queue.length === 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no watch event within ${timeoutMs} ms`)), timeoutMs);
        this.wake = () => { clearTimeout(timer); resolve(); };
      }).finally(() => { this.wake = null; });
    }
    return this.queue.shift() as Event;
  }

  async expect(type: number, nodePath: string, timeoutMs = eventDeadlineMs): Promise<void> {
    const event = await this.next(timeoutMs);
    assert.deepEqual({ type: event.type, path: event.path }, { type, path: nodePath });
  }

  pending(): number {
    return this.queue.length;
  }
}

/** A child process holding a session with an ephemeral node; SIGKILL drops it without closing it. */
async function startHolder(connectString: string, nodePath: string): Promise<{ program: InteractiveProgram; sessionId: Buffer; password: Buffer }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "nzk-session-holder.js");
  const program = new InteractiveProgram(process.execPath, [script, connectString, nodePath, String(sessionTimeoutMs)]);
  const m = await program.expect(/\{"sessionId":"([0-9a-f]{16})","password":"([0-9a-f]{32})"\}/, connectDeadlineMs + 5_000);
  return { program, sessionId: Buffer.from(m[1] as string, "hex"), password: Buffer.from(m[2] as string, "hex") };
}

// ---- tests ---------------------------------------------------------------------------------

describe(`node-zookeeper-client interop (${targetKind()})`, () => {
  let server: ServerProcess;
  let zk: Client;
  const clients: Client[] = [];

  const open = async (options: ClientOptions = {}) => {
    const c = await connect(server.connectString, options);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startTarget();
    zk = await open();
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  it("creates persistent, ephemeral and sequential nodes", async () => {
    assert.equal(await create(zk, "/nzk-modes", Buffer.from("base")), "/nzk-modes");
    await create(zk, "/nzk-modes/eph", null, CreateMode.EPHEMERAL);
    const eph = await exists(zk, "/nzk-modes/eph");
    assert.deepEqual(eph?.ephemeralOwner, zk.getSessionId());
    const s1 = await create(zk, "/nzk-modes/seq-", null, CreateMode.PERSISTENT_SEQUENTIAL);
    const s2 = await create(zk, "/nzk-modes/seq-", null, CreateMode.PERSISTENT_SEQUENTIAL);
    assert.match(s1, /^\/nzk-modes\/seq-\d{10}$/);
    assert.ok(Number(s2.slice(-10)) > Number(s1.slice(-10)), `${s1} then ${s2}`);
    const es = await create(zk, "/nzk-modes/eseq-", null, CreateMode.EPHEMERAL_SEQUENTIAL);
    assert.match(es, /^\/nzk-modes\/eseq-\d{10}$/);
    assert.equal(await call<string>((done) => zk.mkdirp("/nzk-modes/deep/er/path", done)), "/nzk-modes/deep/er/path");
    await rejectsWith(create(zk, "/nzk-modes"), Exception.NODE_EXISTS, "duplicate create");
    await rejectsWith(create(zk, "/nzk-modes/missing/child"), Exception.NO_NODE, "create without parent");
    await rejectsWith(create(zk, "/nzk-modes/eph/child"), Exception.NO_CHILDREN_FOR_EPHEMERALS, "child of an ephemeral");
  });

  it("getData/setData/remove honour versions", async () => {
    await create(zk, "/nzk-data", Buffer.from("v0"));
    const first = await getData(zk, "/nzk-data");
    assert.equal(first.data.toString(), "v0");
    assert.equal(first.stat.version, 0);
    assert.equal((await setData(zk, "/nzk-data", Buffer.from("v1"), 0)).version, 1);
    await rejectsWith(setData(zk, "/nzk-data", Buffer.from("x"), 0), Exception.BAD_VERSION, "stale setData");
    const second = await getData(zk, "/nzk-data");
    assert.equal(second.data.toString(), "v1");
    assert.ok(second.stat.mzxid.readBigInt64BE() > first.stat.mzxid.readBigInt64BE(), "mzxid advances");
    await rejectsWith(remove(zk, "/nzk-data", 5), Exception.BAD_VERSION, "stale remove");
    await remove(zk, "/nzk-data", 1);
    await rejectsWith(getData(zk, "/nzk-data"), Exception.NO_NODE, "get after remove");
    assert.equal(await exists(zk, "/nzk-data"), null);
  });

  it("lists children with the parent's stat", async () => {
    await create(zk, "/nzk-kids");
    for (const name of ["c", "a", "b"]) await create(zk, `/nzk-kids/${name}`);
    const { children, stat } = await getChildren(zk, "/nzk-kids");
    assert.deepEqual([...children].sort(), ["a", "b", "c"]);
    assert.equal(stat.numChildren, 3);
    assert.equal(stat.cversion, 3);
    await rejectsWith(remove(zk, "/nzk-kids"), Exception.NOT_EMPTY, "remove non-empty");
  });

  it("fires exists, data and child watches once, with the right types", async () => {
    const events = new Events();
    assert.equal(await exists(zk, "/nzk-watch", events.watcher), null);
    await create(zk, "/nzk-watch");
    await events.expect(EventType.NODE_CREATED, "/nzk-watch");
    await getData(zk, "/nzk-watch", events.watcher);
    await setData(zk, "/nzk-watch", Buffer.from("1"));
    await events.expect(EventType.NODE_DATA_CHANGED, "/nzk-watch");
    await setData(zk, "/nzk-watch", Buffer.from("2")); // the watch fired once and is gone
    await getChildren(zk, "/nzk-watch", events.watcher);
    await create(zk, "/nzk-watch/kid");
    await events.expect(EventType.NODE_CHILDREN_CHANGED, "/nzk-watch");
    await getData(zk, "/nzk-watch/kid", events.watcher);
    await remove(zk, "/nzk-watch/kid");
    await events.expect(EventType.NODE_DELETED, "/nzk-watch/kid");
    // A change made by another session fires this session's watch.
    const other = await open();
    await getData(zk, "/nzk-watch", events.watcher);
    await setData(other, "/nzk-watch", Buffer.from("3"));
    await events.expect(EventType.NODE_DATA_CHANGED, "/nzk-watch");
    assert.equal(events.pending(), 0);
  });

  it("commits a transaction atomically; a failing one changes nothing and fires nothing", async () => {
    await create(zk, "/nzk-txn");
    await create(zk, "/nzk-txn/old", Buffer.from("o"));
    const results = await call<OpResult[]>((done) => zk.transaction()
      .create("/nzk-txn/new", Buffer.from("n"))
      .setData("/nzk-txn/new", Buffer.from("n2"), 0)
      .check("/nzk-txn/old", 0)
      .remove("/nzk-txn/old", 0)
      .commit(done));
    assert.deepEqual(results.map((r) => r.type), [1, 5, 13, 2]);
    assert.equal(results[0]?.path, "/nzk-txn/new");
    assert.equal(results[1]?.stat?.version, 1);
    assert.equal(await exists(zk, "/nzk-txn/old"), null);

    const events = new Events();
    await exists(zk, "/nzk-txn/never", events.watcher);
    const failed = await new Promise<{ error: { code?: number } | null; results: OpResult[] }>((resolve) => zk.transaction()
      .create("/nzk-txn/never")
      .create("/nzk-txn/new")
      .setData("/nzk-txn/new", Buffer.from("x"))
      .commit((error, res) => resolve({ error: error as { code?: number } | null, results: res })));
    assert.equal(failed.error?.code, Exception.NODE_EXISTS);
    assert.deepEqual(failed.results.map((r) => [r.type, r.err]),
      [[-1, Exception.OK], [-1, Exception.NODE_EXISTS], [-1, Exception.RUNTIME_INCONSISTENCY]]);
    assert.equal(await exists(zk, "/nzk-txn/never"), null);
    assert.equal((await getData(zk, "/nzk-txn/new")).data.toString(), "n2");
    // Fire a fresh watch: it must be the first event, so the failed transaction fired none.
    await exists(zk, "/nzk-txn-marker", events.watcher);
    await create(zk, "/nzk-txn-marker");
    await events.expect(EventType.NODE_CREATED, "/nzk-txn-marker");
  });

  it("enforces digest ACLs and accepts the right credentials", async () => {
    const alice = await open();
    const anon = await open();
    alice.addAuthInfo("digest", Buffer.from("alice:secret"));
    await create(alice, "/nzk-acl", Buffer.from("private"), CreateMode.PERSISTENT, ACL.CREATOR_ALL_ACL);
    const { acls } = await call<{ acls: InstanceType<typeof ACL>[] }>((done) =>
      alice.getACL("/nzk-acl", (e, list) => done(e, { acls: list })));
    const digest = `alice:${createHash("sha1").update("alice:secret").digest("base64")}`;
    assert.deepEqual(acls.map((a) => [a.permission, a.id.scheme, a.id.id]), [[Permission.ALL, "digest", digest]]);
    await rejectsWith(getData(anon, "/nzk-acl"), Exception.NO_AUTH, "read without credentials");
    await rejectsWith(create(anon, "/nzk-acl-bad", null, CreateMode.PERSISTENT, ACL.CREATOR_ALL_ACL),
      Exception.INVALID_ACL, "creator ACL without credentials");
    anon.addAuthInfo("digest", Buffer.from("alice:wrong"));
    await rejectsWith(getData(anon, "/nzk-acl"), Exception.NO_AUTH, "wrong password");
    anon.addAuthInfo("digest", Buffer.from("alice:secret"));
    assert.equal((await getData(anon, "/nzk-acl")).data.toString(), "private");
    const readOnly = [new ACL(Permission.READ, new Id("world", "anyone"))];
    await rejectsWith(call<Stat>((done) => alice.setACL("/nzk-acl", readOnly, 4, done)), Exception.BAD_VERSION, "stale setACL");
    assert.equal((await call<Stat>((done) => alice.setACL("/nzk-acl", readOnly, 0, done))).aversion, 1);
    await rejectsWith(setData(alice, "/nzk-acl", Buffer.from("x")), Exception.NO_AUTH, "write on a read-only ACL");
  });

  it("expires a dropped session: its ephemerals go and it cannot be resumed", async () => {
    const holder = await startHolder(server.connectString, "/nzk-expiring");
    try {
      const events = new Events();
      const stat = await exists(zk, "/nzk-expiring", events.watcher);
      assert.deepEqual(stat?.ephemeralOwner, holder.sessionId);
      await terminate(holder.program.child, "SIGKILL", 10_000);
      await events.expect(EventType.NODE_DELETED, "/nzk-expiring", expiryDeadlineMs);
      const late = zookeeper.createClient(server.connectString, {
        sessionTimeout: sessionTimeoutMs, sessionId: holder.sessionId, sessionPassword: holder.password,
      });
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("no expired event")), connectDeadlineMs);
          late.once("expired", () => { clearTimeout(timer); resolve(); });
          late.once("connected", () => { clearTimeout(timer); reject(new Error("an expired session was resumed")); });
          late.connect();
        });
      } finally {
        late.close();
      }
    } finally {
      await terminate(holder.program.child, "SIGKILL", 10_000);
    }
  });

  it("re-attaches to a dropped session with its id and password", async () => {
    const holder = await startHolder(server.connectString, "/nzk-reattach");
    try {
      await terminate(holder.program.child, "SIGKILL", 10_000);
      const again = await connect(server.connectString, { sessionId: holder.sessionId, sessionPassword: holder.password });
      const events = new Events();
      try {
        assert.deepEqual(again.getSessionId(), holder.sessionId);
        const stat = await exists(again, "/nzk-reattach");
        assert.deepEqual(stat?.ephemeralOwner, holder.sessionId, "the ephemeral survived the dropped connection");
        await exists(zk, "/nzk-reattach", events.watcher);
      } finally {
        again.close(); // closes the session, and with it the holder's ephemeral
      }
      await events.expect(EventType.NODE_DELETED, "/nzk-reattach");
    } finally {
      await terminate(holder.program.child, "SIGKILL", 10_000);
    }
  });
});
