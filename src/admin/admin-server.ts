/**
 * The AdminServer: ZooKeeper's HTTP admin interface (shared/reference §10) plus what operators expect of a
 * service today. Routes (GET or HEAD):
 *   /commands, /commands/          links to every command (HTML as ZooKeeper; JSON for `Accept: application/json`)
 *   /commands/<name>               one command's JSON (see admin-commands.ts); unknown name → 404 JSON
 *   /metrics                       Prometheus text format (see metric-export.ts for the ZooKeeper name mapping)
 *   /healthz                       liveness: 200 whenever the process answers
 *   /readyz                        readiness: 200 while the server serves client requests, 503 otherwise
 *   /console/, /console/api/...    the web console and its JSON API (console/console-server.ts; any method)
 * Anything else is a 404 (405 for other methods than GET/HEAD), always with a JSON body saying why.
 */
import * as http from "node:http";
import type { Logger } from "../base/logger.js";
import { ADMIN_COMMANDS, runAdminCommand, TRACE_MASK_DEFAULT, type AdminState } from "./admin-commands.js";
import type { AdminView } from "./admin-view.js";
import { createWebConsole, type ConsoleOptions, type WebConsole } from "./console/console-server.js";
import { toJsonText } from "./json-text.js";
import { prometheusText, PROMETHEUS_CONTENT_TYPE } from "./metric-export.js";

export interface AdminServerOptions {
  host: string;
  /** 0 lets the OS choose (tests); the bound port is returned. */
  port: number;
  logger: Logger;
  /** ZooKeeper's `admin.commandURL`. */
  commandUrl?: string;
  clock?: () => number;
  /** The web console under /console/; false leaves it out. Default: enabled, read-write. */
  console?: ConsoleOptions | false;
}

export interface AdminServerHandle {
  readonly port: number;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = "application/json";
const HTML_CONTENT_TYPE = "text/html; charset=utf-8";
const TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";
/** An admin request is one line of headers; anything slower is a stuck or hostile client. */
const REQUEST_TIMEOUT_MS = 30_000;

export async function startAdminServer(view: AdminView, opts: AdminServerOptions): Promise<AdminServerHandle> {
  const state: AdminState = { traceMask: TRACE_MASK_DEFAULT, clock: opts.clock ?? Date.now };
  const commandUrl = (opts.commandUrl ?? "/commands").replace(/\/+$/, "");
  const webConsole = opts.console === false ? null : createWebConsole(view, state, opts.logger, opts.console);
  const server = http.createServer((req, res) => {
    try {
      route(req, res, view, state, commandUrl, webConsole);
    } catch (e) {
      opts.logger.error(`admin server: ${req.method} ${req.url} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) reply(res, req, 500, JSON_CONTENT_TYPE, toJsonText({ error: "internal error" }));
      else res.destroy();
    }
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  try {
    await listen(server, opts.host, opts.port);
  } catch (e) {
    await webConsole?.close();
    throw e;
  }
  server.on("error", (e) => opts.logger.error(`admin server: ${e.message}`));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : opts.port;
  opts.logger.info(`admin server listening on ${opts.host}:${port}`, { url: `http://${opts.host}:${port}${commandUrl}` });
  return {
    port,
    close: async () => {
      // The console's clients first: their sessions end cleanly while the client port still answers.
      await webConsole?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(new Error(`admin server cannot listen on ${host}:${port}: ${e.message}`));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function route(req: http.IncomingMessage, res: http.ServerResponse, view: AdminView, state: AdminState, commandUrl: string, webConsole: WebConsole | null): void {
  const url = new URL(req.url ?? "/", "http://admin");
  // The console has its own methods (its API writes) and replies.
  if (webConsole?.handles(url.pathname)) return webConsole.handle(req, res, url);
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    reply(res, req, 405, JSON_CONTENT_TYPE, toJsonText({ error: `HTTP method ${req.method} is not supported` }));
    return;
  }
  const p = url.pathname;
  if (p === commandUrl || p === `${commandUrl}/`) return commandList(req, res, commandUrl);
  if (p.startsWith(`${commandUrl}/`)) {
    const name = decodePathSegment(p.slice(commandUrl.length + 1));
    const result = runAdminCommand(name, view, url.searchParams, state);
    return reply(res, req, result.status, JSON_CONTENT_TYPE, toJsonText(result.body));
  }
  switch (p) {
    case "/metrics":
      return reply(res, req, 200, PROMETHEUS_CONTENT_TYPE, prometheusText(view, state.clock()));
    case "/healthz":
      return reply(res, req, 200, TEXT_CONTENT_TYPE, "ok\n");
    case "/readyz":
      return view.serving
        ? reply(res, req, 200, TEXT_CONTENT_TYPE, "ready\n")
        : reply(res, req, 503, TEXT_CONTENT_TYPE, "not serving\n");
    default:
      return reply(res, req, 404, JSON_CONTENT_TYPE, toJsonText({ error: `Not found: ${p}` }));
  }
}

/** ZooKeeper prints one HTML link per primary name, sorted; JSON clients get names, aliases and URLs. */
function commandList(req: http.IncomingMessage, res: http.ServerResponse, commandUrl: string): void {
  const commands = [...ADMIN_COMMANDS].sort((a, b) => (a.names[0] < b.names[0] ? -1 : 1));
  if ((req.headers.accept ?? "").includes(JSON_CONTENT_TYPE)) {
    const list = commands.map((c) => ({ name: c.names[0], aliases: c.names.slice(1), url: `${commandUrl}/${c.names[0]}` }));
    return reply(res, req, 200, JSON_CONTENT_TYPE, toJsonText({ commands: list }));
  }
  const html = commands.map((c) => `<a href="${commandUrl}/${c.names[0]}">${c.names[0]}</a>\n<br/>\n`).join("");
  reply(res, req, 200, HTML_CONTENT_TYPE, html);
}

/** A malformed %-escape is just an unknown command name, not a server error. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function reply(res: http.ServerResponse, req: http.IncomingMessage, status: number, contentType: string, body: string): void {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": bytes.length, "Cache-Control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : bytes);
}
