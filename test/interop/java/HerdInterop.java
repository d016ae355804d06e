/*
 * Interop checks for a ZooKeeper-compatible server through the official Java client (Debian's
 * zookeeper-3.8.0 jar). Run by test/interop/java-client.test.ts against Herd or Apache ZooKeeper.
 *
 *   java -cp <zookeeper.jar:slf4j-nop.jar:classes> HerdInterop suite <host:port>
 *       runs every check, printing "OK <check>" or "FAIL <check>: <why>"; exits 1 if any failed.
 *   java ... HerdInterop hold <host:port> <path>
 *       opens a session, creates an ephemeral <path>, prints "HOLD <sessionId hex> <password hex>",
 *       then blocks until killed (or until stdin closes); the suite kills it with SIGKILL to drop a session
 *       without closing it.
 *
 * Every wait is bounded; waiting for an expiry is waiting for the NodeDeleted event it causes.
 * The server must run with extendedTypesEnabled and a short znode.container.checkIntervalMs.
 */

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

public final class HerdInterop {
    /** Requested session timeout; servers clamp it to at least 2 * tickTime (4 s at tickTime 2000). */
    static final int SESSION_TIMEOUT_MS = 4000;
    static final long CONNECT_DEADLINE_MS = 15_000;
    static final long EVENT_DEADLINE_MS = 10_000;
    /** Expiry takes the session timeout plus up to one tick of the expiry wheel, plus slack. */
    static final long EXPIRY_DEADLINE_MS = 30_000;
    /** Container/TTL sweeps run every znode.container.checkIntervalMs (the test sets 1 s). */
    static final long SWEEP_DEADLINE_MS = 20_000;
    static final byte[] NO_DATA = new byte[0];

