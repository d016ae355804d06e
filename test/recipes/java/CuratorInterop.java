// Drives Apache Curator's InterProcessMutex and LeaderLatch for test/recipes/curator-interop.test.ts, so
// Herd's TypeScript recipes can be checked against the real Java implementation on the same znodes.
// Reads commands on stdin, one per line, and reports on stdout, one word per line:
//   mutex CONNECT PATH   then "acquire" -> LOCKED, "release" -> RELEASED
//   latch CONNECT PATH ID  then "start" -> JOINED (and LEADER / FOLLOWER on every change), "close" -> CLOSED
// Always: "quit" -> BYE, exit 0. Any failure: "ERROR <message>" and exit 1.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;

public final class CuratorInterop {
    private CuratorInterop() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10_000, 10_000, new RetryNTimes(3, 100));
        client.start();
        try {
            if (!client.blockUntilConnected(20, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
            say("CONNECTED");
            switch (mode) {
                case "mutex": runMutex(client, args[2]); break;
                case "latch": runLatch(client, args[2], args[3]); break;
                default: throw new IllegalArgumentException("unknown mode " + mode);
            }
        } catch (Exception e) {
            say("ERROR " + e);
            System.exit(1);
        } finally {
            client.close();
        }
        say("BYE");
    }

    private static void runMutex(CuratorFramework client, String path) throws Exception {
        InterProcessMutex mutex = new InterProcessMutex(client, path);
        for (String command : commands()) {
            switch (command) {
                case "acquire": mutex.acquire(); say("LOCKED"); break;
                case "release": mutex.release(); say("RELEASED"); break;
                case "quit": return;
                default: throw new IllegalArgumentException("unknown command " + command);
            }
        }
    }

    private static void runLatch(CuratorFramework client, String path, String id) throws Exception {
        LeaderLatch latch = null;
        for (String command : commands()) {
            switch (command) {
                case "start":
                    latch = new LeaderLatch(client, path, id);
                    latch.addListener(new LeaderLatchListener() {
                        @Override public void isLeader() { say("LEADER"); }
                        @Override public void notLeader() { say("FOLLOWER"); }
                    });
                    latch.start();
                    say("JOINED");
                    break;
                case "close":
                    latch.close(LeaderLatch.CloseMode.SILENT);
                    say("CLOSED");
                    break;
                case "quit": return;
                default: throw new IllegalArgumentException("unknown command " + command);
            }
        }
    }

    private static Iterable<String> commands() {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        return () -> in.lines().map(String::trim).filter(l -> !l.isEmpty()).iterator();
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
