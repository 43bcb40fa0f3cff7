// The reply triage flow: complete → tag off, New, thanks, room; partial → room only (the reporter is asked once).
import type { Verdict } from "./checklist.js";
import type { Logger } from "../../core/log.js";
import { personName } from "./bug-input.js";
import type { LaunchpadBugRepliedEvent } from "../../core/events.js";
import { fetchBugAndTask } from "./fetch.js";
import {
  describeWrite,
  dryRunLine,
  findMarkers,
  lastMessageDate,
  reporterMessagesAfter,
  takeoverOnReply,
  type PlannedWrite,
} from "./flow.js";
import { renderComplete, renderTriageNote } from "./prompt.js";
import type { StepRecord } from "./state.js";
import type { Fetched, TriageContext, TriageOutcome } from "./handler-context.js";
import type { NewBugFlow } from "./handler-new-bug.js";

export interface ReplyFlow {
  onReply(e: LaunchpadBugRepliedEvent, log: Logger): Promise<TriageOutcome>;
}

/** `newBug` finishes a prompt the new-bug flow left half-way before the reply is looked at. */
export function replyFlow(
  t: TriageContext,
  newBug: Pick<NewBugFlow, "recordPrompt" | "finishPrompt">,
): ReplyFlow {
  const { deps, cfg, cl, dryRun, store, note, budget, ignored, evaluateBug, noteBug } = t;
  const { recordPrompt, finishPrompt } = newBug;

  async function onReply(e: LaunchpadBugRepliedEvent, log: Logger): Promise<TriageOutcome> {
    let steps = await store.steps(e.bug);
    if (steps.complete === "done") return ignored(e.bug, "already complete");
    if (steps[`reply:${e.lastMessageAt}`]) return ignored(e.bug, "reply already noted");
    const d = await fetchBugAndTask(deps.client, e.project, e.bug);
    if (steps.prompt === undefined && !findMarkers(d.messages).prompt) {
      return ignored(e.bug, "the bot never prompted on this bug");
    }
    // The new-bug flow stopped half-way (and has not resumed yet): finish it first, then look at the reply.
    if (steps.new === undefined) {
      steps = await recordPrompt(e.project, d, steps, log);
      const done = await finishPrompt(e.project, d, steps, log, false);
      if (done.action === "ignored") return done;
      return onReply(e, log); // re-read: our own steps changed the bug
    }
    const resuming = steps.complete === "started";
    if (!resuming) {
      const why = takeoverOnReply(d.task, d.bug.tags, steps, cfg.tag);
      if (why) {
        await store.unmarkPrompted(e.project, e.bug);
        await store.setSteps(e.bug, { complete: `human: ${why}` });
        log.info({ reason: why }, "a human took the bug over: left alone");
        return ignored(e.bug, why);
      }
      const reporter = personName(d.bug.owner_link);
      if (reporterMessagesAfter(d.messages, reporter, steps.promptedAt ?? "").length === 0) {
        const last = lastMessageDate(d.messages);
        if (last) await store.advanceWatermark(e.project, e.bug, last);
        return ignored(e.bug, "no new message by the reporter");
      }
    }
    const verdict = evaluateBug(d);
    if (resuming || verdict.complete) return replyComplete(e, d, steps, verdict, log);

    await note(
      log,
      renderTriageNote(noteBug(d), verdict, { dryRun, stage: "reply" }),
      `triage:${e.bug}:reply:${e.lastMessageAt}`,
    );
    await store.setSteps(e.bug, { [`reply:${e.lastMessageAt}`]: verdict.missing.join(",") || "-" });
    const last = lastMessageDate(d.messages);
    if (last) await store.advanceWatermark(e.project, e.bug, last);
    log.info({ missing: verdict.missing }, "reply still incomplete: triagers told, reporter not asked again");
    return { bug: e.bug, action: "reply-partial", missing: verdict.missing };
  }

  async function replyComplete(
    e: LaunchpadBugRepliedEvent,
    d: Fetched,
    steps: StepRecord,
    verdict: Verdict,
    log: Logger,
  ): Promise<TriageOutcome> {
    const complete: Verdict = { ...verdict, complete: true, missing: [], partial: [] };
    const needTag = d.bug.tags.includes(cfg.tag);
    const needStatus = d.task.status === "Incomplete";
    const needThanks = steps["complete:thanks"] === undefined && !findMarkers(d.messages).complete;
    const planned: PlannedWrite[] = [
      ...(needTag ? [{ kind: "tags", remove: cfg.tag } as const] : []),
      ...(needStatus ? [{ kind: "status", to: "New" } as const] : []),
      ...(needThanks ? [{ kind: "comment", what: "thanks" } as const] : []),
    ];
    if (dryRun) {
      log.info({ writes: planned.map(describeWrite) }, "dry-run: Launchpad writes not made");
      const text = `${renderTriageNote(noteBug(d), complete, { dryRun, stage: "reply" })}\n${dryRunLine(planned)}`;
      await note(log, text, `triage:${e.bug}:complete`);
      await store.setSteps(e.bug, { [`reply:${e.lastMessageAt}`]: "dry-run: complete" });
      return { bug: e.bug, action: "reply-complete", dryRun: true };
    }
    await budget(e.bug, planned.length);
    // From here on a resumed job finishes this flow even though our own writes look like a human's.
    await store.setSteps(e.bug, { complete: "started" });
    if (needTag) await deps.client.removeTags(d.bug, [cfg.tag]);
    if (needStatus) await deps.client.setStatus(d.task, "New");
    // The thanks comes after New: on an Incomplete bug it would count as a response (doc §0.2).
    if (needThanks) await deps.client.newMessage(d.bug, renderComplete(cl));
    await store.setSteps(e.bug, { "complete:thanks": "sent" });
    if (steps["complete:note"] === undefined) {
      const text = renderTriageNote(noteBug(d), complete, { dryRun: false, stage: "reply" });
      await note(log, text, `triage:${e.bug}:complete`);
      await store.setSteps(e.bug, { "complete:note": "sent" });
    }
    await store.setSteps(e.bug, { complete: "done" });
    await store.unmarkPrompted(e.project, e.bug);
    log.info("reply completed the debug info: back to New, triagers told");
    return { bug: e.bug, action: "reply-complete", dryRun: false };
  }

  return { onReply };
}
