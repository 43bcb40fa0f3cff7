// Pure: the texts of a recheck run: the chat reply, the Gerrit recheck comment and the room message that
// suggests a recheck after a merge.
import {
  SKIP_REASONS,
  isChangeTrigger,
  type CandidateChange,
  type RecheckPlan,
  type SkipReason,
  type Trigger,
  type TriggerChange,
} from "./recheck-types.js";

/**
 * Whether an automatic run has something to tell the room: a recheck (or would-be one), or rechecks that
 * were due but held back (cap, rate limit, failed post). Skips for any other reason are the normal case.
 */
export function worthReporting(plan: RecheckPlan): boolean {
  return plan.decisions.some(
    (d) => d.action === "recheck" || ["over-cap", "rate-limited", "post-failed"].includes(d.reason),
  );
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
  /** The freshness window, for the "stale" line (default 24). */
  maxFailureAgeHours?: number;
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
    case "wip":
      return "work in progress";
    case "private":
      return "private change";
    case "merge-conflict":
      return "Zuul's last report is a merge failure: it needs a rebase, not a recheck";
    case "config-error":
      return "Zuul's last report is a config error: it needs a new patch set, not a recheck";
    case "dependency-failed":
      return "Zuul's last report is a failed dependency: another change must merge or be fixed first";
    case "stale":
      return `failure older than ${o.maxFailureAgeHours ?? 24} h (recheck.maxFailureAgeHours)`;
    case "rechecked-since":
      return "already rechecked after the failure, no Zuul report since";
    case "already-rechecked":
      return "already rechecked or suggested at this patch set (once per failing patch set)";
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

/** Why a change is (to be) rechecked: it depends on the trigger, or shares charms with it. */
function whyText(d: { shared: readonly string[]; dependency?: "depends-on" | "parent" }): string {
  const shares = `shares ${names(
    d.shared.map((s) => `\`${s}\``),
    5,
  )}`;
  if (!d.dependency) return shares;
  const dep = d.dependency === "parent" ? "its parent commit merged" : "its Depends-On merged";
  return d.shared.length > 0 ? `${dep}; ${shares}` : dep;
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
      lines.push(`- ${link(c)} (patch set ${c.patchSet})${c.subject ? ` ${c.subject}` : ""} — ${whyText(d)}`);
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
  /** Those of `failing` that depend on the merged change (Depends-On or parent commit). */
  dependents?: readonly number[];
  commandPrefix: string;
}

/** The room message after a merge that touched shared inputs: the failing changes and the command. */
export function renderSuggestion(s: SuggestionInput): string {
  const t = s.trigger;
  const n = s.failing.length;
  const deps = new Set(s.dependents ?? []);
  const head =
    s.sharedReasons.length > 0
      ? `and touches shared inputs: ${names([...s.sharedReasons], 3)}.`
      : "and open changes depend on it.";
  const lines = [
    `**${link(t)} merged**${t.subject ? ` (${t.subject})` : ""} ${head}`,
    `${n} open change${n === 1 ? "" : "s"} on ${t.branch} affected by it ${n === 1 ? "has" : "have"} a failing Verified vote: ${names(
      s.failing.map((c) => link(c)),
      15,
    )}`,
    `To recheck them: \`${s.commandPrefix}recheck-affected ${t.number}\` (add \`--dry-run\` to preview).`,
  ];
  if (deps.size > 0) {
    lines.splice(
      2,
      0,
      `Depending on it (Depends-On or parent commit): ${names(
        s.failing.filter((c) => deps.has(c.number)).map((c) => link(c)),
        15,
      )}`,
    );
  }
  return lines.join("\n");
}
