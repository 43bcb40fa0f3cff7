// Pure: which open changes a recheck run (`!recheck-affected`, or an event such as an image move) rechecks
// and why the others are skipped. The data types are in recheck-types.ts and the texts in recheck-render.ts;
// both are re-exported here, where callers have always imported them from.
import { z } from "zod";
import type { ChangeInfo } from "../../integrations/gerrit/client.js";
import type { AffectedReport } from "./render.js";
import type { MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import {
  isChangeTrigger,
  triggerId,
  type CandidateChange,
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
}

/** The Redis-side key part that makes a recheck happen once per (change, patch set, trigger). */
export function doneKey(change: number, patchSet: number, trigger: number | string): string {
  return `${change}:${patchSet}:${trigger}`;
}

const VERIFIED = "Verified";

const ApprovalSchema = z.looseObject({
  value: z.number().optional(),
  _account_id: z.number().optional(),
  username: z.string().optional(),
  name: z.string().optional(),
  email: z.string().optional(),
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

/** A failing Zuul vote: Verified −1 or −2 by a counted account on the current patch set. */
export function isFailing(votes: readonly Vote[], ciAccounts: readonly string[]): boolean {
  const counted = new Set(ciAccounts.map((a) => a.toLowerCase()));
  return votes.some((v) => v.value < 0 && (counted.size === 0 || counted.has(v.account.toLowerCase())));
}

/**
 * Decides per candidate, in the given order (the caller passes Gerrit's, most recently updated first, so
 * the cap keeps the changes people are working on). `done` holds `doneKey`s already recorded; `cooling`
 * the change numbers rechecked recently for any trigger; `batch` those rechecked moments ago for another
 * trigger of the same run (several images moved in one poll: one recheck builds with all of them).
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
  const id = triggerId(trigger);
  let planned = 0;
  const decisions = candidates.map((change): Decision => {
    const shared = [...new Set(change.charms.filter((c) => mine.has(c)))].sort();
    const skip = (reason: SkipReason): Decision => ({ change, shared, action: "skip", reason });
    if (isChangeTrigger(trigger) && change.number === trigger.number) return skip("trigger");
    if (shared.length === 0) return skip("no-shared-charm");
    if (!opts.all && !isFailing(change.verified, opts.ciAccounts)) return skip("not-failing");
    if (done.has(doneKey(change.number, change.patchSet, id))) return skip("already-rechecked");
    if (batch.has(change.number)) return skip("in-batch");
    if (cooling.has(change.number)) return skip("cooldown");
    if (planned >= opts.max) return skip("over-cap");
    planned++;
    return { change, shared, action: "recheck" };
  });
  return { trigger, decisions };
}

/** Turns a planned recheck into a skip (rate limit, lost race, failed post) after the fact. */
export function markSkipped(d: Decision, reason: SkipReason, detail?: string): Decision {
  return { change: d.change, shared: d.shared, action: "skip", reason, ...(detail ? { detail } : {}) };
}

/** The trigger of a run after a change: the change a report answered for, and the charms it affects. */
export function changeTrigger(report: {
  change: NonNullable<AffectedReport["change"]>;
  charms: readonly string[];
}): TriggerChange {
  const t = report.change;
  return {
    number: t.number,
    project: t.project,
    branch: t.branch,
    ...(t.subject ? { subject: t.subject } : {}),
    ...(t.url ? { url: t.url } : {}),
    charms: report.charms,
  };
}
