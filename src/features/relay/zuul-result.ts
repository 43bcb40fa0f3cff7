// Reads a Zuul report comment ("Build failed (check pipeline) … - job url : FAILURE in 3m") into a summary.
// The parsing is shared with the recheck planner (integrations/monorepo/zuul-report.ts); this is its relay view.
import {
  parseZuulComment as parseReport,
  type ZuulOutcome,
} from "../../integrations/monorepo/zuul-report.js";

export interface ZuulResult {
  pipeline?: string;
  outcome: ZuulOutcome;
  /** Failed voting jobs, exactly as Zuul named them, in report order. */
  failedJobs: string[];
  jobs: number;
  /** Merge failures, config errors, dependency failures: the first line of Zuul's explanation. */
  reason?: string;
}

/** Returns null when the comment is not a Zuul report. */
export function parseZuulComment(comment: string | undefined, tag?: string): ZuulResult | null {
  const r = parseReport(comment, tag);
  if (!r) return null;
  const out: ZuulResult = { outcome: r.outcome, failedJobs: r.failedJobs, jobs: r.jobs };
  if (r.pipeline) out.pipeline = r.pipeline;
  if (r.reason) out.reason = r.reason;
  return out;
}

/** The headline words of an outcome in the relay line. */
export function outcomeText(z: ZuulResult): string {
  switch (z.outcome) {
    case "failed":
      return `failed${z.failedJobs.length ? `: ${z.failedJobs.join(", ")}` : z.reason ? `: ${z.reason}` : ""}`;
    case "merge-conflict":
      return `merge failed${z.reason ? `: ${z.reason}` : ""}`;
    case "config-error":
      return `config error${z.reason ? `: ${z.reason}` : ""}`;
    case "dependency":
      return `dependency failed${z.reason ? `: ${z.reason}` : ""}`;
    case "other":
      return z.reason ? `reported: ${z.reason}` : "reported";
    default:
      return z.outcome;
  }
}
