/**
 * Configuration management on one znode: the configuration is a JSON object of strings stored in a node;
 * writers change it with compare-and-set on the node's version, and services follow it with a data watch,
 * applying the current configuration at start and then every change.
 */
import { BadVersionError, NoNodeError, NodeExistsError, type WatchEvent, type ZooKeeperClient } from "../../src/client/index.js";
import { ensurePath, serialPasses } from "../shared/cli.js";

export const CONFIG_PATH_DEFAULT = "/examples/config/app";
/** Bound on compare-and-set attempts when many writers change the configuration at once. */
const UPDATE_ATTEMPTS_MAX = 20;

export type Config = Record<string, string>;

export interface VersionedConfig {
  config: Config;
  /** The node's data version: 0 when created, +1 per change. */
  version: number;
}

export function parseConfig(data: Buffer): Config {
  if (data.length === 0) return {};
  const value: unknown = JSON.parse(data.toString("utf8"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("the configuration is not a JSON object");
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

export function configText(config: Config): string {
  return JSON.stringify(config);
}

/** Parses `key=value` arguments; `key=` removes the key. */
export function parseChanges(args: readonly string[]): Config {
  const changes: Config = {};
  for (const arg of args) {
    const at = arg.indexOf("=");
    if (at <= 0) throw new Error(`expected key=value, got ${arg}`);
    changes[arg.slice(0, at)] = arg.slice(at + 1);
  }
  return changes;
}

function merged(config: Config, changes: Config): Config {
  const next = { ...config };
  for (const [key, value] of Object.entries(changes)) {
    if (value === "") delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * Applies `changes` to the stored configuration (creating the node if missing). setData carries the version
 * read, so a change made by someone else in between makes it fail and we merge again: no update is lost.
 */
export async function updateConfig(zk: ZooKeeperClient, path: string, changes: Config): Promise<VersionedConfig> {
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS_MAX; attempt++) {
    try {
      const { data, stat } = await zk.getData(path);
      const config = merged(parseConfig(data), changes);
      const written = await zk.setData(path, configText(config), stat.version);
      return { config, version: written.version };
    } catch (err) {
      if (err instanceof BadVersionError) continue;
      if (!(err instanceof NoNodeError)) throw err;
    }
    const config = merged({}, changes);
    try {
      await ensurePath(zk, path.slice(0, path.lastIndexOf("/")));
      await zk.create(path, configText(config));
      return { config, version: 0 };
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
  }
  throw new Error(`the configuration at ${path} kept changing; gave up after ${UPDATE_ATTEMPTS_MAX} attempts`);
}

export interface ConfigFollower {
  /** The current configuration, then each change. */
  onConfig(current: VersionedConfig): void;
  /** The node does not exist (yet); called once until it appears. */
  onMissing(): void;
  onError(err: unknown): void;
}

/**
 * Follows the configuration node. A watch fires once, so each read sets it again; what fires it only says
 * "changed", and the read that follows gets the latest data. The node's mzxid (the zxid of its last change)
 * tells whether that data is newer than what was applied last, even if the node was deleted and created again.
 */
export function followConfig(zk: ZooKeeperClient, path: string, follower: ConfigFollower): void {
  let appliedMzxid = -1n;
  let missingReported = false;
  const onEvent = (event: WatchEvent) => {
    if (event.type.startsWith("Node")) requestPass();
  };
  const requestPass = serialPasses(async () => {
    try {
      const { data, stat } = await zk.getData(path, { watch: onEvent });
      missingReported = false;
      if (stat.mzxid <= appliedMzxid) return;
      appliedMzxid = stat.mzxid;
      follower.onConfig({ config: parseConfig(data), version: stat.version });
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
      // exists() sets a watch on a missing node too: it fires when the node is created.
      const stat = await zk.exists(path, { watch: onEvent });
      if (stat !== null) requestPass();
      else if (!missingReported) {
        missingReported = true;
        follower.onMissing();
      }
    }
  }, follower.onError);
  requestPass();
}
