// What both triage flows share: the deps and outcome types, the write budget, note posting and verdicts.
import type { Metrics } from "../../core/metrics.js";
import type { TriageCompletions } from "../../core/counters.js";
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import type { Bug, BugRef, BugTask } from "../../integrations/launchpad/client.js";
import { RetryLaterError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { bugForTriage } from "./bug-input.js";
import { evaluate, loadChecklist, type Checklist, type Verdict } from "./checklist.js";
import type { LaunchpadConfig } from "./config.js";
import { bugUrl, type FetchedBug, type TaskReader } from "./fetch.js";
import type { TriageNoteBug } from "./prompt.js";
import type { TriageStore } from "./state.js";

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

export type Fetched = FetchedBug & { task: BugTask };

/** The settings and helpers one triageFlow's new-bug and reply flows share. */
export interface TriageContext {
  deps: TriageBugDeps;
  cfg: LaunchpadConfig;
  cl: Checklist;
  now: () => number;
  dryRun: boolean;
  store: TriageStore;
  /** Posts a note to the triage room (idempotent by sendId), or logs it when there is no room. */
  note(log: Logger, text: string, sendId: string): Promise<void>;
  /** Reserves the flow's writes at once; a full window sends the job back to the queue until the next one. */
  budget(bug: number, n: number): Promise<void>;
  ignored(bug: number, reason: string): TriageOutcome;
  evaluateBug(d: Fetched): Verdict;
  noteBug(d: Fetched): TriageNoteBug;
}

export function triageContext(deps: TriageBugDeps): TriageContext {
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

  async function budget(bug: number, n: number): Promise<void> {
    const windowMs = cfg.pollMinutes * 60_000;
    const wait = await store.reserveWrites(n, cfg.maxWritesPerRun, windowMs, now());
    if (wait > 0) throw new RetryLaterError(`bug ${bug}: Launchpad write budget used up`, wait);
  }

  const ignored = (bug: number, reason: string): TriageOutcome => ({ bug, action: "ignored", reason });

  const evaluateBug = (d: Fetched): Verdict => evaluate(cl, bugForTriage(d), evalOpts);

  const noteBug = (d: Fetched): TriageNoteBug => ({ id: d.bug.id, title: d.bug.title, url: bugUrl(d.bug) });

  return { deps, cfg, cl, now, dryRun, store, note, budget, ignored, evaluateBug, noteBug };
}
