/**
 * A 3-member (or N-member) ensemble of one server kind on 127.0.0.1 for `npm run bench -- --ensemble`: lays out
 * one zoo.cfg, data directory and myid file per member with planLocalEnsemble (the same layout Herd's own ensemble
 * tests use, so both servers read identical settings), starts every member like bench/servers.ts starts a
 * standalone server, and lets the failover workload find the leader (`srvr`: "Mode: leader"), kill -9 it and
 * start it again on its data.
 */
import { rmSync } from "node:fs";
import net from "node:net";
import { planLocalEnsemble, type MemberPlan } from "../src/testing/local-ensemble.js";
import { sharedZooCfgEntries, startServer, type BenchServer, type ServerKind, type ServerSpec } from "./servers.js";

const host = "127.0.0.1";
const fourLetterWordTimeoutMs = 5_000;
/** Between `srvr` rounds while waiting for an ensemble to settle (nothing outside a member announces that). */
const settlePollMs = 20;
const replyBytesMax = 64 * 1024;

/** zoo.cfg settings an ensemble runs with, the same for Herd and ZooKeeper. */
export interface EnsembleSettings {
  members: number;
  tickTimeMs: number;
  initLimit: number;
  syncLimit: number;
}

export type MemberMode = "leader" | "follower" | "observer" | "standalone" | "not serving" | "unreachable";

export class BenchEnsemble {
  private constructor(
    readonly kind: ServerKind,
    readonly runDir: string,
    private readonly specs: readonly ServerSpec[],
    /** Index i holds member i + 1; null while that member is killed. */
    private readonly live: (BenchServer | null)[],
  ) {}

  /** Lays the ensemble out under `runDir` and resolves once every member serves (leader or synced follower). */
  static async start(kind: ServerKind, settings: EnsembleSettings, runDir: string, zookeeperHeap: string): Promise<BenchEnsemble> {
    const plans = await planLocalEnsemble({
      size: settings.members,
      baseDir: runDir,
      tickTimeMs: settings.tickTimeMs,
      initLimit: settings.initLimit,
      syncLimit: settings.syncLimit,
      cfg: { ...sharedZooCfgEntries },
    });
    const specs = plans.map((p) => memberSpec(kind, p, runDir, zookeeperHeap));
    const started = await Promise.allSettled(specs.map((spec) => startServer(spec)));
    const servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed !== undefined) {
      for (const server of servers) await server.stop();
      rmSync(runDir, { recursive: true, force: true });
      throw failed.reason;
    }
    return new BenchEnsemble(kind, runDir, specs, servers);
  }

  get size(): number {
    return this.specs.length;
  }

  /** Every member, for a client that spreads its sessions over the ensemble. */
  get connectString(): string {
    return this.connectStringOf(this.specs.map((_, i) => i));
  }

  connectStringOf(indexes: readonly number[]): string {
    return indexes.map((i) => `${host}:${this.specs[i].port}`).join(",");
  }

  clientPort(index: number): number {
    return this.specs[index].port;
  }

  /** CPU seconds used so far by the live members together. */
  cpuSeconds(): number {
    return this.live.reduce((sum, server) => sum + (server?.cpuSeconds() ?? 0), 0);
  }

  /** What each member's `srvr` says it is now. */
  modes(): Promise<MemberMode[]> {
    return Promise.all(this.specs.map((spec) => memberMode(spec.port)));
  }

  /** The index of the leader; throws unless exactly one member leads and all others follow. */
  async leaderIndex(): Promise<number> {
    const modes = await this.modes();
    const leaders = modes.flatMap((m, i) => (m === "leader" ? [i] : []));
    if (leaders.length !== 1 || modes.some((m) => m !== "leader" && m !== "follower")) {
      throw new Error(`${this.kind} ensemble is not formed: srvr modes ${modes.map((m, i) => `${i + 1}=${m}`).join(", ")}`);
    }
    return leaders[0];
  }

  /**
   * The leader's index once exactly one member leads and every other follows, asking every `settlePollMs`: a
   * member that has just logged that it follows in sync may take a moment more to answer `srvr` as a follower.
   */
  async settledLeaderIndex(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        return await this.leaderIndex();
      } catch (e) {
        if (performance.now() >= deadline) throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, settlePollMs));
    }
  }

  /** kill -9 of member `index`; resolves once the process has exited. */
  async kill(index: number): Promise<void> {
    const server = this.live[index];
    if (server === null) throw new Error(`${this.kind} member ${index + 1} is not running`);
    await server.kill();
    this.live[index] = null;
  }

  /** Starts member `index` again on its data; resolves once it serves in the ensemble again. */
  async restart(index: number): Promise<void> {
    if (this.live[index] !== null) throw new Error(`${this.kind} member ${index + 1} is still running`);
    this.live[index] = await startServer(this.specs[index]);
  }

  /** The last lines each live member printed, for failure messages. */
  logTails(): string {
    return this.live.map((s, i) => `--- ${this.kind} member ${i + 1} ---\n${s === null ? "(killed)" : s.logTail()}`).join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.live.map((server) => server?.stop()));
    this.live.fill(null);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

function memberSpec(kind: ServerKind, plan: MemberPlan, runDir: string, zookeeperHeap: string): ServerSpec {
  return {
    kind,
    runDir,
    port: plan.clientPort,
    zookeeperHeap,
    member: { id: plan.id, cfgFile: plan.cfgFile, dataDir: plan.dataDir },
  };
}

/** The "Mode:" line of `srvr`; a member between elections answers without one, a dead one not at all. */
async function memberMode(port: number): Promise<MemberMode> {
  let reply: string;
  try {
    reply = await fourLetterWord(port, "srvr");
  } catch {
    return "unreachable";
  }
  const mode = /^Mode: (\S+)/m.exec(reply)?.[1];
  switch (mode) {
    case "leader": case "follower": case "observer": case "standalone": return mode;
    default: return "not serving";
  }
}

/** Sends a four-letter word and returns everything the server wrote before closing the connection. */
export function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => socket.destroy(new Error(`${word} on port ${port}: no answer within ${fourLetterWordTimeoutMs} ms`)),
      fourLetterWordTimeoutMs);
    socket.once("connect", () => socket.end(word));
    socket.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > replyBytesMax) socket.destroy(new Error(`${word} on port ${port}: reply over ${replyBytesMax} bytes`));
      else chunks.push(chunk);
    });
    socket.once("error", (e) => { clearTimeout(timer); reject(e); });
    socket.once("close", (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}
