// The weekly summary's BullMQ job scheduler: cron and time zone from config, one tick however many replicas.
import type { Queue } from "bullmq";
import type { SummaryConfig } from "./config.js";

/** One fixed scheduler id: every replica upserts the same one, so BullMQ keeps a single schedule. */
export const SUMMARY_SCHEDULER_ID = "weekly-summary";

/**
 * Creates or updates the schedule; a disabled or absent summary section removes it (a schedule left in
 * Redis from an earlier config would keep firing).
 */
export async function scheduleWeeklySummary(
  queue: Pick<Queue, "upsertJobScheduler" | "removeJobScheduler">,
  cfg: Pick<SummaryConfig, "enabled" | "cron" | "timezone"> | undefined,
): Promise<void> {
  if (!cfg?.enabled) {
    await queue.removeJobScheduler(SUMMARY_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(
    SUMMARY_SCHEDULER_ID,
    { pattern: cfg.cron, tz: cfg.timezone },
    {
      name: "weekly",
      data: {},
      // Retries are safe (sendWeekly sends each week once); a Redis or chat hiccup must not cost the week.
      opts: {
        attempts: 6,
        backoff: { type: "exponential", delay: 60_000 },
        removeOnComplete: { count: 20 },
        removeOnFail: { count: 50 },
      },
    },
  );
}
