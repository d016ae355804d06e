/**
 * Times a restart from the client's side: how long after the server process was spawned a client first reads a
 * znode successfully. A starting server gives the outside world no event for "my data is loaded" (ZooKeeper
 * listens before it has loaded its snapshot and drops connections until then), so this polls: connect, open a
 * session, getData, and on any failure try again a few milliseconds later, until a deadline.
 *
 * It speaks just enough of the wire protocol by hand (ConnectRequest, getData, closeSession), so it starts in no
 * time and depends on neither server's code. The framing helpers are shared with bench/failover-probe.ts.
 */
import net from "node:net";

const retryDelayMs = 5;
const attemptTimeoutMs = 2_000;
const sessionTimeoutMs = 30_000;
const opGetData = 4;
const opCloseSession = -11;
const frameBytesMax = 1 << 20;

/**
 * Resolves with milliseconds from `sinceMs` (a performance.now() value) to the first successful getData of
 * `path`; rejects if none succeeds within `timeoutMs`.
 */
export async function firstReadMs(host: string, port: number, path: string, sinceMs: number, timeoutMs: number): Promise<number> {
  const deadline = sinceMs + timeoutMs;
  let lastFailure = "no attempt";
  while (performance.now() < deadline) {
    try {
      await readOnce(host, port, path);
      return performance.now() - sinceMs;
    } catch (e) {
      lastFailure = e instanceof Error ? e.message : String(e);
    }
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
  }
  throw new Error(`no successful read of ${path} on ${host}:${port} within ${timeoutMs} ms (last: ${lastFailure})`);
}

/** One attempt: session, getData, closeSession. Rejects on refusal, a dropped connection or an error reply. */
function readOnce(host: string, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const frames = new FrameReader();
    let state: "connecting" | "reading" | "done" = "connecting";
    const finish = (err: Error | null) => {
      if (state === "done") return;
      state = "done";
      clearTimeout(timer);
      socket.removeAllListeners("data");
      socket.on("error", () => { /* closing anyway */ });
      if (err === null) socket.end(frame(requestHeader(2, opCloseSession)));
      else socket.destroy();
      if (err === null) resolve(); else reject(err);
    };
    const timer = setTimeout(() => finish(new Error("attempt timed out")), attemptTimeoutMs);
    socket.once("error", (e) => finish(e));
    socket.once("close", () => finish(new Error("connection closed")));
    socket.once("connect", () => socket.write(frame(connectRequest())));
    socket.on("data", (chunk: Buffer) => {
      let payloads: Buffer[];
      try {
        payloads = frames.push(chunk);
      } catch (e) {
        return finish(e as Error);
      }
      for (const payload of payloads) {
        if (state === "done") return;
        if (state === "connecting") {
          // ConnectResponse: protocolVersion int32, timeOut int32, sessionId int64, passwd buffer, ...
          if (payload.length < 16 || payload.readInt32BE(4) <= 0) return finish(new Error("session refused"));
          state = "reading";
          socket.write(frame(getDataRequest(1, path)));
        } else {
          // ReplyHeader: xid int32, zxid int64, err int32.
          const err = payload.length >= 16 ? payload.readInt32BE(12) : NaN;
          return finish(err === 0 ? null : new Error(`getData answered err ${err}`));
        }
      }
    });
  });
}

export function frame(payload: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(payload.length);
  return Buffer.concat([length, payload]);
}

function connectRequest(): Buffer {
  const b = Buffer.alloc(4 + 8 + 4 + 8 + 4 + 16 + 1);
  let at = 0;
  at = b.writeInt32BE(0, at); // protocolVersion
  at = b.writeBigInt64BE(0n, at); // lastZxidSeen
  at = b.writeInt32BE(sessionTimeoutMs, at);
  at = b.writeBigInt64BE(0n, at); // sessionId: a new session
  at = b.writeInt32BE(16, at); // passwd: 16 zero bytes
  b.writeUInt8(0, at + 16); // readOnly false
  return b;
}

export function requestHeader(xid: number, type: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(xid, 0);
  b.writeInt32BE(type, 4);
  return b;
}

function getDataRequest(xid: number, path: string): Buffer {
  const pathBytes = Buffer.from(path, "utf8");
  const body = Buffer.alloc(4 + pathBytes.length + 1);
  body.writeInt32BE(pathBytes.length, 0);
  pathBytes.copy(body, 4);
  body.writeUInt8(0, 4 + pathBytes.length); // watch false
  return Buffer.concat([requestHeader(xid, opGetData), body]);
}

/** Splits a byte stream into length-prefixed frames, keeping a partial one for the next chunk. */
export class FrameReader {
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32BE(0);
      if (length < 0 || length > frameBytesMax) throw new Error(`bad frame length ${length}`);
      if (this.pending.length < 4 + length) break;
      out.push(Buffer.from(this.pending.subarray(4, 4 + length)));
      this.pending = this.pending.subarray(4 + length);
    }
    return out;
  }
}
