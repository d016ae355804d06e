/**
 * Splits a TCP byte stream into length-prefixed frames (int32 BE length + payload).
 * Keeps a partial frame across chunks; a length below 0 or above the limit is fatal for the connection,
 * exactly as ZooKeeper closes the socket without a reply.
 */

export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly limit: number) {
    super(`frame length ${length} outside [0, ${limit}]`);
    this.name = "FrameTooLargeError";
  }
}

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly frameBytesMax: number) {}

  /** Bytes received but not yet returned as a frame. */
  bufferedBytes(): number {
    return this.pending.length;
  }

  /** Peeks at the first bytes received (before any frame is consumed): used for four-letter-word detection. */
  peek(bytes: number): Buffer | null {
    return this.pending.length >= bytes ? this.pending.subarray(0, bytes) : null;
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /**
   * The next complete frame payload, or null if more bytes are needed. The returned buffer is a view into
   * received data: decoders must copy what they keep (ByteReader.buffer does).
   */
  next(): Buffer | null {
    if (this.pending.length < 4) return null;
    const length = this.pending.readInt32BE(0);
    if (length < 0 || length > this.frameBytesMax) throw new FrameTooLargeError(length, this.frameBytesMax);
    if (this.pending.length < 4 + length) return null;
    const frame = this.pending.subarray(4, 4 + length);
    this.pending = this.pending.subarray(4 + length);
    if (this.pending.length === 0) this.pending = Buffer.alloc(0);
    return frame;
  }
}
