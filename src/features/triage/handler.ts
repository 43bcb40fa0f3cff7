// Triage of Launchpad bugs: the first look at a new bug (ask the reporter once) and the re-check on a reply.
import { COUNTERS } from "../../core/counters.js";
import { RetryLaterError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import type { LaunchpadEvent } from "../../core/events.js";
import { triageContext, type TriageBugDeps, type TriageOutcome } from "./handler-context.js";
import { newBugFlow } from "./handler-new-bug.js";
import { replyFlow } from "./handler-reply.js";

// The public types live with the helpers both flows share; importers keep importing them from here.
export type { TriageBugDeps, TriageClient, TriageOutcome } from "./handler-context.js";

/** A flow holds its bug this long at most; a crashed job's lock expires and the retry takes it. */
const LOCK_MS = 5 * 60_000;
const BUSY_RETRY_MS = 30_000;

/**
 * The triage of one event, with its outcome (for tests and logs); `triageBug` is the queue's handler.
 * Every Launchpad write is recorded in the bug's step record right after
 * it succeeds, and the bot's marker in its own comments is checked too, so a job that crashed or was retried
 * half-way resumes where it stopped: nothing is ever posted twice.
 */
export function triageFlow(deps: TriageBugDeps) {
  const t = triageContext(deps);
  const { cfg, now, store } = t;
  const newBug = newBugFlow(t);
  const reply = replyFlow(t, newBug);

  return async (event: LaunchpadEvent, ctx: { log?: Logger } = {}): Promise<TriageOutcome> => {
    const log = (ctx.log ?? deps.log).child({ bug: event.bug, project: event.project });
    if (event.kind === "launchpad.bug-new") {
      // Attachments arrive as separate messages after the report: look only once the grace period is over.
      const wait = Date.parse(event.createdAt) + cfg.graceMinutes * 60_000 - now();
      if (wait > 0) throw new RetryLaterError(`bug ${event.bug}: grace period after filing`, wait);
    }
    const token = await store.lock(event.bug, LOCK_MS);
    if (token === null)
      throw new RetryLaterError(`bug ${event.bug}: another triage job holds it`, BUSY_RETRY_MS);
    try {
      return event.kind === "launchpad.bug-new"
        ? await newBug.onNew(event, log)
        : await reply.onReply(event, log);
    } finally {
      await store.unlock(event.bug, token);
    }
  };
}

/** The handler of the triage queue (`Handler<"triage">` once the queue carries LaunchpadEvent). */
export function triageBug(deps: TriageBugDeps) {
  const flow = triageFlow(deps);
  const now = deps.now ?? Date.now;
  return async (event: LaunchpadEvent, ctx: { log?: Logger } = {}): Promise<void> => {
    const out = await flow(event, ctx);
    (ctx.log ?? deps.log).debug({ outcome: out }, "triage done");
    deps.metrics?.triageOutcomes.inc({
      outcome: "dryRun" in out && out.dryRun ? `${out.action}-dry-run` : out.action,
    });
    // Only real writes count: a dry run asks nobody and completes nothing.
    if (out.action === "prompted" && !out.dryRun) await deps.stats?.incr(COUNTERS.prompted);
    if (out.action === "reply-complete" && !out.dryRun) {
      await deps.stats?.incr(COUNTERS.completed);
      const promptedAt = Date.parse((await deps.store.steps(out.bug)).promptedAt ?? "");
      if (Number.isFinite(promptedAt))
        await deps.completions?.record(out.bug, new Date(promptedAt), new Date(now()));
    }
  };
}