    interface Check { void run(String connect) throws Exception; }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("suite")) {
            System.exit(runSuite(args[1]) ? 0 : 1);
        } else if (args.length == 3 && args[0].equals("hold")) {
            holdSession(args[1], args[2]);
        } else {
            System.err.println("usage: HerdInterop suite <host:port> | hold <host:port> <path>");
            System.exit(2);
        }
    }

    static boolean runSuite(String connect) {
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("create-modes", HerdInterop::createModes);
        checks.put("create2-stat", HerdInterop::create2Stat);
        checks.put("container", HerdInterop::container);
        checks.put("ttl", HerdInterop::ttl);
        checks.put("data-versions", HerdInterop::dataVersions);
        checks.put("children", HerdInterop::children);
        checks.put("watches-standard", HerdInterop::watchesStandard);
        checks.put("watches-persistent", HerdInterop::watchesPersistent);
        checks.put("watches-persistent-recursive", HerdInterop::watchesPersistentRecursive);
        checks.put("remove-watches", HerdInterop::removeWatches);
        checks.put("multi", HerdInterop::multi);
        checks.put("multi-read", HerdInterop::multiRead);
        checks.put("get-ephemerals", HerdInterop::getEphemerals);
        checks.put("acl-digest", HerdInterop::aclDigest);
        checks.put("who-am-i", HerdInterop::whoAmI);
        checks.put("session-expiry", HerdInterop::sessionExpiry);
        checks.put("session-reattach", HerdInterop::sessionReattach);
        boolean allOk = true;
        for (Map.Entry<String, Check> e : checks.entrySet()) {
            try {
                e.getValue().run(connect);
                System.out.println("OK " + e.getKey());
            } catch (Throwable t) {
                allOk = false;
                System.out.println("FAIL " + e.getKey() + ": " + describe(t));
                t.printStackTrace(System.err);
            }
            System.out.flush();
        }
        return allOk;
    }

    static String describe(Throwable t) {
        return (t.getClass().getSimpleName() + " " + t.getMessage()).replace('\n', ' ');
    }

    // ---- plumbing -------------------------------------------------------------------------

    /** Collects watch events in arrival order; `next` waits for the next one with a deadline. */
    static final class Events implements Watcher {
        final LinkedBlockingQueue<WatchedEvent> queue = new LinkedBlockingQueue<>();

        @Override public void process(WatchedEvent event) { queue.add(event); }

        WatchedEvent next(long timeoutMs) throws InterruptedException {
            WatchedEvent e = queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (e == null) throw new AssertionError("no watch event within " + timeoutMs + " ms");
            return e;
        }

        /** Asserts the next node event (session events are skipped) has this type and path. */
        void expect(EventType type, String path, long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (true) {
                WatchedEvent e = next(Math.max(1, deadline - System.currentTimeMillis()));
                if (e.getType() == EventType.None) continue;
                if (e.getType() != type || !path.equals(e.getPath())) {
                    throw new AssertionError("expected " + type + " " + path + ", got " + e.getType() + " " + e.getPath());
                }
                return;
            }
        }

        void expect(EventType type, String path) throws InterruptedException { expect(type, path, EVENT_DEADLINE_MS); }

        void expectState(KeeperState state, long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (true) {
                WatchedEvent e = next(Math.max(1, deadline - System.currentTimeMillis()));
                if (e.getType() == EventType.None && e.getState() == state) return;
            }
        }
    }

    /** A client with its default watcher feeding `events`, returned once SyncConnected. */
    static final class Client implements AutoCloseable {
        final Events events = new Events();
        final ZooKeeper zk;

        Client(String connect) throws Exception { this(connect, 0, null); }

        Client(String connect, long sessionId, byte[] password) throws Exception {
            zk = password == null
                ? new ZooKeeper(connect, SESSION_TIMEOUT_MS, events)
                : new ZooKeeper(connect, SESSION_TIMEOUT_MS, events, sessionId, password);
            try {
                events.expectState(KeeperState.SyncConnected, CONNECT_DEADLINE_MS);
            } catch (Throwable t) {
                zk.close();
                throw t;
            }
        }

        @Override public void close() throws InterruptedException { zk.close(); }
    }

    static void check(boolean condition, String what) {
        if (!condition) throw new AssertionError(what);
    }

    static void equal(Object expected, Object actual, String what) {
        if (expected == null ? actual != null : !expected.equals(actual)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    interface Action { void run() throws Exception; }

    static void expectError(KeeperException.Code code, Action action, String what) throws Exception {
        try {
            action.run();
        } catch (KeeperException e) {
            equal(code, e.code(), what);
            return;
        }
        throw new AssertionError(what + ": expected " + code + ", but it succeeded");
    }

    static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static String text(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    static final List<ACL> OPEN = ZooDefs.Ids.OPEN_ACL_UNSAFE;

    static String mkdir(ZooKeeper zk, String path) throws Exception {
        return zk.create(path, NO_DATA, OPEN, CreateMode.PERSISTENT);
    }

    /**
     * Proves that no earlier, unexpected event is queued: fires a fresh marker watch and asserts the next
     * event is the marker (the server delivers notifications in order).
     */
    static void expectNoEventBefore(Client c, String markerPath) throws Exception {
        c.zk.exists(markerPath, true);
        c.zk.create(markerPath, NO_DATA, OPEN, CreateMode.PERSISTENT);
        c.events.expect(EventType.NodeCreated, markerPath);
    }

    // ---- checks ---------------------------------------------------------------------------

    static void createModes(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            String base = mkdir(zk, "/java-modes");
            equal("/java-modes", base, "persistent path");
            Stat eph = new Stat();
            zk.create(base + "/eph", bytes("e"), OPEN, CreateMode.EPHEMERAL, eph);
            equal(zk.getSessionId(), eph.getEphemeralOwner(), "ephemeralOwner of an ephemeral");
            String s1 = zk.create(base + "/seq-", NO_DATA, OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
            String s2 = zk.create(base + "/seq-", NO_DATA, OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
            check(s1.matches("/java-modes/seq-\\d{10}"), "sequential name " + s1);
            check(Long.parseLong(s2.substring(s2.length() - 10)) > Long.parseLong(s1.substring(s1.length() - 10)),
                "sequence numbers increase: " + s1 + " then " + s2);
            String es = zk.create(base + "/eseq-", NO_DATA, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL);
            check(es.matches("/java-modes/eseq-\\d{10}"), "ephemeral sequential name " + es);
            equal(zk.getSessionId(), zk.exists(es, false).getEphemeralOwner(), "ephemeral sequential owner");
            expectError(KeeperException.Code.NODEEXISTS, () -> mkdir(zk, base), "duplicate create");
            expectError(KeeperException.Code.NONODE, () -> mkdir(zk, base + "/missing/child"), "create without parent");
            expectError(KeeperException.Code.NOCHILDRENFOREPHEMERALS, () -> mkdir(zk, base + "/eph/child"),
                "child of an ephemeral");
        }
    }

    static void create2Stat(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            Stat created = new Stat();
            c.zk.create("/java-create2", bytes("hello"), OPEN, CreateMode.PERSISTENT, created);
            check(created.getCzxid() > 0, "czxid set");
            equal(created.getCzxid(), created.getMzxid(), "mzxid == czxid");
            equal(created.getCzxid(), created.getPzxid(), "pzxid == czxid");
            equal(0, created.getVersion(), "version");
            equal(5, created.getDataLength(), "dataLength");
            equal(0, created.getNumChildren(), "numChildren");
            equal(0L, created.getEphemeralOwner(), "ephemeralOwner");
            equal(created, c.zk.exists("/java-create2", false), "create2 stat equals exists stat");
        }
    }

    static void container(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            Stat stat = new Stat();
            zk.create("/java-container-unused", NO_DATA, OPEN, CreateMode.CONTAINER);
            zk.create("/java-container", NO_DATA, OPEN, CreateMode.CONTAINER, stat);
            equal(0L, stat.getEphemeralOwner(), "a container shows ephemeralOwner 0");
            zk.create("/java-container/child", NO_DATA, OPEN, CreateMode.PERSISTENT);
            zk.exists("/java-container", true);
            zk.delete("/java-container/child", -1);
            c.events.expect(EventType.NodeDeleted, "/java-container", SWEEP_DEADLINE_MS);
            check(zk.exists("/java-container-unused", false) != null, "a never-used container is kept");
        }
    }

    static void ttl(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            Stat stat = new Stat();
            zk.create("/java-ttl", bytes("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, stat, 500);
            equal(0L, stat.getEphemeralOwner(), "a TTL node shows ephemeralOwner 0");
            String seq = zk.create("/java-ttl-seq-", NO_DATA, OPEN, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, stat, 500);
            check(seq.matches("/java-ttl-seq-\\d{10}"), "sequential TTL name " + seq);
            zk.exists("/java-ttl", true);
            c.events.expect(EventType.NodeDeleted, "/java-ttl", SWEEP_DEADLINE_MS);
            if (zk.exists(seq, true) != null) c.events.expect(EventType.NodeDeleted, seq, SWEEP_DEADLINE_MS);
        }
    }

    static void dataVersions(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            zk.create("/java-data", bytes("v0"), OPEN, CreateMode.PERSISTENT);
            Stat stat = new Stat();
            equal("v0", text(zk.getData("/java-data", false, stat)), "initial data");
            equal(0, stat.getVersion(), "initial version");
            Stat after = zk.setData("/java-data", bytes("v1"), 0);
            equal(1, after.getVersion(), "version after set");
            check(after.getMzxid() > stat.getMzxid(), "mzxid advances");
            expectError(KeeperException.Code.BADVERSION, () -> zk.setData("/java-data", bytes("x"), 0), "stale set");
            zk.setData("/java-data", bytes("v2"), -1);
            equal("v2", text(zk.getData("/java-data", false, stat)), "data after unconditional set");
            equal(2, stat.getVersion(), "version after unconditional set");
            expectError(KeeperException.Code.BADVERSION, () -> zk.delete("/java-data", 7), "stale delete");
            zk.delete("/java-data", 2);
            expectError(KeeperException.Code.NONODE, () -> zk.getData("/java-data", false, null), "get after delete");
            expectError(KeeperException.Code.NONODE, () -> zk.setData("/java-data", NO_DATA, -1), "set after delete");
        }
    }

    static void children(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            mkdir(zk, "/java-kids");
            for (String k : new String[] {"c", "a", "b"}) mkdir(zk, "/java-kids/" + k);
            mkdir(zk, "/java-kids/a/x");
            mkdir(zk, "/java-kids/a/y");
            Stat stat = new Stat();
            List<String> kids = new ArrayList<>(zk.getChildren("/java-kids", false, stat));
            Collections.sort(kids);
            equal(Arrays.asList("a", "b", "c"), kids, "children");
            equal(3, stat.getNumChildren(), "numChildren");
            equal(3, stat.getCversion(), "cversion after three creates");
            equal(5, zk.getAllChildrenNumber("/java-kids"), "getAllChildrenNumber counts all descendants");
            expectError(KeeperException.Code.NOTEMPTY, () -> zk.delete("/java-kids/a", -1), "delete non-empty");
            expectError(KeeperException.Code.NONODE, () -> zk.getChildren("/java-kids/none", false), "children of missing");
        }
    }

    static void watchesStandard(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            String p = "/java-watch";
            check(zk.exists(p, true) == null, "absent before create");
            mkdir(zk, p);
            c.events.expect(EventType.NodeCreated, p);
            zk.getData(p, true, null);
            zk.setData(p, bytes("1"), -1);
            c.events.expect(EventType.NodeDataChanged, p);
            // One-shot: the fired watch is gone, so this set must not produce an event.
            zk.setData(p, bytes("2"), -1);
            expectNoEventBefore(c, "/java-watch-marker1");
            zk.getChildren(p, true);
            mkdir(zk, p + "/kid");
            c.events.expect(EventType.NodeChildrenChanged, p);
            zk.getData(p + "/kid", true, null);
            zk.exists(p + "/kid", true);
            zk.delete(p + "/kid", -1);
            c.events.expect(EventType.NodeDeleted, p + "/kid");
            // getData and exists watches on one path are one server watch: exactly one event.
            expectNoEventBefore(c, "/java-watch-marker2");
        }
    }

    static void watchesPersistent(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            String p = "/java-pw";
            Events w = new Events();
            zk.addWatch(p, w, AddWatchMode.PERSISTENT);
            mkdir(zk, p);
            w.expect(EventType.NodeCreated, p);
            zk.setData(p, bytes("1"), -1);
            w.expect(EventType.NodeDataChanged, p);
            zk.setData(p, bytes("2"), -1);
            w.expect(EventType.NodeDataChanged, p);
            mkdir(zk, p + "/kid");
            w.expect(EventType.NodeChildrenChanged, p);
            zk.setData(p + "/kid", bytes("k"), -1); // not recursive: nothing for the child itself
            zk.delete(p + "/kid", -1);
            w.expect(EventType.NodeChildrenChanged, p);
            zk.delete(p, -1);
            w.expect(EventType.NodeDeleted, p);
        }
    }

    static void watchesPersistentRecursive(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            String p = "/java-rw";
            mkdir(zk, p);
            Events w = new Events();
            zk.addWatch(p, w, AddWatchMode.PERSISTENT_RECURSIVE);
            mkdir(zk, p + "/a");
            w.expect(EventType.NodeCreated, p + "/a");
            mkdir(zk, p + "/a/b");
            w.expect(EventType.NodeCreated, p + "/a/b");
            zk.setData(p + "/a/b", bytes("x"), -1);
            w.expect(EventType.NodeDataChanged, p + "/a/b");
            zk.delete(p + "/a/b", -1);
            w.expect(EventType.NodeDeleted, p + "/a/b");
            zk.setData(p, bytes("y"), -1);
            // No NodeChildrenChanged ever reaches a recursive watch: the next event is this one.
            w.expect(EventType.NodeDataChanged, p);
        }
    }

    static void removeWatches(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            String p = "/java-rm";
            mkdir(zk, p);
            Events w = new Events();
            zk.getData(p, w, null);
            zk.removeWatches(p, w, Watcher.WatcherType.Data, false);
            w.expect(EventType.DataWatchRemoved, p);
            expectError(KeeperException.Code.NOWATCHER,
                () -> zk.removeWatches(p, w, Watcher.WatcherType.Data, false), "removing a removed watch");
            Events kids = new Events();
            zk.getChildren(p, kids);
            zk.removeAllWatches(p, Watcher.WatcherType.Any, false);
            kids.expect(EventType.ChildWatchRemoved, p);
            expectError(KeeperException.Code.NOWATCHER,
                () -> zk.removeAllWatches(p, Watcher.WatcherType.Any, false), "nothing left to remove");
            // The server really dropped them: changes fire nothing, the marker event comes first.
            zk.setData(p, bytes("1"), -1);
            mkdir(zk, p + "/kid");
            expectNoEventBefore(c, "/java-rm-marker");
            check(w.queue.isEmpty() && kids.queue.isEmpty(), "removed watchers got no events");
        }
    }

    static void multi(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            mkdir(zk, "/java-multi");
            zk.create("/java-multi/old", bytes("o"), OPEN, CreateMode.PERSISTENT);
            List<OpResult> ok = zk.multi(Arrays.asList(
                Op.create("/java-multi/new", bytes("n"), OPEN, CreateMode.PERSISTENT),
                Op.setData("/java-multi/new", bytes("n2"), 0),
                Op.check("/java-multi/old", 0),
                Op.delete("/java-multi/old", 0)));
            equal(4, ok.size(), "result count");
            equal("/java-multi/new", ((OpResult.CreateResult) ok.get(0)).getPath(), "create result");
            equal(1, ((OpResult.SetDataResult) ok.get(1)).getStat().getVersion(), "setData sees the create");
            check(ok.get(2) instanceof OpResult.CheckResult, "check result");
            check(ok.get(3) instanceof OpResult.DeleteResult, "delete result");
            check(zk.exists("/java-multi/old", false) == null, "deleted by multi");

            zk.exists("/java-multi/never", true);
            try {
                zk.multi(Arrays.asList(
                    Op.create("/java-multi/never", NO_DATA, OPEN, CreateMode.PERSISTENT),
                    Op.create("/java-multi/new", NO_DATA, OPEN, CreateMode.PERSISTENT),
                    Op.setData("/java-multi/new", bytes("x"), -1)));
                throw new AssertionError("failing multi succeeded");
            } catch (KeeperException.NodeExistsException e) {
                List<OpResult> results = e.getResults();
                equal(3, results.size(), "failed multi result count");
                equal(0, ((OpResult.ErrorResult) results.get(0)).getErr(), "op before the failure");
                equal(KeeperException.Code.NODEEXISTS.intValue(), ((OpResult.ErrorResult) results.get(1)).getErr(),
                    "failing op");
                equal(KeeperException.Code.RUNTIMEINCONSISTENCY.intValue(),
                    ((OpResult.ErrorResult) results.get(2)).getErr(), "op after the failure");
            }
            check(zk.exists("/java-multi/never", false) == null, "failed multi is rolled back");
            equal("n2", text(zk.getData("/java-multi/new", false, null)), "failed multi changed nothing");
            expectNoEventBefore(c, "/java-multi-marker"); // a failed multi fires no watch
        }
    }

    static void multiRead(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            ZooKeeper zk = c.zk;
            zk.create("/java-mread", bytes("d"), OPEN, CreateMode.PERSISTENT);
            mkdir(zk, "/java-mread/k");
            List<OpResult> results = zk.multi(Arrays.asList(
                Op.getData("/java-mread"), Op.getChildren("/java-mread"), Op.getData("/java-mread/none")));
            equal("d", text(((OpResult.GetDataResult) results.get(0)).getData()), "multiRead getData");
            equal(Collections.singletonList("k"), ((OpResult.GetChildrenResult) results.get(1)).getChildren(),
                "multiRead getChildren");
            equal(KeeperException.Code.NONODE.intValue(), ((OpResult.ErrorResult) results.get(2)).getErr(),
                "multiRead missing node");
        }
    }

    static void getEphemerals(String connect) throws Exception {
        try (Client c = new Client(connect); Client other = new Client(connect)) {
            ZooKeeper zk = c.zk;
            mkdir(zk, "/java-ephs");
            mkdir(zk, "/java-ephs/dir");
            zk.create("/java-ephs/a", NO_DATA, OPEN, CreateMode.EPHEMERAL);
            zk.create("/java-ephs/dir/b", NO_DATA, OPEN, CreateMode.EPHEMERAL);
            other.zk.create("/java-ephs/theirs", NO_DATA, OPEN, CreateMode.EPHEMERAL);
            equal(new HashSet<>(Arrays.asList("/java-ephs/a", "/java-ephs/dir/b")),
                new HashSet<>(zk.getEphemerals("/java-ephs")), "getEphemerals(prefix)");
            equal(new HashSet<>(Arrays.asList("/java-ephs/a", "/java-ephs/dir/b")),
                new HashSet<>(zk.getEphemerals()), "getEphemerals()");
            equal(Collections.singletonList("/java-ephs/dir/b"), zk.getEphemerals("/java-ephs/dir"),
                "getEphemerals(narrow prefix)");
        }
    }

    static void aclDigest(String connect) throws Exception {
        try (Client alice = new Client(connect); Client anon = new Client(connect); Client alice2 = new Client(connect)) {
            alice.zk.addAuthInfo("digest", bytes("alice:secret"));
            alice.zk.create("/java-acl", bytes("private"), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
            Stat stat = new Stat();
            List<ACL> acl = alice.zk.getACL("/java-acl", stat);
            String digest = DigestAuthenticationProvider.generateDigest("alice:secret");
            equal(Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest))), acl, "stored ACL");
            expectError(KeeperException.Code.NOAUTH, () -> anon.zk.getData("/java-acl", false, null), "read without auth");
            expectError(KeeperException.Code.INVALIDACL,
                () -> anon.zk.create("/java-acl-bad", NO_DATA, ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT),
                "creator ACL without credentials");
            anon.zk.addAuthInfo("digest", bytes("alice:wrong"));
            expectError(KeeperException.Code.NOAUTH, () -> anon.zk.getData("/java-acl", false, null), "wrong password");
            alice2.zk.addAuthInfo("digest", bytes("alice:secret"));
            equal("private", text(alice2.zk.getData("/java-acl", false, null)), "read with auth");

            List<ACL> readOnly = Collections.singletonList(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
            expectError(KeeperException.Code.BADVERSION, () -> alice.zk.setACL("/java-acl", readOnly, 5), "stale setACL");
            equal(1, alice.zk.setACL("/java-acl", readOnly, 0).getAversion(), "aversion after setACL");
            equal("private", text(anon.zk.getData("/java-acl", false, null)), "world-readable now");
            expectError(KeeperException.Code.NOAUTH, () -> alice.zk.setData("/java-acl", NO_DATA, -1), "write denied");
        }
    }

    static void whoAmI(String connect) throws Exception {
        try (Client c = new Client(connect)) {
            List<ClientInfo> before = c.zk.whoAmI();
            check(before.stream().anyMatch(i -> i.getAuthScheme().equals("ip") && i.getUser().equals("127.0.0.1")),
                "ip identity: " + infos(before));
            c.zk.addAuthInfo("digest", bytes("bob:pw"));
            List<ClientInfo> after = c.zk.whoAmI();
            check(after.stream().anyMatch(i -> i.getAuthScheme().equals("digest") && i.getUser().equals("bob")),
                "digest identity: " + infos(after));
        }
    }

    static String infos(List<ClientInfo> list) {
        StringBuilder sb = new StringBuilder();
        for (ClientInfo i : list) sb.append(i.getAuthScheme()).append(':').append(i.getUser()).append(' ');
        return sb.toString().trim();
    }

    /** A child JVM holding a session with an ephemeral node; killing it drops the session without closing it. */
    static final class Holder implements AutoCloseable {
        final Process process;
        final long sessionId;
        final byte[] password;

        Holder(String connect, String path) throws Exception {
            String java = System.getProperty("java.home") + "/bin/java";
            process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "HerdInterop", "hold", connect, path).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
                } catch (Exception e) {
                    return null;
                }
            });
            String hold;
            try {
                hold = line.get(CONNECT_DEADLINE_MS + 10_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
                throw new AssertionError("holder did not report its session: " + e);
            }
            if (hold == null || !hold.startsWith("HOLD ")) {
                process.destroyForcibly();
                throw new AssertionError("holder said " + hold);
            }
            String[] parts = hold.split(" ");
            sessionId = Long.parseUnsignedLong(parts[1], 16);
            password = hex(parts[2]);
        }

        /** SIGKILL: the socket is closed by the OS, no closeSession is sent. */
        void crash() throws InterruptedException {
            process.destroyForcibly();
            check(process.waitFor(10, TimeUnit.SECONDS), "holder exited after SIGKILL");
        }

        @Override public void close() { process.destroyForcibly(); }
    }

    static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static void holdSession(String connect, String path) throws Exception {
        Client c = new Client(connect);
        c.zk.create(path, NO_DATA, OPEN, CreateMode.EPHEMERAL);
        StringBuilder pw = new StringBuilder();
        for (byte b : c.zk.getSessionPasswd()) pw.append(String.format("%02x", b));
        System.out.println("HOLD " + Long.toHexString(c.zk.getSessionId()) + " " + pw);
        System.out.flush();
        // Stay until killed; if our parent dies instead, stdin reaches EOF and we leave rather than linger.
        while (System.in.read() != -1) { }
        System.exit(0);
    }

    static void sessionExpiry(String connect) throws Exception {
        try (Client watcher = new Client(connect); Holder holder = new Holder(connect, "/java-expiring")) {
            Stat stat = watcher.zk.exists("/java-expiring", true);
            check(stat != null && stat.getEphemeralOwner() == holder.sessionId, "holder's ephemeral exists");
            holder.crash();
            watcher.events.expect(EventType.NodeDeleted, "/java-expiring", EXPIRY_DEADLINE_MS);
            // The expired session cannot be resumed: the client is told Expired.
            Events events = new Events();
            ZooKeeper late = new ZooKeeper(connect, SESSION_TIMEOUT_MS, events, holder.sessionId, holder.password);
            try {
                events.expectState(KeeperState.Expired, CONNECT_DEADLINE_MS);
            } finally {
                late.close();
            }
        }
    }

    static void sessionReattach(String connect) throws Exception {
        try (Client watcher = new Client(connect); Holder holder = new Holder(connect, "/java-reattach")) {
            holder.crash();
            try (Client again = new Client(connect, holder.sessionId, holder.password)) {
                equal(holder.sessionId, again.zk.getSessionId(), "same session after re-attach");
                Stat stat = again.zk.exists("/java-reattach", false);
                check(stat != null && stat.getEphemeralOwner() == holder.sessionId, "ephemeral survived the drop");
                again.zk.create("/java-reattach-2", NO_DATA, OPEN, CreateMode.EPHEMERAL);
                watcher.zk.exists("/java-reattach", true);
            }
            // Closing the re-attached session removes the holder's ephemeral too.
            watcher.events.expect(EventType.NodeDeleted, "/java-reattach");
            check(watcher.zk.exists("/java-reattach-2", false) == null, "ephemerals gone after close");
        }
    }
}
