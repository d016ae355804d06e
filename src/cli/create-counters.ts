/**
 * Carrying a parent's child-create counter over in an import through the client.
 *
 * ZooKeeper numbers a sequential child with its parent's count of child creations ever (deletes never lower it)
 * and shows clients cversion = 2 × creations − children. An import that only creates the surviving children
 * leaves the new parent's count at the number of children, so the next sequential create would get a lower
 * number than ZooKeeper's, and can even collide with a surviving sequential child (NodeExists). No request sets
 * the counter, but every create raises it by one: so the importer creates and deletes a placeholder child,
 * in multis, until the count matches. The parent then shows ZooKeeper's cversion and numbers its next
 * sequential child as ZooKeeper would. Its pzxid moves (zxids are not carried over by an import anyway).
 */
import { NoNodeError, type Stat, type ZooKeeperClient } from "../client/index.js";

/** Create+delete pairs per multi: 1000 ops, far below any frame limit. */
const PAIRS_PER_MULTI = 500;
/**
 * Creations one parent may be raised by. Each costs a create and a delete in the txn log; a million pairs is
 * about a minute and ~100 MB of log on a laptop. A parent past this keeps a lower counter, with a warning.
 */
export const COUNTER_RAISE_MAX = 1_000_000;
const PLACEHOLDER_NAME = "herd-import-counter";
/** Attempts at a placeholder name not taken by a real child. */
const PLACEHOLDER_TRIES_MAX = 100;

/** Child creations ever under a node, from what clients see: cversion = 2 × creations − children. */
export function childCreations(stat: Stat): number {
  return (stat.cversion + stat.numChildren) / 2;
}

export type CounterOutcome =
  | { kind: "unchanged" }
  | { kind: "raised"; by: number }
  /** The target already has more creations than the source had (it was not empty): left as is. */
  | { kind: "ahead"; current: number }
  | { kind: "tooFar"; needed: number };

/** Raises `path`'s child-create count to `creations` (ZooKeeper's internal cversion for that node). */
export async function raiseChildCreations(zk: ZooKeeperClient, path: string, creations: number): Promise<CounterOutcome> {
  const stat = await zk.exists(path);
  if (stat === null) throw new NoNodeError({ path });
  const current = childCreations(stat);
  if (current === creations) return { kind: "unchanged" };
  if (current > creations) return { kind: "ahead", current };
  const needed = creations - current;
  if (needed > COUNTER_RAISE_MAX) return { kind: "tooFar", needed };
  const placeholder = await freeChildPath(zk, path);
  for (let left = needed; left > 0; left -= PAIRS_PER_MULTI) {
    const tx = zk.transaction();
    for (let i = 0; i < Math.min(left, PAIRS_PER_MULTI); i++) tx.create(placeholder, null).delete(placeholder);
    await tx.commit();
  }
  return { kind: "raised", by: needed };
}

async function freeChildPath(zk: ZooKeeperClient, parent: string): Promise<string> {
  const base = parent === "/" ? "/" : `${parent}/`;
  for (let i = 0; i < PLACEHOLDER_TRIES_MAX; i++) {
    const candidate = `${base}${PLACEHOLDER_NAME}${i === 0 ? "" : `-${i}`}`;
    if ((await zk.exists(candidate)) === null) return candidate;
  }
  throw new Error(`${parent} has children named ${PLACEHOLDER_NAME}-0…${PLACEHOLDER_TRIES_MAX - 1}; cannot carry its counter over`);
}
