// `sunbeam-bot triage (--file BUG.json | --bug N) [--checklist FILE] [--json]` and the bot's `!triage` service.
import { readFileSync } from "node:fs";
import { LaunchpadClient, parseBugId } from "../../integrations/launchpad/client.js";
import { UserError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { bugForTriage } from "./bug-input.js";
import { BugInputSchema, loadChecklist, type BugInput, type Checklist } from "./checklist.js";
import { bugUrl, fetchBug, type BugReader } from "./fetch.js";
import { renderReportText, reportJson, triageReport, type TriageReport } from "./report.js";

export interface TriageCliOptions {
  file?: string;
  /** A bug number, `#N`, or a bug link. */
  bug?: string;
  /** A checklist of one's own instead of the bundled one. */
  checklist?: string;
  json: boolean;
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

/** Reads and validates the `--file` form; every problem names its field. */
export function readBugFile(file: string): BugInput {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(
      `${file}: cannot read the bug file (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not JSON: ${(err as Error).message}`);
  }
  const parsed = BugInputSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (i) => `  ${i.path.map(String).join(".") || "(top level)"}: ${i.message}`,
  );
  throw new UserError(
    `${file}: not a bug file (expected {title, description, tags, attachments: [names], comments?: [{author_is_reporter, content}]}):\n${problems.join("\n")}`,
  );
}

/** One bug's report from Launchpad (anonymous reads: public bugs only). */
export async function reportForBug(
  client: BugReader,
  checklist: Checklist,
  ref: string | number,
  opts: Pick<TriageCliOptions, "reporterAllowList" | "skipTags"> = {},
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

function evaluateOpts(o: Pick<TriageCliOptions, "reporterAllowList" | "skipTags">) {
  return {
    ...(o.reporterAllowList ? { reporterAllowList: o.reporterAllowList } : {}),
    ...(o.skipTags ? { skipTags: o.skipTags } : {}),
  };
}

export async function triageCli(o: TriageCliOptions): Promise<TriageCliResult> {
  if ((o.file === undefined) === (o.bug === undefined)) {
    throw new UserError("give exactly one of --file BUG.json or --bug N");
  }
  const checklist = loadChecklist(o.checklist);
  let report: TriageReport;
  if (o.file !== undefined) {
    const input = readBugFile(o.file);
    report = triageReport(checklist, input, { id: input.id ?? null, title: input.title }, evaluateOpts(o));
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
