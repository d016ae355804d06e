/**
 * A tiny, strict parser for the Prometheus text exposition format 0.0.4, enough to check what /metrics writes:
 * every sample belongs to a family declared by `# TYPE` before it (summaries own `<name>_count`/`_sum`), names
 * and labels are well formed, values are floats (NaN and ±Inf allowed), no family or series appears twice.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "summary" | "histogram" | "untyped";
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "summary", "histogram", "untyped"]);

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const series = new Set<string>();
  let current: Family | null = null;
  text.slice(0, -1).split("\n").forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    if (line.startsWith("# HELP ")) {
      const [name, ...rest] = line.slice(7).split(" ");
      if (!NAME.test(name)) throw new Error(`bad HELP name, ${where}`);
      helps.set(name, rest.join(" "));
    } else if (line.startsWith("# TYPE ")) {
      const [name, type, extra] = line.slice(7).split(" ");
      if (!NAME.test(name) || !TYPES.has(type) || extra !== undefined) throw new Error(`bad TYPE, ${where}`);
      if (families.has(name)) throw new Error(`family declared twice, ${where}`);
      current = { name, type: type as Family["type"], help: helps.get(name) ?? "", samples: [] };
      families.set(name, current);
    } else if (line.startsWith("#") || line === "") {
      // comment
    } else {
      const s = parseSample(line, where);
      if (current === null || !belongsTo(s.name, current)) throw new Error(`sample outside its family, ${where}`);
      const key = s.name + JSON.stringify(Object.entries(s.labels).sort());
      if (series.has(key)) throw new Error(`series repeated, ${where}`);
      series.add(key);
      current.samples.push(s);
    }
  });
  return families;
}

function belongsTo(sampleName: string, f: Family): boolean {
  if (sampleName === f.name) return true;
  return f.type === "summary" && (sampleName === `${f.name}_count` || sampleName === `${f.name}_sum`);
}

function parseSample(line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)( -?\d+)?$/.exec(line);
  if (m === null) throw new Error(`bad sample, ${where}`);
  const labels: Record<string, string> = {};
  if (m[2] !== undefined) {
    const body = m[2].slice(1, -1);
    const re = /([^=,]+)="((?:[^"\\]|\\.)*)"(,|$)/y;
    let at = 0;
    while (at < body.length) {
      re.lastIndex = at;
      const l = re.exec(body);
      if (l === null || !LABEL_NAME.test(l[1])) throw new Error(`bad labels, ${where}`);
      if (l[1] in labels) throw new Error(`label repeated, ${where}`);
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      at = re.lastIndex;
    }
  }
  return { name: m[1], labels, value: parseValue(m[3], where) };
}

function parseValue(text: string, where: string): number {
  if (text === "NaN") return Number.NaN;
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value, ${where}`);
  return Number(text);
}

/** The one sample of `name` whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, family: string, name: string, labels: Record<string, string> = {}): number {
  const f = families.get(family);
  if (f === undefined) throw new Error(`no family ${family}`);
  const matches = f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length !== 1) throw new Error(`${matches.length} samples ${name}${JSON.stringify(labels)} in ${family}`);
  return matches[0].value;
}
