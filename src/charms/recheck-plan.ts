// Pure: which open changes a `!recheck-affected` run rechecks and why the others are skipped; its texts.
import { z } from "zod";
import type { ChangeInfo } from "../clients/gerrit.js";
import type { AffectedReport } from "./affected-render.js";
import type { MonorepoModel } from "./monorepo.js";

export interface Vote {
  /** Gerrit username (else name, e-mail or `#<account id>`) of the voter. */
  account: string;
  value: number;
}

export interface CandidateChange {
  number: number;
  project: string;
  branch: string;
  patchSet: number;
  revision: string;
  subject?: string;
  url?: string;
  /** Charms the change affects (declared dependencies, on the branch-head model). */
  charms: readonly string[];
  /** Verified votes on the current patch set. */
  verified: readonly Vote[];
}

export interface TriggerChange {
  number: number;
  project: string;
  branch: string;
  subject?: string;
  url?: string;
  /** Charms the trigger affects. */
  charms: readonly string[];
}

export interface PlanOptions {
  /** Every change that shares a charm, not only those with a failing Verified vote. */
  all: boolean;
  /** Voters whose Verified vote counts (case-insensitive); empty: every voter. */
  ciAccounts: readonly string[];
  /** At most this many rechecks; the rest are skipped as over the cap. */
  max: number;
}

