// Pure: the human text of an affected-charms answer (CLI text and the !affected reply), charms grouped by cause.
import type { AffectedResult } from "./affected.js";

/** What `sunbeam-bot affected --json` prints: the AffectedResult contract plus where the answer came from. */
export interface AffectedReport extends AffectedResult {
  /** The changed files taken as input (both sides of renames; Gerrit's magic paths included if given). */
  files: string[];
  /** Commit sha of the model the answer was computed on. */
  modelRev: string;
  /** What named that commit: the change's revision, `origin/main`, `B` of `A..B`, `HEAD`. */
  modelRef: string;
  /** `change`: the change's own revision; `branch`: its target branch head; `rev`: a revision given by the caller. */
  modelSource: "change" | "branch" | "rev";
  change?: {
    number: number;
    patchSet: number;
    project: string;
    branch: string;
    revision: string;
    subject?: string;
    url?: string;
  };
  /** Problems met while reading the monorepo (bad YAML, unresolvable declarations): shown, never fatal. */
  problems: string[];
  /** The branch the Zuul jobs are for (`branches` matchers applied). */
  branch?: string;
  /** Where each of `zuulJobs` comes from: `repo` (zuul.d) or `observed` (Zuul's recent check reports). */
  zuulJobSources: Record<string, "repo" | "observed">;
  /**
   * What the job list rests on: `repo` alone (no reports seen: jobs of templates defined in other
   * repositories are missing), or `repo+observed`, with how many recent check reports were seen.
   */
  zuulJobsBasis: { source: "repo" | "repo+observed"; reports: number };
}

export interface RenderOptions {
  /** Chat Markdown subset (`**bold**`, `` `code` ``, links) instead of plain text. */
  markdown: boolean;
  /** Up to this many affected charms, each group shows its reasons in full. */
  fewCharms?: number;
  /** Names listed per line before "… and N more" (chat keeps messages short). */
  maxNames?: number;
  /** Total charms in the model, to say "every charm". */
  totalCharms?: number;
}

export interface CharmGroup {
  charms: string[];
  reasons: string[];
}

/** Charms that share the same reasons, biggest group first (ops-sunbeam changes make one group of all). */
export function groupCharms(r: Pick<AffectedResult, "charms" | "reasons">): CharmGroup[] {
  const groups = new Map<string, CharmGroup>();
  for (const c of r.charms) {
    const reasons = r.reasons[c] ?? [];
    const key = reasons.join("\n");
    const g = groups.get(key);
    if (g) g.charms.push(c);
    else groups.set(key, { charms: [c], reasons });
  }
  return [...groups.values()].sort(
    (a, b) => b.charms.length - a.charms.length || (a.charms[0] ?? "").localeCompare(b.charms[0] ?? ""),
  );
}

function names(list: readonly string[], max: number, code: (s: string) => string): string {
  const shown = list.slice(0, max).map(code).join(", ");
  return list.length > max ? `${shown} … and ${list.length - max} more` : shown;
}

function reasonText(reasons: readonly string[], max: number): string {
  const shown = reasons.slice(0, max).join("; ");
  return reasons.length > max ? `${shown} (+${reasons.length - max} more)` : shown;
}

/** The affected answer as text; the model/change header is the caller's (CLI and chat differ there). */
export function renderAffected(r: AffectedReport, o: RenderOptions): string[] {
  const code = (s: string) => (o.markdown ? `\`${s}\`` : s);
  const bold = (s: string) => (o.markdown ? `**${s}**` : s);
  const few = o.fewCharms ?? 10;
  const maxNames = o.maxNames ?? Number.POSITIVE_INFINITY;
  const lines: string[] = [];
  if (r.charms.length === 0) lines.push("No charm is affected.");
  else {
    const every = o.totalCharms !== undefined && r.charms.length === o.totalCharms;
    lines.push(bold(`Affected charms (${r.charms.length}${every ? ": every charm" : ""}):`));
    const groups = groupCharms(r);
    for (const g of groups) {
      // With few charms every reason helps; with many, two per group say enough.
      const why = reasonText(g.reasons, r.charms.length <= few ? 5 : 2);
      const who = every && groups.length === 1 ? "every charm" : names(g.charms, maxNames, code);
      lines.push(`- ${who}${why ? `: ${why}` : ""}`);
    }
  }
  const observed = r.zuulJobs.filter((j) => r.zuulJobSources[j] === "observed");
  const fromRepo = r.zuulJobs.filter((j) => r.zuulJobSources[j] !== "observed");
  const on = r.branch ? ` on ${r.branch}` : "";
  if (r.zuulJobs.length === 0) lines.push(`No Zuul job will run${on}.`);
  else
    lines.push(
      `${bold(`Zuul jobs that will run${on} (${r.zuulJobs.length}):`)} ${names(fromRepo, maxNames, code)}` +
        (observed.length > 0
          ? `${fromRepo.length > 0 ? "; " : ""}from Zuul's recent reports: ${names(observed, maxNames, code)}`
          : ""),
    );
  if (r.zuulJobsBasis.source === "repo") {
    lines.push(
      "Jobs from zuul.d only (no recent Zuul reports seen): jobs of templates defined in other repositories are not listed.",
    );
  }
  if (r.untested.length > 0) {
    lines.push(
      `${o.markdown ? "⚠️ " : ""}Warning: ${r.untested.length === 1 ? "1 affected charm is" : `${r.untested.length} affected charms are`} not built by any Zuul job: ${names(r.untested, maxNames, code)}`,
    );
  }
  if (r.problems.length > 0) {
    lines.push(`Note: ${r.problems.length} problem(s) reading the monorepo, first: ${r.problems[0] ?? ""}`);
  }
  return lines;
}

/** One line saying which model answered: the change's revision or its branch (and why). */
export function modelLine(r: AffectedReport, markdown: boolean): string {
  const sha = markdown ? `\`${r.modelRev.slice(0, 12)}\`` : r.modelRev.slice(0, 12);
  if (r.modelSource === "change") return `Model: ${sha}, the change's own revision.`;
  if (r.modelSource === "branch") {
    return `Model: ${sha} (${r.modelRef}): the change's commit is not in the bot's clone, so its target branch is used.`;
  }
  return `Model: ${sha} (${r.modelRef}).`;
}
