/**
 * Lays out a local ensemble on 127.0.0.1: one data directory, myid and zoo.cfg per member. Used by
 * `herd ensemble --size N` for development and by the ensemble tests; each member is then an ordinary
 * `herd server --config <file>` process.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

export interface MemberPlan {
  id: number;
  role: "participant" | "observer";
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  dataDir: string;
  cfgFile: string;
}

export interface EnsemblePlanOptions {
  /** Voting members. */
  size: number;
  observers?: number;
  baseDir: string;
  tickTimeMs?: number;
  initLimit?: number;
  syncLimit?: number;
  /** First client port; quorum ports start at +1000, election ports at +2000. Omit to use free ports. */
  basePort?: number;
  /** Extra zoo.cfg entries for every member. */
  cfg?: Record<string, string>;
}

export async function planLocalEnsemble(opts: EnsemblePlanOptions): Promise<MemberPlan[]> {
  const total = opts.size + (opts.observers ?? 0);
  const ports = opts.basePort === undefined ? await freePorts(total * 3) : null;
  const members: MemberPlan[] = [];
  for (let i = 0; i < total; i++) {
    const id = i + 1;
    const dataDir = path.join(opts.baseDir, `server${id}`);
    members.push({
      id,
      role: i < opts.size ? "participant" : "observer",
      clientPort: ports ? ports[3 * i] : opts.basePort! + i,
      quorumPort: ports ? ports[3 * i + 1] : opts.basePort! + 1000 + i,
      electionPort: ports ? ports[3 * i + 2] : opts.basePort! + 2000 + i,
      dataDir,
      cfgFile: path.join(opts.baseDir, `server${id}.cfg`),
    });
  }
  const serverLines = members.map((m) => `server.${m.id}=127.0.0.1:${m.quorumPort}:${m.electionPort}:${m.role};127.0.0.1:${m.clientPort}`);
  for (const m of members) {
    fs.mkdirSync(m.dataDir, { recursive: true });
    fs.writeFileSync(path.join(m.dataDir, "myid"), `${m.id}\n`);
    const entries: Record<string, string> = {
      tickTime: String(opts.tickTimeMs ?? 500),
      initLimit: String(opts.initLimit ?? 10),
      syncLimit: String(opts.syncLimit ?? 4),
      dataDir: m.dataDir,
      clientPort: String(m.clientPort),
      clientPortAddress: "127.0.0.1",
      "4lw.commands.whitelist": "*",
      "admin.enableServer": "false",
      ...(m.role === "observer" ? { peerType: "observer" } : {}),
      ...opts.cfg,
    };
    const text = Object.entries(entries).map(([k, v]) => `${k}=${v}`).concat(serverLines).join("\n") + "\n";
    fs.writeFileSync(m.cfgFile, text);
  }
  return members;
}

export function connectStringOf(members: readonly MemberPlan[]): string {
  return members.map((m) => `127.0.0.1:${m.clientPort}`).join(",");
}

/** Distinct free ports on 127.0.0.1, all held open until every one is chosen. */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
