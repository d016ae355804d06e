/**
 * LeaderLatch: every participant keeps one EPHEMERAL_SEQUENTIAL node `<path>/_c_<uuid>-latch-<seq>` (data:
 * its id), the layout of Curator's LeaderLatch, so Node and Java participants share one election. The lowest
 * sequence leads; the others watch only their predecessor. Leadership is checked by a single serialized loop
 * that any watch, reconnection or new session re-runs, so events arriving together cannot interleave.
 *
 * As in Curator's default policy, a lost connection ends leadership at once (another participant may be
 * elected if the session expires); reconnecting in the same session re-checks and regains it if still first.
 * With a RenewingClient the latch rejoins in each new session.
 */
import { EventEmitter } from "node:events";
import { NoNodeError, SessionExpiredError, type ZooKeeperClient } from "../client/index.js";
import { sortedChildren } from "./lock-internals.js";
import { SessionBinding, type RecipeClient } from "./session.js";
import { Deadline, Wakeup, checkPath, createProtected, deleteQuietly, joinPath, nodeNameOf, retryIdempotent } from "./support.js";

/** Curator's LeaderLatch node name (after the protected prefix). */
export const LATCH_NAME = "latch-";

/** A participant of an election, as read from its node. */
export interface Participant {
  /** The id the participant gave (its node's data, UTF-8). */
  id: string;
  isLeader: boolean;
}

/** Events of a LeaderLatch. */
export interface LeaderLatchEvents {
  isLeader: [];
  notLeader: [];
  /** A check failed in a way that will not cure itself (the latch keeps trying on the next change). */
  error: [Error];
}

/** Options of a LeaderLatch. */
export interface LeaderLatchOptions {
  /** This participant's id, stored in its node; default "". */
  id?: string;
}

type LatchState = "latent" | "started" | "closed";

/**
 * Leader election by latch (Curator's LeaderLatch): once started, a participant stays in the election until
 * closed; `hasLeadership` says whether it leads now.
 *
 * ```ts
 * const latch = new LeaderLatch(zk, "/election/scheduler", { id: "worker-1" });
 * latch.on("isLeader", () => scheduler.start());
 * latch.on("notLeader", () => scheduler.stop());
 * await latch.start();
 * ```
 */
export class LeaderLatch extends EventEmitter<LeaderLatchEvents> {
  readonly id: string;
  private state: LatchState = "latent";
  private leading = false;
  private nodePath: string | undefined;
  private readonly binding: SessionBinding;
  /** The check loop: `rerun` asks it to go round again; `loop` is the running pass. */
  private rerun = false;
  private loop: Promise<void> | undefined;
  /** Why the last pass of the check loop failed, until one succeeds. */
  private lastError: unknown;
  private readonly leadershipWaiters = new Set<() => void>();

  constructor(source: RecipeClient, readonly latchPath: string, options: LeaderLatchOptions = {}) {
    super();
    checkPath(latchPath, "latch path");
    this.id = options.id ?? "";
    this.binding = new SessionBinding(source, {
      disconnected: () => this.setLeadership(false),
      reconnected: () => this.kick(),
      sessionLost: () => {
        this.nodePath = undefined; // an ephemeral: gone with the session
        this.setLeadership(false);
      },
      renewed: () => this.kick(),
    });
  }

  /**
   * Joins the election; resolves once our node exists and leadership was checked once. Rejects if the node
   * could not be created (the latch then keeps trying, on reconnection or in a new session, until closed).
   */
  async start(): Promise<void> {
    if (this.state !== "latent") throw new Error("LeaderLatch can be started only once");
    this.state = "started";
    this.rerun = true;
    this.loop = this.runChecks();
    await this.loop;
    // The latch keeps trying (on reconnection or a new session); the caller still hears the first failure.
    if (this.nodePath === undefined && this.lastError !== undefined) throw this.lastError;
  }

  /** Whether this participant leads now. */
  get hasLeadership(): boolean {
    return this.state === "started" && this.leading;
  }

  /** Our node's path while in the election. */
  get ourPath(): string | undefined {
    return this.nodePath;
  }

  /** Resolves true once this participant leads, false after `timeoutMs` or if the latch is closed first. */
  async await(timeoutMs?: number): Promise<boolean> {
    const deadline = new Deadline(timeoutMs);
    while (this.state !== "closed" && !this.hasLeadership) {
      const wakeup = new Wakeup();
      const wake = () => wakeup.fire();
      this.leadershipWaiters.add(wake);
      const how = await wakeup.wait(deadline);
      this.leadershipWaiters.delete(wake);
      if (how === "timeout") return this.hasLeadership;
    }
    return this.hasLeadership;
  }

