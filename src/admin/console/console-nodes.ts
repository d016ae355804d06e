/**
 * The console's znode operations, done with Herd's own client so they go through the server's normal pipeline:
 * read a node (data, Stat, ACL), list a page of children, create, setData and delete with a version check. Every
 * result is plain JSON: 64-bit fields (zxids, ephemeralOwner) are hex strings, data is base64.
 *
 * Failures become ApiReplies an operator can act on; a version conflict says which version they edited and
 * which one the node is at now.
 */
import { statJson, type StatJson } from "../../client/index.js";
import { Err, errName } from "../../jute/codes.js";
import {
  CREATOR_ALL_ACL,
  CreateMode,
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
  ZooKeeperError,
  type ACL,
  type Stat,
  type ZooKeeperClient,
} from "../../client/index.js";
import { ConsoleRequestError, type ApiReply } from "./console-http.js";

export const CHILDREN_PAGE_DEFAULT = 100;
/** One page costs one exists() per child; the browser asks for more pages as the operator scrolls. */
export const CHILDREN_PAGE_MAX = 500;
/** A filter is a substring typed by a person. */
export const CHILDREN_FILTER_CHARS_MAX = 256;


export interface AclJson {
  /** ZooKeeper's letters: c(reate) d(elete) r(ead) w(rite) a(dmin). */
  perms: string;
  permsMask: number;
  scheme: string;
  id: string;
}

export interface NodeDetails {
  path: string;
  stat: StatJson;
  /** Null when the operator may not READ the node (dataError says why). */
  data: { base64: string; bytes: number; utf8: boolean } | null;
  dataError?: string;
  acl: AclJson[] | null;
  aclError?: string;
}

export interface ChildEntry {
  name: string;
  path: string;
  /** Null when the child disappeared between listing and stat. */
  numChildren: number | null;
  dataLength: number | null;
  ephemeral: boolean;
}

export interface ChildPage {
  path: string;
  /** Children matching the filter, all pages together. */
  total: number;
  offset: number;
  limit: number;
  filter: string;
  children: ChildEntry[];
}

export interface ChildPageQuery {
  offset: number;
  limit: number;
  filter: string;
}

export type DataEncoding = "utf8" | "base64" | "hex";
export type AclPreset = "open" | "creator" | "read";

export interface CreateInput {
  path: string;
  data: Buffer;
  mode: CreateMode;
  acl: AclPreset;
  ttlMs?: number;
}

export interface UpdateInput {
  path: string;
  data: Buffer;
  version: number;
}

const ACL_PRESETS: Record<AclPreset, readonly ACL[]> = { open: OPEN_ACL_UNSAFE, creator: CREATOR_ALL_ACL, read: READ_ACL_UNSAFE };
const CREATE_MODES: ReadonlySet<string> = new Set(Object.values(CreateMode));

// ---------------------------------------------------------------- reads

export async function readNode(client: ZooKeeperClient, path: string): Promise<NodeDetails> {
  const [data, acl] = await Promise.allSettled([client.getData(path), client.getACL(path)]);
  for (const r of [data, acl]) {
    if (r.status === "rejected" && !(r.reason instanceof ZooKeeperError && r.reason.code === Err.NoAuth)) throw r.reason;
  }
  // getACL also answers to ADMIN alone; without READ or ADMIN, exists() fails too (ZooKeeper 3.8.4+): NoAuth.
  const stat = data.status === "fulfilled" ? data.value.stat : acl.status === "fulfilled" ? acl.value.stat : await client.exists(path);
  if (stat === null) throw new ZooKeeperError(Err.NoNode, { path });
  const details: NodeDetails = { path, stat: statJson(stat), data: null, acl: null };
  if (data.status === "fulfilled") details.data = dataJson(data.value.data);
  else details.dataError = "no READ permission for this node";
  if (acl.status === "fulfilled") details.acl = acl.value.acl.map(aclJson);
  else details.aclError = "no READ or ADMIN permission for this node's ACL";
  return details;
}

