/**
 * ACL helpers: the permission bits, ZooKeeper's well-known ACL lists, and digest identities
 * (`user:base64(sha1("user:password"))`, the form the digest provider stores and matches).
 */
import { createHash } from "node:crypto";
import { Perm } from "../jute/codes.js";
import type { ACL, Id } from "../jute/records.js";

export type { ACL, Id };

/** READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16, ALL 31. */
export const Perms = Perm;

export const ANYONE_ID_UNSAFE: Readonly<Id> = Object.freeze({ scheme: "world", id: "anyone" });
/** In an ACL: "every identity this connection authenticated with"; the server expands it on create/setACL. */
export const AUTH_IDS: Readonly<Id> = Object.freeze({ scheme: "auth", id: "" });

export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: Perm.ALL, id: ANYONE_ID_UNSAFE }]);
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([{ perms: Perm.ALL, id: AUTH_IDS }]);
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([{ perms: Perm.READ, id: ANYONE_ID_UNSAFE }]);

/** The digest id the server derives from `addAuth("digest", "user:password")`. */
export function digestId(user: string, password: string): string {
  const hash = createHash("sha1").update(`${user}:${password}`, "utf8").digest("base64");
  return `${user}:${hash}`;
}

/** An ACL entry granting `perms` to the digest user, usable before (or without) authenticating as it. */
export function digestAcl(user: string, password: string, perms: number = Perm.ALL): ACL {
  return { perms, id: { scheme: "digest", id: digestId(user, password) } };
}

export function worldAcl(perms: number): ACL {
  return { perms, id: { ...ANYONE_ID_UNSAFE } };
}

/** `address` is an IPv4/IPv6 address, optionally with `/bits`. */
export function ipAcl(address: string, perms: number): ACL {
  return { perms, id: { scheme: "ip", id: address } };
}
