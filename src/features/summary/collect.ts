// Reads the summary's facts from Gerrit REST and Launchpad; each read fails on its own, bounded in time.
import type { ChangeInfo, GerritClient } from "../../integrations/gerrit/client.js";
import { HttpPermanentError } from "../../integrations/http.js";
import { parseBugId, type Bug, type LaunchpadClient } from "../../integrations/launchpad/client.js";
import { errorMessage } from "../../core/errors.js";
import type { ActionsFile } from "./actions.js";
import type { BugFacts } from "./match.js";

export type GerritReader = Pick<GerritClient, "queryChanges">;
export type LaunchpadReader = Pick<LaunchpadClient, "searchTasks" | "getBug">;

/** Files of the current revision are what path matchers and "merged per charm" read. */
export const CHANGE_OPTIONS = ["CURRENT_REVISION", "CURRENT_FILES"];

/**
 * Every settable task status: searchTasks leaves out closed bugs by default, but a bug fixed this week is
 * evidence too.
 */
export const ALL_TASK_STATUSES = [
  "New",
  "Incomplete",
  "Opinion",
  "Invalid",
  "Won't Fix",
  "Expired",
  "Confirmed",
  "Triaged",
  "In Progress",
  "Fix Committed",
  "Fix Released",
];

/** "YYYY-MM-DD HH:MM:SS" in UTC: the form Gerrit's `after:` reads (no zone means UTC). */
export function gerritTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace("T", " ");
}

/**
 * The two queries behind the evidence: everything merged or open that moved since `after`. Matching
 * (topics, hashtags, paths, keywords) happens here rather than in Gerrit: one pair of queries serves every
 * action, and path matchers need the file lists anyway.
 */
export function evidenceQueries(after: Date, projects: readonly string[]): string[] {
  const scope = projects.length ? `(${projects.map((p) => `project:${p}`).join(" OR ")}) ` : "";
  return ["merged", "open"].map((s) => `${scope}status:${s} after:"${gerritTime(after)}"`);
}

export async function collectChanges(
  gerrit: GerritReader,
  o: { after: Date; projects: readonly string[]; limit?: number },
): Promise<ChangeInfo[]> {
  const byNumber = new Map<number, ChangeInfo>();
  for (const q of evidenceQueries(o.after, o.projects)) {
    const found = await gerrit.queryChanges(q, { options: CHANGE_OPTIONS, limit: o.limit ?? 1000 });
    for (const c of found) byNumber.set(c._number, c);
  }
  return [...byNumber.values()];
}

/** Launchpad dates carry "+00:00" and microseconds; evidence dates compare as `toISOString()` strings. */
export function isoOrEmpty(s: string | null | undefined): string {
  const ms = s ? Date.parse(s) : NaN;
  return Number.isNaN(ms) ? "" : new Date(ms).toISOString();
}

export function bugFacts(b: Bug): BugFacts {
  return {
    id: b.id,
    title: b.title,
    tags: b.tags,
    url: b.web_link ?? `https://bugs.launchpad.net/bugs/${b.id}`,
    updated: isoOrEmpty(b.date_last_updated ?? b.date_created),
  };
}

/** Runs `fn` over `items` with at most `n` at a time (polite to Launchpad). */
async function mapLimit<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/**
 * Bugs that are evidence for some action: those carrying any action's tags, updated since `after`, in each
 * project, and those named by number. A named bug that does not exist is skipped (a typo in the actions file
 * must not hide Launchpad); any other failure means Launchpad is unavailable.
 */
export async function collectBugs(
  lp: LaunchpadReader,
  file: ActionsFile,
  o: { after: Date; projects: readonly string[]; maxBugs?: number },
): Promise<BugFacts[]> {
  const tags = [...new Set(file.actions.flatMap((a) => a.evidence.launchpad.tags))];
  const ids = new Set<number>(file.actions.flatMap((a) => a.evidence.launchpad.bugs));
  if (tags.length) {
    for (const project of o.projects) {
      const tasks = await lp.searchTasks(project, {
        modifiedSince: o.after,
        tags,
        tagsCombinator: "Any",
        status: ALL_TASK_STATUSES,
        orderBy: ["-date_last_updated"],
        pageSize: 100,
        maxPages: 5,
      });
      for (const t of tasks) {
        const id = parseBugId(t.bug_link);
        if (id !== undefined) ids.add(id);
      }
    }
  }
  const wanted = [...ids].slice(0, o.maxBugs ?? 100);
  const bugs = await mapLimit(wanted, 4, async (id) => {
    try {
      return await lp.getBug(id);
    } catch (err) {
      if (err instanceof HttpPermanentError && err.status === 404) return undefined;
      throw err;
    }
  });
  return bugs.filter((b): b is Bug => b !== undefined).map(bugFacts);
}

/** Bugs filed in [since, until) in the projects; a bug filed against two of them counts once. */
export async function countNewBugs(
  lp: LaunchpadReader,
  o: { since: Date; until: Date; projects: readonly string[] },
): Promise<number> {
  const bugs = new Set<string>();
  for (const project of o.projects) {
    const tasks = await lp.searchTasks(project, {
      createdSince: o.since,
      createdBefore: o.until,
      status: ALL_TASK_STATUSES,
      pageSize: 300,
      maxPages: 20,
    });
    for (const t of tasks) bugs.add(t.bug_link);
  }
  return bugs.size;
}

/** The source's answer, or its failure as a short reason; a source that hangs counts as failed after `ms`. */
export async function settle<T>(
  ms: number,
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return { ok: true, value: await Promise.race([fn(), timeout]) };
  } catch (err) {
    return { ok: false, reason: errorMessage(err).slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}
