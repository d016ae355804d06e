/**
 * The randomized simulator (TigerBeetle's VOPR in miniature): one seed picks a fault profile, then a cluster
 * runs a client workload through message loss, duplication, reordering, delays, partitions, crashes that lose
 * unsynced writes, restarts (both recovery styles), slow disks, log compaction (so SNAP happens) and small
 * zxid counter limits (so epochs roll over). Then the faults stop and the cluster must converge on one state
 * holding every acknowledged write. Any invariant violation or failure to converge names the seed and prints
 * the transcript tail.
 */
import type { ServerId } from "../../src/zab/index.js";
import { Cluster } from "./cluster.js";
import { Prng } from "./prng.js";

export interface SimulationConfig {
  voters: number;
  observers: number;
  seed: number;
  /** Ticks with faults injected. */
  faultTicks?: number;
  /** Ticks allowed to converge once faults stop. */
  healTicksMax?: number;
}

export interface SimulationStats {
  seed: number;
  ticks: number;
  acked: number;
  establishments: number;
  crashes: number;
  partitions: number;
  pauses: number;
  messages: number;
  profile: string;
  counts: Map<string, number>;
}

export class SimulationFailure extends Error {
  constructor(readonly seed: number, cause: unknown, transcript: string) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`simulation seed ${seed} failed: ${reason}\n--- transcript tail (seed ${seed}) ---\n${transcript}`);
    this.name = "SimulationFailure";
  }
}

interface Profile {
  lossRate: number;
  dupRate: number;
  reorderRate: number;
  delayMax: number;
  crashPerTick: number;
  partitionPerTick: number;
  pausePerTick: number;
  /** Chance per tick of a connection reset between two live servers. */
  disconnectPerTick: number;
  writePerUnit: number;
  snapshotEvery: number | null;
  zxidCounterLimit: number | undefined;
  diffEntriesMax: number;
}

function chooseProfile(prng: Prng): Profile {
  return {
    lossRate: prng.pick([0, 0.01, 0.03, 0.08]),
    dupRate: prng.pick([0, 0.01, 0.03]),
    reorderRate: prng.pick([0, 0, 0.01, 0.03]),
    delayMax: prng.pick([1, 3, 6, 12]),
    crashPerTick: prng.pick([0, 0.01, 0.03, 0.06]),
    partitionPerTick: prng.pick([0, 0.02, 0.05]),
    pausePerTick: prng.pick([0, 0.01, 0.04]),
    disconnectPerTick: prng.pick([0, 0.02, 0.08]),
    writePerUnit: prng.pick([0.05, 0.2, 0.5]),
    snapshotEvery: prng.pick([null, 8, 25]),
    zxidCounterLimit: prng.pick([undefined, undefined, 20, 60]),
    diffEntriesMax: prng.pick([10_000, 40, 8]),
  };
}

function describe(p: Profile): string {
  return `loss=${p.lossRate} dup=${p.dupRate} reorder=${p.reorderRate} delay<=${p.delayMax} crash=${p.crashPerTick} ` +
    `partition=${p.partitionPerTick} pause=${p.pausePerTick} disconnect=${p.disconnectPerTick} writes=${p.writePerUnit} snapEvery=${p.snapshotEvery} ` +
    `counterLimit=${p.zxidCounterLimit ?? "default"} diffMax=${p.diffEntriesMax}`;
}

export function runSimulation(config: SimulationConfig): SimulationStats {
  const prng = new Prng(config.seed);
  const profile = chooseProfile(prng);
  const cluster = new Cluster({
    voters: config.voters, observers: config.observers, seed: prng.u32(), autoTick: true, unitsPerTick: 10,
    fsyncDelay: [0, 4], snapshotEvery: profile.snapshotEvery, snapshotRetain: prng.pick([0, 3]),
    tuning: { initLimitTicks: 10, syncLimitTicks: 5, zxidCounterLimit: profile.zxidCounterLimit,
      diffEntriesMax: profile.diffEntriesMax, snapshotChunkBytes: prng.pick([64, 1024 * 1024]) },
  });
  const stats: SimulationStats = { seed: config.seed, ticks: 0, acked: 0, establishments: 0, crashes: 0, partitions: 0, pauses: 0,
    messages: 0, profile: describe(profile), counts: cluster.counts };
  try {
    runFaultPhase(cluster, prng, profile, config.faultTicks ?? 120, stats);
    runHealPhase(cluster, config.healTicksMax ?? 200);
  } catch (error) {
    throw new SimulationFailure(config.seed, error, `profile: ${stats.profile}\n${cluster.transcriptTail()}\nroles: ${cluster.roles()}`);
  }
  stats.ticks = Math.floor(cluster.now / cluster.unitsPerTick);
  stats.acked = cluster.acked;
  stats.establishments = cluster.checker.establishments;
  stats.messages = cluster.network.sent;
  return stats;
}

