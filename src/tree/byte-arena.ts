/**
 * Where znode bytes live (issue #7): each row's name (its last path component, UTF-8) and data, packed into
 * large Buffers ("chunks") outside the JS heap instead of a string or Buffer object per node — and a few
 * fixed-size fields that its user stores there only when they differ from their defaults.
 *
 * An entry is [row: int32 LE][name length × 8 + flags: varint][data length + 1: varint, 0 = null data]
 * [fields][name][data]. The 3 flag bits are the user's; they select how many bytes of fields follow
 * (`fieldBytes[flags]`), which the arena copies without reading them. The row keeps its entry's chunk and
 * offset in a row table (two adjacent Int32 fields of each row's record: the NodeStore keeps them next to the
 * row's other lookup fields); the entry keeps its row, so a chunk can be walked and each entry told live (the
 * row still points at it) or garbage.
 *
 * Writes append to one chunk at a time. Replacing a row's data appends a new entry and leaves the old one as
 * garbage; each chunk counts its live bytes. A full chunk is sealed; once a sealed chunk's live bytes fall under
 * `compactBelow` of what it holds it is queued, and every write then moves a bounded number of bytes of the
 * queued chunk's live entries to the append chunk (work proportional to the write, never one long pause). An
 * emptied chunk is kept as a spare for the next append chunk (a few) or dropped for the GC to free. So the
 * arena stays within about 1/compactBelow of the live bytes, plus a chunk or two.
 *
 * An entry larger than a quarter of a chunk (a value of MiBs, with jute.maxbuffer raised) gets a chunk of its
 * own, freed when the entry dies. Chunks come from Buffer.allocUnsafeSlow: never-written pages of a fresh
 * chunk are not resident, so the append chunk's empty tail costs address space, not memory.
 */
import { assert, AssertionError } from "../base/assert.js";
import { utf8Equals, utf8Length, writeUtf8 } from "./utf8-range.js";

/** No entry: the chunk of a row without one. */
export const NO_CHUNK = -1;

export interface ArenaOptions {
  /** Bytes of fields an entry carries, by its flags (0..7); none by default. */
  fieldBytes?: readonly number[];
  /** Bytes per regular chunk (default 4 MiB). */
  chunkBytes?: number;
  /** A sealed chunk whose live bytes fall under this fraction of its used bytes is compacted (default 0.5). */
  compactBelow?: number;
  /** Emptied chunks kept for reuse rather than freed (default 2). */
  spareChunksMax?: number;
}

/** What the arena holds, for metrics and tests. */
export interface ArenaStats {
  /** Chunks in use (append, sealed, queued, own-buffer), not counting spares. */
  chunks: number;
  /** Bytes of the chunks in use plus the spares: what the arena has allocated. */
  allocatedBytes: number;
  /** Bytes of live entries (headers included). */
  liveBytes: number;
  /** Chunks waiting for or under compaction. */
  queuedChunks: number;
  /** Bytes of entries compaction has walked, ever (its work: each write adds a bounded amount). */
  scannedBytes: number;
}

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
const ROW_FIELD_BYTES = 4;
const FLAG_BITS = 3;
const FLAG_VALUES = 1 << FLAG_BITS;
/** Compaction work a write always may do, on top of what is proportional to its bytes. */
const STEP_MIN_BYTES = 256;
/**
 * Compaction bytes a write may walk per byte it writes or retires, times 1/(1 - compactBelow): walking a queued
 * chunk of n bytes frees at least (1 - compactBelow)·n, so this reclaims garbage faster than writes make it.
 */
const STEP_MARGIN = 1.5;

/** Chunk states. */
const FREE = 0;
const APPEND = 1;
const SEALED = 2;
const QUEUED = 3;
const SCANNING = 4;
const OWN = 5;

/** Below this many bytes a copy is a loop: Buffer#copy's argument checks cost more than the copy. */
const COPY_LOOP_BYTES_MAX = 32;

