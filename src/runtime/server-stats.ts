/** Request counters and latency for srvr/stat/mntr; reset by srst. */
export class ServerStats {
  packetsReceived = 0;
  packetsSent = 0;
  latencyMinMs = Number.MAX_SAFE_INTEGER;
  latencyMaxMs = 0;
  latencyTotalMs = 0;
  latencyCount = 0;

  recordLatency(ms: number): void {
    this.packetsSent++;
    this.latencyCount++;
    this.latencyTotalMs += ms;
    if (ms < this.latencyMinMs) this.latencyMinMs = ms;
    if (ms > this.latencyMaxMs) this.latencyMaxMs = ms;
  }

  get latencyMin(): number {
    return this.latencyCount === 0 ? 0 : this.latencyMinMs;
  }

  get latencyAvg(): number {
    return this.latencyCount === 0 ? 0 : this.latencyTotalMs / this.latencyCount;
  }

  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latencyMinMs = Number.MAX_SAFE_INTEGER;
    this.latencyMaxMs = 0;
    this.latencyTotalMs = 0;
    this.latencyCount = 0;
  }
}
