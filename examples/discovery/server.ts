/**
 * A server that announces itself: it serves HTTP on a free port of 127.0.0.1 and registers an ephemeral
 * node /examples/discovery/servers/<name> holding its address. The node lives as long as the session: when
 * the process stops cleanly it goes at once; when the process dies it goes once the session times out.
 *
 *   node dist/examples/discovery/server.js [--name s1] [--session-timeout-ms 4000] [--server host:port]
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { connect, ensurePath, Flags, onStop, runMain, say, SESSION_TIMEOUT_MS_DEFAULT } from "../shared/cli.js";
import { SERVERS_PATH } from "./registry.js";

const USAGE = "usage: node dist/examples/discovery/server.js [--name s1] [--session-timeout-ms 4000] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", "session-timeout-ms": "value" });
  const name = flags.string("name", `server-${process.pid}`);
  const web = await listen(name);
  const address = `127.0.0.1:${(web.address() as AddressInfo).port}`;
  const zk = await connect(flags.server, name, { sessionTimeoutMs: flags.count("session-timeout-ms", SESSION_TIMEOUT_MS_DEFAULT) });
  onStop(async () => {
    await zk.close();
    web.close();
  });
  await ensurePath(zk, SERVERS_PATH);
  await zk.create(`${SERVERS_PATH}/${name}`, address, { mode: "ephemeral" });
  say(name, `serving on ${address}; registered ${SERVERS_PATH}/${name}`);
}

/** An HTTP server answering every request with its name; it counts what it serves. */
async function listen(name: string): Promise<http.Server> {
  let served = 0;
  const web = http.createServer((_request, response) => {
    served += 1;
    response.end(`hello from ${name} (request ${served} here)`);
  });
  await new Promise<void>((resolve, reject) => {
    web.once("error", reject);
    web.listen(0, "127.0.0.1", resolve);
  });
  return web;
}

runMain("discovery server", main);
