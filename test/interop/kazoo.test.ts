/**
 * Interop with kazoo 2.8 (Debian's python3-kazoo): runs test/interop/python/kazoo_suite.py against the server
 * named by HERD_TEST_TARGET and reports each of its checks as a test.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startTarget, targetKind, type ServerProcess } from "../helpers/server-process.js";
import { runProgram, type RunResult } from "../helpers/process-io.js";
import { interopPythonDir, requireTool, systemPython } from "../helpers/interop-tools.js";

/** The checks kazoo_suite.py runs, in its order. */
const kazooChecks = [
  "create-modes", "container", "ttl", "get-set-versions", "children", "watches", "transactions", "acl-digest",
  "session-expiry", "session-reattach", "four-letter-ruok",
] as const;

const suiteTimeoutMs = 120_000;

interface CheckResult { check: string; ok: boolean; error?: string }

describe(`kazoo interop (${targetKind()})`, () => {
  let server: ServerProcess | undefined;
  let run: RunResult | undefined;
  const results = new Map<string, CheckResult>();

  before(async () => {
    // A 1 s container sweep lets the container and TTL checks finish in seconds.
    server = await startTarget({ cfg: { "znode.container.checkIntervalMs": "1000" } });
    const script = requireTool(path.join(interopPythonDir, "kazoo_suite.py"));
    run = await runProgram(requireTool(systemPython), [script, "suite", server.connectString], {
      timeoutMs: suiteTimeoutMs,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
    });
    for (const line of run.stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      const result = JSON.parse(line) as CheckResult;
      results.set(result.check, result);
    }
  });

  after(async () => {
    await server?.stop();
  });

  for (const name of kazooChecks) {
    it(name, () => {
      const result = results.get(name);
      assert.ok(result, `${name} not reported\n${tail(run?.stderr)}`);
      assert.ok(result.ok, `${name}: ${result.error}\n--- python stderr (tail) ---\n${tail(run?.stderr)}`);
    });
  }

  it("reports exactly the expected checks and exits 0", () => {
    assert.deepEqual([...results.keys()], [...kazooChecks]);
    assert.equal(run?.code, 0, tail(run?.stderr));
  });
});

function tail(text: string | undefined): string {
  return (text ?? "").split("\n").slice(-40).join("\n");
}
