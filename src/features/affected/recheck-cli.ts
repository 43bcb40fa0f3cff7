// `sunbeam-bot recheck plan --repo DIR --trigger REV --changes FILE [--at ISO] [--all] [--json]`: the recheck
// planner offline, on a commit and a saved Gerrit query, so its judgement can be checked on history. Never writes.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ChangeInfoSchema, type ChangeInfo } from "../../integrations/gerrit/client.js";
import { UserError } from "../../core/errors.js";
import {
  changedPaths,
  commitInfo,
  diffNameStatus,
  firstParentLog,
  revParse,
} from "../../integrations/monorepo/git.js";
import type { Layout } from "../../integrations/monorepo/layout.js";
import { buildModel, type MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import { affected } from "./affected.js";
import { toCandidate } from "./candidate.js";
import { affectedReport } from "./cli.js";
import {
  DEFAULT_MAX_FAILURE_AGE_HOURS,
  checkFailing,
  doneKey,
  planRechecks,
  sharedInputs,
  renderRecheckReply,
  touchesGlobalInput,
  type CandidateChange,
  type Decision,
  type RecheckPlan,
  type TriggerChange,
} from "./recheck-plan.js";

export interface RecheckPlanCliOptions {
  repo: string;
  trigger: string;
  /** Path of a JSON array of ChangeInfo (a `)]}'` first line is accepted). */
  changes: string;
  /** ISO time the plan is made for; default now. */
  at?: string;
  all: boolean;
  json: boolean;
  maxFailureAgeHours?: number;
  ciAccounts?: readonly string[];
  layout?: Layout;
}

/** `--json`: the contract of the issue, nothing more. */
export interface RecheckPlanJson {
  trigger: { rev: string; charms: string[] };
  decisions: {
    change: number;
    patchSet: number;
    action: "recheck" | "skip";
    reason: string;
    shared: string[];
  }[];
}

const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** Reads and checks the changes file; a UserError naming the entry and field that is wrong. */
export async function readChangesFile(path: string): Promise<ChangeInfo[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UserError(`--changes ${path}: cannot read it (${(err as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\)\]\}'[^\n]*\n/, ""));
  } catch (err) {
    throw new UserError(`--changes ${path}: not JSON (${(err as Error).message})`);
  }
  const r = z.array(ChangeInfoSchema).safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new UserError(
      `--changes ${path}: ${where}: ${issue?.message ?? "invalid"} (want a JSON array of Gerrit ChangeInfo)`,
    );
  }
  return r.data;
}

function parseAt(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const d = new Date(at);
  if (!/^\d{4}-\d{2}-\d{2}/.test(at) || Number.isNaN(d.getTime())) {
    throw new UserError(`--at wants an ISO time such as 2025-05-05T14:00:00Z, got ${JSON.stringify(at)}`);
  }
  return d;
}

/** The change a merged commit came from: `Reviewed-on:`, its revision, else its Change-Id among the changes. */
function triggerChange(
  sha: string,
  patchSet: string,
  message: string,
  changes: readonly ChangeInfo[],
): ChangeInfo | undefined {
  const reviewed = /^Reviewed-on:\s*\S*?\/(?:\+\/)?(\d+)\/?\s*$/m.exec(message)?.[1];
  const changeId = /^Change-Id:\s*(I[0-9a-f]{40})\s*$/m.exec(message)?.[1];
  return (
    changes.find((c) => reviewed !== undefined && c._number === Number(reviewed)) ??
    changes.find((c) => c.current_revision === patchSet || c.current_revision === sha) ??
    changes.find((c) => changeId !== undefined && c.change_id === changeId)
  );
}

async function commitFiles(dir: string, sha: string): Promise<string[] | undefined> {
  try {
    const { parents } = await commitInfo(dir, sha);
    return changedPaths(await diffNameStatus(dir, parents[0] ?? EMPTY_TREE, sha));
  } catch {
    return undefined; // the commit is not in DIR
  }
}

function toJson(plan: RecheckPlan, rev: string): RecheckPlanJson {
  const reason = (d: Decision) =>
    d.action === "skip" ? d.reason : d.dependency ? d.dependency : "shared-charm";
  return {
    trigger: { rev, charms: [...plan.trigger.charms] },
    decisions: plan.decisions.map((d) => ({
      change: d.change.number,
      patchSet: d.change.patchSet,
      action: d.action,
      reason: reason(d),
      shared: d.shared,
    })),
  };
}

/** Plans the rechecks a merge of `trigger` would make among `changes`; returns the text or JSON. */
export async function recheckPlanCli(
  o: RecheckPlanCliOptions,
): Promise<{ output: string; plan: RecheckPlan; json: RecheckPlanJson }> {
  const now = parseAt(o.at);
  const sha = await revParse(o.repo, o.trigger);
  const changes = await readChangesFile(o.changes);
  const commit = await commitInfo(o.repo, sha);
  // A merge commit (merge-if-necessary) brings in the patch set as its second parent.
  const patchSet = commit.parents.length > 1 ? (commit.parents[1] as string) : sha;
  const files = changedPaths(await diffNameStatus(o.repo, commit.parents[0] ?? EMPTY_TREE, sha));
  const modelOpts = o.layout ? { layout: o.layout } : {};
  const model = await buildModel({ dir: o.repo, rev: sha }, modelOpts);
  const own = triggerChange(sha, patchSet, commit.message, changes);
  const changeId =
    own?.change_id ?? /^Change-Id:\s*(I[0-9a-f]{40})\s*$/m.exec(commit.message)?.[1] ?? undefined;
  const trigger: TriggerChange = {
    number: own?._number ?? 0,
    project: own?.project ?? changes[0]?.project ?? "",
    branch: own?.branch ?? changes[0]?.branch ?? "",
    ...(own?.subject ? { subject: own.subject } : { subject: commit.message.split("\n")[0] ?? "" }),
    charms: affected(model, files).charms,
    revision: patchSet,
    ...(changeId ? { changeId } : {}),
    ...(touchesGlobalInput(files, model) ? { global: true } : {}),
  };
  const ciAccounts = o.ciAccounts ?? ["zuul"];
  const candidates: CandidateChange[] = [];
  for (const c of changes) {
    if (c.status !== "NEW" || (own && c._number === own._number)) continue;
    if (own && (c.project !== own.project || c.branch !== own.branch)) continue;
    const cand = await candidateOf(c, model, o.repo, files, ciAccounts, modelOpts);
    if (cand) candidates.push(cand);
  }
  const maxAgeHours = o.maxFailureAgeHours ?? DEFAULT_MAX_FAILURE_AGE_HOURS;
  const done = await suggestedBefore(o.repo, sha, model, candidates, ciAccounts, now, maxAgeHours);
  const plan = planRechecks(
    trigger,
    candidates,
    { all: o.all, ciAccounts, max: Number.MAX_SAFE_INTEGER, now, maxFailureAgeHours: maxAgeHours },
    done,
  );
  const json = toJson(plan, sha);
  const output = o.json
    ? JSON.stringify(json)
    : renderRecheckReply(plan, {
        dryRun: true,
        all: o.all,
        max: Number.MAX_SAFE_INTEGER,
        maxFailureAgeHours: o.maxFailureAgeHours ?? DEFAULT_MAX_FAILURE_AGE_HOURS,
        maxListed: 1000,
      });
  return { output, plan, json };
}

/**
 * The history as the ledger (the CLI writes none): a failing patch set that an earlier shared-input merge
 * of the trigger's first-parent history — after the failure, within the window — would already have
 * suggested (a charm in common, or the patch set depends on it) counts as already suggested.
 */
async function suggestedBefore(
  repo: string,
  sha: string,
  model: MonorepoModel,
  candidates: readonly CandidateChange[],
  ciAccounts: readonly string[],
  now: Date,
  maxAgeHours: number,
): Promise<Set<string>> {
  const done = new Set<string>();
  const failing = candidates
    .map((c) => ({ c, at: Date.parse(c.ci?.lastReport?.date ?? "") / 1000 }))
    .filter(({ c, at }) => Number.isFinite(at) && checkFailing(c, ciAccounts));
  if (failing.length === 0) return done;
  const since = Math.max(Math.min(...failing.map((f) => f.at)), now.getTime() / 1000 - maxAgeHours * 3600);
  const until = now.getTime() / 1000;
  const earlier = (await firstParentLog(repo, sha, since)).filter((e) => e.sha !== sha && e.time <= until);
  for (const e of earlier) {
    const files = changedPaths(await diffNameStatus(repo, e.parents[0] ?? EMPTY_TREE, e.sha));
    const report = affectedReport(model, files, e.sha, "rev");
    const merged = e.parents.length > 1 ? e.parents[1] : e.sha;
    const changeId = /^Change-Id:\s*(I[0-9a-f]{40})\s*$/m.exec(e.message)?.[1];
    const suggests = sharedInputs(report, model).length > 0;
    const charms = new Set(report.charms);
    for (const { c, at } of failing) {
      if (at > e.time) continue;
      const dependent =
        (merged !== undefined && c.ci?.parents.includes(merged)) ||
        (changeId !== undefined && c.ci?.dependsOn.changeIds.includes(changeId));
      if (dependent || (suggests && c.charms.some((x) => charms.has(x))))
        done.add(doneKey(c.number, c.patchSet));
    }
  }
  return done;
}

/**
 * The candidate of one change: its files from the ChangeInfo, else from DIR when its commit is there; a
 * charm it adds that declares an input the trigger changed counts as affected (read at its own commit).
 */
async function candidateOf(
  c: ChangeInfo,
  model: MonorepoModel,
  repo: string,
  triggerFiles: readonly string[],
  ciAccounts: readonly string[],
  modelOpts: { layout?: Layout },
): Promise<CandidateChange | undefined> {
  const revision = c.current_revision;
  const rev = revision ? c.revisions?.[revision] : undefined;
  if (!revision || !rev) return undefined;
  const files = rev.files ? undefined : await commitFiles(repo, revision);
  const cand = toCandidate(c, model, { ciAccounts, ...(files ? { files } : {}) });
  if (!cand?.newCharms?.length) return cand;
  try {
    const own = await buildModel({ dir: repo, rev: revision }, modelOpts);
    const hit = affected(own, triggerFiles).charms.filter((n) => cand.newCharms?.includes(n));
    if (hit.length > 0) return { ...cand, newCharmsAffected: hit };
  } catch {
    // The candidate's commit is not in DIR: only the global-input rule applies to its new charms.
  }
  return cand;
}
