// Turns what was collected into the summary's data (pure): evidence per action, activity, numbers and deltas.
import type { ChangeInfo } from "../../integrations/gerrit/client.js";
import type { ActionsFile, CycleAction } from "./actions.js";
import { COUNTERS, counterDelta, median } from "../../core/counters.js";
import {
  changePaths,
  changeTime,
  charmsTouched,
  matchBug,
  matchChange,
  sortEvidence,
  type BugFacts,
} from "./match.js";
import type { ActionOverride, WeekSnapshot } from "./overrides.js";
import type { ActionReport, EvidenceItem, Figure, SummaryData } from "./render.js";

/** What the sources gave; a field left undefined means its source could not be read (see `unavailable`). */
export interface Collected {
  /** Merged and open changes updated in the look-back window. */
  changes?: ChangeInfo[];
  /** Bugs carrying an action's tags (updated in the look-back window) or named by number. */
  bugs?: BugFacts[];
  /** Bugs filed in the watched Launchpad projects in [since, until). */
  newBugs?: number;
  /** The bot's raw counters now. */
  counters?: Record<string, number>;
  /** Seconds from prompt to completion of the triage prompts completed in [since, until). */
  completions?: number[];
  overrides?: Record<string, ActionOverride>;
  /** The snapshot the counter figures and deltas count from. */
  previous?: WeekSnapshot;
  /** Source name → why it could not be read. */
  unavailable: Record<string, string>;
}

export interface SummaryWindow {
  since: Date;
  until: Date;
  lookbackWeeks: number;
  /** Gerrit's web URL, for change links. */
  webUrl: string;
}

/** Figure names: the JSON and the snapshots use them as keys, so they are never renamed. */
export const FIGURES = {
  newBugs: "new bugs",
  prompts: "triage prompts sent",
  completed: "bugs completed after a prompt",
  medianHours: "median hours to completion",
  merged: "changes merged",
  perCharm: "merged per charm",
  rechecks: "rechecks triggered",
  images: "images announced",
  reconnects: "Gerrit stream reconnects",
  uptime: "Gerrit stream uptime %",
} as const;

/** Charms named in the "merged per charm" figure before the rest are counted. */
const MAX_CHARMS = 6;

export function usesGerrit(a: CycleAction): boolean {
  const g = a.evidence.gerrit;
  return (
    [g.topics, g.hashtags, g.paths, g.keywords].some((x) => x.length > 0) || a.evidence.docs.paths.length > 0
  );
}

export function usesLaunchpad(a: CycleAction): boolean {
  return a.evidence.launchpad.tags.length > 0 || a.evidence.launchpad.bugs.length > 0;
}

const later = (a: string | undefined, b: string | undefined) => (!a ? b : !b ? a : a > b ? a : b);

function actionReport(
  action: CycleAction,
  c: Collected,
  w: SummaryWindow,
  since: string,
  until: string,
): ActionReport {
  const items: EvidenceItem[] = [];
  for (const ch of c.changes ?? []) {
    const e = matchChange(action, ch, w.webUrl);
    if (e) items.push(e);
  }
  for (const b of c.bugs ?? []) {
    const e = matchBug(action, b);
    if (e) items.push(e);
  }
  const seen = items.filter((e) => e.updated !== "" && e.updated < until);
  const evidence = sortEvidence(seen.filter((e) => e.updated >= since));
  const newest = sortEvidence(seen)[0]?.updated;
  // An older summary's finding is kept: a source down this week, or older than the look-back, is not "never".
  const lastActivity = later(newest, c.previous?.lastActivity[action.id]);
  const missing =
    (usesGerrit(action) && c.unavailable.gerrit !== undefined) ||
    (usesLaunchpad(action) && c.unavailable.launchpad !== undefined);
  const o = c.overrides?.[action.id];
  const r: ActionReport = {
    action,
    status: o?.status ?? action.status,
    evidence,
    notes: o?.notes ?? [],
  };
  if (o?.statusSetBy) r.statusSetBy = o.statusSetBy;
  if (lastActivity) r.lastActivity = lastActivity;
  if (evidence.length === 0 && !lastActivity && missing) r.activityUnknown = true;
  return r;
}

