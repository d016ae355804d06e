/**
 * Small HTTP plumbing for the web console: JSON replies, bounded JSON request bodies, cookies, and the checks
 * that keep another web site from driving the console through an operator's browser (CSRF).
 */
import type * as http from "node:http";

/** A write carries at most one znode's data (jute.maxbuffer, ~1 MiB) as base64 or hex, plus a little JSON. */
export const CONSOLE_REQUEST_BYTES_MAX = 4 * 1024 * 1024;

/** A reply of an API handler: an HTTP status and a JSON-able body (no bigint: 64-bit ids travel as hex strings). */
export interface ApiReply {
  status: number;
  body: unknown;
}

/** A request the console refuses before it reaches the server: bad input, a wrong method, a foreign origin. */
export class ConsoleRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ConsoleRequestError";
  }
}

/** Headers every console reply carries: nothing is cached, nothing is sniffed. */
const COMMON_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } as const;

export function sendJson(res: http.ServerResponse, reply: ApiReply, extraHeaders: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(reply.body), "utf8");
  res.writeHead(reply.status, {
    ...COMMON_HEADERS,
    ...extraHeaders,
    "Content-Type": "application/json",
    "Content-Length": bytes.length,
  });
  res.end(bytes);
}

export function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, contentType: string, body: string, extraHeaders: Record<string, string> = {}): void {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(200, { ...COMMON_HEADERS, ...extraHeaders, "Content-Type": contentType, "Content-Length": bytes.length });
  res.end(req.method === "HEAD" ? undefined : bytes);
}

/** Reads a JSON object body, refusing anything larger than CONSOLE_REQUEST_BYTES_MAX before buffering it. */
export async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > CONSOLE_REQUEST_BYTES_MAX) throw new ConsoleRequestError(413, `request body over ${CONSOLE_REQUEST_BYTES_MAX} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > CONSOLE_REQUEST_BYTES_MAX) throw new ConsoleRequestError(413, `request body over ${CONSOLE_REQUEST_BYTES_MAX} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConsoleRequestError(400, "request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConsoleRequestError(400, "request body must be a JSON object");
  return value as Record<string, unknown>;
}

export function cookieValue(req: http.IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A state-changing request must be JSON (a cross-site HTML form cannot send that without a CORS preflight, which
 * the console never grants) and, when the browser names its origin, come from the console's own origin.
 */
export function checkWriteOrigin(req: http.IncomingMessage): void {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (req.method !== "DELETE" && type !== "application/json") {
    throw new ConsoleRequestError(415, "console writes must be sent as application/json");
  }
  const origin = req.headers.origin;
  if (origin === undefined || origin === "null") {
    if (origin === "null") throw new ConsoleRequestError(403, "cross-origin console writes are refused");
    return;
  }
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new ConsoleRequestError(403, "cross-origin console writes are refused");
  }
  if (originHost !== req.headers.host) throw new ConsoleRequestError(403, "cross-origin console writes are refused");
}

/** A query parameter as a bounded integer, or the default when absent. */
export function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^-?\d{1,10}$/.test(raw)) throw new ConsoleRequestError(400, `${name} must be an integer`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConsoleRequestError(400, `${name} must be between ${min} and ${max}`);
  return value;
}

export function requiredParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === "") throw new ConsoleRequestError(400, `missing query parameter ${name}`);
  return value;
}
