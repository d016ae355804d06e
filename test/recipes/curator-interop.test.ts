/**
 * Interop with Apache Curator (Debian's libcurator-recipes-java) on a Herd server: a Curator
 * InterProcessMutex and a Herd Mutex on one path exclude each other in both directions, and a Curator
 * LeaderLatch and a Herd LeaderLatch on one path see exactly one leader, handing over both ways. The Java
 * side is test/recipes/java/CuratorInterop.java, compiled by scripts/ensure-test-deps.sh.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, test } from "node:test";
import { LeaderLatch, Mutex, isProtectedName, unprotectedName } from "../../src/recipes/index.js";
import { javaBin, javaShareDir, repoRoot, requireTool, slf4jNopJar } from "../helpers/interop-tools.js";
import { InteractiveProgram, terminate } from "../helpers/process-io.js";
import { WAIT_MS, freshPath, useClients, useServer, waitForChildren } from "./support.js";

/** Where ensure-test-deps.sh puts the compiled CuratorInterop. */
const classDir = path.join(repoRoot, "dist", "recipes-java");
/** A JVM with Curator starts in a few seconds; everything after that is fast. */
const JAVA_WAIT_MS = 30_000;

/** Curator's jars; their manifests' Class-Path brings guava, slf4j-api, zookeeper and zookeeper-jute. */
function curatorClassPath(): string {
  const jars = ["curator-recipes.jar", "curator-framework.jar", "curator-client.jar", "zookeeper.jar"].map((j) => requireTool(path.join(javaShareDir, j)));
  requireTool(path.join(classDir, "CuratorInterop.class"));
  return [...jars, requireTool(slf4jNopJar), classDir].join(":");
}

describe("Apache Curator interop (Herd)", () => {
  const server = useServer("herd");
  const clients = useClients();
  const programs: InteractiveProgram[] = [];
  after(async () => {
    await Promise.all(programs.map((p) => terminate(p.child, "SIGKILL", 5_000)));
  });

  async function curator(...args: string[]): Promise<InteractiveProgram> {
    const program = new InteractiveProgram(requireTool(javaBin), [
      "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", curatorClassPath(), "CuratorInterop", ...args,
    ]);
    programs.push(program);
    await program.expect(/^CONNECTED$/m, JAVA_WAIT_MS);
    return program;
  }

  test("a Curator InterProcessMutex and a Herd Mutex on one path exclude each other", async () => {
    const zk = await clients.connect(server().connectString);
    const lockPath = freshPath("curator-mutex");
    const java = await curator("mutex", server().connectString, lockPath);

    java.send("acquire");
    await java.expect(/^LOCKED$/m, WAIT_MS);
    const [javaNode] = await zk.getChildren(lockPath);
    assert.ok(javaNode !== undefined && isProtectedName(javaNode), `Curator's node ${javaNode}`);
    assert.match(unprotectedName(javaNode), /^lock-\d{10}$/, "the same layout as ours");
    const ours = new Mutex(zk, lockPath);
    assert.equal(await ours.acquire(0), false, "Curator holds it");
    const waiting = ours.acquire(WAIT_MS);
    await waitForChildren(zk, lockPath, (c) => c.length === 2, "our node queued behind Curator's");
    java.send("release");
    await java.expect(/^RELEASED$/m, WAIT_MS);
    assert.equal(await waiting, true, "ours after Curator's release");

    java.send("acquire");
    await waitForChildren(zk, lockPath, (c) => c.length === 2, "Curator queued behind us");
    assert.doesNotMatch(java.output(), /LOCKED[\s\S]*LOCKED/, "Curator must wait while we hold it");
    await ours.release();
    await java.expect(/^LOCKED$/m, WAIT_MS);
    java.send("release");
    await java.expect(/^RELEASED$/m, WAIT_MS);
    java.send("quit");
    await java.expect(/^BYE$/m, WAIT_MS);
  });

  test("a Curator LeaderLatch and a Herd LeaderLatch on one path see exactly one leader", async () => {
    const zk = await clients.connect(server().connectString);
    const latchPath = freshPath("curator-latch");
    const java = await curator("latch", server().connectString, latchPath, "java");

    java.send("start");
    await java.expect(/^LEADER$/m, WAIT_MS);
    const ours = new LeaderLatch(zk, latchPath, { id: "node" });
    await ours.start();
    assert.equal(ours.hasLeadership, false, "Curator leads");
    assert.match(unprotectedName(path.posix.basename(ours.ourPath as string)), /^latch-\d{10}$/);
    assert.deepEqual(await ours.getParticipants(), [{ id: "java", isLeader: true }, { id: "node", isLeader: false }]);

    java.send("close");
    await java.expect(/^CLOSED$/m, WAIT_MS);
    assert.equal(await ours.await(WAIT_MS), true, "we lead once Curator leaves");

    java.send("start");
    await java.expect(/^JOINED$/m, WAIT_MS);
    await waitForChildren(zk, latchPath, (c) => c.length === 2, "Curator rejoined");
    assert.deepEqual(await ours.getParticipants(), [{ id: "node", isLeader: true }, { id: "java", isLeader: false }]);
    assert.equal(ours.hasLeadership, true);
    assert.doesNotMatch(java.output().split("JOINED").pop() ?? "", /LEADER/, "Curator follows while we lead");
    await ours.close();
    await java.expect(/^LEADER$/m, WAIT_MS);
    java.send("quit");
    await java.expect(/^BYE$/m, WAIT_MS);
  });
});
