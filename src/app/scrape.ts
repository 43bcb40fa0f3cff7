// What /metrics reads at scrape time (queue depths, oldest job, readiness, chat links), within a budget.
import type { Metrics } from "../core/metrics.js";
import { QUEUE_NAMES, type Queues } from "../core/queues.js";

export interface ScrapedBot {
  readonly metrics: Metrics;
  readonly queues: Queues;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  /** Per network, whether this process holds its connection (standbys: false). */
  chatConnected?(): Record<string, boolean>;
}

/** A scrape answers within this: Prometheus' default timeout is 10 s, the probes' 3 s. */
export const SCRAPE_BUDGET_MS = 800;

/** Reads Redis and the bot's state into the gauges. Never throws; a slow Redis is the budget's business. */
export async function refreshGauges(bot: ScrapedBot, nowMs = Date.now()): Promise<void> {
  const m = bot.metrics;
  for (const [network, up] of Object.entries(bot.chatConnected?.() ?? {}))
    m.chatConnected.set({ network }, up ? 1 : 0);
  const [counts, oldest, ready] = await Promise.all([
    bot.queues.counts(),
    bot.queues.oldestWaiting(),
    bot.readiness().catch(() => ({ ready: false, checks: { redis: false } })),
  ]);
  for (const [queue, c] of Object.entries(counts)) {
    for (const [state, n] of Object.entries(c)) m.jobs.set({ queue, state }, n);
  }
  for (const queue of QUEUE_NAMES) {
    const t = oldest[queue];
    m.oldestWaiting.set({ queue }, t === undefined ? 0 : Math.max(0, (nowMs - t) / 1000));
  }
  for (const [check, ok] of Object.entries(ready.checks)) m.readyCheck.set({ check }, ok ? 1 : 0);
  m.redisUp.set(ready.checks.redis === false ? 0 : 1);
}

/** The /metrics body: fresh when Redis answers within the budget, the last values (redis_up 0) when not. */
export function scrapeMetrics(bot: ScrapedBot, budgetMs = SCRAPE_BUDGET_MS): Promise<string> {
  return bot.metrics.renderWithin(
    () => refreshGauges(bot),
    budgetMs,
    () => bot.metrics.redisUp.set(0),
  );
}
