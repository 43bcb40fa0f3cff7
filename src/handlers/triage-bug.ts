// Triage of Launchpad bugs: the first look at a new bug (ask the reporter once) and the re-check on a reply.
import type { Metrics } from "../metrics.js";
import { COUNTERS, type TriageCompletions } from "../summary/counters.js";
import type { ChatTarget, Outbox } from "../chat/outbox.js";
import type { Bug, BugRef, BugTask } from "../clients/launchpad.js";
import { RetryLaterError } from "../errors.js";
import type { Logger } from "../log.js";
import { bugForTriage, personName } from "../triage/bug-input.js";
import { evaluate, loadChecklist, type Checklist, type Verdict } from "../triage/checklist.js";
import type { LaunchpadConfig } from "../triage/config.js";
import type { LaunchpadBugNewEvent, LaunchpadBugRepliedEvent, LaunchpadEvent } from "../triage/events.js";
import { bugUrl, fetchBugAndTask, type FetchedBug, type TaskReader } from "../triage/fetch.js";
import {
  NOT_SET_REPLIED,
  describeWrite,
  dryRunLine,
  findMarkers,
  humanHandledReason,
  lastMessageDate,
  reporterMessagesAfter,
  takeoverDuringPrompt,
  takeoverOnReply,
  type PlannedWrite,
} from "../triage/flow.js";
import { renderComplete, renderPrompt, renderTriageNote } from "../triage/prompt.js";
import type { StepRecord, TriageStore } from "../triage/state.js";

/** The Launchpad calls the flow makes (LaunchpadClient fits). */
export interface TriageClient extends TaskReader {
  newMessage(ref: BugRef, content: string): Promise<{ selfLink: string }>;
  setStatus(task: string | BugTask, status: string): Promise<BugTask>;
  addTags(ref: BugRef, tags: string[]): Promise<Bug>;
  removeTags(ref: BugRef, tags: string[]): Promise<Bug>;
}

export interface TriageBugDeps {
  client: TriageClient;
  store: TriageStore;
  outbox: Outbox;
  /** The triage room; without one the notes are only logged. */
  room?: ChatTarget | undefined;
  config: LaunchpadConfig;
  /** Default: config.checklistFile, else the bundled checklist. */
  checklist?: Checklist;
  log: Logger;
  now?: () => number;
  /** The bot's counters the weekly summary reads (src/stats.ts). */
  stats?: { incr(counter: string, by?: number): Promise<void> };
  /** Prompt-to-completion times, for the summary's median. */
  completions?: Pick<TriageCompletions, "record">;
  metrics?: Pick<Metrics, "triageOutcomes">;
}

export type TriageOutcome =
  | { bug: number; action: "ignored"; reason: string }
  | { bug: number; action: "complete" }
  | { bug: number; action: "prompted"; missing: string[]; dryRun: boolean }
  | { bug: number; action: "reply-complete"; dryRun: boolean }
  | { bug: number; action: "reply-partial"; missing: string[] };

/** A flow holds its bug this long at most; a crashed job's lock expires and the retry takes it. */
const LOCK_MS = 5 * 60_000;
const BUSY_RETRY_MS = 30_000;

type Fetched = FetchedBug & { task: BugTask };

/**
 * The triage of one event, with its outcome (for tests and logs); `triageBug` is the queue's handler.
 * Every Launchpad write is recorded in the bug's step record right after
 * it succeeds, and the bot's marker in its own comments is checked too, so a job that crashed or was retried
 * half-way resumes where it stopped: nothing is ever posted twice.
 */
export function triageFlow(deps: TriageBugDeps) {
  const cfg = deps.config;
  const cl = deps.checklist ?? loadChecklist(cfg.checklistFile);
  const now = deps.now ?? Date.now;
  const dryRun = !cfg.writes;
  const evalOpts = { reporterAllowList: cfg.reporterAllowList, skipTags: [cfg.skipTag] };
  const { store } = deps;

  async function note(log: Logger, text: string, sendId: string): Promise<void> {
    if (deps.room) await deps.outbox.post(deps.room, { text }, sendId);
    else log.info({ note: text }, "triage note (no triage room configured)");
  }

  /** Reserves the flow's writes at once; a full window sends the job back to the queue until the next one. */
  async function budget(bug: number, n: number): Promise<void> {
    const windowMs = cfg.pollMinutes * 60_000;
    const wait = await store.reserveWrites(n, cfg.maxWritesPerRun, windowMs, now());
    if (wait > 0) throw new RetryLaterError(`bug ${bug}: Launchpad write budget used up`, wait);
  }

  const ignored = (bug: number, reason: string): TriageOutcome => ({ bug, action: "ignored", reason });

  const evaluateBug = (d: Fetched): Verdict => evaluate(cl, bugForTriage(d), evalOpts);

  const noteBug = (d: Fetched) => ({ id: d.bug.id, title: d.bug.title, url: bugUrl(d.bug) });

  // ---- a new bug: comment, then Incomplete, then the tag, then the triage room ----

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

  // ---- a reply: complete → tag off, New, thanks, room; partial → room only ----

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
      return event.kind === "launchpad.bug-new" ? await onNew(event, log) : await onReply(event, log);
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
