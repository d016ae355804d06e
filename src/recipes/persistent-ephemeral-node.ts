/**
 * PersistentEphemeralNode: an ephemeral node that tries to stay present (Curator's PersistentNode /
 * PersistentEphemeralNode). It watches its node with exists() and creates it again when it is deleted, and,
 * with a RenewingClient, in each new session after the old one expired. When the node already exists at
 * creation (a leftover of our own expired session, not yet removed by the server), it adopts it and sets
 * its data, as Curator does; the server's removal then fires the watch and the node is made again.
 *
 * Sequential modes use a protected name (`_c_<uuid>-<name><seq>`) so a create whose reply is lost is found
 * rather than repeated.
 */
import { EventEmitter } from "node:events";
import { NoNodeError, NodeExistsError, type NodeData, type ZooKeeperClient } from "../client/index.js";
import { toNodeBuffer } from "./codec.js";
import { SessionBinding, type RecipeClient } from "./session.js";
import {
  Deadline,
  SerialRunner,
  Wakeup,
  checkPath,
  createProtected,
  createWithParents,
  deleteQuietly,
  dropWatcher,
  newProtectedPrefix,
  nodeNameOf,
  parentOf,
  retryIdempotent,
  sessionEnded,
} from "./support.js";

/** Modes a PersistentEphemeralNode can keep. */
export type PersistentNodeMode = "ephemeral" | "ephemeralSequential" | "persistent" | "persistentSequential";

/** Options of a PersistentEphemeralNode. */
export interface PersistentEphemeralNodeOptions {
  /** Default "ephemeral". */
  mode?: PersistentNodeMode;
}

/** Events of a PersistentEphemeralNode. */
export interface PersistentEphemeralNodeEvents {
  /** The node was created (again), at `path`. */
  created: [path: string];
  /** Creating or watching failed for a reason a reconnection will not cure (e.g. NoAuth). */
  error: [Error];
}

/**
 * A node kept present across deletions and (with a RenewingClient) session expiry.
 *
 * ```ts
 * const zk = new RenewingClient("127.0.0.1:2181");
 * const me = new PersistentEphemeralNode(zk, "/workers/w-17", JSON.stringify({ host: "10.0.0.17" }));
 * me.start();
 * await me.waitForInitialCreate(5_000);
 * ```
 */
export class PersistentEphemeralNode extends EventEmitter<PersistentEphemeralNodeEvents> {
  private readonly mode: PersistentNodeMode;
  private currentData: Buffer | null;
  private nodePath: string | undefined;
  private state: "latent" | "started" | "closed" = "latent";
  private readonly binding: SessionBinding;
  private readonly runner: SerialRunner;
  /** Stable across attempts, so a sequential node whose create reply was lost is found again. */
  private readonly protectedPrefix = newProtectedPrefix();
  private readonly createdWaiters = new Set<() => void>();
  private readonly watcher = () => void this.runner.request();

  constructor(source: RecipeClient, readonly basePath: string, data: NodeData, options: PersistentEphemeralNodeOptions = {}) {
    super();
    checkPath(basePath, "node path");
    this.mode = options.mode ?? "ephemeral";
    this.currentData = toNodeBuffer(data);
    this.runner = new SerialRunner(() => this.ensure(), (err) => this.report(err));
    this.binding = new SessionBinding(source, {
      reconnected: () => void this.runner.request(),
      sessionLost: () => {
        if (this.mode === "ephemeral" || this.mode === "ephemeralSequential") this.nodePath = undefined;
      },
      renewed: () => void this.runner.request(),
    });
  }

  /** Starts creating and watching the node (in the background). */
  start(): void {
    if (this.state !== "latent") throw new Error("PersistentEphemeralNode can be started only once");
    this.state = "started";
    void this.runner.request();
  }

  /** Resolves true once the node exists (at once if it does), false after `timeoutMs`. */
  async waitForInitialCreate(timeoutMs?: number): Promise<boolean> {
    const deadline = new Deadline(timeoutMs);
    while (this.nodePath === undefined && this.state === "started") {
      const wakeup = new Wakeup();
      const wake = () => wakeup.fire();
      this.createdWaiters.add(wake);
      const how = await wakeup.wait(deadline);
      this.createdWaiters.delete(wake);
      if (how === "timeout") break;
    }
    return this.nodePath !== undefined;
  }

  /** The node's full path while it exists (for sequential modes, with its sequence). */
  get actualPath(): string | undefined {
    return this.nodePath;
  }

  /** The data the node is (re)created with. */
  get data(): Buffer | null {
    return this.currentData;
  }

  /** Changes the node's data now (if it exists) and for every re-creation. */
  async setData(data: NodeData): Promise<void> {
    this.currentData = toNodeBuffer(data);
    const path = this.nodePath;
    if (path === undefined || this.state !== "started") return;
    await retryIdempotent(() => this.binding.client.setData(path, this.currentData)).catch((err: unknown) => {
      if (!(err instanceof NoNodeError)) throw err; // gone: re-created with the new data
    });
  }

  /** Stops keeping the node and deletes it. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.binding.stop();
    for (const wake of [...this.createdWaiters]) wake();
    const client = this.binding.client;
    const path = this.nodePath;
    this.nodePath = undefined;
    if (path === undefined || sessionEnded(client)) return;
    dropWatcher(client, path, this.watcher, "data");
    await deleteQuietly(client, path).catch(() => undefined);
  }

  /** One pass: create the node if we have none, then watch it (or find it gone and go round again). */
  private async ensure(): Promise<void> {
    if (this.state !== "started") return;
    const client = this.binding.client;
    if (this.nodePath === undefined) {
      const path = await this.create(client);
      if (this.state !== "started") return deleteQuietly(client, path);
      this.nodePath = path;
      this.emit("created", path);
      for (const wake of [...this.createdWaiters]) wake();
    }
    const stat = await retryIdempotent(() => client.exists(this.nodePath as string, { watch: this.watcher }));
    if (stat === null) {
      this.nodePath = undefined;
      void this.runner.request();
    }
  }

  private async create(client: ZooKeeperClient): Promise<string> {
    if (this.mode === "ephemeralSequential" || this.mode === "persistentSequential") {
      return createProtected(client, parentOf(this.basePath), nodeNameOf(this.basePath), this.currentData, this.mode, this.protectedPrefix);
    }
    try {
      // A repeat after connection loss meets our own node as NodeExists: adopted below, as any existing node.
      return await retryCreate(() => createWithParents(client, this.basePath, this.currentData, this.mode));
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
      await retryIdempotent(() => client.setData(this.basePath, this.currentData));
      return this.basePath;
    }
  }

  private report(err: unknown): void {
    const client = this.binding.client;
    if (this.state !== "started" || client.state !== "connected") return; // reconnection or renewal retries
    if (this.listenerCount("error") > 0) this.emit("error", err instanceof Error ? err : new Error(String(err)));
  }
}

/** A plain create is safe to repeat here: a repeat that meets our own node is handled as NodeExists. */
function retryCreate<T>(fn: () => Promise<T>): Promise<T> {
  return retryIdempotent(fn);
}
