/**
 * Client-side path rules: ZooKeeper's path validation (checked before anything is sent, as every client does)
 * and the chroot mapping, which exists only in clients — the server always sees absolute paths.
 */
import { BadArgumentsError } from "./errors.js";

/**
 * Throws BadArgumentsError unless `path` is a valid znode path. A sequential create may end in "/" because
 * the server appends the counter, so the check then runs on `path + "1"`.
 */
export function validatePath(path: string, isSequential = false): void {
  const problem = pathProblem(isSequential ? `${path}1` : path);
  if (problem !== null) throw new BadArgumentsError({ path, message: `invalid path: ${problem}` });
}

function pathProblem(path: string): string | null {
  if (typeof path !== "string" || path.length === 0) return "empty";
  if (path[0] !== "/") return "must start with /";
  if (path.length === 1) return null;
  if (path.endsWith("/")) return "must not end with /";
  for (const segment of path.slice(1).split("/")) {
    if (segment.length === 0) return "empty segment";
    if (segment === "." || segment === "..") return `relative segment "${segment}"`;
  }
  for (let i = 0; i < path.length; i++) {
    if (isForbiddenCodeUnit(path.charCodeAt(i))) return `forbidden character at ${i}`;
  }
  return null;
}

/** The UTF-16 code units ZooKeeper rejects: controls, surrogates (so nothing outside the BMP), private use. */
function isForbiddenCodeUnit(c: number): boolean {
  return c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0;
}

/** Maps client paths to server paths and back for a chroot (`host:port/app`). No chroot = identity. */
export class Chroot {
  /** The chroot prefix without a trailing slash, or "" for none. */
  readonly prefix: string;

  constructor(chroot: string | null) {
    this.prefix = chroot === null || chroot === "/" ? "" : chroot;
  }

  toServer(clientPath: string): string {
    if (this.prefix === "") return clientPath;
    return clientPath === "/" ? this.prefix : this.prefix + clientPath;
  }

  /** Paths outside the chroot (which the server should never send) come back unchanged. */
  toClient(serverPath: string): string {
    if (this.prefix === "") return serverPath;
    if (serverPath === this.prefix) return "/";
    if (serverPath.startsWith(`${this.prefix}/`)) return serverPath.slice(this.prefix.length);
    return serverPath;
  }
}
