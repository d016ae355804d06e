/**
 * Quorum math, kept tiny and pure (etcd's quorum/majority.go): a quorum is a strict majority of the
 * participants; observers never count, neither in elections nor for acks.
 */
import { assert } from "../base/assert.js";
import type { Member, ServerId } from "./types.js";
import { SERVER_ID_MAX, SERVER_ID_MIN } from "./types.js";

export function majority(participantCount: number): number {
  assert(participantCount >= 1, "an ensemble needs at least one participant");
  return Math.floor(participantCount / 2) + 1;
}

/**
 * The largest value v such that at least `need` of `values` are >= v (null if fewer than `need` values).
 * Used for "the highest zxid acknowledged by a quorum".
 */
export function kthLargest(values: readonly bigint[], need: number): bigint | null {
  if (values.length < need || need < 1) return null;
  const sorted = [...values].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  return sorted[need - 1];
}

export class QuorumConfig {
  readonly participants: readonly ServerId[];
  readonly observers: readonly ServerId[];
  readonly size: number;
  private readonly roles = new Map<ServerId, Member["role"]>();

  constructor(members: readonly Member[]) {
    for (const m of members) {
      assert(Number.isInteger(m.id) && m.id >= SERVER_ID_MIN && m.id <= SERVER_ID_MAX, `server id ${m.id} out of range`);
      assert(!this.roles.has(m.id), `server id ${m.id} listed twice`);
      assert(m.role === "participant" || m.role === "observer", `bad role ${String(m.role)}`);
      this.roles.set(m.id, m.role);
    }
    this.participants = members.filter((m) => m.role === "participant").map((m) => m.id).sort((a, b) => a - b);
    this.observers = members.filter((m) => m.role === "observer").map((m) => m.id).sort((a, b) => a - b);
    this.size = majority(this.participants.length);
  }

  isMember(id: ServerId): boolean {
    return this.roles.has(id);
  }

  isParticipant(id: ServerId): boolean {
    return this.roles.get(id) === "participant";
  }

  isObserver(id: ServerId): boolean {
    return this.roles.get(id) === "observer";
  }

  /** Every member id, participants first. */
  all(): ServerId[] {
    return [...this.participants, ...this.observers];
  }

  /** Whether any two participants form a quorum on their own (an ensemble of two or three participants). */
  get pairIsQuorum(): boolean {
    return this.size <= 2;
  }

  /** Whether the distinct participants among `ids` form a majority. */
  hasQuorum(ids: Iterable<ServerId>): boolean {
    const seen = new Set<ServerId>();
    for (const id of ids) if (this.isParticipant(id)) seen.add(id);
    return seen.size >= this.size;
  }

  /** The highest zxid that a quorum of participants has acknowledged; `ackOf` returns null for "nothing". */
  quorumAcked(ackOf: (id: ServerId) => bigint | null): bigint | null {
    const acks: bigint[] = [];
    for (const id of this.participants) {
      const ack = ackOf(id);
      if (ack !== null) acks.push(ack);
    }
    return kthLargest(acks, this.size);
  }
}
