/*
 * Load generator for `npm run bench`: drives any ZooKeeper-compatible server through the official Java client's
 * async API (Debian's zookeeper-3.8.0 jar), so the client under test is not ours and is the same for Herd and
 * Apache ZooKeeper. Compiled by bench/run.ts into dist/bench-java/ when stale.
 *
 *   java -cp <zookeeper.jar:slf4j-nop.jar:classes> LoadGen --connect host:port --workload NAME
 *        [--sessions 8] [--inflight 32] [--value-size 100] [--keys 10000] [--duration S | --ops N]
 *        [--warmup S] [--prefix /bench] [--watchers 100]
 *
 * Workloads: create, seqCreate, setData, getData, exists, mixed (90% getData, 10% setData), multi (10 setData
 * ops per multi), churn (connect, create an ephemeral, close; `sessions` churners in parallel, through the
 * Netty client socket, see runChurn), watch (`watchers` sessions hold a data watch on one node that one writer
 * sets; an op is one delivered notification), populate (creates a depth-3 tree holding `ops` leaves; for memory
 * measurements).
 *
 * Each session keeps exactly `inflight` requests outstanding: every completion issues the next request. An op
 * is measured when it is issued after the warm-up; the run ends when the duration is over or `ops` measured ops
 * were issued, and all of them completed. Prints one JSON line: ops, seconds, opsPerSec, latency percentiles
 * in microseconds (issue to callback), and errors by KeeperException code name. Before it, the lines
 * "# measure-start" and "# measure-end" mark the measured part (the runner samples server CPU time on them). Exit code 0 even with errors
 * (they are in the JSON); 2 for bad arguments, 1 if the run could not be carried out at all.
 */

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;

public final class LoadGen {
    static final int SESSION_TIMEOUT_MS = 30_000;
    static final long CONNECT_DEADLINE_MS = 30_000;
    /** Longest a run may take to drain its in-flight requests after the window closes. */
    static final long DRAIN_DEADLINE_MS = 120_000;
    /** Longest one fan-out round (a write and every watcher's notification and re-arm) may take. */
    static final long ROUND_DEADLINE_MS = 30_000;
    static final int MULTI_OPS = 10;
    static final int MIXED_WRITE_PERCENT = 10;
    static final List<ACL> OPEN = ZooDefs.Ids.OPEN_ACL_UNSAFE;

    // ---- options ------------------------------------------------------------------------------------------------

    static final class Options {
        String connect;
        String workload;
        int sessions = 8;
        int inflight = 32;
        int valueSize = 100;
        int keys = 10_000;
        double durationS = 10;
        long ops = -1;
        double warmupS = 0;
        String prefix = "/bench";
        int watchers = 100;

        boolean byOps() { return ops >= 0; }
    }

