/**
 * A child process for node-zookeeper-client.test.ts: opens a session, creates an ephemeral node, prints
 * {"sessionId": hex, "password": hex} on one line, then stays idle until killed. The test kills it with SIGKILL
 * to drop the session without closing it (no closeSession request reaches the server).
 *
 *   node dist/test/interop/nzk-session-holder.js <host:port> <path> <sessionTimeoutMs>
 */
import zookeeper from "node-zookeeper-client";

const [connectString, nodePath, timeoutArg] = process.argv.slice(2);
if (process.argv.length === 2) {
  // Run without arguments, e.g. picked up by `node --test <dir>` as a file under test/: nothing to hold.
  process.exit(0);
}
if (connectString === undefined || nodePath === undefined || timeoutArg === undefined) {
  process.stderr.write("usage: nzk-session-holder <host:port> <path> <sessionTimeoutMs>\n");
  process.exit(2);
}

const client = zookeeper.createClient(connectString, { sessionTimeout: Number(timeoutArg), retries: 0 });
const giveUp = setTimeout(() => {
  process.stderr.write("holder: not connected within 15 s\n");
  process.exit(1);
}, 15_000);

client.once("connected", () => {
  client.create(nodePath, null, zookeeper.ACL.OPEN_ACL_UNSAFE, zookeeper.CreateMode.EPHEMERAL, (err) => {
    clearTimeout(giveUp);
    if (err) {
      process.stderr.write(`holder: create failed: ${err.message}\n`);
      process.exit(1);
    }
    const sessionId = client.getSessionId().toString("hex");
    const password = client.getSessionPassword().toString("hex");
    process.stdout.write(`${JSON.stringify({ sessionId, password })}\n`);
    // The open client connection keeps the process alive until the test kills it; if the test process dies
    // instead, our stdin closes and we leave rather than linger.
    process.stdin.on("end", () => process.exit(0)).resume();
  });
});
client.connect();
