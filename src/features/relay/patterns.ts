// Name patterns used by relay filters: exact, glob (`openstack/*`, `stable/**`) or `^regex`.

const cache = new Map<string, (s: string) => boolean>();

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        re += ".*";
        i++;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Compiles a pattern once. A `^regex` that does not compile matches nothing (config check reports it). */
export function compilePattern(pattern: string): (s: string) => boolean {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let fn: (s: string) => boolean;
  if (pattern === "*" || pattern === "**") fn = () => true;
  else if (pattern.startsWith("^")) {
    try {
      const re = new RegExp(pattern);
      fn = (s) => re.test(s);
    } catch {
      fn = () => false;
    }
  } else if (/[*?]/.test(pattern)) {
    const re = globToRegExp(pattern);
    fn = (s) => re.test(s);
  } else fn = (s) => s === pattern;
  cache.set(pattern, fn);
  return fn;
}

export function matchesAny(patterns: readonly string[], value: string | undefined): boolean {
  if (patterns.includes("*")) return true;
  if (value === undefined) return false;
  return patterns.some((p) => compilePattern(p)(value));
}

export function patternError(pattern: string): string | undefined {
  if (!pattern.startsWith("^")) return undefined;
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
