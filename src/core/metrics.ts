// Prometheus metrics (prom-client): one registry per bot, the families the Grafana dashboard reads.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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

  constructor(opts: { defaults?: boolean } = {}) {
    // The event-loop lag histogram at 100 ms, not prom-client's 10 ms: 70% of the idle bot's CPU was that sampler.
    if (opts.defaults ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
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
