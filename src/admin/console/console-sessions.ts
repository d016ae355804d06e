/**
 * The console's browser sessions. Each browser (one cookie) gets its own Herd client connected to the server's
 * client port, so what the operator does goes through the normal pipeline — logged, watched, ACL-checked — and the
 * credentials they type (addAuth) apply to their requests only. A ZooKeeper connection cannot drop an identity,
 * so "log out" replaces the client with a fresh one.
 *
 * Bounded: at most CONSOLE_SESSIONS_MAX browsers at once (each holds a connection from 127.0.0.1, which counts
 * against maxClientCnxns); an idle one is closed after CONSOLE_SESSION_IDLE_MS.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../../base/logger.js";
import { createClient, type ClientOptions, type ZooKeeperClient } from "../../client/index.js";
import { ConsoleRequestError } from "./console-http.js";

export const CONSOLE_SESSIONS_MAX = 16;
export const CONSOLE_SESSION_IDLE_MS = 15 * 60_000;
export const CONSOLE_COOKIE_NAME = "herd_console";
const SWEEP_INTERVAL_MS = 60_000;
const TOKEN_PATTERN = /^[0-9a-f]{32}$/;

/** Console requests fail rather than hang when the server does not answer (it is in the same process). */
const CLIENT_OPTIONS: ClientOptions = { sessionTimeoutMs: 30_000, requestTimeoutMs: 10_000, closeTimeoutMs: 1_000 };

export interface Credential {
  scheme: string;
  auth: string;
}

export interface ConsoleSession {
  readonly token: string;
  client: ZooKeeperClient;
  /** Kept to authenticate a replacement client (after expiry) the same way; never sent back to the browser. */
  credentials: Credential[];
  lastUsedMs: number;
  /** Open Server-Sent Event streams: a session with one is never idle. */
  openStreams: number;
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly connectString: string,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {
    this.sweepTimer = setInterval(() => this.closeIdle(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** The browser's session (touching it), or a new one when the cookie is missing, malformed or forgotten. */
  acquire(token: string | undefined): { session: ConsoleSession; created: boolean } {
    if (this.closed) throw new ConsoleRequestError(503, "the console is shutting down");
    const known = token !== undefined && TOKEN_PATTERN.test(token) ? this.sessions.get(token) : undefined;
    if (known !== undefined) {
      known.lastUsedMs = this.clock();
      this.renewIfEnded(known);
      return { session: known, created: false };
    }
    this.makeRoom();
    const session: ConsoleSession = {
      token: randomBytes(16).toString("hex"),
      client: this.newClient([]),
      credentials: [],
      lastUsedMs: this.clock(),
      openStreams: 0,
    };
    this.sessions.set(session.token, session);
    return { session, created: true };
  }

  /** The browser's session if it has one (touching it); never creates one. */
  peek(token: string | undefined): ConsoleSession | undefined {
    const known = token !== undefined && TOKEN_PATTERN.test(token) ? this.sessions.get(token) : undefined;
    if (known !== undefined) known.lastUsedMs = this.clock();
    return known;
  }

  /** Adds a credential to the browser's connection; a rejected one leaves the session as it was. */
  async authenticate(session: ConsoleSession, credential: Credential): Promise<void> {
    try {
      await session.client.addAuth(credential.scheme, credential.auth);
    } catch (err) {
      // A rejected credential makes the server drop the connection and the client stop: start over without it.
      this.replaceClient(session);
      throw err;
    }
    session.credentials.push(credential);
  }

  /** Forgets every credential: the browser continues on a fresh, anonymous connection. */
  resetCredentials(session: ConsoleSession): void {
    session.credentials = [];
    this.replaceClient(session);
  }

  /** The server sessions the console itself holds, to tell them apart from applications' sessions. */
  serverSessionIds(): Set<bigint> {
    const ids = new Set<bigint>();
    for (const s of this.sessions.values()) if (s.client.sessionId !== 0n) ids.add(s.client.sessionId);
    return ids;
  }

  get size(): number {
    return this.sessions.size;
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    const clients = [...this.sessions.values()].map((s) => s.client);
    this.sessions.clear();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }

  /** Closes sessions unused for CONSOLE_SESSION_IDLE_MS that have no open event stream. */
  closeIdle(): void {
    const now = this.clock();
    for (const s of [...this.sessions.values()]) {
      if (s.openStreams === 0 && now - s.lastUsedMs >= CONSOLE_SESSION_IDLE_MS) this.drop(s);
    }
  }

  private makeRoom(): void {
    if (this.sessions.size < CONSOLE_SESSIONS_MAX) return;
    let oldest: ConsoleSession | undefined;
    for (const s of this.sessions.values()) {
      if (s.openStreams === 0 && (oldest === undefined || s.lastUsedMs < oldest.lastUsedMs)) oldest = s;
    }
    if (oldest === undefined) throw new ConsoleRequestError(503, `the console already serves ${CONSOLE_SESSIONS_MAX} live browser sessions`);
    this.drop(oldest);
  }

  private drop(session: ConsoleSession): void {
    this.sessions.delete(session.token);
    session.client.close().catch(() => undefined);
  }

  /** A client whose session expired (or was closed) is terminal; the browser gets a new one, same credentials. */
  private renewIfEnded(session: ConsoleSession): void {
    const state = session.client.state;
    if (state === "expired" || state === "closed" || state === "authFailed") this.replaceClient(session);
  }

  private replaceClient(session: ConsoleSession): void {
    const old = session.client;
    session.client = this.newClient(session.credentials);
    old.close().catch(() => undefined);
  }

  private newClient(credentials: Credential[]): ZooKeeperClient {
    const client = createClient(this.connectString, { ...CLIENT_OPTIONS, auth: credentials.map((c) => ({ ...c })) });
    // A throwing watch callback must not become an uncaught exception in the server process.
    client.on("error", (err) => this.logger.warn(`console client: ${err.message}`));
    return client;
  }
}
