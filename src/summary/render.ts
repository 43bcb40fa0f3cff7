// Renders the weekly cycle-action summary as Markdown (pure): actions, evidence, stale flags, numbers.
import type { ActionStatus, CycleAction } from "./actions.js";

export interface EvidenceItem {
  kind: "change-merged" | "change-open" | "bug" | "doc";
  title: string;
  url: string;
  /** ISO date of the last update. */
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
  /** Latest evidence seen in the longer look-back window, for the stale flag. */
  lastActivity?: string;
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
  actions: ActionReport[];
  numbers: Figure[];
  /** Sources that could not be reached: the summary is still produced, and says so. */
  unavailable: string[];
}

const WEEK = 7 * 86400 * 1000;

export function weeksSince(iso: string | undefined, until: string): number | undefined {
  if (!iso) return undefined;
  return Math.floor((Date.parse(until) - Date.parse(iso)) / WEEK);
}

export function isStale(r: ActionReport, until: string, staleAfterWeeks: number): boolean {
  if (r.status === "done" || r.status === "dropped") return false;
  if (r.evidence.length > 0) return false;
  const w = weeksSince(r.lastActivity, until);
  return w === undefined || w >= staleAfterWeeks;
}

function delta(f: Figure): string {
  if (typeof f.value !== "number" || typeof f.previous !== "number") return "";
  const d = f.value - f.previous;
  return d === 0 ? " (=)" : ` (${d > 0 ? "+" : ""}${Math.round(d * 100) / 100})`;
}

const STATUS_ORDER: ActionStatus[] = ["in-progress", "open", "done", "dropped"];

export function renderSummary(s: SummaryData, maxEvidence = 3): string {
  const out: string[] = [
    `**Cycle actions — ${s.cycle}**, week ${s.since.slice(0, 10)} → ${s.until.slice(0, 10)}`,
  ];
  if (s.unavailable.length)
    out.push(`_Could not reach: ${s.unavailable.join(", ")} — evidence from there is missing this week._`);
  const sorted = [...s.actions].sort(
    (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status),
  );
  const stale: string[] = [];
  for (const r of sorted) {
    const flag = isStale(r, s.until, s.staleAfterWeeks);
    const weeks = weeksSince(r.lastActivity, s.until);
    if (flag) stale.push(`${r.action.id}${weeks === undefined ? "" : ` (${weeks} wk)`}`);
    const who = r.statusSetBy ? `, set by ${r.statusSetBy.by} ${r.statusSetBy.at.slice(0, 10)}` : "";
    const count = r.evidence.length
      ? ` — ${r.evidence.length} item${r.evidence.length === 1 ? "" : "s"} this week`
      : flag
        ? " — ⚠ no activity" + (weeks === undefined ? "" : ` for ${weeks} weeks`)
        : "";
    out.push(`- **${r.action.title}** (${r.action.owner}) — ${r.status}${who}${count}`);
    for (const e of r.evidence.slice(0, maxEvidence)) out.push(`  - ${label(e.kind)} [${e.title}](${e.url})`);
    if (r.evidence.length > maxEvidence) out.push(`  - …and ${r.evidence.length - maxEvidence} more`);
    const note = r.notes.at(-1);
    if (note) out.push(`  - note (${note.by}, ${note.at.slice(0, 10)}): ${note.text}`);
  }
  if (stale.length) out.push(`**No activity:** ${stale.join(", ")}`);
  if (s.numbers.length) {
    out.push("**This week** (change from last week):");
    for (const f of s.numbers) out.push(`- ${f.name}: ${f.value ?? "n/a"}${delta(f)}`);
  }
  return out.join("\n");
}

function label(kind: EvidenceItem["kind"]): string {
  return { "change-merged": "merged", "change-open": "open", bug: "bug", doc: "docs" }[kind];
}
