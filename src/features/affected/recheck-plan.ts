// Pure: which open changes a recheck run (`!recheck-affected`, or an event such as an image move) rechecks
// and why the others are skipped. The data types are in recheck-types.ts and the texts in recheck-render.ts;
// both are re-exported here, where callers have always imported them from.
import { z } from "zod";
import type { ChangeInfo } from "../../integrations/gerrit/client.js";
import type { AffectedReport } from "./render.js";
import type { MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import { matchesInput } from "./affected.js";
import { failingOutcome, gerritDate } from "./change-state.js";
import { unfixableByRecheck } from "../../integrations/monorepo/zuul-report.js";
import {
  isChangeTrigger,
  type CandidateChange,
  type Dependency,
  type Decision,
  type RecheckPlan,
  type SkipReason,
  type Trigger,
  type TriggerChange,
  type Vote,
} from "./recheck-types.js";

export * from "./recheck-types.js";
export {
  recheckMessage,
  renderRecheckReply,
  renderSuggestion,
  worthReporting,
  type ReplyOptions,
  type SuggestionInput,
} from "./recheck-render.js";

export interface PlanOptions {
  /** Every change that shares a charm, not only those with a failing Verified vote. */
  all: boolean;
  /** Voters whose Verified vote counts (case-insensitive); empty: every voter. */
  ciAccounts: readonly string[];
  /** At most this many rechecks; the rest are skipped as over the cap. */
  max: number;
  /** The time the plan is made for (freshness is measured from it); default now. */
  now?: Date;
  /** Failures reported longer ago than this are skipped as stale (recheck.maxFailureAgeHours). */
  maxFailureAgeHours?: number;
}

/**
 * The Redis-side key part that makes a recheck (or suggestion) happen once per failing patch set, whatever
 * the trigger: the history showed the same failure suggested up to 77 times when the trigger was part of it.
 */
export function doneKey(change: number, patchSet: number): string {
  return `${change}:${patchSet}`;
}

/** How `change` depends on the trigger change, if it does. */
export function dependencyOn(trigger: Trigger, change: CandidateChange): Dependency | undefined {
  if (!isChangeTrigger(trigger) || !change.ci) return undefined;
  const d = change.ci.dependsOn;
  if (d.numbers.includes(trigger.number)) return "depends-on";
  if (trigger.changeId && d.changeIds.includes(trigger.changeId)) return "depends-on";
  if (trigger.revision && change.ci.parents.includes(trigger.revision)) return "parent";
  return undefined;
}

/** Whether the current patch set's check failed: Zuul's last report on it, else (no report read) the vote. */
export function checkFailing(change: CandidateChange, ciAccounts: readonly string[]): boolean {
  const last = change.ci?.lastReport;
  if (last) return failingOutcome(last.outcome);
  return isFailing(change.verified, ciAccounts);
}

/** When the failure was reported: the last report, else the failing vote's date. */
function failedAt(change: CandidateChange, ciAccounts: readonly string[]): Date | undefined {
  const at =
    change.ci?.lastReport?.date ?? change.verified.find((v) => v.value < 0 && counted(v, ciAccounts))?.date;
  const d = at ? new Date(at) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

const counted = (v: Vote, ciAccounts: readonly string[]) =>
  ciAccounts.length === 0 || ciAccounts.some((a) => a.toLowerCase() === v.account.toLowerCase());

function age(ms: number): string {
  const h = ms / 3_600_000;
  return h < 48 ? `${Math.round(h)} h ago` : `${Math.round(h / 24)} days ago`;
}

export const DEFAULT_MAX_FAILURE_AGE_HOURS = 24;

const VERIFIED = "Verified";

const ApprovalSchema = z.looseObject({
  value: z.number().optional(),
  _account_id: z.number().optional(),
  username: z.string().optional(),
  name: z.string().optional(),
  email: z.string().optional(),
  date: z.string().optional(),
});
const LabelsSchema = z.record(z.string(), z.looseObject({ all: z.array(ApprovalSchema).optional() }));

/**
 * Verified votes on the current patch set, from DETAILED_LABELS (Gerrit lists labels for the current
 * patch set only, one entry per voter with their latest value; a 0 or missing value is no vote).
 */
export function verifiedVotes(change: ChangeInfo): Vote[] {
  const parsed = LabelsSchema.safeParse((change as { labels?: unknown }).labels ?? {});
  if (!parsed.success) return [];
  return (parsed.data[VERIFIED]?.all ?? [])
    .filter((a) => a.value !== undefined && a.value !== 0)
    .map((a) => ({
      account: a.username ?? a.name ?? a.email ?? `#${a._account_id ?? "?"}`,
      value: a.value ?? 0,
      ...(a.date ? { date: gerritDate(a.date)?.toISOString() ?? a.date } : {}),
    }));
}

/**
 * Charms the change affects although it touches none of their directories: what it changed is a
 * shared input (ops-sunbeam, a lib, a template, the top-level rebuild). A change inside one charm's
 * own directory affects that charm only and fixes nobody else's failures. Returns their reasons.
 */
export function sharedInputs(report: AffectedReport, model: MonorepoModel): string[] {
  const dirs = new Map(model.charms.map((c) => [c.name, `${c.dir}/`]));
  const others = report.charms.filter((name) => {
    const dir = dirs.get(name);
    return !dir || !report.files.some((f) => f.startsWith(dir));
  });
  const reasons = new Set<string>();
  for (const name of others) for (const r of report.reasons[name] ?? []) reasons.add(r);
  return [...reasons].sort();
}

/** Whether a file is a global input of the layout (ops-sunbeam, the top-level rebuild): it affects every charm. */
export function touchesGlobalInput(files: readonly string[], model: MonorepoModel): boolean {
  const l = model.layout;
  return files.some((f) => f === l.rebuildFile || l.globalInputs.some((g) => matchesInput(f, g.path)));
}

/** A failing Zuul vote: Verified −1 or −2 by a counted account on the current patch set. */
export function isFailing(votes: readonly Vote[], ciAccounts: readonly string[]): boolean {
  const counted = new Set(ciAccounts.map((a) => a.toLowerCase()));
  return votes.some((v) => v.value < 0 && (counted.size === 0 || counted.has(v.account.toLowerCase())));
}

/**
 * Decides per candidate. Dependents of a trigger change come first, then the given order (the caller
 * passes Gerrit's, most recently updated first, so the cap keeps the changes people are working on).
 * `done` holds `doneKey`s of failing patch sets already rechecked or suggested; `cooling` the change
 * numbers rechecked recently for any trigger; `batch` those rechecked moments ago for another trigger of
 * the same run (several images moved in one poll: one recheck builds with all of them).
 * The rules, and the figures behind them, are in docs/affected.md.
 */
export function planRechecks(
  trigger: Trigger,
  candidates: readonly CandidateChange[],
  opts: PlanOptions,
  done: ReadonlySet<string>,
  cooling: ReadonlySet<number> = new Set(),
  batch: ReadonlySet<number> = new Set(),
): RecheckPlan {
  const mine = new Set(trigger.charms);
  const global = isChangeTrigger(trigger) && trigger.global === true;
  const now = (opts.now ?? new Date()).getTime();
  const maxAge = (opts.maxFailureAgeHours ?? DEFAULT_MAX_FAILURE_AGE_HOURS) * 3_600_000;
  const withDep = candidates.map((change) => ({ change, dep: dependencyOn(trigger, change) }));
  const ordered = [...withDep.filter((c) => c.dep), ...withDep.filter((c) => !c.dep)];
  let planned = 0;
  const decisions = ordered.map(({ change, dep }): Decision => {
    const own = change.charms.filter((c) => mine.has(c));
    const fresh = [...(global ? (change.newCharms ?? []) : []), ...(change.newCharmsAffected ?? [])];
    const shared = [...new Set([...own, ...fresh])].sort();
    const extra = dep ? { dependency: dep } : {};
    const skip = (reason: SkipReason, detail?: string): Decision => ({
      change,
      shared,
      action: "skip",
      reason,
      ...(detail ? { detail } : {}),
      ...extra,
    });
    if (isChangeTrigger(trigger) && change.number === trigger.number) return skip("trigger");
    if (!dep && shared.length === 0) return skip("no-shared-charm");
    const ci = change.ci;
    if (ci?.wip) return skip("wip");
    if (ci?.private) return skip("private");
    const failing = checkFailing(change, opts.ciAccounts);
    if (!opts.all && !failing) return skip("not-failing");
    const last = ci?.lastReport;
    // Only a rebase, a config fix or another change helps; a dependent's dependency problem is what merged.
    if (last && unfixableByRecheck(last.outcome) && !(dep && last.outcome === "dependency")) {
      const reason =
        last.outcome === "merge-conflict"
          ? "merge-conflict"
          : last.outcome === "config-error"
            ? "config-error"
            : "dependency-failed";
      return skip(reason, last.reason?.slice(0, 80));
    }
    if (failing) {
      const at = failedAt(change, opts.ciAccounts);
      if (at && now - at.getTime() > maxAge) return skip("stale", `failed ${age(now - at.getTime())}`);
      if (ci?.recheckedAfter) return skip("rechecked-since", `by ${ci.recheckedAfter.by}`);
    }
    if (done.has(doneKey(change.number, change.patchSet))) return skip("already-rechecked");
    if (batch.has(change.number)) return skip("in-batch");
    if (cooling.has(change.number)) return skip("cooldown");
    if (planned >= opts.max) return skip("over-cap");
    planned++;
    return { change, shared, action: "recheck", ...extra };
  });
  return { trigger, decisions };
}

/** Turns a planned recheck into a skip (rate limit, lost race, failed post) after the fact. */
export function markSkipped(d: Decision, reason: SkipReason, detail?: string): Decision {
  return {
    change: d.change,
    shared: d.shared,
    action: "skip",
    reason,
    ...(detail ? { detail } : {}),
    ...(d.dependency ? { dependency: d.dependency } : {}),
  };
}

/** The trigger of a run after a change: the change a report answered for, and the charms it affects. */
export function changeTrigger(
  report: {
    change: NonNullable<AffectedReport["change"]>;
    charms: readonly string[];
    files?: readonly string[];
  },
  model?: MonorepoModel,
  changeId?: string,
): TriggerChange {
  const t = report.change;
  const global = model ? touchesGlobalInput(report.files ?? [], model) : false;
  return {
    number: t.number,
    project: t.project,
    branch: t.branch,
    revision: t.revision,
    ...(changeId ? { changeId } : {}),
    ...(global ? { global } : {}),
    ...(t.subject ? { subject: t.subject } : {}),
    ...(t.url ? { url: t.url } : {}),
    charms: report.charms,
  };
}
