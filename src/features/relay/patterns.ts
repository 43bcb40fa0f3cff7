// Name patterns used by relay filters: exact, glob (`openstack/*`, `stable/**`) or `^regex`.

const cache = new Map<string, (s: string) => boolean>();

type GlobToken = { kind: "lit"; ch: string } | { kind: "one" } | { kind: "seg" } | { kind: "any" };

function globTokens(glob: string): GlobToken[] {
  const out: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      const kind = glob[i + 1] === "*" ? "any" : "seg";
      if (kind === "any") i++;
      // Runs of stars are one star: `a***b` costs what `a*b` costs.
      const prev = out[out.length - 1];
      if (prev?.kind === "any" || (prev?.kind === "seg" && kind === "seg")) continue;
      if (prev?.kind === "seg" && kind === "any") out.pop();
      out.push({ kind });
    } else if (c === "?") out.push({ kind: "one" });
    else out.push({ kind: "lit", ch: c });
  }
  return out;
}

/**
 * A glob matcher without backtracking: the set of glob positions reachable after each character (a
 * Thompson simulation), so any glob runs in O(text × glob) whatever its stars. `*` and `?` stop at `/`,
 * `**` crosses it.
 */
export function globMatcher(glob: string, work?: { steps: number }): (s: string) => boolean {
  const t = globTokens(glob);
  const n = t.length;
  // Star tokens may match nothing: a position's closure includes the positions after its stars.
  const close = (set: Uint8Array): void => {
    for (let i = 0; i < n; i++) if (set[i] && t[i]?.kind !== "lit" && t[i]?.kind !== "one") set[i + 1] = 1;
  };
  return (s) => {
    let cur = new Uint8Array(n + 1);
    cur[0] = 1;
    close(cur);
    for (const ch of s) {
      const next = new Uint8Array(n + 1);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!cur[i]) continue;
        if (work) work.steps++;
        const tok = t[i] as GlobToken;
        if (tok.kind === "lit" ? tok.ch === ch : tok.kind === "one" ? ch !== "/" : false) next[i + 1] = 1;
        else if (tok.kind === "seg" ? ch !== "/" : tok.kind === "any") next[i] = 1;
        else continue;
        any = true;
      }
      if (!any) return false;
      close(next);
      cur = next;
    }
    return cur[n] === 1;
  };
}

/** Longest name a pattern is matched against: project and branch names are short. */
const MAX_SUBJECT = 1024;

/**
 * Compiles a pattern once. A `^regex` that does not compile matches nothing (config check reports it).
 * The `^regex` form is for the operator's config only (run-time subscriptions from chat take names and
 * globs, see isChatPattern); globs never use RegExp, so no pattern can backtrack.
 */
export function compilePattern(pattern: string): (s: string) => boolean {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let fn: (s: string) => boolean;
  if (pattern === "*" || pattern === "**") fn = () => true;
  else if (pattern.startsWith("^")) {
    try {
      const re = new RegExp(pattern);
      fn = (s) => s.length <= MAX_SUBJECT && re.test(s);
    } catch {
      fn = () => false;
    }
  } else if (/[*?]/.test(pattern)) {
    const m = globMatcher(pattern);
    fn = (s) => s.length <= MAX_SUBJECT && m(s);
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

/** What a chat user may subscribe with: a project name or a glob, never a regex (it could backtrack). */
export function isChatPattern(pattern: string): boolean {
  return /^[\w.*?/-]{1,200}$/.test(pattern);
}
