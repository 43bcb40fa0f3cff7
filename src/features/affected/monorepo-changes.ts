// Changes of the monorepo project read against the bot's clone: one change's affected-charms report (for
// !affected and as a recheck trigger), and the open changes of a branch with the charms each affects (the
// recheck candidates). Fetches the clone when it lacks what a question needs.
import { touchedPaths, type GerritClient } from "../../integrations/gerrit/client.js";
import { UserError, errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { toCandidate } from "./candidate.js";
import { affectedReport, changeSummary, chooseChangeModel, type ModelChoice } from "./cli.js";
import type { AffectedReport } from "./render.js";
import { changeUrl, parseChangeRef } from "./change-ref.js";
import type { MonorepoConfig } from "./config.js";
import { buildModel, type MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import type { CandidateChange } from "./recheck-plan.js";

export interface MonorepoChangesDeps {
  gerrit: Pick<GerritClient, "getChange" | "getFiles" | "queryChanges">;
  /** The configured Gerrit web URL: the only host whose links are accepted. */
  gerritUrl: string;
  monorepo: MonorepoConfig;
  /** When set: fetched before a recheck and on merges, and used to clone a missing repository. */
  sync?: { fetch(): Promise<unknown> };
  log: Logger;
  /** Open changes looked at per recheck (Gerrit pages through them). */
  maxCandidates?: number;
  /** Zuul's account(s): whose messages are reports (recheck.ciAccounts). */
  ciAccounts?: readonly string[];
}

/** The !affected answer: the report about a change of the monorepo project, and the model's size. */
export interface ExplainedChange extends AffectedReport {
  change: NonNullable<AffectedReport["change"]>;
  totalCharms: number;
}

export class MonorepoChanges {
  constructor(private readonly d: MonorepoChangesDeps) {}

  private get modelOpts() {
    return { ...(this.d.monorepo.layout ? { layout: this.d.monorepo.layout } : {}), log: this.d.log };
  }

  /** A fetch failure must not stop an answer: the clone is then merely a little old. */
  async fetchQuietly(): Promise<void> {
    if (!this.d.sync) return;
    try {
      await this.d.sync.fetch();
    } catch (err) {
      this.d.log.warn({ err: errorMessage(err) }, "monorepo fetch failed; using the clone as it is");
    }
  }

  /** The model choice, fetching once (when a sync is configured) if the clone lacks the branch or is missing. */
  private async choose(revision: string, branch: string): Promise<ModelChoice> {
    const attempt = async () => {
      try {
        return await chooseChangeModel(this.d.monorepo.path, revision, branch);
      } catch (err) {
        if (err instanceof UserError && this.d.sync) return undefined; // not a repository yet
        throw err;
      }
    };
    let choice = await attempt();
    if (!choice && this.d.sync) {
      await this.d.sync.fetch();
      choice = await attempt();
    }
    if (!choice) {
      throw new UserError(`neither the change's commit nor branch ${branch} is in the bot's monorepo clone`);
    }
    return choice;
  }

  private checkProject(project: string | undefined, what: string): void {
    const want = this.d.monorepo.project;
    if (project !== undefined && project !== want) {
      throw new UserError(`${what} is in ${project}; only changes of ${want} are supported`);
    }
  }

  /** The report about the change `ref` names (a number or a link), and the model that answered it. */
  async analyse(
    ref: string,
  ): Promise<{ report: ExplainedChange; model: MonorepoModel; changeId?: string | undefined }> {
    const arg = parseChangeRef(ref, this.d.gerritUrl);
    this.checkProject(arg.project, `change ${arg.number}`);
    const c = await this.d.gerrit.getChange(arg.number);
    this.checkProject(c.change.project, `change ${arg.number}`);
    const ps = arg.patchSet ?? c.patchSet;
    const own = ps === c.patchSet;
    const files = own ? c.paths : touchedPaths(await this.d.gerrit.getFiles(arg.number, ps));
    // An older patch set's commit is unknown here, so it is answered on the branch head.
    const choice = await this.choose(own ? c.revision : "", c.change.branch);
    const model = await buildModel({ dir: this.d.monorepo.path, rev: choice.rev }, this.modelOpts);
    const report: ExplainedChange = {
      ...affectedReport(model, files, choice.ref, choice.source, c.change.branch),
      change: changeSummary(c, ps, this.d.gerritUrl),
      totalCharms: new Set(model.charms.map((ch) => ch.name)).size,
    };
    return { report, model, changeId: c.change.change_id };
  }

  /**
   * Open changes on the project and branch, with files, Verified votes, messages (Zuul's reports, rechecks)
   * and commit (parents, Depends-On) of their current patch set.
   */
  async candidates(project: string, branch: string): Promise<CandidateChange[]> {
    const open = await this.d.gerrit.queryChanges(`status:open project:${project} branch:${branch}`, {
      options: [
        "CURRENT_REVISION",
        "CURRENT_FILES",
        "CURRENT_COMMIT",
        "DETAILED_LABELS",
        "DETAILED_ACCOUNTS",
        "MESSAGES",
      ],
      limit: this.d.maxCandidates ?? 500,
    });
    // Every candidate on the branch head: their own commits are rarely in the clone, and one model is cheap.
    const choice = await this.choose("", branch);
    const model = await buildModel({ dir: this.d.monorepo.path, rev: choice.rev }, this.modelOpts);
    const out: CandidateChange[] = [];
    for (const c of open) {
      const cand = toCandidate(c, model, {
        ciAccounts: this.d.ciAccounts ?? [],
        url: changeUrl(this.d.gerritUrl, c.project, c._number),
      });
      if (cand) out.push(cand);
    }
    return out;
  }
}
