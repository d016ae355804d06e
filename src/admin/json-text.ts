/**
 * JSON text for AdminServer replies. ZooKeeper writes 64-bit values (session ids, zxids) as exact JSON integers,
 * which JSON.stringify cannot do (it throws on bigint, and a number loses digits past 2^53). Here a bigint is
 * written as its signed 64-bit decimal digits, as Java's `long` would be.
 */

/** Nesting limit: admin replies are a few levels deep; more means a cycle. */
const JSON_DEPTH_MAX = 32;

export function toJsonText(value: unknown, indent = 2): string {
  return write(value, "", " ".repeat(indent), 0);
}

function write(value: unknown, pad: string, step: string, depth: number): string {
  if (depth > JSON_DEPTH_MAX) throw new Error("admin JSON nested too deeply");
  switch (typeof value) {
    case "bigint":
      return BigInt.asIntN(64, value).toString();
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "undefined":
      return "null";
    case "object":
      break;
    default:
      return JSON.stringify(String(value));
  }
  if (value === null) return "null";
  const inner = pad + step;
  const nl = step === "" ? "" : "\n";
  const sep = step === "" ? ":" : ": ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => inner + write(v, inner, step, depth + 1));
    return `[${nl}${items.join("," + nl)}${nl}${pad}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  const fields = entries.map(([k, v]) => inner + JSON.stringify(k) + sep + write(v, inner, step, depth + 1));
  return `{${nl}${fields.join("," + nl)}${nl}${pad}}`;
}
