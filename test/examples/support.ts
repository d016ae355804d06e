/**
 * Shared set-up for the example tests: a fresh in-process Herd server per test (TestingServer, tickTime
 * 500 ms so sessions may be as short as 1 s) and the example programs run against it as child processes,
 * all stopped (then the server closed) when the test ends. Every wait is for a printed line or an exit.
 */
import type { TestContext } from "node:test";
import { TestingServer } from "../../src/testing/index.js";
import { exampleScript, RoleProcess, stopAll } from "../../examples/shared/processes.js";

export const TICK_MS = 500;
/** Session timeout the tests give the example programs: short, so kill -9 is noticed quickly. */
export const SESSION_TIMEOUT_MS = 1_500;
/** Bound on one step (a line to be printed, a program to finish). */
export const STEP_MS = 15_000;
/**
 * A killed process's session ends between its timeout and one tick later; the rest is margin for a
 * loaded machine running other test files at the same time.
 */
export const EXPIRY_BOUND_MS = 2 * SESSION_TIMEOUT_MS + 1_000;

export interface ExampleEnv {
  server: TestingServer;
  /** Starts `dist/examples/<example>/<program>.js args --server <this test's server>`. */
  start(name: string, example: string, program: string, args?: readonly string[]): RoleProcess;
  /** Starts it, waits (bounded) for it to exit, and fails unless it exited 0. */
  run(name: string, example: string, program: string, args?: readonly string[], timeoutMs?: number): Promise<RoleProcess>;
}

export async function exampleEnv(t: TestContext): Promise<ExampleEnv> {
  const server = await TestingServer.start({ tickTimeMs: TICK_MS });
  const programs: RoleProcess[] = [];
  // SIGTERM, so a demo stops the programs it started too (each is killed if it lingers).
  t.after(async () => {
    await stopAll(programs);
    await server.close();
  });
  const start = (name: string, example: string, program: string, args: readonly string[] = []) => {
    const p = new RoleProcess(name, exampleScript(example, program), [...args, "--server", server.connectString]);
    programs.push(p);
    return p;
  };
  const run = async (name: string, example: string, program: string, args: readonly string[] = [], timeoutMs = STEP_MS) => {
    const p = start(name, example, program, args);
    const status = await p.waitForExit(timeoutMs);
    if (status.code !== 0) throw new Error(`${name} exited ${status.code ?? status.signal}\n${p.lines.join("\n")}\n${p.stderr}`);
    return p;
  };
  return { server, start, run };
}

/** The lines of several programs matching `pattern`, as match arrays. */
export function allMatches(programs: readonly RoleProcess[], pattern: RegExp): RegExpMatchArray[] {
  return programs.flatMap((p) => p.matches(pattern));
}

/** Values that occur more than once. */
export function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}

/** Fails unless `program` printed a line matching `pattern` (shows its output if not). */
export function assertPrinted(program: RoleProcess, pattern: RegExp): RegExpMatchArray {
  const match = program.matches(pattern)[0];
  if (match === undefined) throw new Error(`${program.name} never printed ${pattern}; it printed:\n${program.lines.join("\n")}\n${program.stderr}`);
  return match;
}
