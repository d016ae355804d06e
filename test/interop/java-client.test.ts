/**
 * Interop with the official Java client (Debian's zookeeper 3.8.0 jar): runs test/interop/java/HerdInterop.java
 * (compiled by scripts/ensure-test-deps.sh) against the server named by HERD_TEST_TARGET and reports each of
 * its checks as a test.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startTarget, targetKind, type ServerProcess } from "../helpers/server-process.js";
import { runProgram, type RunResult } from "../helpers/process-io.js";
import { interopJavaClassDir, javaBin, javaClientClassPath, requireTool } from "../helpers/interop-tools.js";
import path from "node:path";

/** The checks HerdInterop runs, in its order; each must print "OK <name>". */
const javaChecks = [
  "create-modes", "create2-stat", "container", "ttl", "data-versions", "children", "watches-standard",
  "watches-persistent", "watches-persistent-recursive", "remove-watches", "multi", "multi-read",
  "get-ephemerals", "acl-digest", "who-am-i", "session-expiry", "session-reattach",
] as const;

const suiteTimeoutMs = 120_000;

describe(`Java client interop (${targetKind()})`, () => {
  let server: ServerProcess | undefined;
  let run: RunResult | undefined;
  const outcomes = new Map<string, string>();

  before(async () => {
    // A 1 s container sweep lets the container and TTL checks finish in seconds.
    server = await startTarget({ cfg: { "znode.container.checkIntervalMs": "1000" } });
    requireTool(path.join(interopJavaClassDir, "HerdInterop.class"));
    run = await runProgram(requireTool(javaBin), [
      "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-cp", javaClientClassPath(interopJavaClassDir), "HerdInterop", "suite", server.connectString,
    ], { timeoutMs: suiteTimeoutMs });
    for (const line of run.stdout.split("\n")) {
      const m = /^(OK|FAIL) ([\w-]+)(?:: (.*))?$/.exec(line);
      if (m !== null) outcomes.set(m[2] as string, m[1] === "OK" ? "OK" : (m[3] ?? "failed"));
    }
  });

  after(async () => {
    await server?.stop();
  });

  for (const name of javaChecks) {
    it(name, () => {
      const outcome = outcomes.get(name);
      assert.equal(outcome, "OK", `${name}: ${outcome ?? "not reported"}\n--- java stderr (tail) ---\n${tail(run?.stderr)}`);
    });
  }

  it("reports exactly the expected checks and exits 0", () => {
    assert.deepEqual([...outcomes.keys()], [...javaChecks]);
    assert.equal(run?.code, 0, tail(run?.stderr));
  });
});

function tail(text: string | undefined): string {
  return (text ?? "").split("\n").slice(-40).join("\n");
}
