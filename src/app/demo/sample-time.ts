// Moves the bundled sample data's dates to the present: the samples keep the timestamps real servers wrote,
// and the demo shifts them all by one offset so that the newest is a few minutes ago (polls and the weekly
// summary look back from now).

/** Gerrit's "2025-11-25 12:00:00.000000000" (UTC, nanoseconds). */
const GERRIT_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/;

export function gerritTimeMs(s: string): number {
  const m = GERRIT_TIME.exec(s);
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : NaN;
}

export function formatGerritTime(ms: number): string {
  return `${new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "")}.000000000`;
}

/** Every Gerrit timestamp string in `value`, wherever it sits, moved by `offsetMs` (a deep copy). */
export function shiftGerritTimes<T>(value: T, offsetMs: number): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const t = gerritTimeMs(v);
      return Number.isNaN(t) ? v : formatGerritTime(t + offsetMs);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** The offset that puts the latest of `times` (ms) at `now - agoMs`. */
export function offsetToNow(times: readonly number[], now: number, agoMs: number): number {
  const latest = Math.max(...times.filter((t) => !Number.isNaN(t)));
  return Number.isFinite(latest) ? now - agoMs - latest : 0;
}
