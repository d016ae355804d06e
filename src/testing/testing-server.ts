/**
 * An embeddable Herd server for Node test suites: a real standalone server in the test process, on a free
 * port of 127.0.0.1, with a temporary data directory. No JVM, no Docker; starts in milliseconds.
 *
 *   const server = await TestingServer.start();
 *   const client = createClient(server.connectString);
 *   ...
 *   await server.close();   // stops and removes the data directory
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { silentLogger, type Logger } from "../base/logger.js";
import { defaultServerConfig, type ServerConfig } from "../config/server-config.js";
import { HerdServer } from "../runtime/herd-server.js";

export interface TestingServerOptions {
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Data directory to use and keep; default: a fresh temporary directory removed by close(). */
  dataDir?: string;
  tickTimeMs?: number;
  /** Any other server settings (zoo.cfg equivalents), e.g. { extendedTypesEnabled: true }. */
  config?: Partial<ServerConfig>;
  logger?: Logger;
}

export class TestingServer {
  private server: HerdServer | null;

  private constructor(
    server: HerdServer,
    private readonly config: ServerConfig,
    private readonly ownsDataDir: boolean,
    private readonly logger: Logger,
  ) {
    this.server = server;
  }

  static async start(opts: TestingServerOptions = {}): Promise<TestingServer> {
    const ownsDataDir = opts.dataDir === undefined;
    const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "herd-testing-"));
    const tickTimeMs = opts.tickTimeMs ?? 2000;
    const config = defaultServerConfig({
      tickTimeMs,
      minSessionTimeoutMs: 2 * tickTimeMs,
      maxSessionTimeoutMs: 20 * tickTimeMs,
      dataDir,
      dataLogDir: dataDir,
      clientPort: opts.port ?? 0,
      clientPortAddress: "127.0.0.1",
      adminEnableServer: false,
      fourLetterWordWhitelist: "*",
      ...opts.config,
    });
    const logger = opts.logger ?? silentLogger;
    const server = await HerdServer.start(config, logger);
    // Pin the port so restart() comes back where clients expect it.
    return new TestingServer(server, { ...config, clientPort: server.port }, ownsDataDir, logger);
  }

  private get running(): HerdServer {
    if (this.server === null) throw new Error("the testing server is stopped");
    return this.server;
  }

  get port(): number {
    return this.config.clientPort;
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  /** The server object itself, for tests that inspect state (tree, sessions). */
  get instance(): HerdServer {
    return this.running;
  }

  /** Stops serving; data stays, so restart() brings everything back. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.close();
  }

  /** Stops (if running) and starts again on the same port and data. */
  async restart(): Promise<void> {
    await this.stop();
    this.server = await HerdServer.start(this.config, this.logger);
  }

  /** Expires a session now, as if its timeout had passed: its ephemerals go and its connection closes. */
  expireSession(sessionId: bigint): void {
    this.running.expireSession(sessionId);
  }

  /** Stops and removes the temporary data directory (if this server made it). */
  async close(): Promise<void> {
    await this.stop();
    if (this.ownsDataDir) fs.rmSync(this.config.dataDir, { recursive: true, force: true });
  }
}
