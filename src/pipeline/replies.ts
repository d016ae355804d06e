/** Builds reply frames: ReplyHeader + body, length-prefixed, ready for the socket. */
import { ByteWriter } from "../base/bytes.js";
import { Xid } from "../jute/codes.js";
import { writeReplyHeader, writeWatcherEvent } from "../jute/records.js";

/** `bytesHint`: the frame's expected size, when a body may be larger than usual (saves regrowing the buffer). */
export function replyFrame(xid: number, zxid: bigint, err: number, body?: (w: ByteWriter) => void, bytesHint = 128): Buffer {
  const w = new ByteWriter(body ? bytesHint : 20);
  const at = w.beginFrame();
  writeReplyHeader(w, { xid, zxid, err });
  if (body && err === 0) body(w);
  w.endFrame(at);
  return w.toBuffer();
}

/** A watch notification (xid -1); zxid is the triggering txn's, as 3.9+ servers send. */
export function notificationFrame(type: number, path: string, zxid: bigint): Buffer {
  const w = new ByteWriter(32 + path.length * 3);
  const at = w.beginFrame();
  writeReplyHeader(w, { xid: Xid.notification, zxid, err: 0 });
  writeWatcherEvent(w, { type, state: 3, path });
  w.endFrame(at);
  return w.toBuffer();
}