/** Why a change is not rechecked, in the order they are tested (and listed in the reply). */
export const SKIP_REASONS = [
  "trigger",
  "no-shared-charm",
  "not-failing",
  "already-rechecked",
  "cooldown",
  "over-cap",
  "rate-limited",
  "post-failed",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Decision =
  | { change: CandidateChange; shared: string[]; action: "recheck" }
  | { change: CandidateChange; shared: string[]; action: "skip"; reason: SkipReason; detail?: string };

export interface RecheckPlan {
  trigger: TriggerChange;
  decisions: Decision[];
}

/** The Redis-side key part that makes a recheck happen once per (change, patch set, trigger). */
export function doneKey(change: number, patchSet: number, trigger: number): string {
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
 * the change numbers rechecked recently for any trigger.
 */
export function planRechecks(
  trigger: TriggerChange,
  candidates: readonly CandidateChange[],
  opts: PlanOptions,
  done: ReadonlySet<string>,
  cooling: ReadonlySet<number> = new Set(),
): RecheckPlan {
  const mine = new Set(trigger.charms);
  let planned = 0;
  const decisions = candidates.map((change): Decision => {
    const shared = [...new Set(change.charms.filter((c) => mine.has(c)))].sort();
    const skip = (reason: SkipReason): Decision => ({ change, shared, action: "skip", reason });
    if (change.number === trigger.number) return skip("trigger");
    if (shared.length === 0) return skip("no-shared-charm");
    if (!opts.all && !isFailing(change.verified, opts.ciAccounts)) return skip("not-failing");
    if (done.has(doneKey(change.number, change.patchSet, trigger.number))) return skip("already-rechecked");
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

const link = (c: { number: number; url?: string }) => (c.url ? `[${c.number}](${c.url})` : `${c.number}`);

function names(list: readonly string[], max: number): string {
  const shown = list.slice(0, max).join(", ");
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

/**
 * The Gerrit comment: it must begin with `recheck` (OpenDev's check trigger anchors at the start), then
 * says who asked and why, so the change owner is not left guessing.
 */
export function recheckMessage(trigger: TriggerChange, requester: string, shared: readonly string[]): string {
  const what = trigger.url ? `${trigger.number} (${trigger.url})` : `change ${trigger.number}`;
  const subject = trigger.subject ? `: "${trigger.subject}"` : "";
  return [
    "recheck",
    "",
    `Requested by ${requester} via sunbeam-bot after ${what}${subject}, which affects charms this change ` +
      `also affects: ${names(shared, 10)}.`,
  ].join("\n");
}

export interface ReplyOptions {
  dryRun: boolean;
  all: boolean;
  /** The per-command cap, for the "over the cap" line. */
  max: number;
  /** Changes listed per skip reason before "and N more". */
  maxListed?: number;
}

function reasonText(reason: SkipReason, o: ReplyOptions, trigger: number): string {
  switch (reason) {
    case "trigger":
      return "the trigger change itself";
    case "no-shared-charm":
      return "no charm in common";
    case "not-failing":
      return "no failing Verified vote on the current patch set (use --all to include them)";
    case "already-rechecked":
      return `already rechecked for ${trigger} at this patch set`;
    case "cooldown":
      return "rechecked recently (cooldown)";
    case "over-cap":
      return `over the cap of ${o.max} rechecks per command: run it again later for the rest`;
    case "rate-limited":
      return "the bot's hourly recheck limit is reached: try again later";
    case "post-failed":
      return "posting the recheck failed";
  }
}

/** The chat reply: what was (or would be) rechecked with links, then the skipped changes grouped by reason. */
export function renderRecheckReply(plan: RecheckPlan, o: ReplyOptions): string {
  const t = plan.trigger;
  const maxListed = o.maxListed ?? 15;
  const rechecks = plan.decisions.filter((d) => d.action === "recheck");
  const skips = plan.decisions.filter((d) => d.action === "skip");
  const lines: string[] = [];
  const scope = o.all ? "open changes" : "open changes with a failing Verified vote";
  lines.push(
    `**${o.dryRun ? "Dry run: " : ""}Recheck after ${link(t)}** (${t.project} ${t.branch}; ` +
      `${t.charms.length} affected charm${t.charms.length === 1 ? "" : "s"}; ${scope})`,
  );
  if (t.charms.length === 0) lines.push("The change affects no charm, so no other change shares one.");
  const verb = o.dryRun ? "Would recheck" : "Rechecked";
  if (rechecks.length === 0) {
    lines.push(o.dryRun ? "Would recheck nothing." : "Rechecked nothing.");
  } else {
    lines.push(`${verb} ${rechecks.length}:`);
    for (const d of rechecks.slice(0, maxListed)) {
      const c = d.change;
      lines.push(
        `- ${link(c)} (patch set ${c.patchSet})${c.subject ? ` ${c.subject}` : ""} — shares ${names(
          d.shared.map((s) => `\`${s}\``),
          5,
        )}`,
      );
    }
    if (rechecks.length > maxListed) lines.push(`- … and ${rechecks.length - maxListed} more`);
  }
  if (skips.length > 0) {
    lines.push(`Skipped ${skips.length}:`);
    for (const reason of SKIP_REASONS) {
      const group = skips.filter((d) => d.action === "skip" && d.reason === reason);
      if (group.length === 0) continue;
      const listed = group.slice(0, maxListed).map((d) => {
        const detail = d.action === "skip" && d.detail ? ` (${d.detail})` : "";
        return `${link(d.change)}${detail}`;
      });
      const more = group.length > maxListed ? ` and ${group.length - maxListed} more` : "";
      lines.push(`- ${reasonText(reason, o, t.number)}: ${listed.join(", ")}${more}`);
    }
  }
  if (o.dryRun) lines.push("Nothing was posted (dry run).");
  return lines.join("\n");
}

export interface SuggestionInput {
  trigger: TriggerChange;
  /** Why the change counts as touching shared inputs (a few reasons). */
  sharedReasons: readonly string[];
  /** The failing open changes it affects (the plan's would-be rechecks). */
  failing: readonly CandidateChange[];
  commandPrefix: string;
}

/** The room message after a merge that touched shared inputs: the failing changes and the command. */
export function renderSuggestion(s: SuggestionInput): string {
  const t = s.trigger;
  const n = s.failing.length;
  const lines = [
    `**${link(t)} merged**${t.subject ? ` (${t.subject})` : ""} and touches shared inputs: ${names([...s.sharedReasons], 3)}.`,
    `${n} open change${n === 1 ? "" : "s"} on ${t.branch} affected by it ${n === 1 ? "has" : "have"} a failing Verified vote: ${names(
      s.failing.map((c) => link(c)),
      15,
    )}`,
    `To recheck them: \`${s.commandPrefix}recheck-affected ${t.number}\` (add \`--dry-run\` to preview).`,
  ];
  return lines.join("\n");
}
