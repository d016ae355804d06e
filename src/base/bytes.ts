/**
 * Bounds-checked big-endian byte reader and a growable writer: the only place that touches raw offsets.
 * Method names say the width and signedness; a read past the end is a DecodeError, never a RangeError.
 */

/**
 * Moves int64s through two int32 halves of a scratch cell instead of Buffer's bigint methods, which range-check
 * and split with bigint arithmetic (~200 ns a call against ~20 ns; a write request moves about ten of them).
 * Storing into a BigInt64Array wraps modulo 2^64, as BigInt.asIntN(64, v) does.
 */
const scratch64 = new BigInt64Array(1);
const scratch32 = new Int32Array(scratch64.buffer);
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = HOST_LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/** Writes v as a big-endian int64 at offset (the caller has checked the bounds). */
export function writeInt64BE(buf: Uint8Array, v: bigint, offset: number): void {
  scratch64[0] = v;
  writeInt64HalvesBE(buf, scratch32[HI], scratch32[LO], offset);
}

/** Writes a big-endian int64 given as its two 32-bit halves. */
export function writeInt64HalvesBE(buf: Uint8Array, hi: number, lo: number, offset: number): void {
  buf[offset] = hi >>> 24;
  buf[offset + 1] = hi >>> 16;
  buf[offset + 2] = hi >>> 8;
  buf[offset + 3] = hi;
  buf[offset + 4] = lo >>> 24;
  buf[offset + 5] = lo >>> 16;
  buf[offset + 6] = lo >>> 8;
  buf[offset + 7] = lo;
}

/** Reads a big-endian int64 at offset (the caller has checked the bounds). */
export function readInt64BE(buf: Uint8Array, offset: number): bigint {
  scratch32[HI] = (buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3];
  scratch32[LO] = (buf[offset + 4] << 24) | (buf[offset + 5] << 16) | (buf[offset + 6] << 8) | buf[offset + 7];
  return scratch64[0];
}

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

export class ByteReader {
  private offset = 0;

  constructor(private readonly buf: Buffer, start = 0, private readonly end = buf.length) {
    this.offset = start;
  }

  get position(): number {
    return this.offset;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number, what: string): void {
    if (bytes < 0 || this.offset + bytes > this.end) {
      throw new DecodeError(`${what}: need ${bytes} bytes at offset ${this.offset}, have ${this.remaining()}`);
    }
  }

  uint8(): number {
    this.need(1, "byte");
    return this.buf[this.offset++];
  }

  /** Jute boolean: any non-zero byte is true, as the Java reader does. */
  bool(): boolean {
    return this.uint8() !== 0;
  }

  int32(): number {
    this.need(4, "int");
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, "long");
    const v = readInt64BE(this.buf, this.offset);
    this.offset += 8;
    return v;
  }

  /** Jute buffer: int length, -1 = null. The returned bytes are a copy, so the frame can be released. */
  buffer(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new DecodeError(`negative buffer length ${len}`);
    this.need(len, "buffer");
    const out = Buffer.from(this.buf.subarray(this.offset, this.offset + len));
    this.offset += len;
    return out;
  }

  /** Jute ustring: int length + UTF-8, -1 = null. */
  ustring(): string | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new DecodeError(`negative string length ${len}`);
    this.need(len, "ustring");
    const s = this.buf.toString("utf8", this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  /** Jute vector: int count, -1 = null. Each element needs at least `minElementBytes`, checked before allocating. */
  vector<T>(readElement: (r: ByteReader) => T, minElementBytes = 1): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    if (count < -1) throw new DecodeError(`negative vector length ${count}`);
    if (count * minElementBytes > this.remaining()) {
      throw new DecodeError(`vector of ${count} elements cannot fit in ${this.remaining()} bytes`);
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(readElement(this));
    return out;
  }

  rest(): Buffer {
    const out = Buffer.from(this.buf.subarray(this.offset, this.end));
    this.offset = this.end;
    return out;
  }
}

export class ByteWriter {
  private buf: Buffer;
  private offset = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.offset;
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    return this.uint8(v ? 1 : 0);
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.offset);
    this.offset += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    writeInt64BE(this.buf, v, this.offset);
    this.offset += 8;
    return this;
  }

  /** An int64 given as its two 32-bit halves (no bigint on the way). */
  int64Halves(hi: number, lo: number): this {
    this.ensure(8);
    writeInt64HalvesBE(this.buf, hi, lo, this.offset);
    this.offset += 8;
    return this;
  }

  /** An int64 holding a safe integer (a time in ms), without a bigint. */
  int64Number(v: number): this {
    const hi = Math.floor(v / 4294967296);
    return this.int64Halves(hi | 0, (v - hi * 4294967296) | 0);
  }

  buffer(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    return this.raw(v);
  }

  ustring(v: string | null): this {
    if (v === null) return this.int32(-1);
    const len = Buffer.byteLength(v, "utf8");
    this.int32(len);
    this.ensure(len);
    this.buf.write(v, this.offset, len, "utf8");
    this.offset += len;
    return this;
  }

  vector<T>(items: readonly T[] | null, writeElement: (w: ByteWriter, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) writeElement(this, item);
    return this;
  }

  /** n zero bytes. */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.offset, this.offset + n);
    this.offset += n;
    return this;
  }

  raw(bytes: Buffer): this {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.offset);
    this.offset += bytes.length;
    return this;
  }

  /** Reserves 4 bytes for a frame length to be filled by endFrame. */
  beginFrame(): number {
    const at = this.offset;
    this.int32(0);
    return at;
  }

  endFrame(at: number): void {
    this.buf.writeInt32BE(this.offset - at - 4, at);
  }

  /**
   * The written bytes. When they fill at least half of the writer's buffer they are handed out as a view of it
   * (the writer never writes below its offset again, so the view stays intact); otherwise, so that a small
   * result kept for long does not pin a large buffer, as a copy.
   */
  toBuffer(): Buffer {
    if (this.offset * 2 >= this.buf.length) return this.buf.subarray(0, this.offset);
    return Buffer.from(this.buf.subarray(0, this.offset));
  }
}
