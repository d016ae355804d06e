/**
 * Invariants checked while a simulated cluster runs; a violation throws at once (the simulator then prints
 * the seed and the transcript tail):
 * - at most one leader establishes each epoch;
 * - every committed entry any server applies agrees with every other server's at that zxid, payload and
 *   rolling digest alike (so committed sequences are prefixes of one another and states agree at equal zxids);
 * - zxids applied by a server strictly increase (the state machine and the disk check this on every write);
 * - every write acknowledged to a client is in the log of every leader established in a later epoch, and in
 *   every server's final state;
 * - a sync completes only once the server has applied every write acknowledged before the sync was issued;
 * - an ACK (or the ack in a learner ping) never claims entries its sender's disk does not hold durably.
 */
import { epochOf, formatZxid, type ServerId } from "../../src/zab/index.js";
import type { SmState } from "./state-machine.js";

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvariantViolation";
  }
}

function violated(message: string): never {
  throw new InvariantViolation(message);
}

export class Checker {
  private readonly committed = new Map<bigint, { payload: string; digest: string; by: ServerId }>();
  private readonly epochLeaders = new Map<number, ServerId>();
  /** Acknowledged writes: payload → zxid. */
  readonly acked = new Map<string, bigint>();
  maxAckedZxid = 0n;
  establishments = 0;

  onApply(node: ServerId, zxid: bigint, payload: string, digest: string): void {
    const seen = this.committed.get(zxid);
    if (seen === undefined) {
      this.committed.set(zxid, { payload, digest, by: node });
      return;
    }
    if (seen.payload !== payload) {
      violated(`divergent commit at ${formatZxid(zxid)}: server ${node} applied "${payload}", server ${seen.by} "${seen.payload}"`);
    }
    if (seen.digest !== digest) {
      violated(`state digest differs at ${formatZxid(zxid)}: server ${node} ${digest}, server ${seen.by} ${seen.digest}`);
    }
  }

  onEstablished(node: ServerId, epoch: number, holds: (zxid: bigint) => string | undefined): void {
    this.establishments++;
    const other = this.epochLeaders.get(epoch);
    if (other !== undefined && other !== node) violated(`two leaders established epoch ${epoch}: ${other} and ${node}`);
    this.epochLeaders.set(epoch, node);
    for (const [payload, zxid] of this.acked) {
      if (epochOf(zxid) >= epoch) continue;
      const found = holds(zxid);
      if (found !== payload) {
        violated(`leader ${node} of epoch ${epoch} lacks acknowledged write "${payload}" at ${formatZxid(zxid)} (has ${found ?? "nothing"})`);
      }
    }
  }

  onAck(payload: string, zxid: bigint): void {
    const previous = this.acked.get(payload);
    if (previous !== undefined && previous !== zxid) violated(`write "${payload}" acknowledged at two zxids`);
    this.acked.set(payload, zxid);
    if (zxid > this.maxAckedZxid) this.maxAckedZxid = zxid;
  }

  onAckSent(node: ServerId, zxid: bigint, durableZxid: bigint): void {
    if (zxid > durableZxid) violated(`server ${node} acked ${formatZxid(zxid)} but its log is durable only to ${formatZxid(durableZxid)}`);
  }

  onSyncCompleted(node: ServerId, applied: bigint, required: bigint): void {
    if (applied < required) {
      violated(`sync completed on ${node} at ${formatZxid(applied)} before acknowledged write ${formatZxid(required)}`);
    }
  }

  /** After the cluster converged: one state everywhere, holding every acknowledged write. */
  checkFinal(states: { id: ServerId; state: SmState }[]): void {
    const [first, ...rest] = states;
    for (const s of rest) {
      if (s.state.zxid !== first.state.zxid || s.state.digest !== first.state.digest) {
        violated(`final states differ: ${first.id} at ${formatZxid(first.state.zxid)}/${first.state.digest}, ` +
          `${s.id} at ${formatZxid(s.state.zxid)}/${s.state.digest}`);
      }
    }
    for (const { id, state } of states) {
      const applied = new Map(state.applied);
      for (const [payload, zxid] of this.acked) {
        if (applied.get(zxid) !== payload) violated(`acknowledged write "${payload}" at ${formatZxid(zxid)} missing on ${id}`);
      }
    }
  }
}
