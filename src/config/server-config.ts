// The server's configuration: its type, the embedded defaults, and the zoo.cfg parser.
//
// zoo.cfg is a Java properties file (see properties.ts). ZooKeeper reads a fixed set of keys itself and turns every
// other key K into the JVM system property `zookeeper.K`; that is why `snapCount`, `4lw.commands.whitelist`,
// `admin.serverPort`, `skipACL`... work from zoo.cfg. People also copy the `-D` spelling into zoo.cfg, so for those
// system-property settings we accept both `K` and `zookeeper.K` (when both appear, the later line wins). The keys
// ZooKeeper reads itself (tickTime, dataDir, server.N...) are accepted only as written: `zookeeper.tickTime` means
// nothing to ZooKeeper, so it is reported as unknown rather than silently applied.
//
// Two settings ZooKeeper only takes as real `-D` flags are accepted here from zoo.cfg too, because Herd has no JVM:
// `jute.maxbuffer` and `znode.container.*`.
//
// Parsing is pure: nothing is logged. Keys we do not know go to `unknownKeys` and adjustments we make (as ZooKeeper
// makes them, e.g. autopurge.snapRetainCount < 3) go to `warnings`; the caller logs both.

import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parsePropertyEntries, PropertiesSyntaxError, type PropertyEntry } from "./properties.js";

export type PeerRole = "participant" | "observer";

export interface QuorumServerSpec {
  host: string;
  quorumPort: number;
  electionPort: number;
  role: PeerRole;
  clientHost?: string;
  clientPort?: number;
}

export interface ServerConfig {
  tickTimeMs: number;
  /** Absolute path. */
  dataDir: string;
  /** Absolute path; defaults to dataDir. */
  dataLogDir: string;
  /** 0 lets the OS choose (handy for tests). */
  clientPort: number;
  clientPortAddress: string;
  /** Per client IP; 0 = unlimited. */
  maxClientCnxns: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  snapCount: number;
  autopurgeSnapRetainCount: number;
  /** 0 = autopurge off. */
  autopurgePurgeIntervalHours: number;
  /** Always contains "srvr" (zkServer.sh status needs it), as in ZooKeeper; "*" = every command. */
  fourLetterWordWhitelist: Set<string> | "*";
  extendedTypesEnabled: boolean;
  containerCheckIntervalMs: number;
  containerMaxPerMinute: number;
  /** `user:base64(sha1("user:password"))`, or null when no super user is configured. */
  superDigest: string | null;
  juteMaxBufferBytes: number;
  globalOutstandingLimit: number;
  skipACL: boolean;
  enforceQuota: boolean;
  adminServerPort: number;
  adminServerAddress: string;
  adminEnableServer: boolean;
  // Ensemble settings: parsed and validated now, used by a later issue.
  initLimit: number | null;
  syncLimit: number | null;
  servers: Map<number, QuorumServerSpec>;
  peerType: PeerRole;
  /** Keys we do not recognise, in file order (the caller logs them). */
  unknownKeys: string[];
  /** Every property as read (value trimmed), known or not, for settings a later issue will need. */
  raw: Map<string, string>;
  /** Values we adjusted the way ZooKeeper does, e.g. "autopurge.snapRetainCount=1 raised to 3" (the caller logs). */
  warnings: string[];
}

/** A setting is missing its meaning: the message names the key, the bad value and what is expected. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const INT32_MAX = 2 ** 31 - 1;
const PORT_MAX = 65_535;
const SNAP_COUNT_MIN = 2;
const SNAP_RETAIN_COUNT_MIN = 3;
/** zoo.cfg is a few lines; anything far bigger is not a config file. */
export const CONFIG_FILE_BYTES_MAX = 1024 * 1024;

const HERD_TICK_TIME_MS_DEFAULT = 2000;
const DATA_DIR_DEFAULT = "./data";
/** An embedded server listens only locally; a server started from zoo.cfg listens where ZooKeeper would. */
const EMBEDDED_ADDRESS_DEFAULT = "127.0.0.1";
const ZOO_CFG_ADDRESS_DEFAULT = "0.0.0.0";

type AddressDefaults = Pick<ServerConfig, "clientPortAddress" | "adminServerAddress">;

// ---------------------------------------------------------------------------------------------------------------
// Defaults and the final, cross-key step shared by both entry points

