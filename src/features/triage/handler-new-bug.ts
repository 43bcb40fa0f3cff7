// The new-bug triage flow: ask the reporter once (comment, then Incomplete, then the tag, then the room).
import type { Verdict } from "./checklist.js";
import type { Logger } from "../../core/log.js";
import { personName } from "./bug-input.js";
import type { LaunchpadBugNewEvent } from "../../core/events.js";
import { fetchBugAndTask } from "./fetch.js";
import {
  NOT_SET_REPLIED,
  describeWrite,
  dryRunLine,
  findMarkers,
  humanHandledReason,
  reporterMessagesAfter,
  takeoverDuringPrompt,
  type PlannedWrite,
} from "./flow.js";
import { renderPrompt, renderTriageNote } from "./prompt.js";
import type { StepRecord } from "./state.js";
import type { Fetched, TriageContext, TriageOutcome } from "./handler-context.js";

export interface NewBugFlow {
  onNew(e: LaunchpadBugNewEvent, log: Logger): Promise<TriageOutcome>;
  recordPrompt(project: string, d: Fetched, steps: StepRecord, log: Logger): Promise<StepRecord>;
  finishPrompt(
    project: string,
    d: Fetched,
    steps: StepRecord,
    log: Logger,
    reserved: boolean,
  ): Promise<TriageOutcome>;
}

export function newBugFlow(t: TriageContext): NewBugFlow {
  const { deps, cfg, cl, now, dryRun, store, note, budget, ignored, evaluateBug, noteBug } = t;

  async function onNew(e: LaunchpadBugNewEvent, log: Logger): Promise<TriageOutcome> {
    const steps = await store.steps(e.bug);
    if (steps.new) return ignored(e.bug, `handled before (${steps.new})`);
    const d = await fetchBugAndTask(deps.client, e.project, e.bug);
    // Our prompt exists (recorded, or found by its marker after a crash before the record): resume.
    if (steps.prompt !== undefined || findMarkers(d.messages).prompt) {
      return finishPrompt(e.project, d, await recordPrompt(e.project, d, steps, log), log, false);
    }
    const who = { reporter: personName(d.bug.owner_link), botAccount: cfg.botAccount };
    const human = humanHandledReason(d.task, d.messages, who);
    const verdict = evaluateBug(d);
    const skip = human ?? verdict.skipped;
    if (skip) {
      await store.setSteps(e.bug, { new: `${human ? "human" : "skipped"}: ${skip}` });
      log.info({ reason: skip }, "bug left alone");
      return ignored(e.bug, skip);
    }
    if (verdict.complete) {
      await note(log, renderTriageNote(noteBug(d), verdict, { dryRun }), `triage:${e.bug}:new`);
      await store.setSteps(e.bug, { new: "complete" });
      return { bug: e.bug, action: "complete" };
    }
    if (dryRun) {
      const planned: PlannedWrite[] = [
        { kind: "comment", what: "prompt" },
        { kind: "status", to: "Incomplete" },
        { kind: "tags", add: cfg.tag },
      ];
      log.info(
        { missing: verdict.missing, writes: planned.map(describeWrite), prompt: renderPrompt(cl, verdict) },
        "dry-run: Launchpad writes not made",
      );
      const text = `${renderTriageNote(noteBug(d), verdict, { dryRun })}\n${dryRunLine(planned)}`;
      await note(log, text, `triage:${e.bug}:new`);
      await store.setSteps(e.bug, { new: "dry-run" });
      return { bug: e.bug, action: "prompted", missing: verdict.missing, dryRun: true };
    }
    await budget(e.bug, 3); // the comment, the status and the tag, reserved together
    const { selfLink } = await deps.client.newMessage(d.bug, renderPrompt(cl, verdict));
    const at = new Date(now()).toISOString();
    await store.setSteps(e.bug, { prompt: selfLink, missing: verdict.missing.join(","), promptedAt: at });
    await store.markPrompted(e.project, e.bug, at);
    log.info({ missing: verdict.missing }, "asked the reporter for the missing debug info");
    return finishPrompt(e.project, d, await store.steps(e.bug), log, true);
  }

  /** A prompt found by its marker but not recorded (a crash right after posting it): record it now. */
  async function recordPrompt(project: string, d: Fetched, steps: StepRecord, log: Logger) {
    if (steps.prompt !== undefined) return steps;
    const mk = findMarkers(d.messages).prompt;
    const at = mk?.message.date_created ?? new Date(now()).toISOString();
    const link = mk?.message.self_link ?? "";
    await store.setSteps(d.bug.id, { prompt: link, missing: (mk?.missing ?? []).join(","), promptedAt: at });
    await store.markPrompted(project, d.bug.id, at);
    log.info("found our prompt on the bug: not posting it again");
    return store.steps(d.bug.id);
  }

  /** The prompt's remaining steps, each skipped when recorded; stops where a human moved the bug on. */
  async function finishPrompt(
    project: string,
    d: Fetched,
    steps: StepRecord,
    log: Logger,
    reserved: boolean,
  ): Promise<TriageOutcome> {
    const bug = d.bug.id;
    const missing = (steps.missing ?? "").split(",").filter(Boolean);
    if (steps.status === undefined || steps.tag === undefined) {
      const why = takeoverDuringPrompt(d.task, steps);
      if (why) {
        await store.setSteps(bug, { new: `human after prompt: ${why}` });
        log.info({ reason: why }, "a human took the bug over after our prompt: stopping");
        return ignored(bug, `a human took over (${why})`);
      }
    }
    // An answer before our Incomplete: setting it now would bury the answer (the reply flow handles it).
    const reporter = personName(d.bug.owner_link);
    const answered = reporterMessagesAfter(d.messages, reporter, steps.promptedAt ?? "").length > 0;
    if (steps.status === undefined && answered && d.task.status === "New") {
      await store.setSteps(bug, { status: NOT_SET_REPLIED, tag: NOT_SET_REPLIED });
      steps = await store.steps(bug);
    }
    const needStatus = steps.status === undefined && d.task.status === "New";
    const needTag = steps.tag === undefined && !d.bug.tags.includes(cfg.tag);
    if (!reserved && (needStatus || needTag)) await budget(bug, Number(needStatus) + Number(needTag));
    if (steps.status === undefined) {
      // Always after the comment: any comment flips Incomplete to "with response" (doc §0.2).
      if (needStatus) await deps.client.setStatus(d.task, "Incomplete");
      await store.setSteps(bug, { status: "Incomplete" });
    }
    if (steps.tag === undefined) {
      if (needTag) await deps.client.addTags(d.bug, [cfg.tag]);
      await store.setSteps(bug, { tag: cfg.tag });
    }
    if (steps.note === undefined) {
      // The note names what the prompt asked for (its marker), whatever the bug says by now.
      const fresh = evaluateBug(d);
      const shown: Verdict = {
        complete: false,
        missing,
        present: fresh.present,
        partial: fresh.partial.filter((id) => missing.includes(id)),
        advisory: fresh.advisory,
      };
      let text = renderTriageNote(noteBug(d), shown, { dryRun: false });
      if (steps.status === NOT_SET_REPLIED) text += "\nThe reporter answered before it was set Incomplete.";
      await note(log, text, `triage:${bug}:new`);
      await store.setSteps(bug, { note: "sent" });
    }
    await store.setSteps(bug, { new: "prompted" });
    return { bug, action: "prompted", missing, dryRun: false };
  }

  return { onNew, recordPrompt, finishPrompt };
}