function perCharm(merged: readonly ChangeInfo[]): string {
  const counts = new Map<string, number>();
  for (const ch of merged)
    for (const charm of charmsTouched(changePaths(ch) ?? [])) counts.set(charm, (counts.get(charm) ?? 0) + 1);
  if (counts.size === 0) return "none";
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = sorted.slice(0, MAX_CHARMS).map(([n, k]) => `${n} ${k}`);
  if (sorted.length > MAX_CHARMS) shown.push(`+${sorted.length - MAX_CHARMS} more`);
  return shown.join(", ");
}

function numbers(c: Collected, since: string, until: string): Figure[] {
  const merged = c.changes?.filter((ch) => {
    const t = ch.status === "MERGED" ? changeTime(ch) : undefined;
    return t !== undefined && t >= since && t < until;
  });
  const now = c.counters;
  const before = c.previous?.counters;
  const counter = (name: string) => (now ? counterDelta(now, before, name) : null);
  const prompts = counter(COUNTERS.prompted);
  const done = c.completions;
  const mid = done ? median(done) : null;
  // Uptime needs a known period: the time since the previous summary's snapshot.
  let uptime: number | null = null;
  const connected = counter(COUNTERS.gerritConnectedSeconds);
  if (connected !== null && c.previous) {
    const period = (Date.parse(until) - Date.parse(c.previous.at)) / 1000;
    if (period > 0) uptime = Math.min(100, Math.round((connected / period) * 1000) / 10);
  }
  const figures: Omit<Figure, "previous">[] = [
    { name: FIGURES.newBugs, value: c.newBugs ?? null },
    { name: FIGURES.prompts, value: prompts },
    // Zero completions mean something only where the triage feature counts prompts at all.
    {
      name: FIGURES.completed,
      value: done === undefined ? null : done.length > 0 || prompts !== null ? done.length : null,
    },
    { name: FIGURES.medianHours, value: mid === null ? null : Math.round((mid / 3600) * 10) / 10 },
    { name: FIGURES.merged, value: merged ? merged.length : null },
    { name: FIGURES.perCharm, value: merged ? perCharm(merged) : null },
    { name: FIGURES.rechecks, value: counter(COUNTERS.rechecks) },
    { name: FIGURES.images, value: counter(COUNTERS.imagesAnnounced) },
    { name: FIGURES.reconnects, value: counter(COUNTERS.gerritReconnects) },
    { name: FIGURES.uptime, value: uptime },
  ];
  return figures.map((f) => {
    const prev = c.previous?.figures.find((p) => p.name === f.name);
    return prev ? { ...f, previous: prev.value } : f;
  });
}

/** The summary's data, and the snapshot a sent weekly summary leaves for next week's deltas. */
export function assembleSummary(
  file: ActionsFile,
  c: Collected,
  w: SummaryWindow,
): { data: SummaryData; snapshot: Omit<WeekSnapshot, "week"> } {
  const since = w.since.toISOString();
  const until = w.until.toISOString();
  const actions = file.actions.map((a) => actionReport(a, c, w, since, until));
  const figures = numbers(c, since, until);
  const unavailable = Object.keys(c.unavailable).sort();
  const data: SummaryData = {
    cycle: file.cycle,
    since,
    until,
    staleAfterWeeks: file.staleAfterWeeks,
    lookbackWeeks: w.lookbackWeeks,
    actions,
    numbers: figures,
    unavailable,
    unavailableReasons: Object.fromEntries(unavailable.map((k) => [k, c.unavailable[k] ?? ""])),
  };
  if (c.previous && c.counters) data.countersSince = c.previous.at;
  const lastActivity: Record<string, string> = {};
  for (const r of actions) if (r.lastActivity) lastActivity[r.action.id] = r.lastActivity;
  const snapshot = {
    at: until,
    figures: figures.map((f) => ({ name: f.name, value: f.value })),
    counters: c.counters ?? c.previous?.counters ?? {},
    lastActivity,
  };
  return { data, snapshot };
}