/** One page of the node's children, sorted by name, each with the counts the tree needs (has children, size). */
export async function listChildren(client: ZooKeeperClient, path: string, query: ChildPageQuery): Promise<ChildPage> {
  const all = await client.getChildren(path);
  const matching = (query.filter === "" ? all : all.filter((name) => name.includes(query.filter))).sort(byCodeUnits);
  const names = matching.slice(query.offset, query.offset + query.limit);
  const stats = await Promise.all(names.map((name) => client.exists(childPath(path, name)).catch(() => null)));
  const children = names.map((name, i): ChildEntry => {
    const stat = stats[i];
    return {
      name,
      path: childPath(path, name),
      numChildren: stat?.numChildren ?? null,
      dataLength: stat?.dataLength ?? null,
      ephemeral: stat !== null && stat !== undefined && stat.ephemeralOwner !== 0n,
    };
  });
  return { path, total: matching.length, offset: query.offset, limit: query.limit, filter: query.filter, children };
}

// ---------------------------------------------------------------- writes

export async function createNode(client: ZooKeeperClient, input: CreateInput): Promise<{ path: string; stat: StatJson }> {
  const created = await client.create(input.path, input.data, { mode: input.mode, acl: ACL_PRESETS[input.acl], ttlMs: input.ttlMs, withStat: true });
  return { path: created.path, stat: statJson(created.stat) };
}

export async function updateNode(client: ZooKeeperClient, input: UpdateInput): Promise<{ path: string; stat: StatJson }> {
  try {
    const stat = await client.setData(input.path, input.data, input.version);
    return { path: input.path, stat: statJson(stat) };
  } catch (err) {
    throw await withVersionConflictMessage(client, err, input.path, input.version, "Nothing was written");
  }
}

export async function deleteNode(client: ZooKeeperClient, path: string, version: number): Promise<{ path: string }> {
  try {
    await client.delete(path, version);
    return { path };
  } catch (err) {
    throw await withVersionConflictMessage(client, err, path, version, "Nothing was deleted");
  }
}

/** A BadVersion error gets a message naming both versions, read right after the conflict. */
async function withVersionConflictMessage(client: ZooKeeperClient, err: unknown, path: string, version: number, outcome: string): Promise<unknown> {
  if (!(err instanceof ZooKeeperError) || err.code !== Err.BadVersion) return err;
  const now = await client.exists(path).catch(() => null);
  const current = now === null ? "it no longer exists" : `it is now at version ${now.version}`;
  return new ConsoleFailure(
    409,
    "BadVersion",
    `Version conflict on ${path}: you edited version ${version}, but the node was changed since (${current}). ${outcome}; reload the node and try again.`,
  );
}

// ---------------------------------------------------------------- input parsing

export function parseCreateInput(body: Record<string, unknown>): CreateInput {
  const path = stringField(body, "path");
  const mode = body.mode === undefined ? "persistent" : stringField(body, "mode");
  if (!CREATE_MODES.has(mode)) throw new ConsoleRequestError(400, `unknown create mode ${JSON.stringify(mode)}`);
  const acl = body.acl === undefined ? "open" : stringField(body, "acl");
  if (!(acl in ACL_PRESETS)) throw new ConsoleRequestError(400, `unknown ACL preset ${JSON.stringify(acl)} (open, creator, read)`);
  const input: CreateInput = { path, data: dataField(body), mode: mode as CreateMode, acl: acl as AclPreset };
  if (body.ttlMs !== undefined && body.ttlMs !== null) input.ttlMs = integerField(body, "ttlMs", 1, Number.MAX_SAFE_INTEGER);
  return input;
}

export function parseUpdateInput(body: Record<string, unknown>): UpdateInput {
  return { path: stringField(body, "path"), data: dataField(body), version: integerField(body, "version", -1, 2 ** 31 - 1) };
}

/** `data` decoded per `encoding` (utf8 default); hex may contain whitespace, as the console's hex view shows it. */
export function decodeData(text: string, encoding: DataEncoding): Buffer {
  switch (encoding) {
    case "utf8":
      return Buffer.from(text, "utf8");
    case "hex": {
      const digits = text.replace(/\s+/g, "");
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new ConsoleRequestError(400, "hex data must be pairs of hex digits");
      return Buffer.from(digits, "hex");
    }
    case "base64": {
      const compact = text.replace(/\s+/g, "");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw new ConsoleRequestError(400, "data is not valid base64");
      return Buffer.from(compact, "base64");
    }
  }
}

