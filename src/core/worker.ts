// BullMQ workers: one per queue, each job handed to its handler with a context (child logger, services).
import { DelayedError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { dependencyBackoffMs, dependencyOf } from "./dependencies.js";
import { rateLimitedLog, type Logger } from "./log.js";
import { RetryLaterError, errorMessage } from "./errors.js";
import type { QueueName, QueuePayloads } from "./queues.js";
import type { Metrics } from "./metrics.js";

export interface JobContext {
  log: Logger;
  jobId: string;
  attempt: number;
}

export type Handler<N extends QueueName> = (data: QueuePayloads[N], ctx: JobContext) => Promise<void>;
export type HandlerTable = { [N in QueueName]?: Handler<N> };

export interface WorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  log: Logger;
  /** Per-queue overrides, e.g. chat-out runs with low concurrency to keep message order. */
  concurrencyFor?: Partial<Record<QueueName, number>>;
  metrics?: Metrics;
  /** Lock duration and stalled-check interval (jobs.lockSeconds). */
  lockMs?: number;
}

export class Workers {
  private readonly workers: Worker[] = [];

  constructor(
    private readonly handlers: HandlerTable,
    private readonly opts: WorkerOptions,
  ) {}

  start(): void {
    const logError = rateLimitedLog(this.opts.log);
    for (const [name, handler] of Object.entries(this.handlers) as [QueueName, Handler<QueueName>][]) {
      const worker = new Worker(name, (job, token) => this.run(name, handler, job, token), {
        connection: this.opts.connection,
        prefix: this.opts.prefix,
        concurrency: this.opts.concurrencyFor?.[name] ?? this.opts.concurrency,
        // A worker killed mid-job leaves a stalled job; another worker picks it up after this long.
        lockDuration: this.opts.lockMs ?? 30_000,
        stalledInterval: this.opts.lockMs ?? 30_000,
        maxStalledCount: 2,
      });
      worker.on("failed", (job, err) => {
        const final =
          !job ||
          job.attemptsMade >= (job.opts.attempts ?? 1) ||
          err.name === "PermanentError" ||
          err.name === "UnrecoverableError";
        (final ? this.opts.metrics?.jobFailures : this.opts.metrics?.jobRetries)?.inc({ queue: name });
        this.opts.log.warn(
          { queue: name, jobId: job?.id, attempt: job?.attemptsMade, err: errorMessage(err) },
          "job failed",
        );
      });
      // With Redis down every blocked worker reports each reconnect: one line a minute per queue and error.
      worker.on("error", (err) =>
        logError("error", `${name}:${err.message}`, { queue: name, err: errorMessage(err) }, "worker error"),
      );
      this.workers.push(worker);
    }
  }

  private async run(name: QueueName, handler: Handler<QueueName>, job: Job, token?: string): Promise<void> {
    const eventId = (job.data as { id?: unknown }).id;
    const log = this.opts.log.child({
      queue: name,
      jobId: job.id,
      ...(typeof eventId === "string" ? { eventId } : {}),
    });
    const end = this.opts.metrics?.jobDuration.startTimer({ queue: name });
    try {
      await handler(job.data as QueuePayloads[QueueName], {
        log,
        jobId: job.id ?? "",
        attempt: job.attemptsMade + 1,
      });
    } catch (err) {
      if (err instanceof RetryLaterError && token) {
        const dependency = dependencyOf(err.message);
        if (dependency === undefined) {
          // A wait of our own (pacing, a grace period, a lock) is not a failure: wait as told, no attempt spent.
          log.info({ retryAfterMs: err.retryAfterMs }, err.message);
          await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
          throw new DelayedError();
        }
        // A dependency failing: no attempt is spent (the job must survive an outage), but it is counted,
        // backs off, and says why on the queue dashboard (the job's log) and in the job's progress.
        const consecutive = Math.max(0, (job.attemptsStarted ?? 1) - job.attemptsMade - 1);
        const delayMs = dependencyBackoffMs(err.retryAfterMs, consecutive);
        this.opts.metrics?.jobRetries.inc({ queue: name });
        this.opts.metrics?.dependencyErrors.inc({ dependency });
        log.warn({ dependency, delayMs, waits: consecutive + 1, err: err.message }, "job retrying");
        const why = `retrying: ${err.message}`;
        await job.log(`${new Date().toISOString()} ${why} (in ${Math.round(delayMs / 1000)} s)`);
        await job.updateProgress({ retrying: err.message, dependency, waits: consecutive + 1 });
        await job.moveToDelayed(Date.now() + delayMs, token);
        throw new DelayedError();
      }
      throw err;
    } finally {
      end?.();
    }
  }

  /**
   * Waits for running jobs to finish, then closes. Producers close before chat-out, so a reply made by
   * a finishing job still has a sender; whatever is left waits in Redis for the next start.
   */
  async close(graceMs = 30_000): Promise<void> {
    const last = this.workers.filter((w) => w.name === "chat-out");
    const first = this.workers.filter((w) => w.name !== "chat-out");
    const graceful = (async () => {
      await Promise.all(first.map((w) => w.close()));
      await Promise.all(last.map((w) => w.close()));
    })();
    // With Redis unreachable a graceful close never ends; after the grace period, force it. Jobs that
    // were running stay locked in Redis and are picked up again as stalled jobs: nothing is lost.
    if (!(await settlesWithin(graceful, graceMs))) {
      this.opts.log.warn({ graceMs }, "workers did not close in time; forcing");
      const forced = Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
      if (!(await settlesWithin(forced, 2000)))
        this.opts.log.warn("workers could not be closed; leaving them to the exit");
    }
    this.workers.length = 0;
  }
}

export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = p.then(
    () => true as const,
    () => true as const,
  );
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return result;
}
