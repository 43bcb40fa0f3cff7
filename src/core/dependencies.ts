// The external services jobs depend on: the label values of the per-dependency error counter.
export const DEPENDENCIES = ["gerrit", "launchpad", "registry", "slack", "matrix", "redis"] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/**
 * Which dependency a transient failure's message names. Each client starts its messages with its own
 * name (`Gerrit GET /changes/…`, `Launchpad POST …`, `slack: rate limited`, `manifest repo:tag: …`);
 * waits of our own making (chat pacing, triage grace, the monorepo lock) name none and stay uncounted.
 */
export function dependencyOf(message: string): Dependency | undefined {
  const first = /^([A-Za-z]+)/.exec(message)?.[1]?.toLowerCase();
  if (first === "manifest" || (first === "token" && message.startsWith("token for "))) return "registry";
  return DEPENDENCIES.find((d) => d === first);
}

/**
 * The wait before a job that failed on a dependency runs again: the dependency's own Retry-After when
 * longer, else doubling from 1 s per consecutive wait up to a minute. A dead Gerrit thus costs each job
 * about one run a minute (not one every few seconds), and the error counter keeps moving for the alert.
 */
export function dependencyBackoffMs(retryAfterMs: number, consecutive: number, capMs = 60_000): number {
  const backoff = Math.min(capMs, 1000 * 2 ** Math.max(0, Math.min(consecutive, 16)));
  return Math.max(retryAfterMs, backoff);
}
