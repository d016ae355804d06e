/**
 * UTF-8 of a range of a JS string, computed one code unit at a time: how long it is, writing it into a Buffer,
 * comparing it with bytes, and folding it into a hash — all without building the substring or a Buffer.
 *
 * The tree keeps znode names as UTF-8 bytes (src/tree/byte-arena.ts) while callers hold paths as strings; these
 * helpers let a lookup compare and hash a path's segments against those bytes directly. Every helper encodes
 * exactly as Buffer.from(s, "utf8") does, lone surrogates included (as U+FFFD, EF BF BD), so a name written from
 * a string and the same name read from a snapshot file are the same bytes and hash alike.
 */

const REPLACEMENT = 0xfffd;

/**
 * The code point at s[i] for a non-ASCII unit (a surrogate pair counts as one; a lone surrogate is U+FFFD), and
 * how many code units it took in `codePointUnits`.
 */
let codePointUnits = 1;
function codePointAt(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  codePointUnits = 1;
  if (c < 0xd800 || c > 0xdfff) return c;
  if (c <= 0xdbff && i + 1 < end) {
    const low = s.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff) {
      codePointUnits = 2;
      return 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
    }
  }
  return REPLACEMENT;
}

function encodedLength(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Byte b (0-based) of cp's UTF-8 encoding, which is `len` bytes long. */
function encodedByte(cp: number, len: number, b: number): number {
  if (len === 1) return cp;
  if (b === 0) {
    if (len === 2) return 0xc0 | (cp >> 6);
    if (len === 3) return 0xe0 | (cp >> 12);
    return 0xf0 | (cp >> 18);
  }
  return 0x80 | ((cp >> (6 * (len - 1 - b))) & 0x3f);
}

/** Buffer.byteLength(s.slice(start, end), "utf8"). */
export function utf8Length(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      n++;
      i++;
      continue;
    }
    const cp = codePointAt(s, i, end);
    n += encodedLength(cp);
    i += codePointUnits;
  }
  return n;
}

/** Writes the UTF-8 of s[start, end) at target[at]; returns the offset after it. The caller sized the room. */
export function writeUtf8(target: Buffer, at: number, s: string, start: number, end: number): number {
  let o = at;
  for (let i = start; i < end; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      target[o++] = c;
      i++;
      continue;
    }
    const cp = codePointAt(s, i, end);
    const len = encodedLength(cp);
    for (let b = 0; b < len; b++) target[o++] = encodedByte(cp, len, b);
    i += codePointUnits;
  }
  return o;
}

/** Whether bytes[bytesStart, bytesEnd) is exactly the UTF-8 of s[start, end). */
export function utf8Equals(bytes: Buffer, bytesStart: number, bytesEnd: number, s: string, start: number, end: number): boolean {
  // A code unit is at least one byte, so a shorter byte range can never match.
  if (bytesEnd - bytesStart < end - start) return false;
  let o = bytesStart;
  for (let i = start; i < end; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (o >= bytesEnd || bytes[o] !== c) return false;
      o++;
      i++;
      continue;
    }
    const cp = codePointAt(s, i, end);
    const len = encodedLength(cp);
    if (o + len > bytesEnd) return false;
    for (let b = 0; b < len; b++) if (bytes[o + b] !== encodedByte(cp, len, b)) return false;
    o += len;
    i += codePointUnits;
  }
  return o === bytesEnd;
}

/** One FNV-1a step. */
export function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193);
}

/** FNV-1a steps over the UTF-8 of s[start, end). */
export function fnvUtf8(h: number, s: string, start: number, end: number): number {
  for (let i = start; i < end; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
      i++;
      continue;
    }
    const cp = codePointAt(s, i, end);
    const len = encodedLength(cp);
    for (let b = 0; b < len; b++) h = Math.imul(h ^ encodedByte(cp, len, b), 0x01000193);
    i += codePointUnits;
  }
  return h;
}

/** FNV-1a steps over bytes[start, end). */
export function fnvBytes(h: number, bytes: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}
