/**
 * SharedCounter: an integer every participant sees and may change, on the format of Curator's SharedCount
 * (the node's data is the count as 4 big-endian bytes). Each participant keeps the latest value it read,
 * with the version and zxid it was read at, and re-reads on every change (data watch) and reconnection.
 * `trySetCount` is compare-and-set against the version a participant last saw.
 */
import { EventEmitter } from "node:events";
import { BadVersionError, NoNodeError, NodeExistsError, type Stat, type ZooKeeperClient } from "../client/index.js";
import { decodeInt32, encodeInt32 } from "./codec.js";
import { SerialRunner, checkPath, createWithParents, retryIdempotent, sessionEnded } from "./support.js";

/** A count with the node version and zxid it was read at (Curator's VersionedValue). */
export interface VersionedCount {
  readonly count: number;
  /** The node's data version; -1 before the first read. */
  readonly version: number;
  /** The node's mzxid at that version. */
  readonly zxid: bigint;
}

/** Events of a SharedCounter. */
export interface SharedCounterEvents {
  /** The count changed (seen through a watch, or set by us). */
  changed: [count: number];
  /** A re-read failed for a reason a reconnection will not cure. */
  error: [Error];
}

/**
 * A shared integer (Curator's SharedCount).
 *
 * ```ts
 * const workers = new SharedCounter(zk, "/config/worker-count", 4);
 * await workers.start();
 * workers.on("changed", (n) => pool.resize(n));
 * const seen = workers.versioned;
 * if (!(await workers.trySetCount(seen, seen.count + 1))) console.log("someone else changed it first");
 * ```
 */
export class SharedCounter extends EventEmitter<SharedCounterEvents> {
  private current: VersionedCount;
  private state: "latent" | "started" | "closed" = "latent";
  private readonly reader: SerialRunner;
  private readonly onReconnected = () => void this.reader.request();
  /** One watcher function: registering it again while pending adds nothing. */
  private readonly watcher = () => void this.reader.request();

  /** @param seed the count a missing node is created with. */
  constructor(readonly client: ZooKeeperClient, readonly path: string, readonly seed: number) {
    super();
    checkPath(path, "counter path");
    encodeInt32(seed); // validates
    this.current = { count: seed, version: -1, zxid: -1n };
    this.reader = new SerialRunner(() => this.read(), (err) => this.report(err));
  }

  /** Creates the node with the seed if missing, reads the count and starts watching it. */
  async start(): Promise<void> {
    if (this.state !== "latent") throw new Error("SharedCounter can be started only once");
    this.state = "started";
    this.client.on("reconnected", this.onReconnected);
    await createWithParents(this.client, this.path, encodeInt32(this.seed), "persistent").catch((err: unknown) => {
      if (!(err instanceof NodeExistsError)) throw err;
    });
    await this.read();
  }

  /** The latest count seen. */
  get count(): number {
    return this.current.count;
  }

  /** The latest count seen, with its version, for trySetCount. */
  get versioned(): VersionedCount {
    return this.current;
  }

  /** Sets the count unconditionally. */
  async setCount(count: number): Promise<void> {
    this.checkStarted();
    const stat = await this.client.setData(this.path, encodeInt32(count));
    this.update(stat, count);
  }

  /**
   * Sets the count only if nobody changed it since `previous` was read: true if set; false if not (our view
   * is then refreshed, so `versioned` can be used for the next try).
   */
  async trySetCount(previous: VersionedCount, count: number): Promise<boolean> {
    this.checkStarted();
    if (previous.version < 0) throw new Error("trySetCount needs a value read from the node (call start() first)");
    if (previous.zxid !== this.current.zxid || previous.count !== this.current.count) return false;
    try {
      const stat = await this.client.setData(this.path, encodeInt32(count), previous.version);
      this.update(stat, count);
      return true;
    } catch (err) {
      if (!(err instanceof BadVersionError)) throw err;
      await this.read();
      return false;
    }
  }

  /** Stops watching. */
  close(): void {
    this.state = "closed";
    this.client.off("reconnected", this.onReconnected);
  }

  private async read(): Promise<void> {
    if (this.state !== "started") return;
    try {
      const { data, stat } = await retryIdempotent(() => this.client.getData(this.path, { watch: this.watcher }));
      this.update(stat, decodeInt32(data, this.path));
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
      // Deleted: wait for it to come back.
      if ((await retryIdempotent(() => this.client.exists(this.path, { watch: this.watcher }))) !== null) void this.reader.request();
    }
  }

  /** Keeps the newest value by zxid; announces a change of count. */
  private update(stat: Stat, count: number): void {
    if (stat.mzxid <= this.current.zxid) return;
    const changed = count !== this.current.count;
    this.current = { count, version: stat.version, zxid: stat.mzxid };
    if (changed && this.state === "started") this.emit("changed", count);
  }

  private checkStarted(): void {
    if (this.state !== "started") throw new Error(`SharedCounter ${this.path} is ${this.state}, not started`);
  }

  private report(err: unknown): void {
    if (this.state !== "started" || sessionEnded(this.client)) return;
    if (this.listenerCount("error") > 0) this.emit("error", err instanceof Error ? err : new Error(String(err)));
  }
}