/** Copies src[start, end) to target[at]. */
export function copyBytes(src: Buffer, start: number, end: number, target: Buffer, at: number): void {
  if (end - start <= COPY_LOOP_BYTES_MAX) {
    for (let i = start; i < end; i++) target[at++] = src[i];
  } else {
    target.set(src.subarray(start, end), at);
  }
}

function varintLength(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint(b: Buffer, at: number, v: number): number {
  while (v >= 0x80) {
    b[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  b[at++] = v;
  return at;
}

export class ByteArena {
  readonly chunkBytes: number;
  private readonly fieldBytes: number[];
  private readonly ownBufferBytes: number;
  private readonly compactBelow: number;
  private readonly stepPerByte: number;
  private readonly spareChunksMax: number;

  /** Row records: row·rowStride + rowAt is the chunk of the row's entry (or NO_CHUNK), the next its offset. */
  private rowTable: Int32Array = new Int32Array(0);
  private rowStride = 2;
  private rowAt = 0;

  private readonly chunks: (Buffer | null)[] = [];
  private readonly liveBytes: number[] = [];
  /** Bytes written into a sealed chunk (the append chunk's is appendAt). */
  private readonly usedBytes: number[] = [];
  private readonly state: number[] = [];
  private readonly freeIds: number[] = [];
  private readonly spares: Buffer[] = [];
  private queue: number[] = [];
  private queueHead = 0;
  private appendId = NO_CHUNK;
  private appendAt = 0;
  private scanId = NO_CHUNK;
  private scanAt = 0;
  private liveTotal = 0;
  private scannedTotal = 0;

  // The entry locate() last decoded (one at a time, so reads allocate nothing). Public for the NodeStore,
  // which reads its fields in place; valid until the arena next changes.
  /** The chunk holding it. */
  entryBuf: Buffer = Buffer.alloc(0);
  entryFlags = 0;
  /** Where its fields start in entryBuf. */
  fieldsAt = 0;
  private hNameAt = 0;
  private hNameLength = 0;
  /** -1 for null data. */
  private hDataLength = 0;
  private hEnd = 0;
  // Where place() put the entry it last made room for: its name starts at pAt in pBuf.
  private pBuf: Buffer = Buffer.alloc(0);
  private pAt = 0;
  private varintEnd = 0;

  constructor(options: ArenaOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.fieldBytes = Array.from({ length: FLAG_VALUES }, (_, flags) => options.fieldBytes?.[flags] ?? 0);
    assert(this.chunkBytes >= 64 && this.chunkBytes <= 0x40000000, `bad arena chunk size ${this.chunkBytes}`);
    this.ownBufferBytes = Math.floor(this.chunkBytes / 4);
    this.compactBelow = options.compactBelow ?? 0.5;
    assert(this.compactBelow > 0 && this.compactBelow < 1, `bad compactBelow ${this.compactBelow}`);
    this.stepPerByte = STEP_MARGIN / (1 - this.compactBelow);
    this.spareChunksMax = options.spareChunksMax ?? 2;
  }

  /** Gives the arena a row table of its own holding `rows` rows (for use without a NodeStore). */
  growRows(rows: number): void {
    const table = new Int32Array(rows * 2);
    table.set(this.rowTable.subarray(0, Math.min(this.rowTable.length, table.length)));
    this.attachRows(table, 2, 0);
  }

  /**
   * Keeps entry locations in `table` (the NodeStore's row records): row·stride + at is the chunk, the next
   * field the offset. The table must hold the locations so far (a grown copy of the last one).
   */
  attachRows(table: Int32Array, stride: number, at: number): void {
    this.rowTable = table;
    this.rowStride = stride;
    this.rowAt = at;
  }

  /** Marks a fresh row as having no entry yet. */
  initRow(row: number): void {
    this.rowTable[row * this.rowStride + this.rowAt] = NO_CHUNK;
  }

  hasEntry(row: number): boolean {
    return this.rowTable[row * this.rowStride + this.rowAt] !== NO_CHUNK;
  }

  private chunkOf(row: number): number {
    return this.rowTable[row * this.rowStride + this.rowAt];
  }

  private offsetOf(row: number): number {
    return this.rowTable[row * this.rowStride + this.rowAt + 1];
  }

  private setLocation(row: number, chunk: number, offset: number): void {
    const i = row * this.rowStride + this.rowAt;
    this.rowTable[i] = chunk;
    this.rowTable[i + 1] = offset;
  }

  // ------------------------------------------------------------------ writes

  /**
   * Gives row an entry named s[nameStart, nameEnd) holding data (null: ZooKeeper's null data), with flags and
   * the first fieldBytes[flags] bytes of `fields`.
   */
  putFromString(row: number, flags: number, fields: Buffer, s: string, nameStart: number, nameEnd: number, data: Buffer | null): void {
    const retired = this.retire(row);
    const nameLength = utf8Length(s, nameStart, nameEnd);
    const size = this.place(row, flags, fields, nameLength, data === null ? -1 : data.length);
    const at = writeUtf8(this.pBuf, this.pAt, s, nameStart, nameEnd);
    if (data !== null) copyBytes(data, 0, data.length, this.pBuf, at);
    this.step(size + retired);
  }

  /**
   * putFromString for a name src[nameStart, nameEnd) and data src[dataStart, dataStart + dataLength), or null
   * data for dataLength -1: snapshot loading copies straight from the file's bytes.
   */
  putFromBytes(row: number, flags: number, fields: Buffer, src: Buffer, nameStart: number, nameEnd: number, dataStart: number, dataLength: number): void {
    const retired = this.retire(row);
    const size = this.place(row, flags, fields, nameEnd - nameStart, dataLength);
    copyBytes(src, nameStart, nameEnd, this.pBuf, this.pAt);
    if (dataLength > 0) copyBytes(src, dataStart, dataStart + dataLength, this.pBuf, this.pAt + nameEnd - nameStart);
    this.step(size + retired);
  }

  /**
   * Replaces row's entry keeping its name: new flags and fields, and data src[dataStart, +dataLength) (null
   * data for -1). A new entry is appended; the old one becomes garbage.
   */
  replace(row: number, flags: number, fields: Buffer, src: Buffer | null, dataStart: number, dataLength: number): void {
    const oldId = this.chunkOf(row);
    const oldAt = this.offsetOf(row);
    this.readHeader(row);
    const oldBuf = this.entryBuf;
    const nameAt = this.hNameAt;
    const nameLength = this.hNameLength;
    const oldSize = this.hEnd - oldAt;
    // The old entry stays where it is until its name has been copied: place() never moves or frees entries.
    const size = this.place(row, flags, fields, nameLength, dataLength);
    copyBytes(oldBuf, nameAt, nameAt + nameLength, this.pBuf, this.pAt);
    if (dataLength > 0) copyBytes(src!, dataStart, dataStart + dataLength, this.pBuf, this.pAt + nameLength);
    this.release(oldId, oldSize);
    this.step(size + oldSize);
  }

  /**
   * Replaces row's entry keeping its name and data: new flags and fields only. The data is copied out of the old
   * entry, which replace() leaves in place until the new one is written.
   */
  replaceFields(row: number, flags: number, fields: Buffer): void {
    this.readHeader(row);
    this.replace(row, flags, fields, this.entryBuf, this.hNameAt + this.hNameLength, this.hDataLength);
  }

  /** Drops row's entry (the row is being freed). */
  free(row: number): void {
    const retired = this.retire(row);
    this.step(retired);
  }

  /** Forgets every entry and chunk (the row columns keep their size). */
  clear(): void {
    this.chunks.length = 0;
    this.liveBytes.length = 0;
    this.usedBytes.length = 0;
    this.state.length = 0;
    this.freeIds.length = 0;
    this.spares.length = 0;
    this.queue = [];
    this.queueHead = 0;
    this.appendId = NO_CHUNK;
    this.appendAt = 0;
    this.scanId = NO_CHUNK;
    this.liveTotal = 0;
    for (let i = this.rowAt; i < this.rowTable.length; i += this.rowStride) this.rowTable[i] = NO_CHUNK;
  }

  // ------------------------------------------------------------------ reads

  /** Decodes row's entry header into entryBuf, entryFlags and fieldsAt (and what the other reads use). */
  locate(row: number): void {
    this.readHeader(row);
  }

  /** Data length in bytes, -1 for null data. */
  dataLength(row: number): number {
    this.readHeader(row);
    return this.hDataLength;
  }

  /** A fresh copy of row's data, or null. */
  copyData(row: number): Buffer | null {
    this.readHeader(row);
    const length = this.hDataLength;
    if (length < 0) return null;
    const out = Buffer.allocUnsafe(length);
    const start = this.hNameAt + this.hNameLength;
    copyBytes(this.entryBuf, start, start + length, out, 0);
    return out;
  }

  /**
   * A view of row's data bytes (null for null data), valid only until the arena next changes: for a caller that
   * copies them at once (the snapshot writer).
   */
  dataView(row: number): Buffer | null {
    this.readHeader(row);
    if (this.hDataLength < 0) return null;
    const start = this.hNameAt + this.hNameLength;
    return this.entryBuf.subarray(start, start + this.hDataLength);
  }

  nameLength(row: number): number {
    this.readHeader(row);
    return this.hNameLength;
  }

  name(row: number): string {
    this.readHeader(row);
    return this.entryBuf.toString("utf8", this.hNameAt, this.hNameAt + this.hNameLength);
  }

  /** Copies row's name bytes to target[at]; returns the offset after them. */
  copyName(row: number, target: Buffer, at: number): number {
    this.readHeader(row);
    copyBytes(this.entryBuf, this.hNameAt, this.hNameAt + this.hNameLength, target, at);
    return at + this.hNameLength;
  }

  /** Whether row's name is the UTF-8 of s[start, end). */
  nameEquals(row: number, s: string, start: number, end: number): boolean {
    this.readHeader(row);
    return utf8Equals(this.entryBuf, this.hNameAt, this.hNameAt + this.hNameLength, s, start, end);
  }

  /**
   * If s[0, end) ends with "/" + row's name, the index of that "/"; else -1. Compares from the end, where
   * sibling names differ (the path index walks a path up its parent chain with this).
   */
  nameEndsAt(row: number, s: string, end: number): number {
    this.readHeader(row);
    const b = this.entryBuf;
    const nameAt = this.hNameAt;
    let j = nameAt + this.hNameLength;
    let i = end;
    while (j > nameAt) {
      if (i === 0) return -1;
      const c = s.charCodeAt(--i);
      if (c >= 0x80) return this.nameEndsAtSlowly(s, end);
      if (c !== b[--j]) return -1;
    }
    return i > 0 && s.charCodeAt(i - 1) === 0x2f ? i - 1 : -1;
  }

  /** nameEndsAt for a segment with non-ASCII characters (the header is still the one just read). */
  private nameEndsAtSlowly(s: string, end: number): number {
    const slash = s.lastIndexOf("/", end - 1);
    if (slash < 0) return -1;
    return utf8Equals(this.entryBuf, this.hNameAt, this.hNameAt + this.hNameLength, s, slash + 1, end) ? slash : -1;
  }

  /** Whether row's name is bytes[start, end). */
  nameEqualsBytes(row: number, bytes: Buffer, start: number, end: number): boolean {
    this.readHeader(row);
    if (this.hNameLength !== end - start) return false;
    const b = this.entryBuf;
    const at = this.hNameAt;
    for (let i = 0; i < this.hNameLength; i++) if (b[at + i] !== bytes[start + i]) return false;
    return true;
  }

  stats(): ArenaStats {
    let chunks = 0;
    let allocatedBytes = 0;
    for (const c of this.chunks) {
      if (c === null) continue;
      chunks++;
      allocatedBytes += c.length;
    }
    for (const c of this.spares) allocatedBytes += c.length;
    let queuedChunks = 0;
    for (const s of this.state) if (s === QUEUED || s === SCANNING) queuedChunks++;
    return { chunks, allocatedBytes, liveBytes: this.liveTotal, queuedChunks, scannedBytes: this.scannedTotal };
  }

  // ------------------------------------------------------------------ internals

  private readHeader(row: number): void {
    const at = row * this.rowStride + this.rowAt;
    const id = this.rowTable[at];
    if (id === NO_CHUNK) throw new AssertionError(`row ${row} has no entry`);
    const b = this.chunks[id]!;
    let o = this.rowTable[at + 1] + ROW_FIELD_BYTES;
    let meta = b[o];
    if (meta < 0x80) o++;
    else {
      meta = this.varint(b, o);
      o = this.varintEnd;
    }
    let dataField = b[o];
    if (dataField < 0x80) o++;
    else {
      dataField = this.varint(b, o);
      o = this.varintEnd;
    }
    const flags = meta & (FLAG_VALUES - 1);
    const nameLength = (meta - flags) / FLAG_VALUES;
    this.entryBuf = b;
    this.entryFlags = flags;
    this.fieldsAt = o;
    o += this.fieldBytes[flags];
    this.hNameAt = o;
    this.hNameLength = nameLength;
    this.hDataLength = dataField - 1;
    this.hEnd = o + nameLength + (dataField > 0 ? dataField - 1 : 0);
  }

  private varint(b: Buffer, at: number): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const byte = b[at++];
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    this.varintEnd = at;
    return v;
  }

  /** Size of the entry at b[at] (the chunk walk of compaction). */
  private entrySizeAt(b: Buffer, at: number): number {
    let o = at + ROW_FIELD_BYTES;
    const meta = this.varint(b, o);
    o = this.varintEnd;
    const dataField = this.varint(b, o);
    o = this.varintEnd;
    const flags = meta & (FLAG_VALUES - 1);
    return o - at + this.fieldBytes[flags] + (meta - flags) / FLAG_VALUES + (dataField > 0 ? dataField - 1 : 0);
  }

  /** Forgets row's entry, if any, making it garbage; returns its size. */
  private retire(row: number): number {
    const id = this.chunkOf(row);
    if (id === NO_CHUNK) return 0;
    const at = this.offsetOf(row);
    this.readHeader(row);
    const size = this.hEnd - at;
    this.setLocation(row, NO_CHUNK, 0);
    this.release(id, size);
    return size;
  }

  /**
   * Makes room for row's new entry (header written, row columns pointing at it) and returns its size; the
   * caller copies the name and data to pBuf at pAt. Moves and frees nothing, so other entries stay put.
   */
  private place(row: number, flags: number, fields: Buffer, nameLength: number, dataLength: number): number {
    const meta = nameLength * FLAG_VALUES + flags;
    const fieldBytes = this.fieldBytes[flags];
    const headerBytes = ROW_FIELD_BYTES + varintLength(meta) + varintLength(dataLength + 1);
    const size = headerBytes + fieldBytes + nameLength + (dataLength > 0 ? dataLength : 0);
    let id: number;
    let at: number;
    if (size > this.ownBufferBytes) {
      id = this.newChunk(Buffer.allocUnsafeSlow(size), OWN);
      this.usedBytes[id] = size;
      at = 0;
    } else {
      if (this.appendId === NO_CHUNK || this.appendAt + size > this.chunkBytes) this.openAppendChunk();
      id = this.appendId;
      at = this.appendAt;
      this.appendAt += size;
    }
    const b = this.chunks[id]!;
    b[at] = row;
    b[at + 1] = row >>> 8;
    b[at + 2] = row >>> 16;
    b[at + 3] = row >>> 24;
    const o = writeVarint(b, writeVarint(b, at + ROW_FIELD_BYTES, meta), dataLength + 1);
    for (let i = 0; i < fieldBytes; i++) b[o + i] = fields[i];
    this.setLocation(row, id, at);
    this.liveBytes[id] += size;
    this.liveTotal += size;
    this.pBuf = b;
    this.pAt = o + fieldBytes;
    return size;
  }

  /** Counts size bytes of chunk id as garbage, queueing or freeing the chunk as it empties. */
  private release(id: number, size: number): void {
    const live = (this.liveBytes[id] -= size);
    this.liveTotal -= size;
    const state = this.state[id];
    if (live === 0) {
      if (state === APPEND) this.appendAt = 0; // nothing live in it: write over it from the start
      else this.dropChunk(id);
    } else if (state === SEALED && live < this.usedBytes[id] * this.compactBelow) {
      this.state[id] = QUEUED;
      this.queue.push(id);
    }
  }

  private openAppendChunk(): void {
    const old = this.appendId;
    if (old !== NO_CHUNK) {
      this.usedBytes[old] = this.appendAt;
      this.state[old] = SEALED;
      if (this.liveBytes[old] < this.appendAt * this.compactBelow) {
        this.state[old] = QUEUED;
        this.queue.push(old);
      }
    }
    this.appendId = this.newChunk(this.spares.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes), APPEND);
    this.appendAt = 0;
  }

  private newChunk(buffer: Buffer, state: number): number {
    const id = this.freeIds.pop() ?? this.chunks.length;
    this.chunks[id] = buffer;
    this.liveBytes[id] = 0;
    this.usedBytes[id] = 0;
    this.state[id] = state;
    return id;
  }

  private dropChunk(id: number): void {
    const buffer = this.chunks[id]!;
    if (this.state[id] !== OWN && this.spares.length < this.spareChunksMax) this.spares.push(buffer);
    if (this.scanId === id) this.scanId = NO_CHUNK;
    this.chunks[id] = null;
    this.state[id] = FREE;
    this.liveBytes[id] = 0;
    this.usedBytes[id] = 0;
    this.freeIds.push(id);
  }

  /** Compaction work after a write of `bytes` (written plus retired): moves live entries out of queued chunks. */
  private step(bytes: number): void {
    let budget = bytes * this.stepPerByte + STEP_MIN_BYTES;
    while (budget > 0) {
      if (this.scanId === NO_CHUNK && !this.nextToScan()) return;
      const id = this.scanId;
      const b = this.chunks[id]!;
      if (this.liveBytes[id] === 0 || this.scanAt >= this.usedBytes[id]) {
        if (this.liveBytes[id] !== 0) throw new AssertionError(`compacted chunk ${id} still has ${this.liveBytes[id]} live bytes`);
        this.dropChunk(id);
        continue;
      }
      const at = this.scanAt;
      const size = this.entrySizeAt(b, at);
      const row = b.readInt32LE(at);
      const loc = row * this.rowStride + this.rowAt;
      if (row >= 0 && loc < this.rowTable.length && this.rowTable[loc] === id && this.rowTable[loc + 1] === at) this.move(row, id, at, size);
      this.scanAt = at + size;
      this.scannedTotal += size;
      budget -= size;
    }
  }

  private nextToScan(): boolean {
    while (this.queueHead < this.queue.length) {
      const id = this.queue[this.queueHead++];
      if (this.state[id] !== QUEUED) continue; // freed (and maybe reused) since it was queued
      this.state[id] = SCANNING;
      this.scanId = id;
      this.scanAt = 0;
      return true;
    }
    this.queue = [];
    this.queueHead = 0;
    return false;
  }

  /** Copies a live entry to the append chunk and points its row there. */
  private move(row: number, fromId: number, fromAt: number, size: number): void {
    if (this.appendId === NO_CHUNK || this.appendAt + size > this.chunkBytes) this.openAppendChunk();
    const to = this.appendId;
    copyBytes(this.chunks[fromId]!, fromAt, fromAt + size, this.chunks[to]!, this.appendAt);
    this.setLocation(row, to, this.appendAt);
    this.appendAt += size;
    this.liveBytes[to] += size;
    this.liveBytes[fromId] -= size;
  }
}
