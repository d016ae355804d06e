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
  /** Received bytes; those before `offset` have been returned as frames already. */
  private pending: Buffer = EMPTY;
  private offset = 0;

  constructor(private readonly frameBytesMax: number) {}

  /** Bytes received but not yet returned as a frame. */
  bufferedBytes(): number {
    return this.pending.length - this.offset;
  }

  /** Peeks at the first bytes received (before any frame is consumed): used for four-letter-word detection. */
  peek(bytes: number): Buffer | null {
    return this.bufferedBytes() >= bytes ? this.pending.subarray(this.offset, this.offset + bytes) : null;
  }

  push(chunk: Buffer): void {
    if (this.bufferedBytes() === 0) this.pending = chunk;
    else this.pending = Buffer.concat([this.pending.subarray(this.offset), chunk]);
    this.offset = 0;
  }

  /**
   * The next complete frame payload, or null if more bytes are needed. The returned buffer is a view into
   * received data: decoders must copy what they keep (ByteReader.buffer does).
   */
  next(): Buffer | null {
    const available = this.pending.length - this.offset;
    if (available < 4) return null;
    const length = this.pending.readInt32BE(this.offset);
    if (length < 0 || length > this.frameBytesMax) throw new FrameTooLargeError(length, this.frameBytesMax);
    if (available < 4 + length) return null;
    // One view per frame; the rest of the chunk stays where it is, with an offset into it.
    const start = this.offset + 4;
    this.offset = start + length;
    const frame = this.pending.subarray(start, this.offset);
    if (this.offset === this.pending.length) {
      this.pending = EMPTY;
      this.offset = 0;
    }
    return frame;
  }
}

const EMPTY = Buffer.alloc(0);
