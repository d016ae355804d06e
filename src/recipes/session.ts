/**
 * Sessions for recipes that outlive one. Herd's client never opens a new session after expiry (a new session
 * is a new identity: its ephemerals and watches are gone). Curator's framework does open one, and recipes such
 * as PersistentEphemeralNode, LeaderLatch, TreeCache, GroupMember and ServiceDiscovery rely on that to rebuild
 * what the lost session held. RenewingClient supplies it: it owns a ZooKeeperClient and replaces it with a new
 * one (same connect string and options) each time the session expires, announcing the replacement.
 *
 * Recipes take a `RecipeClient`: a plain ZooKeeperClient (the recipe ends with its session) or a
 * RenewingClient (the recipe carries on in the next session). `SessionBinding` is the recipes' internal view
 * of either: the current client plus callbacks for connection loss, reconnection, session loss and renewal.
 */
import { EventEmitter } from "node:events";
import { createClient, ZooKeeperClient, type ClientOptions } from "../client/index.js";

/** Events of a RenewingClient. */
export interface RenewingClientEvents {
  /** The session expired and `client` (a new session, still connecting) replaces the old one. */
  renewed: [client: ZooKeeperClient];
  /** The session expired; `renewed` follows at once unless the RenewingClient was closed. */
  expired: [];
}

/**
 * A ZooKeeper client that starts a new session whenever its session expires, for recipes that must keep
 * their nodes across session loss. `client` always names the current session's client.
 *
 * ```ts
 * const zk = new RenewingClient("127.0.0.1:2181", { sessionTimeoutMs: 10_000 });
 * const node = new PersistentEphemeralNode(zk, "/services/me", "addr");
 * ```
 */
export class RenewingClient extends EventEmitter<RenewingClientEvents> {
  private current: ZooKeeperClient;
  private closed = false;
  /** How many sessions this object has started (1 at construction). */
  sessionsStarted = 1;

  /** Options must not name a session to resume: each renewal starts a fresh one. */
  constructor(private readonly connectString: string, private readonly options: ClientOptions = {}) {
    super();
    if (options.sessionId !== undefined) throw new TypeError("RenewingClient starts its own sessions: do not pass sessionId");
    this.current = this.open();
  }

  /** The client of the current session. Re-read it after `renewed`; an old one stays expired. */
  get client(): ZooKeeperClient {
    return this.current;
  }

  /** Closes the current session; no further renewals. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.current.close();
  }

  private open(): ZooKeeperClient {
    const client = createClient(this.connectString, this.options);
    // After the other `expired` listeners (recipes hear of the loss before they hear of the renewal).
    client.once("expired", () => queueMicrotask(() => this.renew(client)));
    return client;
  }

  private renew(expired: ZooKeeperClient): void {
    if (this.closed || expired !== this.current) return;
    this.emit("expired");
    // An expired client holds only its (already failed) state; closing it releases its timers.
    void expired.close().catch(() => undefined);
    if (this.closed) return;
    this.current = this.open();
    this.sessionsStarted += 1;
    this.emit("renewed", this.current);
  }
}

/** What recipes accept: a client whose session is the recipe's lifetime, or a RenewingClient. */
export type RecipeClient = ZooKeeperClient | RenewingClient;

/** The current client of either kind. */
export function currentClient(source: RecipeClient): ZooKeeperClient {
  return source instanceof RenewingClient ? source.client : source;
}

/** Callbacks a recipe wants about the sessions behind a RecipeClient. All optional. */
export interface SessionHandlers {
  /** The connection dropped; the session may come back (`reconnected`) or expire. */
  disconnected?(): void;
  /** The same session is back. */
  reconnected?(): void;
  /** The session ended (expired or closed). With a RenewingClient, `renewed` follows for expiry. */
  sessionLost?(): void;
  /** A RenewingClient replaced the session: rebuild on `client`. */
  renewed?(client: ZooKeeperClient): void;
}

/**
 * Follows the sessions of a RecipeClient for one recipe: attaches the handlers to the current client and,
 * with a RenewingClient, moves them to each new client. `stop()` detaches everything.
 */
export class SessionBinding {
  private attachedTo: ZooKeeperClient | undefined;
  private readonly onDisconnected = () => this.handlers.disconnected?.();
  private readonly onReconnected = () => this.handlers.reconnected?.();
  private readonly onLost = () => this.handlers.sessionLost?.();
  private readonly onRenewed = (client: ZooKeeperClient) => {
    this.attach(client);
    this.handlers.renewed?.(client);
  };

  constructor(private readonly source: RecipeClient, private readonly handlers: SessionHandlers) {
    this.attach(currentClient(source));
    if (source instanceof RenewingClient) source.on("renewed", this.onRenewed);
  }

  get client(): ZooKeeperClient {
    return currentClient(this.source);
  }

  /** True when the recipe can carry on into a new session after this one expires. */
  get renews(): boolean {
    return this.source instanceof RenewingClient;
  }

  stop(): void {
    this.detach();
    if (this.source instanceof RenewingClient) this.source.off("renewed", this.onRenewed);
  }

  private attach(client: ZooKeeperClient): void {
    this.detach();
    this.attachedTo = client;
    client.on("disconnected", this.onDisconnected);
    client.on("reconnected", this.onReconnected);
    client.on("expired", this.onLost);
    client.on("closed", this.onLost);
  }

  private detach(): void {
    const client = this.attachedTo;
    if (client === undefined) return;
    client.off("disconnected", this.onDisconnected);
    client.off("reconnected", this.onReconnected);
    client.off("expired", this.onLost);
    client.off("closed", this.onLost);
    this.attachedTo = undefined;
  }
}
