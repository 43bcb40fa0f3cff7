// Pure: which jobs Zuul ran in `check` recently per branch (from its reports, with the files they ran for),
// and which of them a change will get although zuul.d does not say so (templates of other repositories).
import type { AffectedReport } from "./render.js";

export interface JobObservation {
  /** Check reports that listed the job. */
  runs: number;
  /** Epoch seconds of the last report that listed it. */
  lastSeen: number;
  /** Path prefixes (two components) of the files of the patch sets it ran for, at most MAX_PREFIXES. */
  prefixes: string[];
}

export interface BranchObservations {
  /** Check reports seen on the branch. */
  reports: number;
  jobs: Record<string, JobObservation>;
}

const MAX_PREFIXES = 200;
/** A job listed in this share of a branch's reports runs for any change (no `files` matcher). */
export const ALWAYS_SHARE = 0.9;
/** Fewer reports than this are no basis for "always". */
export const MIN_REPORTS = 5;

/** `charms/keystone-k8s/src/charm.py` → `charms/keystone-k8s/`; `tox.ini` → `tox.ini`. */
export function pathPrefix(file: string): string {
  const parts = file.split("/");
  return parts.length <= 2 ? file : `${parts.slice(0, 2).join("/")}/`;
}

/** One check report: the jobs it listed, for the patch set's files, at `at` (epoch seconds). */
export function recordReport(
  obs: BranchObservations,
  jobs: readonly string[],
  files: readonly string[],
  at: number,
): BranchObservations {
  const prefixes = [...new Set(files.map(pathPrefix))];
  const out: BranchObservations = { reports: obs.reports + 1, jobs: { ...obs.jobs } };
  for (const job of new Set(jobs)) {
    const was = out.jobs[job];
    out.jobs[job] = {
      runs: (was?.runs ?? 0) + 1,
      lastSeen: Math.max(was?.lastSeen ?? 0, at),
      prefixes: [...new Set([...(was?.prefixes ?? []), ...prefixes])].slice(-MAX_PREFIXES),
    };
  }
  return out;
}

/**
 * Jobs Zuul's reports show running on the branch that zuul.d does not list for it (`inRepo`), and that
 * this change will get: jobs listed in nearly every report run always; others when a changed file has a
 * path prefix they ran for.
 */
export function observedJobs(
  obs: BranchObservations | undefined,
  files: readonly string[],
  inRepo: ReadonlySet<string>,
): string[] {
  if (!obs || obs.reports === 0) return [];
  const mine = new Set(files.map(pathPrefix));
  const out: string[] = [];
  for (const [job, o] of Object.entries(obs.jobs)) {
    if (inRepo.has(job)) continue;
    const always = obs.reports >= MIN_REPORTS && o.runs / obs.reports >= ALWAYS_SHARE;
    if (always || o.prefixes.some((p) => mine.has(p))) out.push(job);
  }
  return out.sort();
}

/** The report with the observed jobs added, each job's source, and what the list rests on. */
export function withObserved(
  report: AffectedReport,
  obs: BranchObservations | undefined,
  pipelineJobNames: ReadonlySet<string>,
): AffectedReport {
  if (!obs || obs.reports === 0) return report;
  const extra = observedJobs(obs, report.files, pipelineJobNames).filter((j) => !report.zuulJobs.includes(j));
  const sources: Record<string, "repo" | "observed"> = { ...report.zuulJobSources };
  for (const j of extra) sources[j] = "observed";
  return {
    ...report,
    zuulJobs: [...report.zuulJobs, ...extra].sort(),
    zuulJobSources: sources,
    zuulJobsBasis: { source: "repo+observed", reports: obs.reports },
  };
}
