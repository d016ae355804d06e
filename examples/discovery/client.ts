/**
 * A client that finds servers through ZooKeeper and spreads its requests over them (soft load balancing):
 * it keeps the list of registered servers current with a watch and sends each request to the next server
 * in turn. A server that fails to answer is skipped for that request; it leaves the list once its node goes.
 *
 *   node dist/examples/discovery/client.js [--name c1] [--requests 0 (= until stopped)] [--interval-ms 200] [--server host:port]
 */
import * as http from "node:http";
import { connect, Flags, onStop, runMain, say } from "../shared/cli.js";
import { describeServers, ServerList, type Registered } from "./registry.js";

const USAGE = "usage: node dist/examples/discovery/client.js [--name c1] [--requests 0] [--interval-ms 200] [--server host:port]";
const REQUEST_TIMEOUT_MS = 2_000;
/** How long the client waits for a server to register before saying so again. */
const NO_SERVER_WAIT_MS = 5_000;

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", requests: "value", "interval-ms": "value" });
  const name = flags.string("name", `client-${process.pid}`);
  const requests = flags.count("requests", 0);
  const intervalMs = flags.count("interval-ms", 200);
  const zk = await connect(flags.server, name);
  onStop(() => zk.close());
  const list = new ServerList(zk, (servers) => say(name, `servers now: ${describeServers(servers)}`), (err) => say(name, `could not read the server list: ${String(err)}`));
  await list.start(NO_SERVER_WAIT_MS);
  const answeredBy = new Map<string, number>();
  let turn = 0;
  for (let n = 1; requests === 0 || n <= requests; n++) {
    const server = await pickServer(list, name, turn++);
    const answer = await sendRequest(server);
    if (answer.ok) {
      answeredBy.set(server.name, (answeredBy.get(server.name) ?? 0) + 1);
      say(name, `request ${n} → ${server.name}: ${answer.text}`);
    } else {
      say(name, `request ${n} → ${server.name} failed (${answer.text}); the next request goes to the next server`);
    }
    await pause(intervalMs);
  }
  say(name, `done: ${[...answeredBy].map(([s, k]) => `${s} answered ${k}`).join(", ")}`);
  await zk.close();
}

/** Round robin over the current list; with no server registered, waits for the list to change. */
async function pickServer(list: ServerList, name: string, turn: number): Promise<Registered> {
  for (;;) {
    const servers = list.current;
    if (servers.length > 0) return servers[turn % servers.length]!;
    say(name, "no server registered; waiting for one");
    await list.nextChange(NO_SERVER_WAIT_MS);
  }
}

function sendRequest(server: Registered): Promise<{ ok: boolean; text: string }> {
  return new Promise((resolve) => {
    // A fresh connection per request (no keep-alive pool): nothing lingers once the client is done.
    const request = http.get(`http://${server.address}/`, { timeout: REQUEST_TIMEOUT_MS, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ ok: response.statusCode === 200, text: body }));
      response.on("error", (err) => resolve({ ok: false, text: err.message }));
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on("error", (err) => resolve({ ok: false, text: err.message }));
  });
}

/** The client's request rate: one request per interval (a pace, not a wait for anything). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

runMain("discovery client", main);
