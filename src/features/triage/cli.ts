// `sunbeam-bot triage (--file BUG.json | --bug N) [--checklist FILE] [--json]` and the bot's `!triage` service.
import { LaunchpadClient, parseBugId } from "../../integrations/launchpad/client.js";
import { UserError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { bugForTriage } from "./bug-input.js";
import { readBugFile } from "./bug-file.js";
import { loadChecklist, type Checklist } from "./checklist.js";
import { bugUrl, fetchBug, type BugReader } from "./fetch.js";
import { renderReportText, reportJson, triageReport, type TriageReport } from "./report.js";

export interface TriageCliOptions {
  file?: string;
  /** A bug number, `#N`, or a bug link. */
  bug?: string;
  /** A checklist of one's own instead of the bundled one. */
  checklist?: string;
  json: boolean;
  /** Evaluate a bug the skip rules exclude as the decision (default: report the bot's decision, skipped). */
  ignoreSkip?: boolean;
  /** For --bug: the reader (default: an anonymous LaunchpadClient on `apiRoot`). */
  client?: BugReader;
  apiRoot?: string;
  /** Config's launchpad.reporterAllowList / skipTag, when a config is at hand. */
  reporterAllowList?: readonly string[];
  skipTags?: readonly string[];
  log?: Logger;
}

export interface TriageCliResult {
  output: string;
  /** 0: answered (complete or not). Usage mistakes are thrown as UserError (exit 2 in the CLI). */
  exitCode: number;
  report: TriageReport;
}

/** One bug's report from Launchpad (anonymous reads: public bugs only). */
export async function reportForBug(
  client: BugReader,
  checklist: Checklist,
  ref: string | number,
  opts: Pick<TriageCliOptions, "reporterAllowList" | "skipTags" | "ignoreSkip"> = {},
): Promise<TriageReport> {
  const id = parseBugId(ref);
  if (id === undefined) throw new UserError(`Not a Launchpad bug number or link: ${String(ref)}`);
  const data = await fetchBug(client, id);
  return triageReport(
    checklist,
    bugForTriage(data),
    { id: data.bug.id, title: data.bug.title, url: bugUrl(data.bug) },
    evaluateOpts(opts),
  );
}

function evaluateOpts(o: Pick<TriageCliOptions, "reporterAllowList" | "skipTags" | "ignoreSkip">) {
  return {
    ...(o.reporterAllowList ? { reporterAllowList: o.reporterAllowList } : {}),
    ...(o.skipTags ? { skipTags: o.skipTags } : {}),
    ...(o.ignoreSkip ? { ignoreSkip: true } : {}),
  };
}

export { readBugFile };

export async function triageCli(o: TriageCliOptions): Promise<TriageCliResult> {
  if ((o.file === undefined) === (o.bug === undefined)) {
    throw new UserError("give exactly one of --file BUG.json or --bug N");
  }
  const checklist = loadChecklist(o.checklist);
  let report: TriageReport;
  if (o.file !== undefined) {
    const f = readBugFile(o.file);
    report = triageReport(checklist, f.input, { id: f.id, title: f.title, url: f.url }, evaluateOpts(o));
  } else {
    const client =
      o.client ??
      new LaunchpadClient({ ...(o.apiRoot ? { apiRoot: o.apiRoot } : {}), ...(o.log ? { log: o.log } : {}) });
    report = await reportForBug(client, checklist, o.bug ?? "", o);
  }
  const output = o.json ? JSON.stringify(reportJson(report)) : renderReportText(report);
  return { output, exitCode: 0, report };
}

export interface TriageServiceDeps {
  client: BugReader;
  checklist: Checklist;
  reporterAllowList?: readonly string[];
  skipTags?: readonly string[];
}

/** The `!triage <bug>` service (commands/triage.ts `TriageService`): the verdict, read-only. */
export function triageService(deps: TriageServiceDeps): (bug: string) => Promise<TriageReport> {
  return (bug) => reportForBug(deps.client, deps.checklist, bug, deps);
}