function dataField(body: Record<string, unknown>): Buffer {
  const data = body.data ?? "";
  if (typeof data !== "string") throw new ConsoleRequestError(400, "data must be a string");
  const encoding = body.encoding ?? "utf8";
  if (encoding !== "utf8" && encoding !== "hex" && encoding !== "base64") throw new ConsoleRequestError(400, "encoding must be utf8, hex or base64");
  return decodeData(data, encoding);
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== "string" || value === "") throw new ConsoleRequestError(400, `${name} must be a non-empty string`);
  return value;
}

function integerField(body: Record<string, unknown>, name: string, min: number, max: number): number {
  const value = body[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConsoleRequestError(400, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

// ---------------------------------------------------------------- errors

/** A failure already phrased for the operator (e.g. a version conflict). */
export class ConsoleFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "ConsoleFailure";
  }
}

/** Maps any failure of a console operation to an HTTP status and `{ error, code }`. */
export function failureReply(err: unknown): ApiReply {
  if (err instanceof ConsoleFailure) return { status: err.status, body: { error: err.message, code: err.code } };
  if (err instanceof ConsoleRequestError) return { status: err.status, body: { error: err.message, code: "BadRequest" } };
  if (err instanceof ZooKeeperError) {
    return { status: statusOf(err.code), body: { error: explain(err), code: errName(err.code), path: err.path ?? null } };
  }
  return { status: 500, body: { error: err instanceof Error ? err.message : String(err), code: "InternalError" } };
}

function statusOf(code: number): number {
  switch (code) {
    case Err.NoNode:
      return 404;
    case Err.NodeExists:
    case Err.BadVersion:
    case Err.NotEmpty:
    case Err.NoChildrenForEphemerals:
      return 409;
    case Err.NoAuth:
      return 403;
    case Err.AuthFailed:
      return 401;
    case Err.BadArguments:
    case Err.InvalidACL:
    case Err.Unimplemented:
      return 400;
    case Err.ConnectionLoss:
    case Err.OperationTimeout:
    case Err.RequestTimeout:
    case Err.SessionExpired:
    case Err.NotReadOnly:
    case Err.Throttled:
      return 503;
    default:
      return 500;
  }
}

function explain(err: ZooKeeperError): string {
  const where = err.path ?? "the node";
  switch (err.code) {
    case Err.NoNode:
      return `${where} does not exist (or its parent does not, for a create)`;
    case Err.NodeExists:
      return `${where} already exists`;
    case Err.NotEmpty:
      return `${where} has children: delete them first`;
    case Err.NoAuth:
      return `Not allowed by the ACL of ${where}: authenticate as an identity the ACL grants this permission`;
    case Err.NoChildrenForEphemerals:
      return `${where}: ephemeral nodes cannot have children`;
    case Err.InvalidACL:
      return `Invalid ACL for ${where} (a creator-only ACL needs credentials: authenticate first)`;
    case Err.Unimplemented:
      return `${err.message} (TTL nodes need extendedTypesEnabled on the server)`;
    default:
      return err.message;
  }
}

// ---------------------------------------------------------------- JSON shapes


export function aclJson(acl: ACL): AclJson {
  const letters = [
    [4, "c"],
    [8, "d"],
    [1, "r"],
    [2, "w"],
    [16, "a"],
  ] as const;
  const perms = letters.map(([bit, letter]) => ((acl.perms & bit) !== 0 ? letter : "")).join("");
  return { perms, permsMask: acl.perms, scheme: acl.id.scheme, id: acl.id.id };
}

function dataJson(data: Buffer): { base64: string; bytes: number; utf8: boolean } {
  return { base64: data.toString("base64"), bytes: data.length, utf8: isUtf8(data) };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(data: Buffer): boolean {
  try {
    strictUtf8.decode(data);
    return true;
  } catch {
    return false;
  }
}

/** 64-bit values as ZooKeeper's tools print them: unsigned hex with 0x. */
export function hex64(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16)}`;
}

export function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export { statJson, type StatJson };
