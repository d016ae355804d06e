/**
 * zoo.cfg for fuzzed servers: snapshots every few hundred txns so the fuzzed tree is serialized (and read back
 * on restart) during the run, and enough connections per IP for the fuzzer's concurrency.
 */
export const fuzzServerConfig: Record<string, string> = {
  snapCount: "400",
  maxClientCnxns: "0",
  tickTime: "2000",
};
