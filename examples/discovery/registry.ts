/**
 * The discovery registry's layout and a live view of it: /examples/discovery/servers/<name> = "host:port",
 * one ephemeral node per running server. The view re-reads the list whenever the children change (a
 * one-shot watch set again with each read), so it follows servers as they come and go.
 */
import { NoNodeError, type WatchEvent, type ZooKeeperClient } from "../../src/client/index.js";
import { ensurePath, serialPasses } from "../shared/cli.js";

export const SERVERS_PATH = "/examples/discovery/servers";

export interface Registered {
  name: string;
  address: string;
}

/** Keeps `current` equal to the registered servers, sorted by name; calls `onChange` after each change. */
export class ServerList {
  current: Registered[] = [];
  private readonly requestPass: () => void;
  private waiters: (() => void)[] = [];
  private loaded = false;

  constructor(private readonly zk: ZooKeeperClient, private readonly onChange: (servers: Registered[]) => void, onError: (err: unknown) => void) {
    this.requestPass = serialPasses(() => this.refresh(), onError);
  }

  /** Resolves once the list has been read (and reported) the first time. */
  async start(timeoutMs: number): Promise<void> {
    await ensurePath(this.zk, SERVERS_PATH);
    const firstRead = this.nextChange(timeoutMs);
    this.requestPass();
    await firstRead;
  }

  /** Resolves at the next change of the list, or after `timeoutMs`. */
  nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private readonly onEvent = (event: WatchEvent) => {
    if (event.type.startsWith("Node")) this.requestPass();
  };

  private async refresh(): Promise<void> {
    const names = (await this.zk.getChildren(SERVERS_PATH, { watch: this.onEvent })).sort();
    const servers: Registered[] = [];
    for (const name of names) {
      try {
        servers.push({ name, address: (await this.zk.getData(`${SERVERS_PATH}/${name}`)).data.toString("utf8") });
      } catch (err) {
        if (!(err instanceof NoNodeError)) throw err; // gone since the list was read: the watch brings a new pass
      }
    }
    if (this.loaded && sameServers(servers, this.current)) return;
    this.loaded = true;
    this.current = servers;
    this.onChange(servers);
    for (const wake of this.waiters.splice(0)) wake();
  }
}

function sameServers(a: readonly Registered[], b: readonly Registered[]): boolean {
  return a.length === b.length && a.every((s, i) => s.name === b[i]!.name && s.address === b[i]!.address);
}

export function describeServers(servers: readonly Registered[]): string {
  return servers.length === 0 ? "none" : servers.map((s) => `${s.name} (${s.address})`).join(", ");
}
