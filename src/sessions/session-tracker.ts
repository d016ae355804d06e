/**
 * Sessions and their expiry, bucketed by tick as ZooKeeper does: a session expires at the first tick boundary
 * after now + timeout; every packet from the client moves it to a later bucket. Time is passed in.
 */
import { assert } from "../base/assert.js";

export interface Session {
  readonly id: bigint;
  timeoutMs: number;
  /** Bucket (ms since epoch, multiple of tickMs) in which the session expires. */
  expiresAtMs: number;
  /** Set once a closeSession txn is prepared: further requests get SessionExpired. */
  closing: boolean;
}

export class SessionTracker {
  readonly sessions = new Map<bigint, Session>();
  private readonly buckets = new Map<number, Set<bigint>>();
  private nextId: bigint;

  constructor(private readonly tickMs: number, serverId: bigint, nowMs: number) {
    this.nextId = initialSessionId(serverId, nowMs);
  }

  /** A fresh id; never reused within this server's lifetime (ids embed the start time). */
  allocateId(): bigint {
    let id = this.nextId;
    this.nextId++;
    if (id === -0x8000000000000000n) id = this.nextId++; // reserved for containers
    return id;
  }

  private bucketFor(nowMs: number, timeoutMs: number): number {
    return Math.ceil((nowMs + timeoutMs) / this.tickMs) * this.tickMs;
  }

  add(id: bigint, timeoutMs: number, nowMs: number): Session {
    const session: Session = { id, timeoutMs, expiresAtMs: 0, closing: false };
    this.sessions.set(id, session);
    this.touch(id, nowMs);
    return session;
  }

  get(id: bigint): Session | undefined {
    return this.sessions.get(id);
  }

  /** Pushes expiry out; false if the session is unknown or closing. */
  touch(id: bigint, nowMs: number): boolean {
    const s = this.sessions.get(id);
    if (s === undefined || s.closing) return false;
    const at = this.bucketFor(nowMs, s.timeoutMs);
    if (at === s.expiresAtMs) return true;
    this.buckets.get(s.expiresAtMs)?.delete(id);
    s.expiresAtMs = at;
    let bucket = this.buckets.get(at);
    if (bucket === undefined) this.buckets.set(at, (bucket = new Set()));
    bucket.add(id);
    return true;
  }

  setTimeout(id: bigint, timeoutMs: number, nowMs: number): void {
    const s = this.sessions.get(id);
    assert(s !== undefined, "setTimeout on unknown session");
    s.timeoutMs = timeoutMs;
    this.touch(id, nowMs);
  }

  markClosing(id: bigint): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    s.closing = true;
    this.buckets.get(s.expiresAtMs)?.delete(id);
  }

  remove(id: bigint): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.buckets.get(s.expiresAtMs)?.delete(id);
    this.sessions.delete(id);
  }

  /** Sessions whose bucket has passed and that are not already closing. */
  expired(nowMs: number): Session[] {
    const out: Session[] = [];
    for (const [at, ids] of this.buckets) {
      if (at > nowMs) continue;
      for (const id of ids) {
        const s = this.sessions.get(id);
        if (s !== undefined && !s.closing) out.push(s);
      }
      this.buckets.delete(at);
    }
    return out;
  }

  /** The next time (ms) at which some session may expire, or null. */
  nextExpiryMs(): number | null {
    let min: number | null = null;
    for (const [at, ids] of this.buckets) if (ids.size > 0 && (min === null || at < min)) min = at;
    return min;
  }
}

/** (serverId << 56) | ((now << 24) >>> 8): unique across restarts as long as the clock moves forward. */
export function initialSessionId(serverId: bigint, nowMs: number): bigint {
  const shifted = BigInt.asUintN(64, BigInt(nowMs) << 24n) >> 8n;
  return BigInt.asIntN(64, (serverId << 56n) | shifted);
}

/**
 * The session password: the 16 bytes java.util.Random(sessionId ^ 0xB3415C00).nextBytes gives, so any server
 * can verify a re-attach without storing passwords (and Herd matches Apache ZooKeeper's values).
 */
export function sessionPassword(sessionId: bigint): Buffer {
  const mask48 = (1n << 48n) - 1n;
  let seed = (BigInt.asUintN(64, sessionId ^ 0xb3415c00n) ^ 0x5deece66dn) & mask48;
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i += 4) {
    seed = (seed * 0x5deece66dn + 0xbn) & mask48;
    const r = Number(seed >> 16n) | 0;
    out[i] = r & 0xff;
    out[i + 1] = (r >> 8) & 0xff;
    out[i + 2] = (r >> 16) & 0xff;
    out[i + 3] = (r >> 24) & 0xff;
  }
  return out;
}
