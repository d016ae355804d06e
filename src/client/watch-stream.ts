/**
 * The async-iterator form of a persistent watch (`client.watch(path)`): a bounded buffer between the watch
 * callback and a `for await` consumer. Leaving the loop (`return()`) removes the watch; the session's end
 * finishes the iteration (Closed) or fails it (SessionExpired).
 */
import { NoWatcherError, NotConnectedError, SessionExpiredError } from "./errors.js";
import type { WatchEvent, Watcher } from "./watches.js";

export type PersistentWatchMode = "persistent" | "persistentRecursive";

/** An async iterator over a persistent watch; `return()` (or `break` in for-await) removes the watch. */
export interface WatchStream extends AsyncIterableIterator<WatchEvent> {
  /** Resolves once the server has the watch; events from then on are delivered. */
  readonly ready: Promise<void>;
  return(): Promise<IteratorResult<WatchEvent, undefined>>;
}

/** Events a WatchStream may hold before the consumer reads them; beyond this it fails rather than grow. */
export const WATCH_STREAM_BUFFER_MAX = 10_000;

/** What a stream needs from the client. */
export interface WatchSource {
  addWatch(path: string, watcher: Watcher, mode: PersistentWatchMode): Promise<void>;
  removeWatches(path: string, watcher: Watcher, type: PersistentWatchMode): Promise<void>;
}

export class PersistentWatchStream implements WatchStream {
  readonly ready: Promise<void>;
  private readonly buffered: WatchEvent[] = [];
  private waiter: { resolve(r: IteratorResult<WatchEvent, undefined>): void; reject(e: Error): void } | undefined;
  private failure: Error | undefined;
  private ended = false;
  private readonly listener: Watcher = (event) => this.push(event);

  constructor(private readonly client: WatchSource, private readonly path: string, private readonly mode: PersistentWatchMode) {
    this.ready = client.addWatch(path, this.listener, mode);
    this.ready.catch((err: Error) => this.fail(err));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<WatchEvent, undefined>> {
    const event = this.buffered.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      this.ended = true;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<WatchEvent, undefined>> {
    if (!this.ended) {
      this.end();
      // Only once the watch exists can it be removed; a failed add left nothing behind.
      const added = await this.ready.then(() => true, () => false);
      if (added) {
        await this.client.removeWatches(this.path, this.listener, this.mode).catch((err: unknown) => {
          if (!(err instanceof NoWatcherError || err instanceof NotConnectedError || err instanceof SessionExpiredError)) throw err;
        });
      }
    }
    return { value: undefined, done: true };
  }

  private push(event: WatchEvent): void {
    if (this.ended) return;
    if (event.type === "SessionExpired") return this.fail(new SessionExpiredError({ path: this.path }));
    if (event.type === "Closed" || event.type === "PersistentWatchRemoved") return this.end();
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.buffered.length >= WATCH_STREAM_BUFFER_MAX) {
      this.fail(new Error(`watch stream on ${this.path}: more than ${WATCH_STREAM_BUFFER_MAX} unread events`));
      void this.return();
      return;
    }
    this.buffered.push(event);
  }

  private end(): void {
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  private fail(err: Error): void {
    if (this.ended) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) {
      this.ended = true;
      waiter.reject(err);
    } else {
      this.failure = err;
    }
  }
}