function runFaultPhase(cluster: Cluster, prng: Prng, profile: Profile, ticks: number, stats: SimulationStats): void {
  cluster.network.faults = { lossRate: profile.lossRate, dupRate: profile.dupRate, reorderRate: profile.reorderRate,
    delayMin: 1, delayMax: profile.delayMax };
  const ids = cluster.ids;
  for (const id of ids) cluster.setFsyncDelay(id, prng.pick<[number, number]>([[0, 2], [0, 4], [0, 12], [5, 40]])); // slow disks
  const startAt = new Map<ServerId, number>(ids.map((id) => [id, prng.range(0, 3 * cluster.unitsPerTick)]));
  const restartAt = new Map<ServerId, number>();
  let healPartitionAt: number | null = null;
  const units = ticks * cluster.unitsPerTick;
  for (let unit = 0; unit < units; unit++) {
    for (const [id, at] of startAt) if (at <= cluster.now) {
      cluster.start(id, "snapshot");
      startAt.delete(id);
    }
    for (const [id, at] of restartAt) if (at <= cluster.now) {
      cluster.start(id, prng.chance(0.5) ? "snapshot" : "replay");
      restartAt.delete(id);
    }
    if (cluster.now % cluster.unitsPerTick === 0) {
      const alive = ids.filter((id) => cluster.node(id).alive);
      if (alive.length > 0 && prng.chance(profile.crashPerTick)) {
        for (const victim of crashVictims(cluster, prng, alive)) {
          cluster.crash(victim);
          stats.crashes++;
          restartAt.set(victim, cluster.now + prng.range(1, 15) * cluster.unitsPerTick);
        }
      }
      if (alive.length > 0 && prng.chance(profile.pausePerTick)) {
        cluster.pause(prng.pick(alive), prng.range(1, 15) * cluster.unitsPerTick); // up to 3 syncLimits
        stats.pauses++;
      }
      if (alive.length > 1 && prng.chance(profile.disconnectPerTick)) {
        const at = prng.pick(alive);
        cluster.spuriousDisconnect(at, prng.pick(alive.filter((id) => id !== at)));
      }
      if (healPartitionAt === null && prng.chance(profile.partitionPerTick)) {
        makePartition(cluster, prng);
        stats.partitions++;
        healPartitionAt = cluster.now + prng.range(2, 20) * cluster.unitsPerTick;
      } else if (healPartitionAt !== null && cluster.now >= healPartitionAt) {
        cluster.network.heal();
        cluster.record("partition healed");
        healPartitionAt = null;
      }
    }
    if (prng.chance(profile.writePerUnit)) cluster.write(prng.pick(ids));
    if (prng.chance(0.01)) cluster.sync(prng.pick(ids));
    cluster.step();
  }
  for (const id of [...startAt.keys(), ...restartAt.keys()]) cluster.start(id, prng.chance(0.5) ? "snapshot" : "replay");
}

/**
 * Who loses power: often a server with writes not yet fsynced (where durability bugs hide), sometimes
 * several servers at once (a rack), otherwise anyone.
 */
function crashVictims(cluster: Cluster, prng: Prng, alive: readonly ServerId[]): ServerId[] {
  const unsynced = alive.filter((id) => cluster.node(id).disk.hasPendingFsync());
  if (unsynced.length > 0 && prng.chance(0.5)) {
    return prng.chance(0.3) ? prng.shuffle(unsynced).slice(0, 2) : [prng.pick(unsynced)];
  }
  if (prng.chance(0.2)) return prng.shuffle(alive).slice(0, prng.range(2, Math.max(2, Math.ceil(alive.length / 2))));
  return [prng.pick(alive)];
}

function makePartition(cluster: Cluster, prng: Prng): void {
  const ids = prng.shuffle(cluster.ids);
  if (prng.chance(0.5)) {
    cluster.isolate(ids[0]);
    return;
  }
  const cut = prng.range(1, ids.length - 1);
  cluster.partition(ids.slice(0, cut), ids.slice(cut));
}

function runHealPhase(cluster: Cluster, ticksMax: number): void {
  cluster.heal();
  for (const node of cluster.nodes.values()) cluster.setFsyncDelay(node.id, [0, 4]);
  if (!cluster.runUntil(() => cluster.converged(), ticksMax)) {
    throw new Error(`no convergence within ${ticksMax} ticks after healing: ${cluster.roles()}`);
  }
  requireProgress(cluster, ticksMax);
  cluster.checker.checkFinal([...cluster.nodes.values()].map((n) => ({ id: n.id, state: n.state })));
}

/** Every server's client gets one write acknowledged (retrying, as a client whose write was dropped would). */
function requireProgress(cluster: Cluster, ticksMax: number): void {
  const waiting = new Map<ServerId, string[]>(cluster.ids.map((id) => [id, []]));
  for (let tick = 0; tick < ticksMax; tick++) {
    for (const [id, tries] of waiting) {
      if (tries.some((p) => cluster.checker.acked.has(p))) waiting.delete(id);
      else if (tick % 3 === 0) {
        const payload = cluster.write(id);
        if (payload !== null) tries.push(payload);
      }
    }
    if (waiting.size === 0 && cluster.converged()) return;
    cluster.runTicks(1);
  }
  throw new Error(`writes after convergence did not commit everywhere (waiting: ${[...waiting.keys()].join(",")}): ${cluster.roles()}`);
}
