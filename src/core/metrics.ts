// Prometheus metrics (prom-client): one registry per bot, the families the Grafana dashboard reads.
import { readFileSync } from "node:fs";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { DEPENDENCIES } from "./dependencies.js";
import { packageFile } from "./paths.js";
import { QUEUE_NAMES } from "./queue-names.js";

const P = "sunbeam_bot_";

export class Metrics {
  readonly registry = new Registry();
  readonly events = new Counter({
    name: `${P}events_total`,
    help: "Events taken in, by source and kind",
    labelNames: ["source", "kind"],
    registers: [this.registry],
  });
  readonly jobs = new Gauge({
    name: `${P}jobs`,
    help: "Jobs by queue and state",
    labelNames: ["queue", "state"],
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: `${P}job_duration_seconds`,
    help: "Job handler duration",
    labelNames: ["queue"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly jobRetries = new Counter({
    name: `${P}job_retries_total`,
    help: "Job attempts that failed and will be retried",
    labelNames: ["queue"],
    registers: [this.registry],
  });
  readonly jobFailures = new Counter({
    name: `${P}job_failures_total`,
    help: "Jobs that failed for good",
    labelNames: ["queue"],
    registers: [this.registry],
  });
  readonly chatSent = new Counter({
    name: `${P}chat_messages_sent_total`,
    help: "Chat messages sent",
    labelNames: ["network"],
    registers: [this.registry],
  });
  readonly chatRateLimited = new Counter({
    name: `${P}chat_rate_limited_total`,
    help: "429 / M_LIMIT_EXCEEDED answers from chat networks",
    labelNames: ["network"],
    registers: [this.registry],
  });
  readonly gerritConnected = new Gauge({
    name: `${P}gerrit_stream_connected`,
    help: "1 while the Gerrit SSH stream is connected",
    registers: [this.registry],
  });
  readonly gerritReconnects = new Counter({
    name: `${P}gerrit_reconnects_total`,
    help: "Gerrit stream reconnects",
    registers: [this.registry],
  });
  readonly gerritBackfilled = new Counter({
    name: `${P}gerrit_events_backfilled_total`,
    help: "Events recovered by REST backfill",
    registers: [this.registry],
  });
  /** outcome: ignored, complete, prompted, reply-complete, reply-partial; a dry run adds "-dry-run". */
  readonly triageOutcomes = new Counter({
    name: `${P}triage_outcomes_total`,
    help: "Bug triage outcomes",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  /** kind: comment, status, tags-add, tags-remove (counted by countCalls around the writing client). */
  readonly launchpadWrites = new Counter({
    name: `${P}launchpad_writes_total`,
    help: "Launchpad writes by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly registryPolls = new Counter({
    name: `${P}registry_polls_total`,
    help: "OCI registry polls by result",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly ociAnnouncements = new Counter({
    name: `${P}oci_announcements_total`,
    help: "OCI image announcements",
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: `${P}commands_total`,
    help: "Chat commands by name and result",
    labelNames: ["command", "result"],
    registers: [this.registry],
  });

  /** Transient failures by dependency (each one a job re-delayed with backoff, see core/worker.ts). */
  readonly dependencyErrors = new Counter({
    name: `${P}dependency_errors_total`,
    help: "Transient failures of a dependency that made a job wait and retry",
    labelNames: ["dependency"],
    registers: [this.registry],
  });
  readonly buildInfo = new Gauge({
    name: `${P}build_info`,
    help: "Always 1; the labels say which build and Node runs",
    labelNames: ["version", "node"],
    registers: [this.registry],
  });
  /** 1 while this process holds the network's connection; standbys report 0, so alert on max(). */
  readonly chatConnected = new Gauge({
    name: `${P}chat_connected`,
    help: "1 while this process is connected to the chat network",
    labelNames: ["network"],
    registers: [this.registry],
  });
  readonly lastEvent = new Gauge({
    name: `${P}last_event_timestamp_seconds`,
    help: "Unix time of the last event taken in, by source (a connected but silent stream shows here)",
    labelNames: ["source"],
    registers: [this.registry],
  });
  readonly oldestWaiting = new Gauge({
    name: `${P}oldest_waiting_job_age_seconds`,
    help: "Age of the oldest job waiting or delayed, by queue (0 when none)",
    labelNames: ["queue"],
    registers: [this.registry],
  });
  readonly redisUp = new Gauge({
    name: `${P}redis_up`,
    help: "1 when the last scrape-time read of Redis answered in time",
    registers: [this.registry],
  });
  readonly readyCheck = new Gauge({
    name: `${P}ready_check`,
    help: "Each /readyz check: 1 passing, 0 failing",
    labelNames: ["check"],
    registers: [this.registry],
  });
  private refreshing: Promise<void> | undefined;
  private readonly componentChecks = new Map<string, boolean>();

  /**
   * A component's own health for /readyz (the monorepo sync reports here): kept beside the metrics because
   * every feature already holds them, and shown as a ready_check series too.
   */
  setCheck(name: string, ok: boolean): void {
    this.componentChecks.set(name, ok);
    this.readyCheck.set({ check: name }, ok ? 1 : 0);
  }

  checks(): Record<string, boolean> {
    return Object.fromEntries(this.componentChecks);
  }

  constructor(opts: { defaults?: boolean } = {}) {
    // The event-loop lag histogram at 100 ms, not prom-client's 10 ms: 70% of the idle bot's CPU was that sampler.
    if (opts.defaults ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    // Every known label value has a series from the start: increase() then sees the first failure too.
    for (const queue of QUEUE_NAMES) {
      this.jobRetries.inc({ queue }, 0);
      this.jobFailures.inc({ queue }, 0);
    }
    for (const dependency of DEPENDENCIES) this.dependencyErrors.inc({ dependency }, 0);
    this.buildInfo.set({ version: packageVersion(), node: process.versions.node }, 1);
  }

  /** An event taken in: counted, and its source's last-event time set. */
  recordEvent(source: string, kind: string, nowMs = Date.now()): void {
    this.events.inc({ source, kind });
    this.lastEvent.set({ source }, nowMs / 1000);
  }

  /**
   * Renders within `budgetMs` whatever Redis does: the refresh (Redis reads) runs at most once at a time,
   * and a scrape that outlasts it gets the gauges' last values. A hung Redis thus costs a scrape nothing,
   * and reads never pile up behind each other. `onLate` runs when the budget ran out.
   */
  async renderWithin(refresh: () => Promise<void>, budgetMs: number, onLate?: () => void): Promise<string> {
    // A refresh still running from an earlier scrape is stuck on Redis: answer at once with what there is.
    if (this.refreshing) {
      onLate?.();
      return this.registry.metrics();
    }
    this.refreshing = refresh()
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      this.refreshing.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), budgetMs))),
    ]);
    clearTimeout(timer);
    if (late) onLate?.();
    return this.registry.metrics();
  }

  /** Refreshes gauges that are read from Redis at scrape time, then renders the text format. */
  async render(refresh?: () => Promise<void>): Promise<string> {
    if (refresh) await refresh();
    return this.registry.metrics();
  }
}

/**
 * Wraps a client so that each named method counts one `kind` in the counter when its call succeeds (a
 * failed call wrote nothing). Used for the Launchpad writes: the client stays the one place that writes,
 * and the count cannot drift from the calls actually made.
 */
export function countCalls<T extends object>(
  target: T,
  counter: Counter<"kind">,
  kinds: Partial<Record<keyof T & string, string>>,
): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== "function") return value;
      // Bound to the real object: private fields and `this` keep working through the proxy.
      const fn = value as (...args: unknown[]) => unknown;
      const kind = typeof prop === "string" ? kinds[prop as keyof T & string] : undefined;
      if (kind === undefined) return fn.bind(obj);
      return async (...args: unknown[]) => {
        const result = await fn.apply(obj, args);
        counter.inc({ kind });
        return result;
      };
    },
  });
}

let version: string | undefined;
function packageVersion(): string {
  try {
    version ??= (JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version?: string })
      .version;
  } catch {
    // A build info without a version beats a Metrics that cannot be made.
  }
  return version ?? "unknown";
}
