// On change-merged: keeps the monorepo clone current and posts the recheck suggestion (or auto-recheck reply).
// On comment-added: a Zuul check report is recorded (which jobs ran, for which files).
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import type { GerritEvent } from "../../core/events.js";
import type { Handler } from "../../core/worker.js";

/** What the handler needs of AffectedService. */
export interface MergeSuggester {
  suggestOnMerge(event: GerritEvent, opts: { commandPrefix?: string }): Promise<string | null>;
  /** Absent: reports are not recorded. */
  observeReport?(event: GerritEvent): Promise<boolean>;
}

export interface SuggestRechecksDeps {
  service: MergeSuggester;
  outbox: Outbox;
  /** The room of `recheck.suggestOnMerge.room`; without it the handler only keeps the clone current. */
  target?: ChatTarget;
  commandPrefix: string;
}

/**
 * A handler for queues carrying BotEvents (the relay queue, or a dedicated one routed
 * `gerrit.change-merged`). The send id is derived from the event id, so a retried job never posts twice;
 * rechecks themselves are deduplicated in Redis by the service.
 */
export function suggestRechecks(deps: SuggestRechecksDeps): Handler<"merges"> {
  return async (event, ctx) => {
    if (event.source === "gerrit" && event.kind === "gerrit.comment-added") {
      const seen = await deps.service.observeReport?.(event);
      if (seen) ctx.log.debug({ change: event.change?.number }, "zuul check report recorded");
      return;
    }
    if (event.source !== "gerrit" || event.kind !== "gerrit.change-merged") return;
    const text = await deps.service.suggestOnMerge(event, { commandPrefix: deps.commandPrefix });
    if (!text || !deps.target) {
      ctx.log.debug({ change: event.change?.number, suggested: Boolean(text) }, "merge checked for rechecks");
      return;
    }
    await deps.outbox.post(deps.target, { text }, `suggest-rechecks:${event.id}`);
    ctx.log.info({ change: event.change?.number }, "recheck suggestion queued");
  };
}
