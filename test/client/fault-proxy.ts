/**
 * A TCP proxy between a client under test and a real server, so tests can break the network on purpose:
 * refuse new connections, cut the live ones, or black-hole them (keep the sockets open but drop every byte,
 * so only the client's own timers can notice). It can also rewrite the server's ConnectResponse, which is how
 * the read-only test makes a standalone server look read-only. Everything is driven by the test; no timers.
 */
import net from "node:net";

export type ProxyMode = "forward" | "refuse";

interface Pair {
  client: net.Socket;
  server: net.Socket;
  blackholed: boolean;
}

export interface ProxyOptions {
  /** Set the readOnly byte of the server's ConnectResponse (the first server frame) to 1. */
  forceReadOnlyResponse?: boolean;
}

export class FaultProxy {
  /** New connections: forwarded, or closed at once. */
  mode: ProxyMode = "forward";
  /** The first frame (ConnectRequest) of every client connection, payload only. */
  readonly connectRequests: Buffer[] = [];
  private readonly pairs = new Set<Pair>();

  private constructor(private readonly listener: net.Server, readonly port: number, private readonly target: { host: string; port: number }, private readonly opts: ProxyOptions) {}

  static start(target: { host: string; port: number }, opts: ProxyOptions = {}): Promise<FaultProxy> {
    return new Promise((resolve, reject) => {
      let proxy: FaultProxy | undefined;
      const listener = net.createServer((socket) => proxy?.accept(socket));
      listener.once("error", reject);
      listener.listen(0, "127.0.0.1", () => {
        const address = listener.address();
        if (address === null || typeof address === "string") return reject(new Error("proxy has no port"));
        proxy = new FaultProxy(listener, address.port, target, opts);
        resolve(proxy);
      });
    });
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  get liveConnections(): number {
    return this.pairs.size;
  }

  /** Closes every proxied connection (both sides), like a network failure seen by client and server. */
  cutAll(): void {
    for (const pair of this.pairs) this.drop(pair);
  }

  /** Existing connections stay open but carry nothing any more; new ones are unaffected. */
  blackholeExisting(): void {
    for (const pair of this.pairs) pair.blackholed = true;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.mode === "refuse") {
      client.destroy();
      return;
    }
    const server = net.connect(this.target);
    const pair: Pair = { client, server, blackholed: false };
    this.pairs.add(pair);
    client.on("data", this.clientToServer(pair));
    server.on("data", this.serverToClient(pair));
    for (const socket of [client, server]) {
      socket.on("error", () => this.drop(pair));
      socket.on("close", () => this.drop(pair));
    }
  }

  private clientToServer(pair: Pair): (chunk: Buffer) => void {
    let pending: Buffer | null = Buffer.alloc(0);
    return (chunk) => {
      if (pair.blackholed) return;
      if (pending !== null) {
        // Record the ConnectRequest, then forward untouched.
        pending = Buffer.concat([pending, chunk]);
        if (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          this.connectRequests.push(Buffer.from(pending.subarray(4, 4 + pending.readInt32BE(0))));
          pending = null;
        }
      }
      pair.server.write(chunk);
    };
  }

  private serverToClient(pair: Pair): (chunk: Buffer) => void {
    let pending: Buffer | null = this.opts.forceReadOnlyResponse ? Buffer.alloc(0) : null;
    return (chunk) => {
      if (pair.blackholed) return;
      if (pending === null) {
        pair.client.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 4 || pending.length < 4 + pending.readInt32BE(0)) return;
      const frameEnd = 4 + pending.readInt32BE(0);
      const rewritten = Buffer.from(pending);
      // A ConnectResponse with the readOnly byte is 37 bytes: its last byte is the flag.
      if (frameEnd === 4 + 37) rewritten[frameEnd - 1] = 1;
      pending = null;
      pair.client.write(rewritten);
    };
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.server.destroy();
  }
}
