/**
 * Helpers for the web console tests: an in-process Herd with its admin server (and so the console) on free ports
 * of 127.0.0.1, a tiny cookie-keeping API caller (one per simulated browser), and a Server-Sent Events reader.
 */
import assert from "node:assert/strict";
import { TestingServer } from "../../src/testing/index.js";

export interface ConsoleServer {
  server: TestingServer;
  /** http://127.0.0.1:<admin port> */
  adminBase: string;
}

export async function startConsoleServer(): Promise<ConsoleServer> {
  const server = await TestingServer.start({ config: { adminEnableServer: true, adminServerPort: 0, adminServerAddress: "127.0.0.1" } });
  const adminPort = server.instance.adminPort;
  assert.ok(adminPort !== null, "the admin server is listening");
  return { server, adminBase: `http://127.0.0.1:${adminPort}` };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One browser: keeps the console's session cookie across calls, as a browser would. */
export class ConsoleBrowser {
  cookie: string | undefined;

  constructor(readonly adminBase: string) {}

  async call<T = any>(method: string, route: string, opts: { params?: Record<string, string>; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const query = opts.params ? `?${new URLSearchParams(opts.params).toString()}` : "";
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookie !== undefined) headers.cookie = this.cookie;
    if (opts.body !== undefined && headers["content-type"] === undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.adminBase}/console/api/${route}${query}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
    });
    this.remember(res.headers);
    const text = await res.text();
    return { status: res.status, body: text === "" ? null : JSON.parse(text), headers: res.headers };
  }

  get<T = any>(route: string, params?: Record<string, string>): Promise<ApiResponse<T>> {
    return this.call<T>("GET", route, { params });
  }

  remember(headers: Headers): void {
    const set = headers.get("set-cookie");
    if (set !== null) this.cookie = set.split(";")[0];
  }
}

export interface SseMessage {
  event: string;
  data: any;
}

/** Reads a console event stream; `next(name)` resolves with the next message of that name (others are kept). */
export class EventStreamReader {
  private readonly controller = new AbortController();
  private readonly messages: SseMessage[] = [];
  private waiter: (() => void) | null = null;
  private buffer = "";
  private ended = false;
  readonly done: Promise<void>;

  private constructor(res: Response) {
    this.done = this.pump(res).catch(() => undefined);
  }

  static async open(browser: ConsoleBrowser, path: string): Promise<EventStreamReader> {
    const reader = new EventStreamReader(await EventStreamReader.request(browser, path));
    return reader;
  }

  private static async request(browser: ConsoleBrowser, path: string): Promise<Response> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (browser.cookie !== undefined) headers.cookie = browser.cookie;
    const res = await fetch(`${browser.adminBase}/console/api/events?${new URLSearchParams({ path })}`, { headers });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    browser.remember(res.headers);
    return res;
  }

  private async pump(res: Response): Promise<void> {
    const decoder = new TextDecoder();
    const body = res.body;
    assert.ok(body !== null);
    const reader = body.getReader();
    const abort = () => void reader.cancel().catch(() => undefined);
    this.controller.signal.addEventListener("abort", abort);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        this.parse();
      }
    } finally {
      this.ended = true;
      this.waiter?.();
    }
  }

  private parse(): void {
    for (let end = this.buffer.indexOf("\n\n"); end >= 0; end = this.buffer.indexOf("\n\n")) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) this.messages.push({ event, data: JSON.parse(data.join("\n")) });
    }
    this.waiter?.();
  }

  /** The next message named `event`; rejects when the stream ends first. Bounded by the test's own timeout. */
  async next(event: string): Promise<any> {
    for (;;) {
      const i = this.messages.findIndex((m) => m.event === event);
      if (i >= 0) return this.messages.splice(i, 1)[0].data;
      if (this.ended) throw new Error(`event stream ended before a "${event}" message`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
  }

  /** Collects "changes" batches until `done(events so far)` is true. */
  async changesUntil(done: (events: { type: string; path: string }[]) => boolean): Promise<{ events: { type: string; path: string }[]; batches: number }> {
    const events: { type: string; path: string }[] = [];
    let batches = 0;
    while (!done(events)) {
      const batch = await this.next("changes");
      batches++;
      events.push(...batch.events);
    }
    return { events, batches };
  }

  close(): Promise<void> {
    this.controller.abort();
    return this.done;
  }
}
