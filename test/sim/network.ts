/**
 * A simulated network between servers. Every message is encoded and decoded with the real codec. A link is
 * FIFO like a TCP connection unless faults say otherwise: messages can be lost, duplicated, delayed or made
 * to overtake earlier ones; links can be cut (partitions). Delivery times are in simulator time units.
 */
import { decodeMessage, encodeMessage, type ServerId, type ZabMessage } from "../../src/zab/index.js";
import type { Prng } from "./prng.js";

export interface NetworkFaults {
  /** Probability that a message is dropped. */
  lossRate: number;
  /** Probability that a message is delivered twice. */
  dupRate: number;
  /** Probability that a message ignores the link's FIFO order. */
  reorderRate: number;
  delayMin: number;
  delayMax: number;
}

export const NO_FAULTS: NetworkFaults = { lossRate: 0, dupRate: 0, reorderRate: 0, delayMin: 1, delayMax: 1 };

export interface InFlight {
  from: ServerId;
  to: ServerId;
  bytes: Buffer;
  deliverAt: number;
  seq: number;
}

/** Messages in flight at once; more means the simulated cluster is flooding itself. */
const IN_FLIGHT_MAX = 2_000_000;

export class SimNetwork {
  faults: NetworkFaults = NO_FAULTS;
  private queue: InFlight[] = [];
  private seq = 0;
  private readonly linkLast = new Map<string, number>();
  private readonly cutLinks = new Set<string>();
  sent = 0;
  delivered = 0;
  dropped = 0;

  constructor(private readonly prng: Prng) {}

  send(from: ServerId, to: ServerId, msg: ZabMessage, now: number): void {
    this.sent++;
    if (this.isCut(from, to) || this.prng.chance(this.faults.lossRate)) {
      this.dropped++;
      return;
    }
    const bytes = encodeMessage(msg);
    const copies = this.prng.chance(this.faults.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) this.enqueue(from, to, bytes, now);
  }

  private enqueue(from: ServerId, to: ServerId, bytes: Buffer, now: number): void {
    if (this.queue.length >= IN_FLIGHT_MAX) throw new Error("network: too many messages in flight");
    const link = `${from}>${to}`;
    let deliverAt = now + this.prng.range(this.faults.delayMin, this.faults.delayMax);
    if (!this.prng.chance(this.faults.reorderRate)) deliverAt = Math.max(deliverAt, this.linkLast.get(link) ?? 0);
    this.linkLast.set(link, Math.max(deliverAt, this.linkLast.get(link) ?? 0));
    const item: InFlight = { from, to, bytes, deliverAt, seq: this.seq++ };
    let i = this.queue.length;
    while (i > 0 && later(this.queue[i - 1], item)) i--;
    this.queue.splice(i, 0, item);
  }

  /** Messages due by `now`, in delivery order, decoded. Messages on links cut meanwhile are dropped. */
  takeDue(now: number): { from: ServerId; to: ServerId; msg: ZabMessage }[] {
    let n = 0;
    while (n < this.queue.length && this.queue[n].deliverAt <= now) n++;
    const due = this.queue.splice(0, n);
    const out: { from: ServerId; to: ServerId; msg: ZabMessage }[] = [];
    for (const m of due) {
      if (this.isCut(m.from, m.to)) {
        this.dropped++;
        continue;
      }
      this.delivered++;
      out.push({ from: m.from, to: m.to, msg: decodeMessage(m.bytes) });
    }
    return out;
  }

  inFlight(): number {
    return this.queue.length;
  }

  /** Drop everything in flight to `id` (it crashed: its connections are gone). */
  dropTo(id: ServerId): void {
    const before = this.queue.length;
    this.queue = this.queue.filter((m) => m.to !== id);
    this.dropped += before - this.queue.length;
  }

  cut(a: ServerId, b: ServerId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Messages from `from` to `to` are lost; the other direction still works. */
  cutOneWay(from: ServerId, to: ServerId): void {
    this.cutLinks.add(`${from}-${to}`);
  }

  /** Cut every link between the two groups. */
  partition(groupA: readonly ServerId[], groupB: readonly ServerId[]): void {
    for (const a of groupA) for (const b of groupB) this.cut(a, b);
  }

  isolate(id: ServerId, all: readonly ServerId[]): void {
    for (const other of all) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.cutLinks.clear();
  }

  isCut(from: ServerId, to: ServerId): boolean {
    return this.cutLinks.has(`${from}-${to}`);
  }

}

function later(a: InFlight, b: InFlight): boolean {
  return a.deliverAt > b.deliverAt || (a.deliverAt === b.deliverAt && a.seq > b.seq);
}