/** The embedded server's configuration, with `overrides` applied; relative paths resolve against the cwd. */
export function defaultServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const addressDefaults = { clientPortAddress: EMBEDDED_ADDRESS_DEFAULT, adminServerAddress: EMBEDDED_ADDRESS_DEFAULT };
  return buildConfig(overrides, addressDefaults, process.cwd());
}

function definedOnly<T extends object>(partial: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Fills in defaults (minSessionTimeout etc. from the final tickTime), resolves paths, checks cross-key rules. */
function buildConfig(explicit: Partial<ServerConfig>, addressDefaults: AddressDefaults, baseDir: string): ServerConfig {
  const given = definedOnly(explicit);
  const tickTimeMs = given.tickTimeMs ?? HERD_TICK_TIME_MS_DEFAULT;
  const dataDir = path.resolve(baseDir, given.dataDir ?? DATA_DIR_DEFAULT);
  const config: ServerConfig = {
    tickTimeMs,
    clientPort: 2181,
    ...addressDefaults,
    maxClientCnxns: 60,
    minSessionTimeoutMs: 2 * tickTimeMs,
    maxSessionTimeoutMs: 20 * tickTimeMs,
    snapCount: 100_000,
    autopurgeSnapRetainCount: SNAP_RETAIN_COUNT_MIN,
    autopurgePurgeIntervalHours: 0,
    fourLetterWordWhitelist: new Set(["srvr"]),
    extendedTypesEnabled: false,
    containerCheckIntervalMs: 60_000,
    containerMaxPerMinute: 10_000,
    superDigest: null,
    juteMaxBufferBytes: 0xfffff,
    globalOutstandingLimit: 1000,
    skipACL: false,
    enforceQuota: false,
    adminServerPort: 8080,
    adminEnableServer: true,
    initLimit: null,
    syncLimit: null,
    servers: new Map(),
    peerType: "participant",
    unknownKeys: [],
    raw: new Map(),
    warnings: [],
    ...given,
    dataDir,
    dataLogDir: given.dataLogDir === undefined ? dataDir : path.resolve(baseDir, given.dataLogDir),
  };
  applyZooKeeperAdjustments(config);
  validateConfig(config);
  return config;
}

/** Out-of-range values ZooKeeper quietly corrects (with a log line) rather than rejects. */
function applyZooKeeperAdjustments(config: ServerConfig): void {
  config.warnings = [...config.warnings];
  if (config.autopurgeSnapRetainCount < SNAP_RETAIN_COUNT_MIN) {
    config.warnings.push(
      `autopurge.snapRetainCount=${config.autopurgeSnapRetainCount} is below the minimum; using ${SNAP_RETAIN_COUNT_MIN}`,
    );
    config.autopurgeSnapRetainCount = SNAP_RETAIN_COUNT_MIN;
  }
  if (config.snapCount < SNAP_COUNT_MIN) {
    config.warnings.push(`snapCount=${config.snapCount} is below the minimum; using ${SNAP_COUNT_MIN}`);
    config.snapCount = SNAP_COUNT_MIN;
  }
  if (config.autopurgePurgeIntervalHours < 0) {
    config.warnings.push(`autopurge.purgeInterval=${config.autopurgePurgeIntervalHours} is negative; autopurge is off`);
    config.autopurgePurgeIntervalHours = 0;
  }
}

/** Rules that hold whichever way the config was made (also guards `defaultServerConfig` overrides). */
function validateConfig(config: ServerConfig): void {
  checkIntRange("tickTime", config.tickTimeMs, 1, INT32_MAX);
  checkIntRange("clientPort", config.clientPort, 0, PORT_MAX);
  checkIntRange("admin.serverPort", config.adminServerPort, 0, PORT_MAX);
  checkIntRange("maxClientCnxns", config.maxClientCnxns, 0, INT32_MAX);
  checkIntRange("minSessionTimeout", config.minSessionTimeoutMs, 1, INT32_MAX);
  checkIntRange("maxSessionTimeout", config.maxSessionTimeoutMs, 1, INT32_MAX);
  checkIntRange("globalOutstandingLimit", config.globalOutstandingLimit, 1, INT32_MAX);
  checkIntRange("jute.maxbuffer", config.juteMaxBufferBytes, 1, INT32_MAX);
  checkIntRange("znode.container.checkIntervalMs", config.containerCheckIntervalMs, 1, INT32_MAX);
  checkIntRange("znode.container.maxPerMinute", config.containerMaxPerMinute, 1, INT32_MAX);
  if (config.minSessionTimeoutMs > config.maxSessionTimeoutMs) {
    throw new ConfigError(
      `minSessionTimeout (${config.minSessionTimeoutMs} ms) must not be larger than ` +
        `maxSessionTimeout (${config.maxSessionTimeoutMs} ms); with tickTime=${config.tickTimeMs} ` +
        `they default to ${2 * config.tickTimeMs} and ${20 * config.tickTimeMs}`,
    );
  }
  if (config.superDigest !== null && !config.superDigest.includes(":")) {
    throw new ConfigError(`superDigest "${config.superDigest}" is not of the form user:base64digest`);
  }
}

function checkIntRange(key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} is ${value}; expected an integer from ${min} to ${max}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// zoo.cfg

/** Parses zoo.cfg text. Relative paths resolve against `baseDir` (the cfg file's directory; default: the cwd). */
export function parseServerConfig(text: string, opts: { baseDir?: string } = {}): ServerConfig {
  const entries = readEntries(text);
  const settings: Partial<ServerConfig> = { servers: new Map(), unknownKeys: [], raw: new Map(), warnings: [] };
  for (const entry of entries) applyEntry(settings, entry);
  finishWhitelist(settings);
  const addressDefaults = { clientPortAddress: ZOO_CFG_ADDRESS_DEFAULT, adminServerAddress: ZOO_CFG_ADDRESS_DEFAULT };
  return buildConfig(settings, addressDefaults, path.resolve(opts.baseDir ?? process.cwd()));
}

/** Reads and parses a zoo.cfg file; its relative paths resolve against the file's directory. */
export function loadServerConfig(file: string): ServerConfig {
  const absolute = path.resolve(file);
  const text = readConfigText(absolute);
  try {
    return parseServerConfig(text, { baseDir: path.dirname(absolute) });
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${absolute}: ${error.message}`);
    throw error;
  }
}

function readConfigText(file: string): string {
  let sizeBytes: number;
  try {
    sizeBytes = statSync(file).size;
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  if (sizeBytes > CONFIG_FILE_BYTES_MAX) {
    throw new ConfigError(`config file ${file} is ${sizeBytes} bytes; the limit is ${CONFIG_FILE_BYTES_MAX}`);
  }
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
}

function readEntries(text: string): PropertyEntry[] {
  try {
    return parsePropertyEntries(text);
  } catch (error) {
    if (error instanceof PropertiesSyntaxError) throw new ConfigError(error.message);
    throw error;
  }
}

function applyEntry(settings: Partial<ServerConfig>, entry: PropertyEntry): void {
  settings.raw!.set(entry.key, entry.value);
  const handler = findHandler(entry.key);
  if (handler === "known") return;
  if (handler === undefined) {
    if (!settings.unknownKeys!.includes(entry.key)) settings.unknownKeys!.push(entry.key);
    return;
  }
  handler(settings, { key: entry.key, value: entry.value, line: entry.line });
}

// ---------------------------------------------------------------------------------------------------------------
// Key table

/** What a handler sees: the key as written (for messages), the trimmed value and its line. */
interface Setting {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

type Handler = (settings: Partial<ServerConfig>, setting: Setting) => void;

/** Keys ZooKeeper's own config parser reads; accepted only as written. */
const NATIVE_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["tickTime", (s, v) => (s.tickTimeMs = parseIntSetting(v, 1, INT32_MAX))],
  ["dataDir", (s, v) => (s.dataDir = parsePathSetting(v))],
  ["dataLogDir", (s, v) => (s.dataLogDir = parsePathSetting(v))],
  ["clientPort", (s, v) => (s.clientPort = parsePortSetting(v))],
  ["clientPortAddress", (s, v) => (s.clientPortAddress = parseNonEmptySetting(v, "a host name or IP address"))],
  ["maxClientCnxns", (s, v) => (s.maxClientCnxns = parseIntSetting(v, 0, INT32_MAX))],
  ["minSessionTimeout", (s, v) => (s.minSessionTimeoutMs = parseSessionTimeout(v))],
  ["maxSessionTimeout", (s, v) => (s.maxSessionTimeoutMs = parseSessionTimeout(v))],
  ["autopurge.snapRetainCount", (s, v) => (s.autopurgeSnapRetainCount = parseIntSetting(v, -INT32_MAX - 1, INT32_MAX))],
  ["autopurge.purgeInterval", (s, v) => (s.autopurgePurgeIntervalHours = parseIntSetting(v, -INT32_MAX - 1, INT32_MAX))],
  ["initLimit", (s, v) => (s.initLimit = parseIntSetting(v, 1, INT32_MAX))],
  ["syncLimit", (s, v) => (s.syncLimit = parseIntSetting(v, 1, INT32_MAX))],
  ["peerType", (s, v) => (s.peerType = parseRole(v))],
]);

/** Settings ZooKeeper takes as system properties: accepted as `K` and as `zookeeper.K`. */
const SYSTEM_PROPERTY_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["snapCount", (s, v) => (s.snapCount = parseIntSetting(v, -INT32_MAX - 1, INT32_MAX))],
  ["globalOutstandingLimit", (s, v) => (s.globalOutstandingLimit = parseIntSetting(v, 1, INT32_MAX))],
  ["4lw.commands.whitelist", (s, v) => (s.fourLetterWordWhitelist = parseWhitelist(v.value))],
  ["extendedTypesEnabled", (s, v) => (s.extendedTypesEnabled = parseBooleanSetting(v))],
  ["skipACL", (s, v) => (s.skipACL = parseBooleanSetting(v))],
  ["enforceQuota", (s, v) => (s.enforceQuota = parseBooleanSetting(v))],
  ["DigestAuthenticationProvider.superDigest", (s, v) => (s.superDigest = parseSuperDigest(v))],
  ["admin.serverPort", (s, v) => (s.adminServerPort = parsePortSetting(v))],
  ["admin.serverAddress", (s, v) => (s.adminServerAddress = parseNonEmptySetting(v, "a host name or IP address"))],
  ["admin.enableServer", (s, v) => (s.adminEnableServer = parseBooleanSetting(v))],
  ["jute.maxbuffer", (s, v) => (s.juteMaxBufferBytes = parseJuteMaxBuffer(v))],
  ["znode.container.checkIntervalMs", (s, v) => (s.containerCheckIntervalMs = parseIntSetting(v, 1, INT32_MAX))],
  ["znode.container.maxPerMinute", (s, v) => (s.containerMaxPerMinute = parseIntSetting(v, 1, INT32_MAX))],
]);

/** ZooKeeper keys we recognise but do not act on yet; their values stay in `raw`. */
const KNOWN_NATIVE_KEYS: ReadonlySet<string> = new Set([
  "secureClientPort",
  "secureClientPortAddress",
  "clientPortListenBacklog",
  "observerMasterPort",
  "maxCnxns",
  "connectToLearnerMasterLimit",
  "electionAlg",
  "electionPortBindRetry",
  "quorumListenOnAllIPs",
  "syncEnabled",
  "dynamicConfigFile",
  "standaloneEnabled",
  "reconfigEnabled",
  "sslQuorum",
  "portUnification",
  "sslQuorumReloadCertFiles",
  "multiAddress.enabled",
  "version",
]);

const KNOWN_SYSTEM_PROPERTY_KEYS: ReadonlySet<string> = new Set([
  "preAllocSize",
  "snapSizeLimitInKb",
  "txnLogSizeLimitInKb",
  "forceSync",
  "fsync.warningthresholdms",
  "jaasLoginConfig",
  "digest.enabled",
  "readonlymode.enabled",
  "leaderServes",
  "cnxTimeout",
  "serverCnxnFactory",
  "maxBatchSize",
  "commitLogCount",
  "snapshot.trust.empty",
  "snapshot.compression.method",
  "audit.enable",
  "requireClientAuthScheme",
  "sessionRequireClientSASLAuth",
  "znode.container.maxNeverUsedIntervalMs",
  "DigestAuthenticationProvider.digestAlg",
  "X509AuthenticationProvider.superUser",
  "closeSessionTxn.enabled",
  "flushDelay",
  "maxWriteQueuePollTime",
]);

/** Key families: any key starting with one of these is a known ZooKeeper key. */
const KNOWN_NATIVE_PREFIXES = ["metricsProvider.", "quorum.", "localSessions", "herd."] as const;
const KNOWN_SYSTEM_PROPERTY_PREFIXES = [
  "admin.",
  "ssl.",
  "authProvider.",
  "enforce.auth.",
  "netty.",
  "kerberos.",
  "request_throttle",
  "connection_throttle",
  "learner.",
  "fips-mode",
] as const;

/** Ensemble keys ZooKeeper reads as `<name>.<id>`. */
const SERVER_KEY = /^server\.(.*)$/;
const HIERARCHICAL_QUORUM_KEY = /^(group|weight)\.[0-9]+$/;

const ZOOKEEPER_PREFIX = "zookeeper.";

function findHandler(key: string): Handler | "known" | undefined {
  const native = NATIVE_HANDLERS.get(key);
  if (native !== undefined) return native;
  const serverMatch = SERVER_KEY.exec(key);
  if (serverMatch !== null) return (s, v) => addServer(s, serverMatch[1]!, v);
  if (KNOWN_NATIVE_KEYS.has(key) || HIERARCHICAL_QUORUM_KEY.test(key)) return "known";
  if (KNOWN_NATIVE_PREFIXES.some((prefix) => key.startsWith(prefix))) return "known";
  const name = key.startsWith(ZOOKEEPER_PREFIX) ? key.slice(ZOOKEEPER_PREFIX.length) : key;
  const systemProperty = SYSTEM_PROPERTY_HANDLERS.get(name);
  if (systemProperty !== undefined) return systemProperty;
  if (KNOWN_SYSTEM_PROPERTY_KEYS.has(name)) return "known";
  if (KNOWN_SYSTEM_PROPERTY_PREFIXES.some((prefix) => name.startsWith(prefix))) return "known";
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Value parsers: each names the key, the value and what was expected when it fails

function badValue(setting: Setting, expected: string): ConfigError {
  return new ConfigError(`line ${setting.line}: ${setting.key}=${JSON.stringify(setting.value)} is invalid; expected ${expected}`);
}

/** Java's Integer.parseInt syntax: optional sign, decimal digits (leading zeros allowed). */
function parseIntSetting(setting: Setting, min: number, max: number): number {
  const expected = `an integer from ${min} to ${max}`;
  if (!/^[+-]?[0-9]+$/.test(setting.value)) throw badValue(setting, expected);
  const value = Number(setting.value);
  if (value < min || value > max) throw badValue(setting, expected);
  return value;
}

function parsePortSetting(setting: Setting): number {
  return parseIntSetting(setting, 0, PORT_MAX);
}

/** -1 is ZooKeeper's "use the default" (2 or 20 ticks); otherwise a positive number of milliseconds. */
function parseSessionTimeout(setting: Setting): number | undefined {
  if (setting.value === "-1") return undefined;
  const expected = `a positive number of milliseconds (or -1 for the default)`;
  if (!/^[+]?[0-9]+$/.test(setting.value)) throw badValue(setting, expected);
  const value = Number(setting.value);
  if (value < 1 || value > INT32_MAX) throw badValue(setting, expected);
  return value;
}

/** Decimal, or hex with 0x (ZooKeeper reads it with Integer.decode, and 0xfffff is how it is usually written). */
function parseJuteMaxBuffer(setting: Setting): number {
  const expected = `a positive byte count up to ${INT32_MAX}, decimal or 0x-hex`;
  const { value: text } = setting;
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = Number.parseInt(text.slice(2), 16);
  else if (/^\+?[1-9][0-9]*$/.test(text)) value = Number(text);
  else throw badValue(setting, expected);
  if (value < 1 || value > INT32_MAX) throw badValue(setting, expected);
  return value;
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["yes", true],
  ["false", false],
  ["no", false],
]);

function parseBooleanSetting(setting: Setting): boolean {
  const value = BOOLEAN_WORDS.get(setting.value.toLowerCase());
  if (value === undefined) throw badValue(setting, "true, false, yes or no");
  return value;
}

function parsePathSetting(setting: Setting): string {
  return parseNonEmptySetting(setting, "a directory path");
}

function parseNonEmptySetting(setting: Setting, expected: string): string {
  if (setting.value === "") throw badValue(setting, expected);
  return setting.value;
}

function parseSuperDigest(setting: Setting): string {
  const colon = setting.value.indexOf(":");
  if (colon <= 0 || colon === setting.value.length - 1) {
    throw badValue(setting, `user:base64digest, e.g. super:D/InIHSb7yEEbrWz8b9l71RjZJU=`);
  }
  return setting.value;
}

function parseRole(setting: Setting): PeerRole {
  const role = setting.value.toLowerCase();
  if (role !== "participant" && role !== "observer") throw badValue(setting, "participant or observer");
  return role;
}

/** Comma separated, each name trimmed; "*" anywhere means every command. */
function parseWhitelist(value: string): Set<string> | "*" {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  return names.includes("*") ? "*" : new Set(names);
}

/** ZooKeeper always enables `srvr` (zkServer.sh uses it) and enables `isro` when read-only mode is on. */
function finishWhitelist(settings: Partial<ServerConfig>): void {
  const whitelist = settings.fourLetterWordWhitelist ?? new Set<string>();
  if (whitelist === "*") return;
  whitelist.add("srvr");
  if (readOnlyModeEnabled(settings.raw!)) whitelist.add("isro");
  settings.fourLetterWordWhitelist = whitelist;
}

function readOnlyModeEnabled(raw: ReadonlyMap<string, string>): boolean {
  const value = raw.get(`${ZOOKEEPER_PREFIX}readonlymode.enabled`) ?? raw.get("readonlymode.enabled");
  return value?.toLowerCase() === "true";
}

// ---------------------------------------------------------------------------------------------------------------
// server.N=host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]

const SERVER_LINE_FORM = "host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]";

function addServer(settings: Partial<ServerConfig>, idText: string, setting: Setting): void {
  if (!/^[0-9]+$/.test(idText) || !Number.isSafeInteger(Number(idText))) {
    throw new ConfigError(`line ${setting.line}: ${setting.key}: the server id "${idText}" is not a non-negative integer`);
  }
  settings.servers!.set(Number(idText), parseServerSpec(setting));
}

function parseServerSpec(setting: Setting): QuorumServerSpec {
  if (setting.value.includes("|")) {
    throw badValue(setting, `a single address (multiple addresses joined with "|" are not supported yet)`);
  }
  const [serverPart, clientPart, ...extra] = setting.value.split(";");
  if (extra.length > 0) throw badValue(setting, SERVER_LINE_FORM);
  const fields = splitHostAndRest(serverPart!, setting);
  if (fields.length < 3 || fields.length > 4 || fields[0] === "") throw badValue(setting, SERVER_LINE_FORM);
  const spec: QuorumServerSpec = {
    host: fields[0]!,
    quorumPort: parseServerPort(fields[1]!, setting),
    electionPort: parseServerPort(fields[2]!, setting),
    role: fields[3] === undefined ? "participant" : parseServerRole(fields[3], setting),
  };
  if (clientPart !== undefined) Object.assign(spec, parseClientAddress(clientPart, setting));
  return spec;
}

function parseClientAddress(text: string, setting: Setting): Pick<QuorumServerSpec, "clientHost" | "clientPort"> {
  const fields = splitHostAndRest(text, setting);
  if (fields.length === 1) return { clientPort: parseServerPort(fields[0]!, setting) };
  if (fields.length === 2 && fields[0] !== "") {
    return { clientHost: fields[0]!, clientPort: parseServerPort(fields[1]!, setting) };
  }
  throw badValue(setting, SERVER_LINE_FORM);
}

/** Splits on ":", keeping a leading bracketed IPv6 literal (`[::1]:2888:3888`) whole, without its brackets. */
function splitHostAndRest(text: string, setting: Setting): string[] {
  if (!text.startsWith("[")) return text.split(":");
  const close = text.indexOf("]:");
  if (close < 0) throw badValue(setting, `${SERVER_LINE_FORM} (an IPv6 host is written [addr]:port)`);
  return [text.slice(1, close), ...text.slice(close + 2).split(":")];
}

function parseServerPort(text: string, setting: Setting): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > PORT_MAX) {
    throw badValue(setting, `${SERVER_LINE_FORM} with ports from 1 to ${PORT_MAX}`);
  }
  return Number(text);
}

function parseServerRole(text: string, setting: Setting): PeerRole {
  const role = text.toLowerCase();
  if (role !== "participant" && role !== "observer") throw badValue(setting, SERVER_LINE_FORM);
  return role;
}
