/**
 * LeaderElection: leadership as a task (Curator's LeaderSelector). Participants queue on a Mutex at the
 * election's path (nodes `_c_<uuid>-lock-<seq>` holding each participant's id, as Curator), and the holder
 * runs the task; leadership ends when the task's promise settles, and the mutex passes to the next in line.
 * A lost connection or session aborts the task's signal, because another participant may already lead: the
 * task must stop when `signal` fires. With `autoRequeue` a participant queues again after each turn.
 */
import { EventEmitter } from "node:events";
import type { ZooKeeperClient } from "../client/index.js";
import { participantsOf, type Participant } from "./leader-latch.js";
import { MUTEX_LOCK_NAME, Mutex } from "./mutex.js";
import { checkPath } from "./support.js";

/** What the task is handed while it leads. */
export interface Leadership {
  /** Aborted when leadership is lost (connection or session) or the election is closed. */
  readonly signal: AbortSignal;
  readonly client: ZooKeeperClient;
  /** This participant's id. */
  readonly id: string;
}

/** Runs while this participant leads; leadership ends when it settles. */
export type LeadershipTask = (leadership: Leadership) => Promise<void> | void;

/** Options of a LeaderElection. */
export interface LeaderElectionOptions {
  /** Stored in our queue node, so others can see who leads; default "". */
  id?: string;
  /** Queue again after each turn (until closed). Default false: one turn per start()/requeue(). */
  autoRequeue?: boolean;
}

/** Events of a LeaderElection. */
export interface LeaderElectionEvents {
  /** The task threw or rejected, or a turn failed (the election carries on if requeued). */
  error: [Error];
}

/** Why a task's signal was aborted. */
export class LeadershipLostError extends Error {
  constructor(readonly why: "connectionLost" | "sessionLost" | "closed") {
    super(`leadership lost: ${why}`);
    this.name = "LeadershipLostError";
  }
}

/**
 * Leader election where leadership lasts as long as a task (Curator's LeaderSelector).
 *
 * ```ts
 * const election = new LeaderElection(zk, "/election/compactor", async ({ signal }) => {
 *   while (!signal.aborted) await compactOnce(signal);
 * }, { id: "node-a", autoRequeue: true });
 * election.start();
 * ```
 */
export class LeaderElection extends EventEmitter<LeaderElectionEvents> {
  readonly id: string;
  private readonly autoRequeue: boolean;
  private state: "latent" | "started" | "closed" = "latent";
  private queued = false;
  private leading = false;
  /** Aborts the current turn: its wait for the mutex, or its task. */
  private turn: AbortController | undefined;
  private running: Promise<void> | undefined;
  /** Only a leader gives up on disconnection; a waiter keeps its place in the queue. */
  private readonly onDisconnected = () => {
    if (this.leading) this.turn?.abort(new LeadershipLostError("connectionLost"));
  };
  private readonly onSessionLost = () => this.turn?.abort(new LeadershipLostError("sessionLost"));

  constructor(readonly client: ZooKeeperClient, readonly electionPath: string, private readonly task: LeadershipTask, options: LeaderElectionOptions = {}) {
    super();
    checkPath(electionPath, "election path");
    this.id = options.id ?? "";
    this.autoRequeue = options.autoRequeue ?? false;
  }

  /** Queues for leadership (once). */
  start(): void {
    if (this.state !== "latent") throw new Error("LeaderElection can be started only once");
    this.state = "started";
    this.client.on("disconnected", this.onDisconnected);
    this.client.on("expired", this.onSessionLost);
    this.client.on("closed", this.onSessionLost);
    this.requeue();
  }

  /** Queues again after a turn; false if already queued or leading (or closed). */
  requeue(): boolean {
    if (this.state !== "started" || this.queued) return false;
    this.queued = true;
    this.running ??= this.takeTurns();
    return true;
  }

  /** Whether our task is running as leader now. */
  get hasLeadership(): boolean {
    return this.leading;
  }

  /** Every participant in queue order; the first leads. */
  getParticipants(): Promise<Participant[]> {
    return participantsOf(this.client, this.electionPath, [MUTEX_LOCK_NAME]);
  }

  /** The current leader, if anyone is queued. */
  async getLeader(): Promise<Participant | undefined> {
    return (await this.getParticipants())[0];
  }

  /** Leaves the queue, aborting the task if it runs, and waits for the turn to end (mutex released). */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.queued = false;
    this.turn?.abort(new LeadershipLostError("closed"));
    this.client.off("disconnected", this.onDisconnected);
    this.client.off("expired", this.onSessionLost);
    this.client.off("closed", this.onSessionLost);
    await this.running;
  }

  private async takeTurns(): Promise<void> {
    try {
      while (this.queued && this.state === "started") {
        await this.takeTurn().catch((err: unknown) => this.report(err));
        if (this.sessionEnded()) break; // every further turn would fail at once
        if (this.autoRequeue && this.state === "started") this.queued = true;
      }
    } finally {
      this.running = undefined;
    }
  }

  /** Waits for the mutex, runs the task, releases. `queued` stays true while queued or leading. */
  private async takeTurn(): Promise<void> {
    const turn = new AbortController();
    this.turn = turn;
    const mutex = new Mutex(this.client, this.electionPath, { data: this.id });
    try {
      if (!(await mutex.acquire(undefined, turn.signal).catch((err: unknown) => (turn.signal.aborted ? false : Promise.reject(err))))) return;
      this.leading = true;
      try {
        await this.task({ signal: turn.signal, client: this.client, id: this.id });
      } finally {
        this.leading = false;
        await mutex.release().catch(() => undefined); // gone with the session, if that is how the turn ended
      }
    } finally {
      this.turn = undefined;
      this.queued = false;
    }
  }

  private sessionEnded(): boolean {
    const state = this.client.state;
    return state === "expired" || state === "closed" || state === "authFailed";
  }

  private report(err: unknown): void {
    if (err instanceof LeadershipLostError) return;
    if (this.listenerCount("error") > 0) this.emit("error", err instanceof Error ? err : new Error(String(err)));
  }
}
