/**
 * Parses a ZooKeeper connect string, `host1:port1,host2:port2/optional/chroot`, and orders the server list.
 * IPv6 hosts are written in brackets (`[::1]:2181`); a missing port means 2181.
 */
import { BadArgumentsError } from "./errors.js";
import { validatePath } from "./paths.js";

export interface ServerAddress {
  host: string;
  port: number;
}

export interface ConnectString {
  servers: ServerAddress[];
  /** The chroot path, or null when there is none (a bare "/" counts as none). */
  chroot: string | null;
}

export const DEFAULT_PORT = 2181;
/** A connect string naming more servers than this is surely a mistake. */
export const SERVERS_MAX = 1000;

export function parseConnectString(connectString: string): ConnectString {
  const slash = connectString.indexOf("/");
  const hostList = slash === -1 ? connectString : connectString.slice(0, slash);
  const chroot = slash === -1 ? null : connectString.slice(slash);
  if (chroot !== null) validatePath(chroot);
  const servers = hostList.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(parseAddress);
  if (servers.length === 0) throw invalid(connectString, "no servers");
  if (servers.length > SERVERS_MAX) throw invalid(connectString, `more than ${SERVERS_MAX} servers`);
  return { servers, chroot: chroot === "/" ? null : chroot };
}

function parseAddress(entry: string): ServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1], port: parsePort(entry, bracketed[2]) };
  const parts = entry.split(":");
  if (parts.length > 2) throw invalid(entry, "IPv6 addresses must be written in brackets");
  if (parts[0].length === 0) throw invalid(entry, "empty host");
  return { host: parts[0], port: parsePort(entry, parts[1]) };
}

function parsePort(entry: string, text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw invalid(entry, `bad port "${text}"`);
  return port;
}

function invalid(what: string, why: string): BadArgumentsError {
  return new BadArgumentsError({ message: `invalid connect string "${what}": ${why}` });
}

/** A shuffled copy (Fisher–Yates), so many clients spread over an ensemble. `random` returns [0, 1). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function formatAddress(a: ServerAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
