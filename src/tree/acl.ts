/**
 * ACL schemes and checks (shared/reference §8): world, auth, digest, ip and the super user.
 * A connection's identities are plain Ids; "authenticated" schemes are the ones `auth` ACLs expand to.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { Err, Perm, ZkError } from "../jute/codes.js";
import type { ACL, Id } from "../jute/records.js";

export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: Perm.ALL, id: { scheme: "world", id: "anyone" } }]);
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: Perm.READ, id: { scheme: "world", id: "anyone" } }]);

/** What a connection has proven about itself. */
export interface AuthInfo {
  ids: readonly Id[];
  isSuper: boolean;
}

/** Schemes whose identities replace an `auth` ACL entry (ip is not one of them). */
const AUTHENTICATED_SCHEMES = new Set(["digest", "sasl", "x509"]);

/** `user:base64(sha1("user:password"))` — the digest id ZooKeeper derives from an auth packet. */
export function digestId(userColonPassword: string): string {
  const user = userColonPassword.split(":", 1)[0];
  const hash = createHash("sha1").update(userColonPassword, "utf8").digest("base64");
  return `${user}:${hash}`;
}

export function hasPermission(acl: readonly ACL[], perm: number, auth: AuthInfo): boolean {
  if (auth.isSuper) return true;
  if (acl.length === 0) return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === "world" && id === "anyone") return true;
    for (const own of auth.ids) {
      if (own.scheme !== scheme) continue;
      if (scheme === "ip" ? ipMatches(id, own.id) : own.id === id) return true;
    }
  }
  return false;
}

export function checkPermission(acl: readonly ACL[], perm: number, auth: AuthInfo, skipACL: boolean): void {
  if (!skipACL && !hasPermission(acl, perm, auth)) throw new ZkError(Err.NoAuth);
}

/**
 * Validates an ACL list from a create/setACL and expands `auth` entries to the caller's authenticated ids.
 * Throws InvalidACL for an empty list, unknown schemes, malformed ids or an `auth` entry with nothing to expand to.
 */
export function fixupACL(acl: readonly ACL[] | null, auth: AuthInfo): ACL[] {
  if (acl === null || acl.length === 0) throw new ZkError(Err.InvalidACL, "empty ACL");
  if (acl.length === 1 && acl[0].id.scheme !== "auth") {
    // The common case (one explicit entry): nothing to expand or deduplicate.
    const only = acl[0];
    if (!isValidAclId(only.id)) throw new ZkError(Err.InvalidACL, `bad id ${only.id.scheme}:${only.id.id}`);
    return [{ perms: only.perms, id: { scheme: only.id.scheme, id: only.id.id } }];
  }
  const out: ACL[] = [];
  const seen = new Set<string>();
  const add = (a: ACL) => {
    const key = `${a.perms}|${a.id.scheme}|${a.id.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(a);
  };
  for (const entry of acl) {
    if (entry.id.scheme === "auth") {
      const expanded = auth.ids.filter((id) => AUTHENTICATED_SCHEMES.has(id.scheme));
      if (expanded.length === 0) throw new ZkError(Err.InvalidACL, "auth ACL without an authenticated id");
      for (const id of expanded) add({ perms: entry.perms, id: { scheme: id.scheme, id: id.id } });
      continue;
    }
    if (!isValidAclId(entry.id)) throw new ZkError(Err.InvalidACL, `bad id ${entry.id.scheme}:${entry.id.id}`);
    add({ perms: entry.perms, id: { scheme: entry.id.scheme, id: entry.id.id } });
  }
  return out;
}

function isValidAclId(id: Id): boolean {
  switch (id.scheme) {
    case "world":
      return id.id === "anyone";
    case "digest":
      return id.id.split(":").length === 2;
    case "ip":
      return parseIpSpec(id.id) !== null;
    case "sasl":
    case "x509":
      return id.id.length > 0;
    default:
      return false;
  }
}

/** getACL without ADMIN masks digest hashes: `user:x`. */
export function maskDigests(acl: readonly ACL[]): ACL[] {
  return acl.map((a) =>
    a.id.scheme === "digest" ? { perms: a.perms, id: { scheme: "digest", id: a.id.id.split(":", 1)[0] + ":x" } } : a,
  );
}

// ---------------------------------------------------------------- ip scheme

interface IpSpec {
  bytes: Buffer;
  bits: number;
}

function ipBytes(addr: string): Buffer | null {
  const kind = isIP(addr);
  if (kind === 4) return Buffer.from(addr.split(".").map(Number));
  if (kind === 6) return ipv6Bytes(addr);
  return null;
}

function ipv6Bytes(addr: string): Buffer | null {
  const v4mapped = addr.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  let text = addr;
  let tail: number[] = [];
  if (v4mapped) {
    const v4 = v4mapped[2].split(".").map(Number);
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    text = v4mapped[1].endsWith("::") ? v4mapped[1] : v4mapped[1].slice(0, -1);
  }
  const [head, rest] = text.split("::");
  const parse = (s: string | undefined) => (s ? s.split(":").filter((x) => x.length > 0).map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = [...parse(rest), ...tail];
  const fill = 8 - left.length - right.length;
  if (rest === undefined && fill !== 0) return null;
  const groups = [...left, ...new Array(Math.max(fill, 0)).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return null;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function parseIpSpec(spec: string): IpSpec | null {
  const slash = spec.indexOf("/");
  const addr = slash < 0 ? spec : spec.slice(0, slash);
  const bytes = ipBytes(addr);
  if (bytes === null) return null;
  const maxBits = bytes.length * 8;
  if (slash < 0) return { bytes, bits: maxBits };
  const bitsText = spec.slice(slash + 1);
  if (!/^\d+$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > maxBits) return null;
  return { bytes, bits };
}

/** Does a client address match an `ip` ACL id (address or CIDR)? IPv4-mapped IPv6 client addresses match IPv4 ids. */
export function ipMatches(aclId: string, clientAddr: string): boolean {
  const spec = parseIpSpec(aclId);
  if (spec === null) return false;
  let client = ipBytes(clientAddr);
  if (client === null) return false;
  if (spec.bytes.length === 4 && client.length === 16 && client.subarray(0, 12).equals(V4_MAPPED_PREFIX)) {
    client = client.subarray(12);
  }
  if (client.length !== spec.bytes.length) return false;
  for (let bit = 0; bit < spec.bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((client[byte] & mask) !== (spec.bytes[byte] & mask)) return false;
  }
  return true;
}
const V4_MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** The client address as ZooKeeper reports it: IPv4-mapped IPv6 shown as plain IPv4. */
export function normalizeClientAddress(addr: string | undefined): string {
  if (!addr) return "";
  return addr.startsWith("::ffff:") && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}
