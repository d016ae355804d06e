/**
 * Quota accounting (shared/reference §12), as ZooKeeper 3.7+ does it, kept apart from the DataTree so it can be
 * tested alone.
 *
 * A quota on path P lives in the tree as two client-created nodes: `/zookeeper/quota<P>/zookeeper_limits`
 * (limits, e.g. `count=10,bytes=-1` or 3.7's `count=-1,bytes=-1=;byteHardLimit=100;countHardLimit=5`) and
 * `/zookeeper/quota<P>/zookeeper_stats` (usage, which the *server* keeps current: `count` = nodes in P's subtree
 * including P, `bytes` = sum of their data lengths). Only the nearest quota root above a node (the deepest
 * path with a limits node, never "/") is charged or checked. Usage is recounted when a stats node is created
 * and when the tree is loaded; otherwise it moves by the size of each create/delete/setData. A stats node a
 * client writes to directly becomes the usage, as in ZooKeeper, where the stats node *is* the counter.
 *
 * Checks (before a create/setData is accepted): for each of count and bytes that the op changes, the limit is
 * the hard limit when one is set, else the soft one; going over it is `hardExceeded` (reply QuotaExceeded,
 * -125) only for a hard limit with enforceQuota on, and `softExceeded` (log a warning) otherwise. ZooKeeper
 * 3.7+ skips the check entirely, log included, when enforceQuota is off; we still report it, for the log.
 * As in ZooKeeper, a setData that shrinks data but leaves usage over a hard limit is refused too.
 *
 * The tracker owns no tree: it reads one through QuotaTreeView and returns the stats-node contents to store
 * (QuotaStatsWrite) for the caller to put into the tree without a version change, as ZooKeeper does.
 */

/** Parent of all quota nodes. */
export const QUOTA_ZNODE = "/zookeeper/quota";
export const QUOTA_LIMITS_NODE = "zookeeper_limits";
export const QUOTA_STATS_NODE = "zookeeper_stats";

/** The keys ZooKeeper's StatsTrack knows; others are kept and written back untouched. */
export type QuotaKey = "count" | "bytes" | "countHardLimit" | "byteHardLimit";

/** A parsed quota string: key → value, only the keys present. An absent key reads as -1 ("unset"). */
export type StatsTrack = ReadonlyMap<string, number>;

export class QuotaSyntaxError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "QuotaSyntaxError";
  }
}

/** Java long range, which ZooKeeper's parser enforces. */
const LONG_MAX = 2n ** 63n - 1n;

/**
 * Parses `key=value` pairs separated by runs of `,` or `;` (StatsTrack's format). `key=` means -1; text after a
 * second `=` is ignored (that is how 3.7 hides hard limits from older parsers: `bytes=-1=;countHardLimit=5`).
 * Returns an error value for a pair without `=` or a value that is not a Java long.
 */
export function parseStatsTrack(text: string): StatsTrack | QuotaSyntaxError {
  const out = new Map<string, number>();
  for (const pair of text.split(/[,;]+/)) {
    if (pair === "") continue;
    const parts = pair.split("=");
    if (parts.length < 2) return new QuotaSyntaxError(`quota entry "${pair}" has no '='`);
    const valueText = parts[1] === "" ? "-1" : parts[1];
    if (!/^[-+]?[0-9]+$/.test(valueText)) return new QuotaSyntaxError(`quota value "${valueText}" for ${parts[0]} is not an integer`);
    const big = BigInt(valueText);
    if (big > LONG_MAX || big < -LONG_MAX - 1n) return new QuotaSyntaxError(`quota value ${valueText} is out of range`);
    out.set(parts[0], Number(big));
  }
  return out;
}

/** A key's value, -1 when absent. */
export function statValue(track: StatsTrack, key: QuotaKey): number {
  return track.get(key) ?? -1;
}

/**
 * StatsTrack's text: `count=<n>,bytes=<n>` always first; any other keys follow sorted, after an extra `=` that
 * pre-3.7 parsers ignore: `count=-1,bytes=-1=;byteHardLimit=100;countHardLimit=5`.
 */
