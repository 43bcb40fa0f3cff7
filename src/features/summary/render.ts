// Renders the weekly cycle-action summary as chat Markdown (pure): actions, evidence, stale flags, numbers.
import type { ActionStatus, CycleAction } from "./actions.js";

export interface EvidenceItem {
  kind: "change-merged" | "change-open" | "bug" | "doc";
  title: string;
  url: string;
  /** ISO date (UTC, `Z`) of the last update: items sort by this string. */
  updated: string;
}

export interface ActionNote {
  by: string;
  at: string;
  text: string;
}

export interface ActionReport {
  action: CycleAction;
  /** The status in force: the file's, or the latest one set from chat. */
  status: ActionStatus;
  statusSetBy?: { by: string; at: string };
  /** Evidence in the period, newest first. */
  evidence: EvidenceItem[];
  /** Latest evidence seen in the longer look-back window (or carried from earlier summaries). */
  lastActivity?: string;
  /** A source this action's matchers need could not be read and nothing older is known: never flag it stale. */
  activityUnknown?: boolean;
  notes: ActionNote[];
}

export interface Figure {
  name: string;
  value: number | string | null;
  previous?: number | string | null;
}

export interface SummaryData {
  cycle: string;
  since: string;
  until: string;
  staleAfterWeeks: number;
  lookbackWeeks: number;
  actions: ActionReport[];
  numbers: Figure[];
  /** When the counter figures count from (the previous summary); absent: totals so far (first summary). */
  countersSince?: string;
  /** Sources that could not be read: the summary is still produced, and says so. */
  unavailable: string[];
  /** Why, per unavailable source (short, for the JSON and the log). */
  unavailableReasons: Record<string, string>;
}

const WEEK = 7 * 86400 * 1000;

export function weeksSince(iso: string | undefined, until: string): number | undefined {
  if (!iso) return undefined;
  return Math.max(0, Math.floor((Date.parse(until) - Date.parse(iso)) / WEEK));
}

/** Open work with no evidence this period and none for `staleAfterWeeks` (or none known at all). */
export function isStale(r: ActionReport, until: string, staleAfterWeeks: number): boolean {
  if (r.status === "done" || r.status === "dropped") return false;
  if (r.evidence.length > 0 || r.activityUnknown) return false;
  const w = weeksSince(r.lastActivity, until);
  return w === undefined || w >= staleAfterWeeks;
}

function delta(f: Figure): string {
  if (typeof f.value !== "number" || typeof f.previous !== "number") return "";
  const d = Math.round((f.value - f.previous) * 100) / 100;
  return d === 0 ? " (=)" : ` (${d > 0 ? "+" : ""}${d})`;
}

const STATUS_ORDER: ActionStatus[] = ["in-progress", "open", "done", "dropped"];

/** Titles from Gerrit and Launchpad can be long; the summary must stay readable in a minute. */
function short(s: string, max = 70): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** `[` and `]` in a title would end the link label early. */
const label = (s: string) => short(s).replace(/[[\]]/g, "");

const KIND: Record<EvidenceItem["kind"], string> = {
  "change-merged": "merged",
  "change-open": "open",
  bug: "bug",
  doc: "docs",
};

function activityText(r: ActionReport, s: SummaryData, stale: boolean): string {
  const n = r.evidence.length;
  if (n > 0) return ` — ${n} item${n === 1 ? "" : "s"}`;
  if (r.status === "done" || r.status === "dropped") return "";
  if (r.activityUnknown) return " — activity unknown (source unavailable)";
  const weeks = weeksSince(r.lastActivity, s.until);
  if (stale)
    return weeks === undefined
      ? ` — ⚠ no activity in ${s.lookbackWeeks}+ weeks`
      : ` — ⚠ no activity for ${weeks} weeks`;
  return weeks === undefined ? "" : ` — last activity ${weeks} wk ago`;
}

/** One line per action (a list item in Matrix and Slack), evidence links inline, then stale ids and numbers. */
export function renderSummary(s: SummaryData, maxEvidence = 2): string {
  const out: string[] = [
    `**Cycle actions — ${s.cycle}** · ${s.since.slice(0, 10)} → ${s.until.slice(0, 10)}`,
  ];
  if (s.unavailable.length)
    out.push(`⚠ Could not reach: ${s.unavailable.join(", ")} — evidence from there is missing.`);
  const sorted = [...s.actions].sort(
    (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status),
  );
  const stale: string[] = [];
  for (const r of sorted) {
    const flag = isStale(r, s.until, s.staleAfterWeeks);
    const weeks = weeksSince(r.lastActivity, s.until);
    if (flag) stale.push(`${r.action.id} (${weeks === undefined ? `${s.lookbackWeeks}+` : weeks} wk)`);
    const who = r.statusSetBy ? ` (set by ${r.statusSetBy.by} ${r.statusSetBy.at.slice(0, 10)})` : "";
    const links = r.evidence
      .slice(0, maxEvidence)
      .map((e) => `${KIND[e.kind]} [${label(e.title)}](${e.url})`);
    if (r.evidence.length > maxEvidence) links.push(`+${r.evidence.length - maxEvidence} more`);
    const note = r.notes.at(-1);
    const noteText = note ? ` — note (${note.by}, ${note.at.slice(0, 10)}): ${short(note.text, 140)}` : "";
    out.push(
      `- **${r.action.title}** (${r.action.owner}) — ${r.status}${who}${activityText(r, s, flag)}` +
        `${links.length ? `: ${links.join("; ")}` : ""}${noteText}`,
    );
  }
  if (stale.length) out.push(`**No activity:** ${stale.join(", ")}`);
  if (s.numbers.length) {
    out.push(
      s.countersSince
        ? "**Numbers** (change from the previous summary):"
        : "**Numbers** (first summary: bot counters are totals so far):",
    );
    const unknown: string[] = [];
    for (const f of s.numbers) {
      if (f.value === null) unknown.push(f.name);
      else out.push(`- ${f.name}: ${f.value}${delta(f)}`);
    }
    // Figures nobody counts (a feature not running, a source down) share one line: the summary stays short.
    if (unknown.length) out.push(`- not known this time: ${unknown.join(", ")}`);
  }
  return out.join("\n");
}
