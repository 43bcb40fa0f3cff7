// Pure: which open changes a recheck run (`!recheck-affected`, or an event such as an image move) rechecks
// and why the others are skipped; its texts.
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

/** The change a `!recheck-affected` run names (typically a gate fix that just merged). */
export interface TriggerChange {
  number: number;
  project: string;
  branch: string;
  subject?: string;
  url?: string;
  /** Charms the trigger affects. */
  charms: readonly string[];
}

/**
 * Something other than a change that makes charms build differently with no repository change, e.g. a
 * pinned image tag that moved to a new digest. Its candidates are the open changes of `project`/`branch`.
 */
export interface TriggerEvent {
  /** What the dedup marks are keyed by: the same id never rechecks a patch set twice (`oci:<image>@<digest>`). */
  id: string;
  /** How the texts name it: `ghcr.io/canonical/keystone:2024.1 moved to sha256:abcd1234…`. */
  label: string;
  project: string;
  branch: string;
  url?: string;
  /** Charms the event changes. */
  charms: readonly string[];
}

export type Trigger = TriggerChange | TriggerEvent;

export function isChangeTrigger(t: Trigger): t is TriggerChange {
  return "number" in t;
}

/** The trigger part of the dedup key: the change number (as before events existed), else the event id. */
export function triggerId(t: Trigger): string {
  return isChangeTrigger(t) ? String(t.number) : t.id;
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
  "in-batch",
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
  trigger: Trigger;
  decisions: Decision[];
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

/**
 * Whether an automatic run has something to tell the room: a recheck (or would-be one), or rechecks that
 * were due but held back (cap, rate limit, failed post). Skips for any other reason are the normal case.
 */
export function worthReporting(plan: RecheckPlan): boolean {
  return plan.decisions.some(
    (d) => d.action === "recheck" || ["over-cap", "rate-limited", "post-failed"].includes(d.reason),
  );
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
export function recheckMessage(trigger: Trigger, requester: string, shared: readonly string[]): string {
  if (!isChangeTrigger(trigger)) {
    const what = trigger.url ? `${trigger.label} (${trigger.url})` : trigger.label;
    return [
      "recheck",
      "",
      `Requested by ${requester} via sunbeam-bot after ${what}: charms this change affects now build ` +
        `from it with no change in the repository: ${names(shared, 10)}.`,
    ].join("\n");
  }
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

function reasonText(reason: SkipReason, o: ReplyOptions, trigger: Trigger): string {
  const change = isChangeTrigger(trigger);
  switch (reason) {
    case "trigger":
      return "the trigger change itself";
    case "no-shared-charm":
      return "no charm in common";
    case "not-failing":
      return "no failing Verified vote on the current patch set (use --all to include them)";
    case "already-rechecked":
      return `already rechecked for ${change ? trigger.number : "it"} at this patch set`;
    case "in-batch":
      return "just rechecked for another trigger of this run";
    case "cooldown":
      return "rechecked recently (cooldown)";
    case "over-cap":
      return change
        ? `over the cap of ${o.max} rechecks per command: run it again later for the rest`
        : `over the cap of ${o.max} rechecks per run`;
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
  const change = isChangeTrigger(t);
  const scope = o.all ? "open changes" : "open changes with a failing Verified vote";
  const charms = change
    ? `${t.charms.length} affected charm${t.charms.length === 1 ? "" : "s"}`
    : `charms: ${names(
        t.charms.map((c) => `\`${c}\``),
        5,
      )}`;
  const what = change ? link(t) : t.url ? `[${t.label}](${t.url})` : t.label;
  lines.push(
    `**${o.dryRun ? "Dry run: " : ""}Recheck after ${what}** (${t.project} ${t.branch}; ${charms}; ${scope})`,
  );
  if (change && t.charms.length === 0) {
    lines.push("The change affects no charm, so no other change shares one.");
  }
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
  // An event's run looks at every open change of the branch: the unrelated ones are a count, not a list.
  const quiet = new Set<SkipReason>(change ? [] : ["no-shared-charm", "not-failing"]);
  const listedSkips = skips.filter((d) => d.action === "skip" && !quiet.has(d.reason));
  if (listedSkips.length > 0) {
    lines.push(`Skipped ${listedSkips.length}:`);
    for (const reason of SKIP_REASONS) {
      const group = listedSkips.filter((d) => d.action === "skip" && d.reason === reason);
      if (group.length === 0) continue;
      const listed = group.slice(0, maxListed).map((d) => {
        const detail = d.action === "skip" && d.detail ? ` (${d.detail})` : "";
        return `${link(d.change)}${detail}`;
      });
      const more = group.length > maxListed ? ` and ${group.length - maxListed} more` : "";
      lines.push(`- ${reasonText(reason, o, t)}: ${listed.join(", ")}${more}`);
    }
  }
  const others = skips.length - listedSkips.length;
  if (others > 0) {
    lines.push(
      `${others} other open change${others === 1 ? "" : "s"} ${others === 1 ? "uses" : "use"} none of these ` +
        `charms${o.all ? "" : " or " + (others === 1 ? "has" : "have") + " no failing Verified vote"}.`,
    );
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