export function formatStatsTrack(track: StatsTrack): string {
  const head = `count=${statValue(track, "count")},bytes=${statValue(track, "bytes")}`;
  const extra = [...track.keys()].filter((k) => k !== "count" && k !== "bytes").sort();
  if (extra.length === 0) return head;
  return `${head}=${extra.map((k) => `;${k}=${track.get(k)}`).join("")}`;
}

export function quotaLimitsPath(path: string): string {
  return `${QUOTA_ZNODE}${path}/${QUOTA_LIMITS_NODE}`;
}

export function quotaStatsPath(path: string): string {
  return `${QUOTA_ZNODE}${path}/${QUOTA_STATS_NODE}`;
}

/** Whether `path` is a limits or stats node, and for which quota'd path; null for any other node. */
export function quotaNodeOf(path: string): { kind: "limits" | "stats"; target: string } | null {
  const prefix = `${QUOTA_ZNODE}/`;
  if (!path.startsWith(prefix)) return null;
  const slash = path.lastIndexOf("/");
  const name = path.slice(slash + 1);
  const kind = name === QUOTA_LIMITS_NODE ? "limits" : name === QUOTA_STATS_NODE ? "stats" : null;
  if (kind === null) return null;
  const target = path.slice(QUOTA_ZNODE.length, slash);
  // A quota "on /" (`/zookeeper/quota/zookeeper_limits`) is ignored by ZooKeeper; so is one on "".
  if (target === "" || target === "/") return null;
  return { kind, target };
}

/** What the tracker needs from the tree: a node's data and child names. DataTree fits it. */
export interface QuotaNodeView {
  readonly data: Buffer | null;
  readonly children: readonly string[] | null;
  readonly numChildren: number;
}

export interface QuotaTreeView {
  get(path: string): QuotaNodeView | undefined;
}

export interface QuotaUsage {
  count: number;
  bytes: number;
}

export interface QuotaExcess {
  resource: "count" | "bytes";
  /** Whether `limit` is a hard limit (countHardLimit/byteHardLimit). */
  hard: boolean;
  /** Usage after the op. */
  value: number;
  limit: number;
}

export type QuotaVerdict =
  | { kind: "ok" }
  /** Allowed; log a warning. */
  | { kind: "softExceeded"; root: string; excesses: QuotaExcess[] }
  /** Refuse the op with QuotaExceeded (-125). */
  | { kind: "hardExceeded"; root: string; excesses: QuotaExcess[] };

/** New contents for a stats node: store without changing its version or mzxid. */
export interface QuotaStatsWrite {
  path: string;
  data: Buffer;
}

export interface QuotaTrackerOptions {
  /** zookeeper.enforceQuota: hard limits refuse ops only when true. */
  enforceQuota: boolean;
}

/** Bounds the iterative subtree walks; far above any tree a ~1 MiB-frame server can hold in memory per root. */
const WALK_NODES_MAX = 100_000_000;

const OK: QuotaVerdict = { kind: "ok" };

export class QuotaTracker {
  /** Quota roots: paths with a limits node, as a trie of path components. */
  private readonly roots = new PathTrie();
  /** Limits per root; null when the limits node's text does not parse (then nothing is checked). */
  private readonly limits = new Map<string, StatsTrack | null>();
  /** The stats node's contents per quota'd path that has one; count and bytes are the usage. */
  private readonly stats = new Map<string, Map<string, number>>();

  constructor(private readonly tree: QuotaTreeView, private readonly options: QuotaTrackerOptions) {}

  /** Forgets everything and re-reads all quotas from the tree (after loading a snapshot). */
  rebuild(): QuotaStatsWrite[] {
    this.roots.clear();
    this.limits.clear();
    this.stats.clear();
    const limitsNodes: string[] = [];
    this.walk(QUOTA_ZNODE, (path, node) => {
      const q = quotaNodeOf(path);
      if (q?.kind === "stats") this.stats.set(q.target, parsedOrEmpty(node.data));
      // ZooKeeper only honours a limits node that has no children.
      if (q?.kind === "limits" && node.numChildren === 0) limitsNodes.push(path);
    });
    const writes: QuotaStatsWrite[] = [];
    for (const path of limitsNodes) {
      const target = quotaNodeOf(path)!.target;
      this.addRoot(target, this.tree.get(path)?.data ?? null);
      const write = this.recount(target);
      if (write !== null) writes.push(write);
    }
    return writes;
  }

