// A strict parser for the Prometheus text exposition format (0.0.4), to check what /metrics serves.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * Prometheus reads values with Go's strconv.ParseFloat, which ignores case in NaN and Inf: prom-client
 * writes "Nan" (an event-loop gauge scraped before its sampler's first tick), and Prometheus takes it.
 */
function parseValue(v: string, line: number): number {
  const special = v.toLowerCase();
  if (special === "+inf" || special === "inf") return Infinity;
  if (special === "-inf") return -Infinity;
  if (special === "nan") return NaN;
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`line ${line}: bad value ${v}`);
  return n;
}

/** Throws on any line that is not valid exposition format; returns the families by name. */
export function parsePromText(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  const fam = (name: string): Family => {
    let f = fams.get(name);
    if (!f) fams.set(name, (f = { name, samples: [] }));
    return f;
  };
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) return;
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`line ${i + 1}: bad metric name ${name}`);
      if (kind === "HELP") fam(name).help = rest;
      else {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(rest))
          throw new Error(`line ${i + 1}: bad type ${rest}`);
        fam(name).type = rest;
      }
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const name = m[1] as string;
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let lm = LABEL.exec(m[3]); lm; lm = LABEL.exec(m[3])) {
        labels[lm[1] as string] = (lm[2] as string).replace(/\\(.)/g, (_x, c: string) =>
          c === "n" ? "\n" : c,
        );
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[3].length) throw new Error(`line ${i + 1}: bad labels ${m[3]}`);
    }
    const base = name.replace(/_(bucket|sum|count|total|created)$/, "");
    const family = fams.get(name) ?? fams.get(base) ?? fam(name);
    family.samples.push({ name, labels, value: parseValue(m[4] as string, i + 1) });
  });
  return fams;
}
