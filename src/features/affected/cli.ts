// `sunbeam-bot affected --repo DIR (--files F… | --rev A..B | --change N) [--json]`: files + model → report.
import type { ChangeWithFiles, GerritClient } from "../../integrations/gerrit/client.js";
import { HttpPermanentError } from "../../integrations/http.js";
import { UserError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { affected } from "./affected.js";
import { modelLine, renderAffected, type AffectedReport } from "./render.js";
import { changeUrl, parseChangeRef } from "./change-ref.js";
import { changedPaths, diffNameStatus, revParse } from "../../integrations/monorepo/git.js";
import type { Layout } from "../../integrations/monorepo/layout.js";
import { buildModel, type MonorepoModel } from "../../integrations/monorepo/monorepo.js";

export type GerritReader = Pick<GerritClient, "getChange" | "getFiles">;

export interface AffectedCliOptions {
  /** A working tree or a bare git dir. */
  repo: string;
  files?: string[];
  /** `A..B`: the files of `git diff A B` (both sides of renames), the model at B. */
  rev?: string;
  /** A change number (or, with `gerritUrl`, a link): files from Gerrit REST. */
  change?: number | string;
  gerrit?: GerritReader;
  /** The web URL of `gerrit`: links in the output, and change links accepted by `change`. */
  gerritUrl?: string;
  json: boolean;
  /** The model revision for `--files` (default HEAD). */
  at?: string;
  layout?: Layout;
  log?: Logger;
}

export interface AffectedCliResult {
  output: string;
  /** 0: answered. Usage mistakes are thrown as UserError (exit 2 in the CLI). */
  exitCode: number;
  result: AffectedReport;
}

export interface ModelChoice {
  rev: string;
  ref: string;
  source: "change" | "branch";
}

/**
 * Which commit to read the model at for a change: its own revision when the commit is in the clone
 * (a change that edits `.sunbeam-build.yaml` then counts its new declarations), else the head of its
 * target branch (`origin/<branch>` in a normal clone, `<branch>` in a bare one).
 */
export async function chooseChangeModel(
  dir: string,
  revision: string,
  branch: string,
): Promise<ModelChoice | undefined> {
  const tryRev = async (rev: string) => {
    try {
      return await revParse(dir, rev);
    } catch (err) {
      if (err instanceof UserError) return undefined;
      throw err;
    }
  };
  const own = /^[0-9a-f]{40}$/.test(revision) ? await tryRev(revision) : undefined;
  if (own) return { rev: own, ref: revision, source: "change" };
  for (const ref of [`refs/remotes/origin/${branch}`, `refs/heads/${branch}`]) {
    const sha = await tryRev(ref);
    if (sha) return { rev: sha, ref: ref.replace(/^refs\/(remotes\/|heads\/)/, ""), source: "branch" };
  }
  return undefined;
}

/** `A..B` → [A, B]; an empty side means HEAD, as in git. */
export function parseRange(range: string): [string, string] {
  const m = /^([^.\s]*(?:\.[^.\s]+)*)\.\.([^.\s]*(?:\.[^.\s]+)*)$/.exec(range);
  if (!m || range.includes("...")) throw new UserError(`--rev wants A..B, got ${JSON.stringify(range)}`);
  return [m[1] || "HEAD", m[2] || "HEAD"];
}

/** The report for changed files on a model: the affected answer plus where it came from. */
export function affectedReport(
  model: MonorepoModel,
  files: string[],
  ref: string,
  source: AffectedReport["modelSource"],
  branch: string = DEFAULT_BRANCH,
): AffectedReport {
  const r = affected(model, files, { branch });
  return {
    ...r,
    files,
    modelRev: model.sha,
    modelRef: ref,
    modelSource: source,
    problems: model.problems,
    branch,
    zuulJobSources: Object.fromEntries(r.zuulJobs.map((j) => [j, "repo" as const])),
    zuulJobsBasis: { source: "repo", reports: 0 },
  };
}

/** The branch `--files` and `--rev` answers are for (the monorepo's default branch). */
export const DEFAULT_BRANCH = "main";

async function forChange(
  o: AffectedCliOptions,
  modelOpts: { layout?: Layout; log?: Logger },
): Promise<AffectedReport> {
  if (!o.gerrit) throw new UserError("--change needs Gerrit: give a config with gerrit.url");
  const arg =
    typeof o.change === "number"
      ? { number: o.change }
      : o.gerritUrl
        ? parseChangeRef(String(o.change), o.gerritUrl)
        : { number: Number(/^\d+$/.exec(String(o.change))?.[0] ?? NaN) };
  if (!Number.isInteger(arg.number) || arg.number < 1) throw new UserError(`bad change: ${String(o.change)}`);
  const gerrit = o.gerrit;
  const c: ChangeWithFiles = await notFoundAsUserError(
    () => gerrit.getChange(arg.number),
    `no change ${arg.number} on Gerrit`,
  );
  // A link or `project~number` names a project: a mismatch means the user has the wrong change in mind.
  if ("project" in arg && arg.project !== undefined && arg.project !== c.change.project) {
    throw new UserError(`change ${arg.number} is on ${c.change.project}, not ${arg.project}`);
  }
  const ps = "patchSet" in arg && arg.patchSet !== undefined ? arg.patchSet : c.patchSet;
  const files = ps === c.patchSet ? c.paths : await patchSetPaths(gerrit, arg.number, ps);
  const revision = ps === c.patchSet ? c.revision : "";
  const choice = await chooseChangeModel(o.repo, revision, c.change.branch);
  if (!choice) {
    throw new UserError(
      `neither the change's commit nor branch ${c.change.branch} is in ${o.repo}: fetch it first`,
    );
  }
  const model = await buildModel({ dir: o.repo, rev: choice.rev }, modelOpts);
  const r = affectedReport(model, files, choice.ref, choice.source, c.change.branch);
  r.change = changeSummary(c, ps, o.gerritUrl);
  return r;
}

/** Both sides of every rename in an older patch set (getChange only carries the current one's files). */
async function patchSetPaths(gerrit: GerritReader, change: number, ps: number): Promise<string[]> {
  const files = await notFoundAsUserError(
    () => gerrit.getFiles(change, ps),
    `change ${change} has no patch set ${ps}`,
  );
  return changedPaths(files.map(toGitChange));
}

/** Gerrit's 404 means the user named a change (or patch set) that does not exist: a usage mistake. */
async function notFoundAsUserError<T>(call: () => Promise<T>, message: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HttpPermanentError && err.status === 404) throw new UserError(message);
    throw err;
  }
}

