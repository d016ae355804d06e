/**
 * The text `herd cli` prints, in zkCli.sh's exact formats (checked against Debian's zkCli.sh 3.8): stats,
 * ACL lines, watch events, error messages; and the JSON shapes printed by `--json`.
 */
import { statJson, type StatJson } from "../client/index.js";
import type { ACL, Stat, WatchEvent, ZooKeeperError } from "../client/index.js";
import { Err, errName } from "../jute/codes.js";

// ------------------------------------------------------------------ stat

/** zkCli's StatPrinter: eleven `name = value` lines; zxids and the owner in hex, times as Java's Date#toString. */
export function statLines(stat: Stat): string[] {
  return [
    `cZxid = 0x${hex64(stat.czxid)}`,
    `ctime = ${javaDateString(stat.ctime)}`,
    `mZxid = 0x${hex64(stat.mzxid)}`,
    `mtime = ${javaDateString(stat.mtime)}`,
    `pZxid = 0x${hex64(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = 0x${hex64(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
}

/** Java's Long.toHexString: a negative long prints as its two's complement (e.g. container owners). */
export function hex64(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16);
}

const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/** `EEE MMM dd HH:mm:ss zzz yyyy` in local time, as java.util.Date#toString prints it. */
export function javaDateString(epochMs: bigint): string {
  const d = new Date(Number(epochMs));
  const two = (n: number) => String(n).padStart(2, "0");
  const zone = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "UTC";
  return `${weekdays[d.getDay()]} ${months[d.getMonth()]} ${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone} ${d.getFullYear()}`;
}

// ------------------------------------------------------------------ ACLs

/** zkCli prints each entry as Id#toString (jute's CSV form, which ends in a newline) + ": " + perms. */
export function aclLines(acl: readonly ACL[]): string[] {
  return acl.flatMap((a) => [`'${csvEscape(a.id.scheme)},'${csvEscape(a.id.id)}`, `: ${permString(a.perms)}`]);
}

/** jute's CSV string escaping: the characters that would break a CSV record become %XX. */
function csvEscape(s: string): string {
  return s.replace(/[\0\n\r,}%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** "cdrwa" order, as ZooKeeper prints permissions. */
export function permString(perms: number): string {
  const letters: [number, string][] = [[4, "c"], [8, "d"], [1, "r"], [2, "w"], [16, "a"]];
  return letters.filter(([bit]) => (perms & bit) !== 0).map(([, letter]) => letter).join("");
}

// ------------------------------------------------------------------ events

/** One state for the `state:` part of a printed event, from the client's session state. */
export type KeeperState = "SyncConnected" | "Disconnected" | "Expired" | "Closed" | "AuthFailed" | "ConnectedReadOnly";

/** The two-message block zkCli prints for every event (each message is preceded by an empty line). */
export function watcherBlock(state: KeeperState, type: string, path: string | null): string {
  return `\nWATCHER::\n\nWatchedEvent state:${state} type:${type} path:${path ?? "null"}\n`;
}

export function watchEventBlock(event: WatchEvent): string {
  return watcherBlock("SyncConnected", event.type, event.path);
}

// ------------------------------------------------------------------ errors

/** KeeperException#getCodeMessage: the words zkCli shows for codes it has no special sentence for. */
const codeMessages: ReadonlyMap<number, string> = new Map([
  [Err.OK, "ok"],
  [Err.NotEmpty, "Directory not empty"],
  [Err.SessionExpired, "Session expired"],
  [Err.InvalidCallback, "Invalid callback"],
  [Err.SessionMoved, "Session moved"],
  [Err.NotReadOnly, "Not a read-only call"],
  [Err.EphemeralOnLocalSession, "Ephemeral node on local session"],
  [Err.NoWatcher, "No such watcher"],
  [Err.ReconfigDisabled, "Reconfig is disabled"],
  [Err.SessionClosedRequireSaslAuth, "Session closed because client failed to authenticate"],
  [Err.QuotaExceeded, "Quota has exceeded"],
  [Err.Throttled, "Op throttled due to high load"],
]);

/** The sentences zkCli's CliWrapperException uses for the common codes; `path` follows each. */
const pathSentences: ReadonlyMap<number, string> = new Map([
  [Err.NoNode, "Node does not exist: "],
  [Err.NoChildrenForEphemerals, "Ephemerals cannot have children: "],
  [Err.NodeExists, "Node already exists: "],
  [Err.NotEmpty, "Node not empty: "],
  [Err.NotReadOnly, "Not a read-only call: "],
  [Err.InvalidACL, "Acl is not valid : "],
  [Err.NoAuth, "Insufficient permission : "],
  [Err.BadArguments, "Arguments are not valid : "],
  [Err.BadVersion, "version No is not valid : "],
  [Err.QuotaExceeded, "Quota has exceeded : "],
]);

/** What zkCli prints for a failed operation on `path`. */
export function keeperErrorMessage(err: ZooKeeperError, path: string | undefined): string {
  const where = err.path ?? path;
  const sentence = pathSentences.get(err.code);
  if (sentence !== undefined) return `${sentence}${where ?? "null"}`;
  return rawKeeperMessage(err, where);
}

/** KeeperException#getMessage, which zkCli prints as is where it does not wrap the error (e.g. setAcl -R). */
export function rawKeeperMessage(err: ZooKeeperError, path: string | undefined): string {
  const words = codeMessages.get(err.code) ?? errName(err.code);
  return path === undefined || path === "" ? `KeeperErrorCode = ${words}` : `KeeperErrorCode = ${words} for ${path}`;
}

// ------------------------------------------------------------------ JSON shapes



export function aclJson(acl: readonly ACL[]): { scheme: string; id: string; perms: string }[] {
  return acl.map((a) => ({ scheme: a.id.scheme, id: a.id.id, perms: permString(a.perms) }));
}

/** Data for JSON: UTF-8 text when the bytes are valid UTF-8 (else null), and always base64. */
export function dataJson(data: Buffer): { data: string | null; dataBase64: string } {
  return { data: isUtf8(data) ? data.toString("utf8") : null, dataBase64: data.toString("base64") };
}

/** True when decoding and re-encoding gives the same bytes. */
export function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
}

export { statJson, type StatJson };
