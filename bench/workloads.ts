/**
 * The benchmark's workloads: what each measures and the LoadGen parameters it runs with. Throughput workloads
 * keep `sessions x inflight` requests outstanding (8 x 32 by default); latency workloads keep exactly one.
 * "memory" is not a LoadGen workload: run.ts loads a tree, measures RSS, then restarts the server (standalone
 * only). "failover" (ensembles only) kills the leader under a write load from bench/failover-probe.ts.
 */
import type { LoadParams } from "./loadgen.js";

/** Settings shared by every workload (command-line options). */
export interface LoadShape {
  sessions: number;
  inflight: number;
  valueSize: number;
  keys: number;
  watchers: number;
}

export type WorkloadParams = Pick<LoadParams, "workload" | "sessions" | "inflight" | "valueSize" | "keys" | "watchers">;

export interface WorkloadSpec {
  name: string;
  description: string;
  /** What the headline numbers mean: requests per second with many outstanding, or one request's round trip. */
  focus: "throughput" | "latency";
  params(shape: LoadShape): WorkloadParams;
}

const largeValueBytes = 4096;

function pipelined(workload: string, valueSize?: number): (s: LoadShape) => WorkloadParams {
  return (s) => ({ workload, sessions: s.sessions, inflight: s.inflight, valueSize: valueSize ?? s.valueSize, keys: s.keys, watchers: s.watchers });
}

function oneAtATime(workload: string): (s: LoadShape) => WorkloadParams {
  return (s) => ({ workload, sessions: 1, inflight: 1, valueSize: s.valueSize, keys: s.keys, watchers: s.watchers });
}

export const workloadSpecs: readonly WorkloadSpec[] = [
  { name: "create", description: "create persistent znodes with unique names", focus: "throughput", params: pipelined("create") },
  { name: "seqCreate", description: "create persistent-sequential znodes under one parent", focus: "throughput", params: pipelined("seqCreate") },
  { name: "setData", description: "setData on random keys", focus: "throughput", params: pipelined("setData") },
  { name: "getData", description: "getData on random keys", focus: "throughput", params: pipelined("getData") },
  { name: "exists", description: "exists on random keys", focus: "throughput", params: pipelined("exists") },
  { name: "mixed", description: "90% getData / 10% setData on random keys", focus: "throughput", params: pipelined("mixed") },
  { name: "getData4k", description: "getData of 4 KiB values", focus: "throughput", params: pipelined("getData", largeValueBytes) },
  { name: "setData4k", description: "setData of 4 KiB values", focus: "throughput", params: pipelined("setData", largeValueBytes) },
  { name: "multi", description: "multi of 10 setData ops (one op = one multi)", focus: "throughput", params: pipelined("multi") },
  { name: "getLatency", description: "getData, 1 session, 1 request in flight", focus: "latency", params: oneAtATime("getData") },
  { name: "setLatency", description: "setData, 1 session, 1 request in flight", focus: "latency", params: oneAtATime("setData") },
  {
    name: "churn",
    description: "connect, create an ephemeral, close (one op = one session's life; `sessions` in parallel)",
    focus: "throughput",
    params: (s) => ({ workload: "churn", sessions: s.sessions, inflight: 1, valueSize: s.valueSize, keys: s.keys, watchers: s.watchers }),
  },
  {
    name: "watchFanout",
    description: "`watchers` sessions watch one node, one writer sets it; one op = one notification, latency = set issued to notification received",
    focus: "throughput",
    params: (s) => ({ workload: "watch", sessions: 1, inflight: 1, valueSize: s.valueSize, keys: s.keys, watchers: s.watchers }),
  },
];

/** Loads a depth-3 tree, measures RSS per znode after a forced GC, then times a restart to the first read. */
export const memoryWorkload = "memory";
/** kill -9 of an ensemble's leader under a sequential write load; time to the first acknowledged write. */
export const failoverWorkload = "failover";

const loadGenWorkloadNames = workloadSpecs.map((w) => w.name);
export const standaloneWorkloadNames: readonly string[] = [...loadGenWorkloadNames, memoryWorkload];
export const ensembleWorkloadNames: readonly string[] = [...loadGenWorkloadNames, failoverWorkload];
/**
 * `--quick --ensemble` without `--workloads`: starting ensembles costs seconds, so a quick ensemble run smoke-tests
 * a write, a read and the failover rather than every workload.
 */
export const quickEnsembleWorkloadNames: readonly string[] = ["setData", "getData", failoverWorkload];
export const allWorkloadNames: readonly string[] = [...loadGenWorkloadNames, memoryWorkload, failoverWorkload];

export function workloadSpec(name: string): WorkloadSpec | undefined {
  return workloadSpecs.find((w) => w.name === name);
}

/** Where LoadGen puts everything, and the first leaf of the populated tree (read to time a restart). */
export const benchPrefix = "/bench";
export const populatedProbePath = `${benchPrefix}/tree/a0/b0/c0`;
/** The znode the failover probe sets over and over. */
export const failoverProbePath = `${benchPrefix}/failover`;
