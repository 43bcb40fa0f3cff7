// Weekly-summary job handler: a scheduler tick sends this week's cycle-action summary (once per week).
import { ConfigError } from "../../core/config-load.js";
import { PermanentError } from "../../core/errors.js";
import type { WeeklyResult } from "./service.js";
import type { JobContext } from "../../core/worker.js";

export interface WeeklySummaryDeps {
  sendWeekly(at?: Date): Promise<WeeklyResult>;
}

/**
 * The `summary` queue's handler (assignable to Handler<"summary">; the payload carries nothing: the week
 * is the one the tick runs in). A broken actions file cannot fix itself between retries: fail at once.
 */
export function weeklySummary(deps: WeeklySummaryDeps): (data: unknown, ctx: JobContext) => Promise<void> {
  return async (_data, ctx) => {
    try {
      const r = await deps.sendWeekly();
      ctx.log.info(
        { week: r.week, sent: r.sent, skipped: r.skipped, unavailable: r.unavailable },
        r.sent.length ? "weekly summary sent" : "weekly summary: nothing to send",
      );
    } catch (err) {
      if (err instanceof ConfigError) throw new PermanentError(err.message);
      throw err;
    }
  };
}
