// Queue names, typed payloads and enqueueing with deterministic job ids (duplicates collapse).
import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { BotEvent } from "./events.js";
import { errorMessage } from "./errors.js";
import { createLogger, rateLimitedLog, type Logger } from "./log.js";
import { routesFor, type Route } from "./routes.js";
import { QUEUE_NAMES, type QueueName, type QueuePayloads } from "./queue-names.js";

export { QUEUE_NAMES, type FlushJob, type QueueName, type QueuePayloads } from "./queue-names.js";

export interface JobDefaults {
  attempts: number;
  backoffMs: number;
  keepDays: number;
}

/**
 * BullMQ reserves ':' in custom ids, so event ids (`gerrit:comment-added:…`) are stored with '|'.
 * The mapping is one-to-one for ids that contain no '|', which ours never do.
 */
export function jobIdFor(eventId: string): string {
  return eventId.replaceAll(":", "|");
}

export class Queues {
  private readonly queues = new Map<QueueName, Queue>();
  private logError?: ReturnType<typeof rateLimitedLog>;

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
    private readonly defaults: JobDefaults,
    private readonly settleMs = 0,
    /** Which event goes to which queue: src/features.ts assembles the table from the features. */
    private readonly routes: readonly Route[] = [],
    /** Where queue errors go (JSON, rate-limited); without it, a JSON logger on stderr. */
    private readonly log?: Logger,
  ) {}

  get(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Without a listener BullMQ prints each connection error with console.error: non-JSON lines, one per
      // reconnect attempt and queue, for as long as Redis is down.
      this.logError ??= rateLimitedLog((this.log ?? createLogger()).child({ component: "queues" }));
      const log = this.logError;
      q.on("error", (err: Error) =>
        log("warn", `${name}:${err.message}`, { queue: name, err: errorMessage(err) }, "queue error"),
      );
      this.queues.set(name, q);
    }
    return q;
  }

  jobOptions(jobId: string, extra: JobsOptions = {}): JobsOptions {
    const keepSeconds = Math.round(this.defaults.keepDays * 86400);
    return {
      jobId,
      attempts: this.defaults.attempts,
      // "retrying: <reason>" lines (the worker's) stay readable on the dashboard, and bounded in Redis.
      keepLogs: 20,
      backoff: { type: "exponential", delay: this.defaults.backoffMs, jitter: 0.3 },
      // Finished jobs are kept for keepDays: while a job is kept, a replay of its event id is a no-op.
      removeOnComplete: { age: keepSeconds },
      removeOnFail: { age: keepSeconds * 2 },
      ...extra,
    };
  }

  /** Enqueues an event on every queue its routes name. Returns the queues it went to. */
  async enqueueEvent(event: BotEvent, routes: readonly Route[] = this.routes): Promise<QueueName[]> {
    const targets = routesFor(event, routes);
    await Promise.all(
      targets.map((r) =>
        this.get(r.queue).add(
          event.kind,
          event,
          this.jobOptions(jobIdFor(event.id), r.settle && this.settleMs > 0 ? { delay: this.settleMs } : {}),
        ),
      ),
    );
    return targets.map((r) => r.queue);
  }

  async add<N extends QueueName>(
    name: N,
    jobName: string,
    data: QueuePayloads[N],
    jobId: string,
    extra: JobsOptions = {},
  ): Promise<void> {
    await this.get(name).add(jobName, data, this.jobOptions(jobIdFor(jobId), extra));
  }

  /** Resolves true once no queue has anything waiting, active or delayed; false after timeoutMs. */
  async idle(timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const counts = await this.counts();
      const busy = Object.values(counts).some(
        (c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) > 0,
      );
      if (!busy) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  async counts(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const name of QUEUE_NAMES) {
      out[name] = await this.get(name).getJobCounts("waiting", "active", "delayed", "completed", "failed");
    }
    return out;
  }

  /** Per queue, the creation time (ms) of the oldest job waiting or delayed; absent when there is none. */
  async oldestWaiting(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        // Oldest first; a re-delayed job keeps its creation time, so the first few of each list suffice.
        const jobs = await this.get(name).getJobs(["waiting", "delayed"], 0, 9, true);
        const times = jobs.map((j) => j?.timestamp).filter((t): t is number => typeof t === "number");
        if (times.length > 0) out[name] = Math.min(...times);
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