    static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) throw new IllegalArgumentException(flag + " needs a value");
            String v = args[++i];
            switch (flag) {
                case "--connect": o.connect = v; break;
                case "--workload": o.workload = v; break;
                case "--sessions": o.sessions = positive(flag, v); break;
                case "--inflight": o.inflight = positive(flag, v); break;
                case "--value-size": o.valueSize = Integer.parseInt(v); break;
                case "--keys": o.keys = positive(flag, v); break;
                case "--duration": o.durationS = Double.parseDouble(v); break;
                case "--ops": o.ops = Long.parseLong(v); break;
                case "--warmup": o.warmupS = Double.parseDouble(v); break;
                case "--prefix": o.prefix = v; break;
                case "--watchers": o.watchers = positive(flag, v); break;
                default: throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (o.connect == null || o.workload == null) throw new IllegalArgumentException("--connect and --workload are required");
        if (o.valueSize < 0) throw new IllegalArgumentException("--value-size must be >= 0");
        return o;
    }

    static int positive(String flag, String v) {
        int n = Integer.parseInt(v);
        if (n <= 0) throw new IllegalArgumentException(flag + " must be > 0");
        return n;
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("LoadGen: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Result r = run(o);
            System.out.println(r.toJson(o));
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            System.err.println("LoadGen: " + t);
            t.printStackTrace(System.err);
            System.exit(1);
        }
    }

    static Result run(Options o) throws Exception {
        switch (o.workload) {
            case "create": case "seqCreate": case "setData": case "getData": case "exists": case "mixed": case "multi":
                return runPipelined(o);
            case "churn": return runChurn(o);
            case "watch": return runWatchFanOut(o);
            case "populate": return runPopulate(o);
            default: throw new IllegalArgumentException("unknown workload " + o.workload);
        }
    }

    // ---- measurement ----------------------------------------------------------------------------------------------

    /** Latencies and errors seen by one thread (a session's event thread, or a churner). */
    static final class Recorder {
        long[] latenciesNs = new long[1 << 14];
        int count;
        long lastCompletionNs;
        final Map<String, Long> errors = new TreeMap<>();

        void latency(long ns, long completedAtNs) {
            if (count == latenciesNs.length) latenciesNs = Arrays.copyOf(latenciesNs, count * 2);
            latenciesNs[count++] = ns;
            if (completedAtNs > lastCompletionNs) lastCompletionNs = completedAtNs;
        }

        void error(int rc) { error(KeeperException.Code.get(rc).name()); }

        void error(String code) { errors.merge(code, 1L, Long::sum); }
    }

    static final class Result {
        long ops;
        double seconds;
        long[] sortedNs = new long[0];
        final Map<String, Long> errors = new TreeMap<>();

        static Result merge(List<Recorder> recorders, long startNs) {
            Result r = new Result();
            int total = 0;
            long lastNs = startNs;
            for (Recorder rec : recorders) {
                total += rec.count;
                lastNs = Math.max(lastNs, rec.lastCompletionNs);
                rec.errors.forEach((k, v) -> r.errors.merge(k, v, Long::sum));
            }
            r.sortedNs = new long[total];
            int at = 0;
            for (Recorder rec : recorders) {
                System.arraycopy(rec.latenciesNs, 0, r.sortedNs, at, rec.count);
                at += rec.count;
            }
            Arrays.sort(r.sortedNs);
            r.ops = total;
            r.seconds = (lastNs - startNs) / 1e9;
            return r;
        }

        double percentileUs(double q) {
            if (sortedNs.length == 0) return 0;
            int i = (int) Math.ceil(q * sortedNs.length) - 1;
            return sortedNs[Math.max(0, Math.min(sortedNs.length - 1, i))] / 1e3;
        }

        double meanUs() {
            if (sortedNs.length == 0) return 0;
            double sum = 0;
            for (long v : sortedNs) sum += v;
            return sum / sortedNs.length / 1e3;
        }

        String toJson(Options o) {
            StringBuilder b = new StringBuilder();
            b.append('{');
            b.append("\"workload\":\"").append(o.workload).append("\",");
            b.append("\"sessions\":").append(o.sessions).append(',');
            b.append("\"inflight\":").append(o.inflight).append(',');
            b.append("\"valueSize\":").append(o.valueSize).append(',');
            b.append("\"keys\":").append(o.keys).append(',');
            if (o.workload.equals("watch")) b.append("\"watchers\":").append(o.watchers).append(',');
            b.append("\"ops\":").append(ops).append(',');
            b.append("\"seconds\":").append(num(seconds)).append(',');
            b.append("\"opsPerSec\":").append(num(seconds > 0 ? ops / seconds : 0)).append(',');
            b.append("\"latencyUs\":{");
            b.append("\"p50\":").append(num(percentileUs(0.50))).append(',');
            b.append("\"p99\":").append(num(percentileUs(0.99))).append(',');
            b.append("\"p999\":").append(num(percentileUs(0.999))).append(',');
            b.append("\"max\":").append(num(sortedNs.length == 0 ? 0 : sortedNs[sortedNs.length - 1] / 1e3)).append(',');
            b.append("\"mean\":").append(num(meanUs())).append("},");
            b.append("\"errors\":{");
            boolean first = true;
            for (Map.Entry<String, Long> e : errors.entrySet()) {
                if (!first) b.append(',');
                first = false;
                b.append('"').append(e.getKey()).append("\":").append(e.getValue());
            }
            b.append("}}");
            return b.toString();
        }

        static String num(double v) { return String.format(java.util.Locale.ROOT, "%.3f", v); }
    }

    // ---- sessions ---------------------------------------------------------------------------------------------------

    /** Opens a session and returns it once SyncConnected; `onEvent` also sees every node event. */
    static ZooKeeper connect(String connect, Watcher onEvent) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, SESSION_TIMEOUT_MS, event -> {
            if (event.getType() == EventType.None && event.getState() == KeeperState.SyncConnected) connected.countDown();
            if (onEvent != null) onEvent.process(event);
        });
        if (!connected.await(CONNECT_DEADLINE_MS, TimeUnit.MILLISECONDS)) {
            zk.close();
            throw new IllegalStateException("no session with " + connect + " within " + CONNECT_DEADLINE_MS + " ms");
        }
        return zk;
    }

    static List<ZooKeeper> connectAll(String connect, int n) throws Exception {
        List<ZooKeeper> sessions = new ArrayList<>();
        for (int i = 0; i < n; i++) sessions.add(connect(connect, null));
        return sessions;
    }

    static void closeAll(List<ZooKeeper> sessions) throws InterruptedException {
        for (ZooKeeper zk : sessions) zk.close();
    }

    static byte[] value(int size) {
        byte[] v = new byte[size];
        Arrays.fill(v, (byte) 'v');
        return v;
    }

    /** Creates a persistent node and any missing ancestors; an existing node is fine. */
    static void ensurePath(ZooKeeper zk, String path) throws Exception {
        StringBuilder at = new StringBuilder();
        for (String part : path.substring(1).split("/")) {
            at.append('/').append(part);
            try {
                zk.create(at.toString(), new byte[0], OPEN, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
                // Left by an earlier run on this server: reuse it.
            }
        }
    }

    /**
     * Creates `paths` with `data`, keeping up to sessions x inflight creates outstanding (untimed set-up work).
     * Existing nodes are accepted when `existingOk`; other failures are recorded.
     */
    static void createAll(List<ZooKeeper> sessions, int inflight, List<String> paths, byte[] data,
                          boolean existingOk, Recorder errors) throws InterruptedException {
        int permits = sessions.size() * inflight;
        Semaphore outstanding = new Semaphore(permits);
        Object lock = new Object();
        int next = 0;
        for (String path : paths) {
            outstanding.acquire();
            ZooKeeper zk = sessions.get(next++ % sessions.size());
            zk.create(path, data, OPEN, CreateMode.PERSISTENT, (rc, p, ctx, name) -> {
                boolean ok = rc == 0 || (existingOk && rc == KeeperException.Code.NODEEXISTS.intValue());
                if (!ok) synchronized (lock) { errors.error(rc); }
                outstanding.release();
            }, null);
        }
        if (!outstanding.tryAcquire(permits, DRAIN_DEADLINE_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("creates did not complete within " + DRAIN_DEADLINE_MS + " ms");
        }
    }

    static String keyPath(String keyDir, int i) { return keyDir + "/k" + i; }

    /** A run id keeps repeated runs against one server from colliding on created names. */
    static String runId() { return Long.toString(System.currentTimeMillis(), 36) + ThreadLocalRandom.current().nextInt(1000); }

    // ---- pipelined workloads ----------------------------------------------------------------------------------------

    static final int PHASE_WARMUP = 0, PHASE_MEASURE = 1, PHASE_STOP = 2;

    /** What the window is doing, shared by every session's driver. */
    static final class Window {
        volatile int phase = PHASE_WARMUP;
        volatile long measureStartNs;
        /** Measured ops still allowed (--ops); Long.MAX_VALUE for a timed run. */
        final AtomicLong budget;
        final AtomicInteger liveSlots;
        final CountDownLatch allSlotsDone;

        Window(long budget, int slots) {
            this.budget = new AtomicLong(budget);
            this.liveSlots = new AtomicInteger(slots);
            this.allSlotsDone = new CountDownLatch(1);
        }

        void slotDone() {
            if (liveSlots.decrementAndGet() == 0) allSlotsDone.countDown();
        }
    }

    /** Issues one request of a workload; the callback must call `driver.completed`. */
    interface Request { void issue(Driver driver, long startNs, boolean measured); }

    /** One session with `inflight` request chains. Everything after start runs on the session's event thread. */
    static final class Driver {
        final ZooKeeper zk;
        final int index;
        final Window window;
        final Request request;
        final Recorder recorder = new Recorder();
        /** Names for the create workload; the first chains start on the main thread, the rest on the event thread. */
        final AtomicLong created = new AtomicLong();

        Driver(ZooKeeper zk, int index, Window window, Request request) {
            this.zk = zk;
            this.index = index;
            this.window = window;
            this.request = request;
        }

        /** Starts one more chain, or ends this chain when the window is closed or the budget spent. */
        void next() {
            int phase = window.phase;
            boolean measured = phase == PHASE_MEASURE;
            if (phase == PHASE_STOP || (measured && window.budget.getAndDecrement() <= 0)) {
                window.slotDone();
                return;
            }
            request.issue(this, System.nanoTime(), measured);
        }

        void completed(int rc, long startNs, boolean measured) {
            long now = System.nanoTime();
            if (measured) {
                recorder.latency(now - startNs, now);
                if (rc != 0) recorder.error(rc);
            }
            next();
        }

        AsyncCallback.StatCallback statDone(long startNs, boolean measured) {
            return (rc, path, ctx, stat) -> completed(rc, startNs, measured);
        }
    }

    static Request pipelinedRequest(Options o, String runDir, String keyDir) {
        byte[] data = value(o.valueSize);
        switch (o.workload) {
            case "create":
                return (d, t0, m) -> d.zk.create(runDir + "/n" + d.index + "-" + d.created.getAndIncrement(), data, OPEN,
                    CreateMode.PERSISTENT, (rc, p, ctx, name) -> d.completed(rc, t0, m), null);
            case "seqCreate":
                return (d, t0, m) -> d.zk.create(runDir + "/n-", data, OPEN, CreateMode.PERSISTENT_SEQUENTIAL,
                    (rc, p, ctx, name) -> d.completed(rc, t0, m), null);
            case "setData":
                return (d, t0, m) -> d.zk.setData(randomKey(keyDir, o.keys), data, -1, d.statDone(t0, m), null);
            case "getData":
                return (d, t0, m) -> d.zk.getData(randomKey(keyDir, o.keys), false,
                    (rc, p, ctx, bytes, stat) -> d.completed(rc, t0, m), null);
            case "exists":
                return (d, t0, m) -> d.zk.exists(randomKey(keyDir, o.keys), false, d.statDone(t0, m), null);
            case "mixed":
                return (d, t0, m) -> {
                    if (ThreadLocalRandom.current().nextInt(100) < MIXED_WRITE_PERCENT) {
                        d.zk.setData(randomKey(keyDir, o.keys), data, -1, d.statDone(t0, m), null);
                    } else {
                        d.zk.getData(randomKey(keyDir, o.keys), false, (rc, p, ctx, bytes, stat) -> d.completed(rc, t0, m), null);
                    }
                };
            case "multi":
                return (d, t0, m) -> {
                    List<Op> ops = new ArrayList<>(MULTI_OPS);
                    for (int i = 0; i < MULTI_OPS; i++) ops.add(Op.setData(randomKey(keyDir, o.keys), data, -1));
                    d.zk.multi(ops, (rc, p, ctx, results) -> d.completed(rc, t0, m), null);
                };
            default:
                throw new IllegalArgumentException(o.workload);
        }
    }

    static String randomKey(String keyDir, int keys) {
        return keyPath(keyDir, ThreadLocalRandom.current().nextInt(keys));
    }

    static boolean needsKeys(String workload) {
        return !workload.equals("create") && !workload.equals("seqCreate");
    }

    static Result runPipelined(Options o) throws Exception {
        List<ZooKeeper> sessions = connectAll(o.connect, o.sessions);
        try {
            String runDir = o.prefix + "/run-" + runId();
            // One key set per (value size, key count), shared by the runs against a server.
            String keyDir = o.prefix + "/keys-" + o.valueSize + "-" + o.keys;
            ZooKeeper setup = sessions.get(0);
            ensurePath(setup, runDir);
            Recorder setupErrors = new Recorder();
            if (needsKeys(o.workload)) {
                ensurePath(setup, keyDir);
                List<String> keys = new ArrayList<>(o.keys);
                for (int i = 0; i < o.keys; i++) keys.add(keyPath(keyDir, i));
                createAll(sessions, o.inflight, keys, value(o.valueSize), true, setupErrors);
            }
            Window window = new Window(o.byOps() ? o.ops : Long.MAX_VALUE, o.sessions * o.inflight);
            Request request = pipelinedRequest(o, runDir, keyDir);
            List<Driver> drivers = new ArrayList<>();
            for (int i = 0; i < sessions.size(); i++) drivers.add(new Driver(sessions.get(i), i, window, request));
            long startNs = runWindow(o, window, () -> {
                for (Driver d : drivers) for (int s = 0; s < o.inflight; s++) d.next();
            });
            List<Recorder> recorders = new ArrayList<>();
            recorders.add(setupErrors);
            for (Driver d : drivers) recorders.add(d.recorder);
            return Result.merge(recorders, startNs);
        } finally {
            closeAll(sessions);
        }
    }

    /**
     * Runs warm-up then the measured window around `start`, which must launch every chain; waits (bounded) for
     * all chains to end. Returns when measuring began (System.nanoTime()).
     */
    static long runWindow(Options o, Window window, Runnable start) throws InterruptedException {
        if (o.warmupS <= 0) {
            mark("measure-start");
            window.measureStartNs = System.nanoTime();
            window.phase = PHASE_MEASURE;
        }
        start.run();
        if (o.warmupS > 0) {
            Thread.sleep(millis(o.warmupS));
            mark("measure-start");
            window.measureStartNs = System.nanoTime();
            window.phase = PHASE_MEASURE;
        }
        if (!o.byOps()) {
            // A timed run: the window is wall-clock time, so waiting out the duration is the measurement itself.
            window.allSlotsDone.await(millis(o.durationS), TimeUnit.MILLISECONDS);
            window.phase = PHASE_STOP;
        }
        if (!window.allSlotsDone.await(DRAIN_DEADLINE_MS + (o.byOps() ? 3_600_000L : 0), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("requests did not complete in time");
        }
        mark("measure-end");
        return window.measureStartNs;
    }

    static long millis(double seconds) { return Math.round(seconds * 1000); }

    /** Tells the runner (which samples the server's CPU time on these lines) where the measured part begins and ends. */
    static void mark(String what) {
        System.out.println("# " + what);
        System.out.flush();
    }

    // ---- session churn ----------------------------------------------------------------------------------------------

    /** `sessions` threads each loop: open a session, create an ephemeral node, close the session. */
    static Result runChurn(Options o) throws Exception {
        // The default NIO client socket sleeps 100 ms in its clean-up while holding a lock shared by every client
        // in the JVM, so closes serialize at ~10 per second whatever the server does. Netty's does not; it needs
        // netty-resolver and netty-codec on the class path (bench/run.ts adds them).
        System.setProperty("zookeeper.clientCnxnSocket", "org.apache.zookeeper.ClientCnxnSocketNetty");
        String runDir = o.prefix + "/churn-" + runId();
        ZooKeeper setup = connect(o.connect, null);
        try {
            ensurePath(setup, runDir);
        } finally {
            setup.close();
        }
        Window window = new Window(o.byOps() ? o.ops : Long.MAX_VALUE, o.sessions);
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        byte[] data = value(o.valueSize);
        for (int i = 0; i < o.sessions; i++) {
            Recorder rec = new Recorder();
            recorders.add(rec);
            int churner = i;
            threads.add(new Thread(() -> churnLoop(o, window, rec, runDir + "/e" + churner + "-", data), "churner-" + i));
        }
        long startNs = runWindow(o, window, () -> threads.forEach(Thread::start));
        for (Thread t : threads) t.join();
        return Result.merge(recorders, startNs);
    }

    static void churnLoop(Options o, Window window, Recorder rec, String pathPrefix, byte[] data) {
        long n = 0;
        while (true) {
            int phase = window.phase;
            boolean measured = phase == PHASE_MEASURE;
            if (phase == PHASE_STOP || (measured && window.budget.getAndDecrement() <= 0)) break;
            long t0 = System.nanoTime();
            String failure = churnOnce(o.connect, pathPrefix + (n++), data);
            long now = System.nanoTime();
            if (measured) {
                rec.latency(now - t0, now);
                if (failure != null) rec.error(failure);
            }
        }
        window.slotDone();
    }

    /** One connect, create-ephemeral, close cycle; returns the error code name, or null when all went well. */
    static String churnOnce(String connect, String path, byte[] data) {
        ZooKeeper zk;
        try {
            zk = connect(connect, null);
        } catch (Exception e) {
            return "CONNECT_FAILED";
        }
        String failure = null;
        try {
            zk.create(path, data, OPEN, CreateMode.EPHEMERAL);
        } catch (KeeperException e) {
            failure = e.code().name();
        } catch (InterruptedException e) {
            failure = "INTERRUPTED";
        }
        try {
            zk.close();
        } catch (InterruptedException e) {
            failure = "INTERRUPTED";
        }
        return failure;
    }

    // ---- watch fan-out ----------------------------------------------------------------------------------------------

    /**
     * `watchers` sessions hold a one-shot data watch on one node; a writer session sets it, every watcher records
     * the time from the write being issued to its notification arriving, re-arms, and the next write waits until
     * all have re-armed (otherwise a watcher could miss a change). An op is one notification delivered.
     */
    static final class FanOut {
        final String path;
        volatile long roundStartNs;
        volatile boolean measured;
        volatile CountDownLatch rearmed;

        FanOut(String path) { this.path = path; }
    }

    static Result runWatchFanOut(Options o) throws Exception {
        String path = o.prefix + "/watch-" + runId();
        ZooKeeper writer = connect(o.connect, null);
        List<ZooKeeper> watchers = new ArrayList<>();
        List<Recorder> recorders = new ArrayList<>();
        FanOut fan = new FanOut(path);
        try {
            ensurePath(writer, path);
            fan.rearmed = new CountDownLatch(o.watchers);
            for (int i = 0; i < o.watchers; i++) {
                Recorder rec = new Recorder();
                recorders.add(rec);
                ZooKeeper[] self = new ZooKeeper[1];
                self[0] = connect(o.connect, event -> onFanOutEvent(fan, self[0], rec, event));
                watchers.add(self[0]);
                arm(fan, self[0], rec);
            }
            if (!fan.rearmed.await(ROUND_DEADLINE_MS, TimeUnit.MILLISECONDS)) throw new IllegalStateException("watches not set");
            Recorder writerErrors = new Recorder();
            recorders.add(writerErrors);
            long startNs = fanOutRounds(o, writer, fan, writerErrors);
            return Result.merge(recorders, startNs);
        } finally {
            writer.close();
            closeAll(watchers);
        }
    }

    static void arm(FanOut fan, ZooKeeper zk, Recorder rec) {
        CountDownLatch round = fan.rearmed;
        zk.getData(fan.path, true, (rc, p, ctx, data, stat) -> {
            if (rc != 0) rec.error(rc);
            round.countDown();
        }, null);
    }

    static void onFanOutEvent(FanOut fan, ZooKeeper zk, Recorder rec, WatchedEvent event) {
        if (event.getType() != EventType.NodeDataChanged) return;
        long now = System.nanoTime();
        if (fan.measured) rec.latency(now - fan.roundStartNs, now);
        arm(fan, zk, rec);
    }

    /** Writes rounds until the window closes (or `ops` notifications are due); returns when measuring began. */
    static long fanOutRounds(Options o, ZooKeeper writer, FanOut fan, Recorder writerErrors) throws Exception {
        byte[] data = value(o.valueSize);
        long warmupEndNs = System.nanoTime() + millis(o.warmupS) * 1_000_000L;
        long startNs = 0;
        long endNs = Long.MAX_VALUE;
        long roundsLeft = o.byOps() ? (o.ops + o.watchers - 1) / o.watchers : Long.MAX_VALUE;
        while (true) {
            long now = System.nanoTime();
            if (!fan.measured && now >= warmupEndNs) {
                mark("measure-start");
                fan.measured = true;
                startNs = now;
                if (!o.byOps()) endNs = now + millis(o.durationS) * 1_000_000L;
            }
            if (fan.measured && (now >= endNs || roundsLeft-- <= 0)) break;
            fan.rearmed = new CountDownLatch(o.watchers);
            fan.roundStartNs = System.nanoTime();
            try {
                writer.setData(fan.path, data, -1);
            } catch (KeeperException e) {
                writerErrors.error(e.code().name());
                break;
            }
            if (!fan.rearmed.await(ROUND_DEADLINE_MS, TimeUnit.MILLISECONDS)) {
                writerErrors.error("WATCH_TIMEOUT");
                break;
            }
        }
        mark("measure-end");
        return startNs;
    }

    // ---- populate ---------------------------------------------------------------------------------------------------

    /**
     * Creates `ops` leaves (default `keys`) in a depth-3 tree prefix/tree/aI/bJ/cK with a fan-out of
     * ceil(cbrt(leaves)), every node holding a `valueSize` value. Levels are created in order so every parent
     * exists before its children are sent. An op is one created node (inner nodes included).
     */
    static Result runPopulate(Options o) throws Exception {
        long leaves = o.byOps() ? o.ops : o.keys;
        int fan = (int) Math.ceil(Math.cbrt(leaves));
        List<ZooKeeper> sessions = connectAll(o.connect, o.sessions);
        Recorder errors = new Recorder();
        byte[] data = value(o.valueSize);
        String root = o.prefix + "/tree";
        try {
            ensurePath(sessions.get(0), root);
            mark("measure-start");
            long startNs = System.nanoTime();
            List<String> level1 = new ArrayList<>();
            List<String> level2 = new ArrayList<>();
            List<String> level3 = new ArrayList<>();
            for (int a = 0; a < fan; a++) level1.add(root + "/a" + a);
            for (String p : level1) for (int b = 0; b < fan; b++) level2.add(p + "/b" + b);
            outer:
            for (String p : level2) {
                for (int c = 0; c < fan; c++) {
                    if (level3.size() >= leaves) break outer;
                    level3.add(p + "/c" + c);
                }
            }
            for (List<String> level : List.of(level1, level2, level3)) {
                createAll(sessions, o.inflight, level, data, false, errors);
            }
            mark("measure-end");
            Result r = Result.merge(List.of(errors), startNs);
            r.ops = level1.size() + level2.size() + level3.size();
            r.seconds = (System.nanoTime() - startNs) / 1e9;
            return r;
        } finally {
            closeAll(sessions);
        }
    }
}
