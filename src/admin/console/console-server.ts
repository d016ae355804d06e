/**
 * The web console, mounted by the AdminServer under /console/: a hand-written page (no framework, no build step,
 * no CDN) and a JSON API under /console/api/ that works through Herd's own client, connected to this server's
 * client port — so console writes are logged, fire watches and obey ACLs like any client's.
 *
 *   GET  /console/                      the page (assets: /console/app.js, /console/style.css)
 *   GET  /console/api/overview          server summary (srvr/wchs data)
 *   GET  /console/api/children?path=&offset=&limit=&filter=   one sorted page of children
 *   GET  /console/api/node?path=        data (base64), Stat, ACL
 *   POST /console/api/node              create   {path, data, encoding, mode, acl, ttlMs?}
 *   PUT  /console/api/node              setData  {path, data, encoding, version}
 *   DELETE /console/api/node?path=&version=
 *   GET  /console/api/sessions          sessions + connections (cons/dump/wchc data)
 *   GET  /console/api/watches           wchs/wchp/wchc data
 *   GET  /console/api/ensemble          members, roles, lag
 *   GET|POST|DELETE /console/api/auth   this browser's identities; add a digest credential; forget credentials
 *   GET  /console/api/events?path=      Server-Sent Events of changes below path (console-events.ts)
 *
 * Assets are TypeScript modules holding the files' text (console/assets/*.ts), so tsc puts them in dist/ with the
 * code: nothing is read from disk at run time, and the console works wherever dist/ goes (an npm package ships
 * only dist/src). The browser side is in those files; the API does all ZooKeeper work server-side.
 */
import type * as http from "node:http";
import type { Logger } from "../../base/logger.js";
import type { AdminState } from "../admin-commands.js";
import type { AdminView } from "../admin-view.js";
import { CONSOLE_APP_JS } from "./assets/app-js.js";
import { CONSOLE_INDEX_HTML } from "./assets/index-html.js";
import { CONSOLE_STYLE_CSS } from "./assets/style-css.js";
import {
  checkWriteOrigin,
  ConsoleRequestError,
  cookieValue,
  intParam,
  readJsonBody,
  requiredParam,
  sendAsset,
  sendJson,
  type ApiReply,
} from "./console-http.js";
import { EVENT_STREAMS_PER_SESSION_MAX, serveEventStream } from "./console-events.js";
import {
  CHILDREN_FILTER_CHARS_MAX,
  CHILDREN_PAGE_DEFAULT,
  CHILDREN_PAGE_MAX,
  createNode,
  deleteNode,
  failureReply,
  hex64,
  listChildren,
  parseCreateInput,
  parseUpdateInput,
  readNode,
  updateNode,
} from "./console-nodes.js";
import { ensembleReport, NotServingError, overviewReport, sessionsReport, watchesReport } from "./console-reports.js";
import { CONSOLE_COOKIE_NAME, ConsoleSessions, type ConsoleSession } from "./console-sessions.js";

export const CONSOLE_PATH = "/console";

export interface ConsoleOptions {
  /** Refuse create, setData and delete; browsing, sessions, watches and live updates still work. Default false. */
  readOnly?: boolean;
  /** Where the console's clients connect. Default: 127.0.0.1 (or the specific client port address) : client port. */
  connectString?: string;
}

export interface WebConsole {
  /** True for /console and everything below it. */
  handles(pathname: string): boolean;
  /** Answers one request; never throws (failures become JSON error replies). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void;
  /** Ends every browser session's client (closing their event streams). */
  close(): Promise<void>;
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

interface ApiCall {
  req: http.IncomingMessage;
  params: URLSearchParams;
  /** This browser's session, made (with its client and cookie) on first use: only routes that talk to Herd call it. */
  session(): ConsoleSession;
  /** This browser's session if it already has one. */
  knownSession: ConsoleSession | undefined;
}

type ApiHandler = (call: ApiCall) => Promise<ApiReply> | ApiReply;

/** The page may load only its own script and style, and talk only to its own origin. */
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
} as const;