  /** The quota roots, in no particular order. */
  quotaRoots(): string[] {
    return [...this.limits.keys()];
  }

  /** Whether any path has a quota: when none has, a write needs no quota work at all. */
  get hasQuotas(): boolean {
    return this.limits.size > 0;
  }

  /** The nearest quota root at or above `path`, or undefined. */
  quotaRootOf(path: string): string | undefined {
    return this.roots.deepestPrefix(path);
  }

  limitsOf(root: string): StatsTrack | null | undefined {
    return this.limits.get(root);
  }

  /** Usage of a quota'd path with a stats node, or undefined when it has none. */
  usageOf(path: string): QuotaUsage | undefined {
    const s = this.stats.get(path);
    return s === undefined ? undefined : { count: statValue(s, "count"), bytes: statValue(s, "bytes") };
  }

  checkCreate(path: string, dataLen: number): QuotaVerdict {
    return this.check(path, 1, dataLen);
  }

  checkSetData(path: string, oldLen: number, newLen: number): QuotaVerdict {
    return this.check(path, 0, newLen - oldLen);
  }

  /** Call after the tree applied a create of `path` with `data`. */
  created(path: string, data: Buffer | null): QuotaStatsWrite[] {
    const writes: QuotaStatsWrite[] = [];
    const q = quotaNodeOf(path);
    if (q?.kind === "limits") this.addRoot(q.target, data);
    if (q?.kind === "stats") {
      this.stats.set(q.target, new Map());
      const write = this.recount(q.target);
      if (write !== null) writes.push(write);
    }
    return this.charge(path, 1, lengthOf(data), writes);
  }

  /** Call after the tree applied a delete of `path`, whose data was `data`. */
  deleted(path: string, dataLength: number): QuotaStatsWrite[] {
    const q = quotaNodeOf(path);
    if (q?.kind === "limits") {
      this.roots.remove(q.target);
      this.limits.delete(q.target);
    }
    if (q?.kind === "stats") this.stats.delete(q.target);
    return this.charge(path, -1, -dataLength, []);
  }

  /** Call after the tree applied a setData of `path` from `oldData` to `newData`. */
  dataChanged(path: string, oldLength: number, newData: Buffer | null): QuotaStatsWrite[] {
    const q = quotaNodeOf(path);
    if (q?.kind === "limits" && this.limits.has(q.target)) this.limits.set(q.target, parsedOrNull(newData));
    if (q?.kind === "stats") this.stats.set(q.target, parsedOrEmpty(newData));
    return this.charge(path, 0, lengthOf(newData) - oldLength, []);
  }

  private addRoot(target: string, limitsData: Buffer | null): void {
    this.roots.add(target);
    this.limits.set(target, parsedOrNull(limitsData));
  }

  private check(path: string, countDiff: number, bytesDiff: number): QuotaVerdict {
    const root = this.quotaRootOf(path);
    if (root === undefined) return OK;
    const limits = this.limits.get(root);
    const usage = this.usageOf(root);
    if (limits === null || limits === undefined || usage === undefined) return OK;
    const excesses: QuotaExcess[] = [];
    if (countDiff !== 0) pushExcess(excesses, "count", usage.count + countDiff, limits);
    if (bytesDiff !== 0) pushExcess(excesses, "bytes", usage.bytes + bytesDiff, limits);
    if (excesses.length === 0) return OK;
    const refused = this.options.enforceQuota && excesses.some((e) => e.hard);
    return { kind: refused ? "hardExceeded" : "softExceeded", root, excesses };
  }

