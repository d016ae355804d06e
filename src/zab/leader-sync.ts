/**
 * How the leader brings one learner's log in line with its own (ZooKeeper's LearnerHandler sync):
 * - DIFF: the learner's last zxid is in our log: send the entries after it;
 * - TRUNC: the learner has entries we do not (uncommitted proposals of a dead leader): it truncates to the
 *   last zxid we share, then gets the entries after it;
 * - SNAP: the shared point is older than our log keeps (or than the learner can truncate to, or the gap is
 *   bigger than diffEntriesMax): the runtime supplies a snapshot, then the entries after it follow.
 * Every stream then carries NEWLEADER; the learner acks it once synced and durable. Entries are sent as
 * PROPOSALs chained by prevZxid, so a learner can tell a gap from a duplicate.
 */
import { assert } from "../base/assert.js";
import type { Core, Transition } from "./core.js";
import type { LearnerHandle, LeaderState } from "./leader.js";
import type { CoreLog } from "./log.js";
import { SNAPSHOT_BYTES_MAX } from "./messages.js";
import type { ServerId } from "./types.js";
import { formatZxid } from "./zxid.js";

export type SyncPlan = { kind: "diff"; from: bigint } | { kind: "trunc"; to: bigint } | { kind: "snap" };

/** Entries read from the log per batch while streaming. */
const STREAM_BATCH_ENTRIES = 1024;

/**
 * Decide DIFF, TRUNC or SNAP for a learner whose log ends at learnerLast and cannot be cut below learnerBase.
 * Our snapshot would be at `applied` (our state machine), so a long DIFF becomes a SNAP only if that
 * snapshot is past the shared point: a snapshot older than the learner's position saves nothing.
 */
export function planSync(log: CoreLog, learnerLast: bigint, learnerBase: bigint, applied: bigint, diffEntriesMax: number): SyncPlan {
  const last = log.last();
  if (learnerLast === last) return { kind: "diff", from: last };
  if (learnerLast > last) return last >= learnerBase ? { kind: "trunc", to: last } : { kind: "snap" };
  if (learnerLast < log.base()) return { kind: "snap" };
  const shared = log.floor(learnerLast);
  if (shared < learnerBase) return { kind: "snap" };
  if (applied > shared && log.entriesAfter(shared, diffEntriesMax + 1).length > diffEntriesMax) return { kind: "snap" };
  return shared === learnerLast ? { kind: "diff", from: shared } : { kind: "trunc", to: shared };
}

export function startLearnerSync(core: Core, ls: LeaderState, handle: LearnerHandle): Transition | undefined {
  assert(ls.epoch !== null && ls.phase !== "discovery", "learner sync before the epoch is acknowledged");
  const plan = planSync(core.log, handle.lastZxid, handle.baseZxid, core.appliedZxid, core.limits.diffEntriesMax);
  switch (plan.kind) {
    case "snap":
      handle.stage = "snapWait";
      core.out.needSnapshot.push(handle.id);
      return undefined;
    case "diff":
      core.out.send(handle.id, { kind: "diff", epoch: ls.epoch, basis: handle.lastZxid });
      sendStream(core, ls, handle, plan.from);
      return undefined;
    case "trunc":
      core.out.send(handle.id, { kind: "trunc", epoch: ls.epoch, basis: handle.lastZxid, truncateAfter: plan.to });
      sendStream(core, ls, handle, plan.to);
      return undefined;
  }
}

/** The runtime's answer to needSnapshot: our state machine's bytes at `zxid`. Ignored if no longer wanted. */
export function provideSnapshot(core: Core, ls: LeaderState, to: ServerId, zxid: bigint, bytes: Buffer): void {
  const handle = ls.handles.get(to);
  if (handle === undefined || handle.stage !== "snapWait") return;
  assert(ls.epoch !== null, "snapshot requested before the epoch is chosen");
  assert(zxid >= core.log.base() && zxid <= core.appliedZxid,
    `snapshot at ${formatZxid(zxid)} outside [log base ${formatZxid(core.log.base())}, applied ${formatZxid(core.appliedZxid)}]`);
  assert(bytes.length <= SNAPSHOT_BYTES_MAX, `snapshot of ${bytes.length} bytes exceeds ${SNAPSHOT_BYTES_MAX}`);
  const chunkBytes = core.limits.snapshotChunkBytes;
  let offset = 0;
  do {
    const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + chunkBytes));
    core.out.send(to, { kind: "snap", epoch: ls.epoch, basis: handle.lastZxid, zxid, totalBytes: bytes.length, offset, chunk });
    offset += chunk.length;
  } while (offset < bytes.length);
  sendStream(core, ls, handle, zxid);
}

/** Entries after `after` as chained PROPOSALs, the commit point if established, then NEWLEADER. */
function sendStream(core: Core, ls: LeaderState, handle: LearnerHandle, after: bigint): void {
  assert(ls.epoch !== null, "stream before the epoch is chosen");
  const last = core.log.last();
  let prev = after;
  while (prev < last) { // every batch moves prev forward, up to our last entry
    const batch = core.log.entriesAfter(prev, STREAM_BATCH_ENTRIES);
    assert(batch.length > 0, `log entries after ${formatZxid(prev)} are missing`);
    for (const e of batch) {
      core.out.send(handle.id, { kind: "proposal", epoch: ls.epoch, prevZxid: prev, zxid: e.zxid, payload: e.payload });
      prev = e.zxid;
    }
  }
  assert(prev === last, `stream ended at ${formatZxid(prev)}, log at ${formatZxid(last)}`);
  if (ls.phase === "broadcast" && core.commitZxid > after) {
    core.out.send(handle.id, { kind: "commit", epoch: ls.epoch, zxid: core.commitZxid });
  }
  core.out.send(handle.id, { kind: "newLeader", epoch: ls.epoch, zxid: prev });
  handle.newLeaderZxid = prev;
  handle.sentZxid = prev;
  handle.stage = "forwarding";
}