/** The `change` block of a report: which change, patch set and revision answered, and its link. */
export function changeSummary(
  c: ChangeWithFiles,
  patchSet: number,
  gerritUrl?: string,
): NonNullable<AffectedReport["change"]> {
  return {
    number: c.change._number,
    patchSet,
    project: c.change.project,
    branch: c.change.branch,
    revision: c.revision,
    ...(c.change.subject ? { subject: c.change.subject } : {}),
    ...(gerritUrl ? { url: changeUrl(gerritUrl, c.change.project, c.change._number) } : {}),
  };
}

const toGitChange = (f: { path: string; status: string; oldPath?: string }) =>
  f.oldPath !== undefined
    ? { status: f.status, path: f.path, oldPath: f.oldPath }
    : { status: f.status, path: f.path };

/** Computes the report for one of --files, --rev, --change, and renders it as text or one JSON document. */
export async function affectedCli(o: AffectedCliOptions): Promise<AffectedCliResult> {
  const given = [o.files !== undefined, o.rev !== undefined, o.change !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UserError("give exactly one of --files, --rev, --change");
  const modelOpts = { ...(o.layout ? { layout: o.layout } : {}), ...(o.log ? { log: o.log } : {}) };
  let r: AffectedReport;
  if (o.files !== undefined) {
    if (o.files.length === 0) throw new UserError("--files needs at least one path");
    const at = o.at ?? "HEAD";
    r = affectedReport(
      await buildModel({ dir: o.repo, rev: at }, modelOpts),
      [...new Set(o.files)].sort(),
      at,
      "rev",
    );
  } else if (o.rev !== undefined) {
    const [a, b] = parseRange(o.rev);
    // Resolved first: `git diff` on an unknown name fails with git's own message, not a usage error.
    const [shaA, shaB] = [await revParse(o.repo, a), await revParse(o.repo, b)];
    const files = changedPaths(await diffNameStatus(o.repo, shaA, shaB));
    r = affectedReport(await buildModel({ dir: o.repo, rev: shaB }, modelOpts), files, b, "rev");
  } else r = await forChange(o, modelOpts);
  if (o.json) return { output: JSON.stringify(r), exitCode: 0, result: r };
  const head: string[] = [];
  if (r.change) {
    const c = r.change;
    head.push(
      `Change ${c.number} (patch set ${c.patchSet}) on ${c.project} ${c.branch}${c.subject ? `: ${c.subject}` : ""}${c.url ? ` — ${c.url}` : ""}`,
    );
  }
  head.push(modelLine(r, false), `Files: ${r.files.length}`);
  const totalCharms = (await buildModel({ dir: o.repo, rev: r.modelRev }, modelOpts)).charms.length;
  const body = renderAffected(r, { markdown: false, totalCharms });
  return { output: [...head, ...body].join("\n"), exitCode: 0, result: r };
}
