/**
 * Znode path rules (shared/reference §5): what ZooKeeper's server accepts as a path, plus parent/name helpers.
 */

/** Why a path is invalid, or null if it is valid. `sequentialPrefix` allows a trailing "/" (the suffix follows). */
export function pathProblem(path: string, sequentialPrefix = false): string | null {
  if (path.length === 0) return "path must not be empty";
  if (path[0] !== "/") return "path must start with /";
  if (path.length === 1) return null;
  // A sequential prefix is checked as if its suffix were already there (so a trailing "/" is fine).
  const length = sequentialPrefix ? path.length + 1 : path.length;
  if (!sequentialPrefix && path.charCodeAt(length - 1) === SLASH) return "path must not end with /";
  let segmentStart = 1;
  for (let i = 1; i <= length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : i < length ? DIGIT_ONE : SLASH;
    if (c === SLASH) {
      const segment = i - segmentStart;
      if (segment === 0) return `empty node name at index ${i}`;
      if (isDots(path, segmentStart, segment)) return `relative path segment '${path.slice(segmentStart, i)}'`;
      segmentStart = i + 1;
      continue;
    }
    if (isForbiddenChar(c)) return `invalid character \\u${c.toString(16).padStart(4, "0")} at index ${i}`;
  }
  return null;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const DIGIT_ONE = 0x31;

/** Whether path[start, start + length) is "." or "..". */
function isDots(path: string, start: number, length: number): boolean {
  if (length === 1) return path.charCodeAt(start) === DOT;
  return length === 2 && path.charCodeAt(start) === DOT && path.charCodeAt(start + 1) === DOT;
}

function isForbiddenChar(c: number): boolean {
  return (
    c === 0 ||
    (c > 0 && c < 0x20) ||
    (c >= 0x7f && c <= 0x9f) ||
    (c >= 0xd800 && c <= 0xf8ff) ||
    (c >= 0xfff0 && c <= 0xffff)
  );
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

export function nodeName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function joinPath(parent: string, name: string): string {
  return parent === "/" ? "/" + name : parent + "/" + name;
}

/** Java's String.format("%010d", n) for a 32-bit int: zero padded to 10 chars, a minus sign counts in the width. */
export function sequenceSuffix(counter: number): string {
  const n = counter | 0;
  if (n < 0) return "-" + String(-n).padStart(9, "0");
  return String(n).padStart(10, "0");
}

/** The built-in nodes that can never be deleted. */
export const PROTECTED_PATHS: ReadonlySet<string> = new Set(["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]);