  /** Adds the diffs to the nearest root's stats node, if it has one. */
  private charge(path: string, countDiff: number, bytesDiff: number, writes: QuotaStatsWrite[]): QuotaStatsWrite[] {
    const root = this.quotaRootOf(path);
    const s = root === undefined ? undefined : this.stats.get(root);
    if (root === undefined || s === undefined) return writes;
    s.set("count", statValue(s, "count") + countDiff);
    s.set("bytes", statValue(s, "bytes") + bytesDiff);
    writes.push({ path: quotaStatsPath(root), data: Buffer.from(formatStatsTrack(s)) });
    return writes;
  }

  /** Recounts a quota'd path's subtree into its stats node (a fresh `count=…,bytes=…`), if that node exists. */
  private recount(target: string): QuotaStatsWrite | null {
    if (!this.stats.has(target) || this.tree.get(quotaStatsPath(target)) === undefined) return null;
    const usage = { count: 0, bytes: 0 };
    this.walk(target, (_path, node) => {
      usage.count++;
      usage.bytes += lengthOf(node.data);
    });
    const s = new Map([["count", usage.count], ["bytes", usage.bytes]]);
    this.stats.set(target, s);
    return { path: quotaStatsPath(target), data: Buffer.from(formatStatsTrack(s)) };
  }

  /** Visits `top` and everything below it, without recursion: trees can be thousands of levels deep. */
  private walk(top: string, visit: (path: string, node: QuotaNodeView) => void): void {
    const stack = [top];
    for (let visited = 0; stack.length > 0; visited++) {
      if (visited >= WALK_NODES_MAX) throw new Error(`quota walk of ${top} exceeded ${WALK_NODES_MAX} nodes`);
      const path = stack.pop()!;
      const node = this.tree.get(path);
      if (node === undefined) continue;
      visit(path, node);
      for (const child of node.children ?? []) stack.push(path === "/" ? `/${child}` : `${path}/${child}`);
    }
  }
}

function pushExcess(out: QuotaExcess[], resource: "count" | "bytes", value: number, limits: StatsTrack): void {
  const hardLimit = statValue(limits, resource === "count" ? "countHardLimit" : "byteHardLimit");
  const softLimit = statValue(limits, resource);
  // The hard limit, when set, replaces the soft one: a soft limit below it is then not checked at all.
  const hard = hardLimit > -1;
  const limit = hard ? hardLimit : softLimit;
  if (limit > -1 && value > limit) out.push({ resource, hard, value, limit });
}

function lengthOf(data: Buffer | null): number {
  return data === null ? 0 : data.length;
}

function parsedOrNull(data: Buffer | null): StatsTrack | null {
  const parsed = parseStatsTrack(data === null ? "" : data.toString("utf8"));
  return parsed instanceof QuotaSyntaxError ? null : parsed;
}

function parsedOrEmpty(data: Buffer | null): Map<string, number> {
  return new Map(parsedOrNull(data) ?? []);
}

/** Path components as a trie, so the nearest root of a path thousands of levels deep is found in one pass. */
class PathTrie {
  private root: TrieNode = newTrieNode();

  clear(): void {
    this.root = newTrieNode();
  }

  add(path: string): void {
    let node = this.root;
    for (const part of components(path)) {
      let next = node.children.get(part);
      if (next === undefined) {
        next = newTrieNode();
        node.children.set(part, next);
      }
      node = next;
    }
    node.path = path;
  }

  remove(path: string): void {
    let node: TrieNode | undefined = this.root;
    for (const part of components(path)) {
      node = node.children.get(part);
      if (node === undefined) return;
    }
    node.path = undefined;
  }

  /** The deepest marked path that is `path` or one of its ancestors. */
  deepestPrefix(path: string): string | undefined {
    if (this.root.children.size === 0) return this.root.path; // no quotas: every write asks, so answer fast
    let node: TrieNode | undefined = this.root;
    let found: string | undefined;
    for (const part of components(path)) {
      node = node.children.get(part);
      if (node === undefined) break;
      if (node.path !== undefined) found = node.path;
    }
    return found;
  }
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Set when this node is a quota root. */
  path: string | undefined;
}

function newTrieNode(): TrieNode {
  return { children: new Map(), path: undefined };
}

function components(path: string): string[] {
  return path.split("/").filter((p) => p !== "");
}