const ASSETS: ReadonlyMap<string, { type: string; body: string; headers?: Record<string, string> }> = new Map([
  [`${CONSOLE_PATH}/`, { type: "text/html; charset=utf-8", body: CONSOLE_INDEX_HTML, headers: PAGE_HEADERS }],
  [`${CONSOLE_PATH}/index.html`, { type: "text/html; charset=utf-8", body: CONSOLE_INDEX_HTML, headers: PAGE_HEADERS }],
  [`${CONSOLE_PATH}/app.js`, { type: "text/javascript; charset=utf-8", body: CONSOLE_APP_JS }],
  [`${CONSOLE_PATH}/style.css`, { type: "text/css; charset=utf-8", body: CONSOLE_STYLE_CSS }],
]);

const WILDCARD_ADDRESSES: ReadonlySet<string> = new Set(["", "0.0.0.0", "::", "[::]"]);

export function createWebConsole(view: AdminView, state: AdminState, logger: Logger, opts: ConsoleOptions = {}): WebConsole {
  const clientHost = clientHostOf(view);
  const connectString = opts.connectString ?? `${clientHost.includes(":") ? `[${clientHost}]` : clientHost}:${view.port}`;
  const sessions = new ConsoleSessions(connectString, state.clock, logger);
  const readOnly = opts.readOnly === true;
  const routes = apiRoutes(view, state, sessions, readOnly, clientHost);

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const name = url.pathname.slice(`${CONSOLE_PATH}/api/`.length);
    const byMethod = routes.get(name);
    if (byMethod === undefined && name !== "events") return sendJson(res, { status: 404, body: { error: `no console API ${url.pathname}`, code: "NotFound" } });
    const method = req.method as Method;
    const token = cookieValue(req, CONSOLE_COOKIE_NAME);
    let cookie: Record<string, string> = {};
    let acquired: ConsoleSession | undefined;
    const session = (): ConsoleSession => {
      if (acquired !== undefined) return acquired;
      const got = sessions.acquire(token);
      if (got.created) cookie = { "Set-Cookie": `${CONSOLE_COOKIE_NAME}=${got.session.token}; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict` };
      return (acquired = got.session);
    };
    try {
      if (name === "events") {
        if (method !== "GET") throw new ConsoleRequestError(405, `${req.method} is not supported on ${url.pathname}`);
        return await openEvents(res, url, session(), cookie);
      }
      const handler = byMethod?.[method];
      if (handler === undefined) {
        return sendJson(res, { status: 405, body: { error: `${req.method} is not supported on ${url.pathname}`, code: "MethodNotAllowed" } }, { Allow: Object.keys(byMethod ?? {}).join(", ") });
      }
      if (method !== "GET") checkWriteOrigin(req);
      const reply = await handler({ req, params: url.searchParams, session, knownSession: sessions.peek(token) });
      sendJson(res, reply, cookie);
    } catch (err) {
      const reply = err instanceof NotServingError ? { status: 503, body: { error: err.message, code: "NotServing" } } : failureReply(err);
      // Operators' mistakes (NoNode, BadVersion, NoAuth...) are answers, not server problems.
      if (reply.status >= 500) logger.warn(`console: ${req.method} ${url.pathname}: ${String(err)}`);
      if (res.headersSent) return void res.end();
      sendJson(res, reply, cookie);
    }
  };

  return {
    handles: (pathname) => pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`),
    handle(req, res, url) {
      const p = url.pathname;
      if (p.startsWith(`${CONSOLE_PATH}/api/`)) {
        handleApi(req, res, url).catch((err: unknown) => {
          logger.error(`console: ${req.method} ${p} failed: ${err instanceof Error ? err.message : String(err)}`);
          if (!res.headersSent) sendJson(res, { status: 500, body: { error: "internal error", code: "InternalError" } });
          else res.destroy();
        });
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        return sendJson(res, { status: 405, body: { error: `${req.method} is not supported on ${p}`, code: "MethodNotAllowed" } }, { Allow: "GET, HEAD" });
      }
      if (p === CONSOLE_PATH) {
        res.writeHead(301, { Location: `${CONSOLE_PATH}/`, "Content-Length": 0 });
        return void res.end();
      }
      const asset = ASSETS.get(p);
      if (asset === undefined) return sendJson(res, { status: 404, body: { error: `Not found: ${p}`, code: "NotFound" } });
      sendAsset(req, res, asset.type, asset.body, asset.headers);
    },
    close: () => sessions.closeAll(),
  };
}

function apiRoutes(view: AdminView, state: AdminState, sessions: ConsoleSessions, readOnly: boolean, clientHost: string): Map<string, Partial<Record<Method, ApiHandler>>> {
  const ok = (body: unknown, status = 200): ApiReply => ({ status, body });
  const writable = () => {
    if (readOnly) throw new ConsoleRequestError(403, "this console is read-only");
  };
  const identity = (session: ConsoleSession | undefined) => ({ consoleSessionIds: sessions.serverSessionIds(), yourSessionId: session?.client.sessionId ?? 0n });
  return new Map<string, Partial<Record<Method, ApiHandler>>>([
    ["overview", { GET: () => ok(overviewReport(view, state, readOnly)) }],
    [
      "children",
      {
        GET: async ({ params, session }) => {
          const filter = params.get("filter") ?? "";
          if (filter.length > CHILDREN_FILTER_CHARS_MAX) throw new ConsoleRequestError(400, `filter longer than ${CHILDREN_FILTER_CHARS_MAX} characters`);
          const query = {
            offset: intParam(params, "offset", 0, 0, 2 ** 31 - 1),
            limit: intParam(params, "limit", CHILDREN_PAGE_DEFAULT, 1, CHILDREN_PAGE_MAX),
            filter,
          };
          return ok(await listChildren(session().client, requiredParam(params, "path"), query));
        },
      },
    ],
    [
      "node",
      {
        GET: async ({ params, session }) => ok(await readNode(session().client, requiredParam(params, "path"))),
        POST: async ({ req, session }) => {
          writable();
          return ok(await createNode(session().client, parseCreateInput(await readJsonBody(req))), 201);
        },
        PUT: async ({ req, session }) => {
          writable();
          return ok(await updateNode(session().client, parseUpdateInput(await readJsonBody(req))));
        },
        DELETE: async ({ params, session }) => {
          writable();
          const version = intParam(params, "version", Number.NaN, -1, 2 ** 31 - 1);
          if (Number.isNaN(version)) throw new ConsoleRequestError(400, "missing query parameter version (the version you are deleting; -1 for any)");
          return ok(await deleteNode(session().client, requiredParam(params, "path"), version));
        },
      },
    ],
    ["sessions", { GET: ({ knownSession }) => ok(sessionsReport(view, state, identity(knownSession))) }],
    ["watches", { GET: () => ok(watchesReport(view, state)) }],
    ["ensemble", { GET: () => ok(ensembleReport(view, clientHost)) }],
    [
      "auth",
      {
        GET: async ({ session }) => ok(await authReport(session())),
        POST: async ({ req, session }) => {
          const body = await readJsonBody(req);
          await sessions.authenticate(session(), parseCredential(body));
          return ok(await authReport(session()));
        },
        DELETE: async ({ session }) => {
          sessions.resetCredentials(session());
          return ok(await authReport(session()));
        },
      },
    ],
  ]);
}

async function openEvents(res: http.ServerResponse, url: URL, session: ConsoleSession, headers: Record<string, string>): Promise<void> {
  const path = requiredParam(url.searchParams, "path");
  if (session.openStreams >= EVENT_STREAMS_PER_SESSION_MAX) {
    throw new ConsoleRequestError(429, `at most ${EVENT_STREAMS_PER_SESSION_MAX} live-update streams per browser`);
  }
  await serveEventStream(res, session, path, headers);
}

/** `user:password` for the digest scheme, the only one an operator can type in. */
function parseCredential(body: Record<string, unknown>): { scheme: string; auth: string } {
  const scheme = body.scheme ?? "digest";
  if (scheme !== "digest") throw new ConsoleRequestError(400, "only the digest scheme can be used from the console");
  const credentials = body.credentials;
  if (typeof credentials !== "string" || !/^[^:]+:/.test(credentials)) throw new ConsoleRequestError(400, "credentials must be user:password");
  return { scheme, auth: credentials };
}

async function authReport(session: ConsoleSession) {
  const client = session.client;
  // whoAmI also waits for the connection, so the session id below is known.
  const identities = await client.whoAmI().catch(() => null);
  return {
    sessionId: client.sessionId === 0n ? null : hex64(client.sessionId),
    users: session.credentials.map((c) => c.auth.slice(0, c.auth.indexOf(":"))),
    identities,
  };
}

/** The host the console's clients dial: loopback unless the client port listens on one specific address. */
function clientHostOf(view: AdminView): string {
  const configured = (view.config as { clientPortAddress?: unknown }).clientPortAddress;
  return typeof configured === "string" && !WILDCARD_ADDRESSES.has(configured) ? configured : "127.0.0.1";
}