  /** Leaves the election (deletes our node). Silent: no `notLeader` is emitted, as Curator's default. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    const wasStarted = this.state === "started";
    this.state = "closed";
    this.leading = false;
    this.binding.stop();
    this.wakeLeadershipWaiters();
    // Not waiting for a pass in flight (it may wait for a reconnection): it stops at its next step, and a
    // node it creates after this point deletes itself.
    const path = this.nodePath;
    this.nodePath = undefined;
    if (wasStarted && path !== undefined) await deleteQuietly(this.binding.client, path).catch(() => undefined);
  }

  /** Every participant in queue order; the first leads. */
  async getParticipants(): Promise<Participant[]> {
    return participantsOf(this.binding.client, this.latchPath, [LATCH_NAME]);
  }

  /** The current leader, if any participant exists. */
  async getLeader(): Promise<Participant | undefined> {
    return (await this.getParticipants())[0];
  }

  private kick(): void {
    if (this.state !== "started") return;
    this.rerun = true;
    if (this.loop === undefined) this.loop = this.runChecks();
  }

  private async runChecks(): Promise<void> {
    try {
      while (this.rerun && this.state === "started") {
        this.rerun = false;
        try {
          await this.check();
          this.lastError = undefined;
        } catch (err) {
          this.lastError = err;
          this.onCheckFailed(err);
        }
      }
    } finally {
      this.loop = undefined;
    }
  }

  private onCheckFailed(err: unknown): void {
    this.setLeadership(false);
    const client = this.binding.client;
    // Connection trouble: `reconnected` re-runs the check. A lost session: `renewed` does, or nothing can.
    if (err instanceof SessionExpiredError || client.state !== "connected") return;
    if (this.listenerCount("error") > 0) this.emit("error", err instanceof Error ? err : new Error(String(err)));
  }

  private async check(): Promise<void> {
    const client = this.binding.client;
    if (this.nodePath === undefined) {
      const created = await createProtected(client, this.latchPath, LATCH_NAME, Buffer.from(this.id, "utf8"), "ephemeralSequential");
      if (this.state !== "started") return deleteQuietly(client, created);
      this.nodePath = created;
    }
    const ourPath = this.nodePath;
    const children = await sortedChildren(client, this.latchPath, [LATCH_NAME]);
    const ourIndex = children.indexOf(nodeNameOf(ourPath));
    if (ourIndex < 0) {
      // Deleted from under us: join again.
      this.nodePath = undefined;
      this.rerun = true;
      return;
    }
    if (ourIndex === 0) return this.confirmFirst(client, ourPath);
    this.setLeadership(false);
    const predecessor = joinPath(this.latchPath, children[ourIndex - 1] as string);
    await retryIdempotent(() => client.getData(predecessor, { watch: () => this.kick() })).catch((err: unknown) => {
      if (!(err instanceof NoNodeError)) throw err;
      this.rerun = true; // gone already: look again
    });
  }

  /** First in line: lead, if the node is really this session's (not a leftover of an earlier one). */
  private async confirmFirst(client: ZooKeeperClient, ourPath: string): Promise<void> {
    const stat = await retryIdempotent(() => client.exists(ourPath));
    if (stat === null || stat.ephemeralOwner !== client.sessionId) {
      this.nodePath = undefined;
      this.rerun = true;
      return;
    }
    // A disconnect reported while this check was in flight wins: `reconnected` checks again.
    if (client.state === "connected") this.setLeadership(true);
  }

  private setLeadership(leading: boolean): void {
    if (this.state !== "started" || this.leading === leading) return;
    this.leading = leading;
    this.emit(leading ? "isLeader" : "notLeader");
    this.wakeLeadershipWaiters();
  }

  private wakeLeadershipWaiters(): void {
    for (const wake of [...this.leadershipWaiters]) wake();
  }
}

/** The participants of a queue at `path` (nodes named with one of `lockNames`), first = leader. */
export async function participantsOf(client: ZooKeeperClient, path: string, lockNames: readonly string[]): Promise<Participant[]> {
  const children = await sortedChildren(client, path, lockNames);
  const participants: Participant[] = [];
  for (const name of children) {
    try {
      const { data } = await retryIdempotent(() => client.getData(joinPath(path, name)));
      participants.push({ id: data.toString("utf8"), isLeader: participants.length === 0 });
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err; // left meanwhile
    }
  }
  return participants;
}
