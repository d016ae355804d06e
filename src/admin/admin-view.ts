/**
 * What the AdminServer reads from a running server: everything the four-letter words read, plus the few things
 * only the HTTP side needs. The runtime implements it (HerdServer); tests pass a fake.
 */
import type { FourLetterWordView } from "./four-letter-words.js";
import type { ServerMetrics } from "./metrics.js";

/** ZooKeeper's `server_state` values. */
export type ServerState = "standalone" | "leader" | "follower" | "observer" | "read-only";

export interface AdminView extends FourLetterWordView {
  /** ServerConfig already has these: `raw` is zoo.cfg as read (for `initial_configuration`). */
  readonly config: FourLetterWordView["config"] & { readonly raw: ReadonlyMap<string, string> };
  /** True while the server answers client requests: false while starting, recovering or shutting down. */
  readonly serving: boolean;
  /** What the runtime records (latencies, fsync time, bytes in/out); exported by `/metrics` and `monitor`. */
  readonly metrics: ServerMetrics;
  /** The newest snapshot on disk (its zxid and file time), or null before the first one. */
  lastSnapshot(): { zxid: bigint; timestampMs: number } | null;
  /** Defaults to "standalone" until there is an ensemble. */
  readonly serverState?: ServerState;
}
