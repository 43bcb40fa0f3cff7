// Reads a Zuul report comment ("Build failed (check pipeline) … - job url : FAILURE in 3m") into a summary.

export interface ZuulResult {
  pipeline?: string;
  outcome: "succeeded" | "failed" | "other";
  failedJobs: string[];
  jobs: number;
}

const FAILING =
  /^(FAILURE|POST_FAILURE|TIMED_OUT|RETRY_LIMIT|ERROR|NODE_FAILURE|MERGE_CONFLICT|MERGE_FAILURE|DISK_FULL|CONFIG_ERROR|ABORTED|LOST|SKIPPED_FAILED)$/;

/** Returns null when the comment is not a Zuul report. */
export function parseZuulComment(comment: string | undefined): ZuulResult | null {
  if (!comment) return null;
  const head = /Build (succeeded|failed|canceled|cancelled)(?: \(([\w-]+) pipeline\))?/i.exec(comment);
  const jobLines = [...comment.matchAll(/^\s*-\s+(\S+)\s+(?:\S+\s+)?:\s+([A-Z_]+)\b(.*)$/gm)];
  if (!head && jobLines.length === 0) return null;
  const failedJobs: string[] = [];
  for (const m of jobLines) {
    const [, job, result, rest] = m;
    // A non-voting job's failure does not fail the change; leave it out of the headline.
    if (job && result && FAILING.test(result) && !/non-voting/i.test(rest ?? "")) failedJobs.push(job);
  }
  const word = head?.[1]?.toLowerCase();
  const outcome =
    word === "succeeded" ? "succeeded" : word === "failed" || failedJobs.length > 0 ? "failed" : "other";
  const result: ZuulResult = { outcome, failedJobs, jobs: jobLines.length };
  if (head?.[2]) result.pipeline = head[2];
  return result;
}
