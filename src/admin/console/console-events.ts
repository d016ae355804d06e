/**
 * Live updates for the console: a Server-Sent Events stream fed by a persistent recursive watch (addWatch) on the
 * subtree the browser shows, set by that browser's own client. Events are coalesced per path and sent at most
 * once per EVENTS_FLUSH_MS, so a burst of writes costs the browser one message; past EVENTS_PATHS_MAX distinct
 * paths in one window the batch just says "overflow" and the browser reloads what it shows.
 *
 * Messages (`event:` name, JSON `data:`):
 *   ready    { path }                          the watch is registered: later changes will arrive
 *   changes  { events: [{type, path}], overflow }
 *   session  { state }                         the console's connection to the server changed state
 * and a comment line every HEARTBEAT_MS so proxies and the browser keep the stream open.
 */
import type * as http from "node:http";
import type { WatchEvent, ZooKeeperClient } from "../../client/index.js";
import type { ConsoleSession } from "./console-sessions.js";

export const EVENTS_FLUSH_MS = 250;
export const EVENTS_PATHS_MAX = 1000;
export const HEARTBEAT_MS = 20_000;
/** Per browser: a few tabs are normal, hundreds are a leak. */
export const EVENT_STREAMS_PER_SESSION_MAX = 8;
const RECONNECT_MS = 1000;

export interface ChangeBatch {
  events: { type: string; path: string }[];
  /** More paths changed than one batch holds: reload everything shown. */
  overflow: boolean;
}

/** Collects watch events and hands them on in coalesced batches, at most one per `flushMs`. */
export class ChangeBatcher {
  private readonly pending = new Map<string, string>();
  private overflow = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flushMs: number,
    private readonly pathsMax: number,
    private readonly emit: (batch: ChangeBatch) => void,
  ) {}

  add(event: { type: string; path: string }): void {
    if (!this.overflow) {
      // Re-inserting moves the path to the end, so a batch lists paths in the order of their last change.
      this.pending.delete(event.path);
      this.pending.set(event.path, event.type);
      if (this.pending.size > this.pathsMax) {
        this.pending.clear();
        this.overflow = true;
      }
    }
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Sends what is pending now (used by the timer, and before the stream ends). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0 && !this.overflow) return;
    const batch: ChangeBatch = { events: [...this.pending].map(([path, type]) => ({ type, path })), overflow: this.overflow };
    this.pending.clear();
    this.overflow = false;
    this.emit(batch);
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}

/** Client-generated events that end a watch rather than report a change. */
const ENDING_EVENTS: ReadonlySet<string> = new Set(["SessionExpired", "Closed", "PersistentWatchRemoved"]);

/**
 * Serves one event stream until the browser goes away or the console's session ends. The watch belongs to this
 * stream alone (its own callback), so other tabs of the same browser keep theirs when this one closes.
 */
export async function serveEventStream(
  res: http.ServerResponse,
  session: ConsoleSession,
  path: string,
  extraHeaders: Record<string, string> = {},
): Promise<void> {
  const client: ZooKeeperClient = session.client;
  res.writeHead(200, {
    ...extraHeaders,
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    // Reverse proxies (nginx) must not buffer a live stream.
    "X-Accel-Buffering": "no",
  });
  // A browser whose stream ended (console restarted, session replaced) reconnects after this long.
  res.write(`retry: ${RECONNECT_MS}\n\n`);
  const send = (event: string, data: unknown) => {
    if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const batcher = new ChangeBatcher(EVENTS_FLUSH_MS, EVENTS_PATHS_MAX, (batch) => send("changes", batch));
  const heartbeat = setInterval(() => res.write(": ping\n\n"), HEARTBEAT_MS);
  const onState = (state: string) => send("session", { state });
  let ended = false;
  const watcher = (event: WatchEvent) => {
    if (ENDING_EVENTS.has(event.type)) return end();
    batcher.add(event);
  };
  const end = () => {
    if (ended) return;
    ended = true;
    session.openStreams--;
    clearInterval(heartbeat);
    batcher.flush();
    batcher.close();
    client.off("state", onState);
    // Also while disconnected: the client drops the watcher from its table at once (so a reconnect does not
    // re-register it) and tells the server when it can; a closed client just has nothing left to remove.
    client.removeWatches(path, watcher, "persistentRecursive").catch(() => undefined);
    if (!res.writableEnded) res.end();
  };
  session.openStreams++;
  res.on("close", end);
  client.on("state", onState);
  try {
    await client.addWatch(path, watcher, "persistentRecursive");
  } catch (err) {
    send("failed", { error: err instanceof Error ? err.message : String(err) });
    end();
    return;
  }
  // The browser may have gone while the watch was being added.
  if (ended) {
    client.removeWatches(path, watcher, "persistentRecursive").catch(() => undefined);
    return;
  }
  send("ready", { path });
}
