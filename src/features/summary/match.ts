// Which Gerrit changes and Launchpad bugs are evidence for a cycle action (pure: matchers against facts).
import { MAGIC_PATHS, type ChangeInfo } from "../../integrations/gerrit/client.js";
import type { CycleAction } from "./actions.js";
import type { EvidenceItem } from "./render.js";

/** "2025-01-01 10:00:00.000000000" (Gerrit, UTC) → ISO; undefined when absent or unreadable. */
export function gerritTimeToIso(s: string | undefined): string | undefined {
  const m = s ? /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,3})?/.exec(s) : null;
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? ""}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The current revision's paths (renames count old and new), or undefined when the files were not asked for. */
export function changePaths(c: ChangeInfo): string[] | undefined {
  const rev = c.current_revision ? c.revisions?.[c.current_revision] : undefined;
  if (!rev?.files) return undefined;
  const out = new Set<string>();
  for (const [path, f] of Object.entries(rev.files)) {
    if (MAGIC_PATHS.has(path)) continue;
    out.add(path);
    if (f.old_path !== undefined) out.add(f.old_path);
  }
  return [...out].sort();
}

/** When the change last moved: its merge for a merged change, else its last update (ISO). */
export function changeTime(c: ChangeInfo): string | undefined {
  return (c.status === "MERGED" ? gerritTimeToIso(c.submitted) : undefined) ?? gerritTimeToIso(c.updated);
}

export function changeUrl(webUrl: string, c: ChangeInfo): string {
  return `${webUrl.replace(/\/+$/, "")}/c/${c.project}/+/${c._number}`;
}

const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A keyword as whole words anywhere in the text, case-insensitive ("rocks" does not match "rocksdb"). */
export function hasKeyword(text: string, keyword: string): boolean {
  const kw = keyword.trim();
  if (!kw) return false;
  const words = kw.split(/\s+/).map(escapeRe).join("[\\s_-]+");
  return new RegExp(`(^|[^a-z0-9])${words}([^a-z0-9]|$)`, "i").test(text);
}

const underPrefix = (paths: readonly string[], prefixes: readonly string[]) =>
  prefixes.some((p) => paths.some((path) => path.startsWith(p)));

/** Why a change counts for the action's Gerrit matchers; empty when it does not. */
export function gerritReasons(action: CycleAction, c: ChangeInfo, paths: string[] | undefined): string[] {
  const g = action.evidence.gerrit;
  if (g.projects.length && !g.projects.includes(c.project)) return [];
  const reasons: string[] = [];
  if (c.topic && lower(g.topics).includes(c.topic.toLowerCase())) reasons.push(`topic ${c.topic}`);
  const tags = lower(c.hashtags ?? []);
  for (const h of g.hashtags) if (tags.includes(h.toLowerCase())) reasons.push(`hashtag ${h}`);
  if (paths && underPrefix(paths, g.paths)) reasons.push("paths");
  for (const k of g.keywords) if (hasKeyword(c.subject ?? "", k)) reasons.push(`keyword ${k}`);
  return reasons;
}

/** Whether the change touches the action's docs paths (in its docs projects, if any are named). */
export function touchesDocs(action: CycleAction, c: ChangeInfo, paths: string[] | undefined): boolean {
  const d = action.evidence.docs;
  if (!paths || d.paths.length === 0) return false;
  if (d.projects.length && !d.projects.includes(c.project)) return false;
  return underPrefix(paths, d.paths);
}

/**
 * The change as evidence for the action, or undefined. A merged change under the docs paths is "doc";
 * abandoned changes are never evidence. Files come from the current revision when the query asked for them.
 */
export function matchChange(action: CycleAction, c: ChangeInfo, webUrl: string): EvidenceItem | undefined {
  if (c.status !== "MERGED" && c.status !== "NEW") return undefined;
  const paths = changePaths(c);
  const docs = touchesDocs(action, c, paths);
  if (!docs && gerritReasons(action, c, paths).length === 0) return undefined;
  const merged = c.status === "MERGED";
  return {
    kind: merged ? (docs ? "doc" : "change-merged") : "change-open",
    title: c.subject ?? `change ${c._number}`,
    url: changeUrl(webUrl, c),
    updated: changeTime(c) ?? "",
  };
}

/** What matching needs of a Launchpad bug (read from the bug, not the task: tags and dates live there). */
export interface BugFacts {
  id: number;
  title: string;
  tags: readonly string[];
  url: string;
  /** ISO date of the bug's last update. */
  updated: string;
}

export function matchBug(action: CycleAction, bug: BugFacts): EvidenceItem | undefined {
  const lp = action.evidence.launchpad;
  const tagged = bug.tags.some((t) => lower(lp.tags).includes(t.toLowerCase()));
  if (!tagged && !lp.bugs.includes(bug.id)) return undefined;
  return { kind: "bug", title: `#${bug.id} ${bug.title}`, url: bug.url, updated: bug.updated };
}

/** Charm names a change touches: `charms/<name>/…` and `charms/storage/<name>/…` (name = last component). */
export function charmsTouched(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const m = /^charms\/(?:storage\/)?([^/]+)\//.exec(p);
    if (m?.[1] && m[1] !== "storage") out.add(m[1]);
  }
  return [...out].sort();
}

/** Newest first; the same link once (a change matched by two matchers is one item). */
export function sortEvidence(items: readonly EvidenceItem[]): EvidenceItem[] {
  const seen = new Set<string>();
  return [...items]
    .sort((a, b) => (a.updated < b.updated ? 1 : a.updated > b.updated ? -1 : 0))
    .filter((e) => (seen.has(e.url) ? false : (seen.add(e.url), true)));
}
