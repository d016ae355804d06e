/**
 * Where the real ZooKeeper clients and server live on a Debian machine (packages zookeeper, zookeeper-bin,
 * python3-kazoo, installed by scripts/ensure-test-deps.sh), and where our compiled Java interop program goes.
 * One place, so a test that cannot find a tool fails with the same clear message everywhere.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root, found from this file's compiled location dist/test/helpers/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const javaBin = "/usr/bin/java";
export const javaShareDir = "/usr/share/java";
/** The Debian jar's manifest Class-Path pulls in its dependencies (netty, jute, slf4j-api, ...). */
export const zookeeperJar = path.join(javaShareDir, "zookeeper.jar");
/** slf4j's stderr logger: gives the server a log we can watch for readiness. */
export const slf4jSimpleJar = path.join(javaShareDir, "slf4j-simple.jar");
/** slf4j's silent logger, for clients whose log would only be noise. */
export const slf4jNopJar = path.join(javaShareDir, "slf4j-nop.jar");
export const zkCliScript = "/usr/share/zookeeper/bin/zkCli.sh";
export const cliMtBin = "/usr/lib/zookeeper/bin/cli_mt";
/** Debian's python3-kazoo is installed for the system interpreter, not for any python3 earlier on PATH. */
export const systemPython = "/usr/bin/python3";

/** Compiled by scripts/ensure-test-deps.sh from test/interop/java/HerdInterop.java. */
export const interopJavaClassDir = path.join(repoRoot, "dist", "interop-java");
export const interopPythonDir = path.join(repoRoot, "test", "interop", "python");

/** Throws a message naming the installer when a tool is missing, so a test never silently does nothing. */
export function requireTool(file: string): string {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`bash scripts/ensure-test-deps.sh\` (as root it installs it)`);
  }
  return file;
}

/** Class path for running a Java ZooKeeper client quietly. */
export function javaClientClassPath(...extra: string[]): string {
  return [requireTool(zookeeperJar), requireTool(slf4jNopJar), ...extra].join(":");
}
