// The !affected / !recheck-affected service: Gerrit + the monorepo clone + Redis (dedup, rate limits); also
// the automatic rechecks after events that change what charms build (an image tag moving to a new digest).
import { DEFAULT_REVIEW_TAG, changedFiles, touchedPaths, type GerritClient } from "../clients/gerrit.js";
import { UserError, errorMessage } from "../errors.js";
import type { GerritEvent } from "../events.js";
import type { Logger } from "../log.js";
import { keyFor, type Redis } from "../redis.js";
import { affected } from "./affected.js";
import { changeSummary, chooseChangeModel, type ModelChoice } from "./affected-cli.js";
import type { AffectedReport } from "./affected-render.js";
import { changeUrl, parseChangeRef } from "./change-ref.js";
import type { MonorepoConfig, RecheckConfig } from "./config.js";
import { buildModel, type MonorepoModel } from "./monorepo.js";
import {
  doneKey,
  markSkipped,
  planRechecks,
  recheckMessage,
  renderRecheckReply,
  renderSuggestion,
  sharedInputs,
  triggerId,
  verifiedVotes,
  worthReporting,
  type CandidateChange,
  type Decision,
  type RecheckPlan,
  type Trigger,
  type TriggerChange,
} from "./recheck-plan.js";

export type GerritLike = Pick<GerritClient, "getChange" | "getFiles" | "queryChanges" | "postReview">;

export interface AffectedServiceDeps {
  gerrit: GerritLike;
  /** The configured Gerrit web URL: the only host whose links are accepted. */
  gerritUrl: string;
  redis: Redis;
  prefix: string;
  monorepo: MonorepoConfig;
  recheck: RecheckConfig;
  /** When set: fetched before a recheck and on merges, and used to clone a missing repository. */
  sync?: { fetch(): Promise<unknown> };
  log: Logger;
  /** Open changes looked at per recheck (Gerrit pages through them). */
  maxCandidates?: number;
  /** The bot's counters (src/stats.ts): every posted recheck is counted for the weekly summary. */
  stats?: { incr(counter: string, by?: number): Promise<void> };
}

/** The !affected answer: the report about a change of the monorepo project, and the model's size. */
export interface ExplainedChange extends AffectedReport {
  change: NonNullable<AffectedReport["change"]>;
  totalCharms: number;
}

export interface RecheckRequest {
  dryRun: boolean;
  all: boolean;
  /** Named in the Gerrit comment, and the key of the per-requester rate limit. */
  requester: string;
}

export interface RecheckResult {
  plan: RecheckPlan;
  dryRun: boolean;
  /** The chat reply (renderRecheckReply). */
  reply: string;
}

/** An event that makes charms build differently: named in the texts, its id keys the dedup marks. */
export interface EventTrigger {
  /** Stable per event (`oci:<image>@<digest>`): the same id never rechecks a patch set twice. */
  id: string;
  /** `ghcr.io/canonical/keystone:2024.1 moved to sha256:abcd1234…` */
  label: string;
  url?: string;
}

export interface CharmRecheckOptions {
  /** Report what would be rechecked, post nothing. */
  dryRun?: boolean;
  /** Named in the Gerrit comment and rate-limited per hour; default AUTO_REQUESTER. */
  requester?: string;
  /**
   * Changes already rechecked for another trigger of the same run: skipped (`in-batch`), so that several
   * images moving in one poll give a change one recheck, not one per image.
   */
  batch?: ReadonlySet<number>;
}

/** The requester the merge suggestions recheck as, when `suggestOnMerge.autoRecheck` is on. */
export const AUTO_REQUESTER = "sunbeam-bot (auto)";

/** A recheck is remembered this long per (change, patch set, trigger): longer than any change stays open unrevised. */
const DONE_TTL_SECONDS = 30 * 86400;
const HOUR = 3600;

/**
 * Reserves up to ARGV[1] units of an hourly budget of ARGV[2]; returns how many were granted. One
 * script, so two replicas never both take the last units.
 */
const RESERVE = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.max(0, math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - cur))
if grant > 0 then
  redis.call('INCRBY', KEYS[1], grant)
  if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
return grant
`;

export class AffectedService {
  constructor(private readonly d: AffectedServiceDeps) {}

  private key(...parts: (string | number)[]): string {
    return keyFor(this.d.prefix, "recheck", ...parts);
  }

  private get modelOpts() {
    return { ...(this.d.monorepo.layout ? { layout: this.d.monorepo.layout } : {}), log: this.d.log };
  }

  /** A fetch failure must not stop an answer: the clone is then merely a little old. */
  private async fetchQuietly(): Promise<void> {
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

  private async analyse(ref: string): Promise<{ report: ExplainedChange; model: MonorepoModel }> {
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
      ...affected(model, files),
      files,
      modelRev: model.sha,
      modelRef: choice.ref,
      modelSource: choice.source,
      problems: model.problems,
      change: changeSummary(c, ps, this.d.gerritUrl),
      totalCharms: new Set(model.charms.map((ch) => ch.name)).size,
    };
    return { report, model };
  }

  /** `!affected`: the charms a change affects, the Zuul jobs that run, and the untested charms. */
  async explain(ref: string): Promise<ExplainedChange> {
    return (await this.analyse(ref)).report;
  }

  /** Open changes on the trigger's project and branch, with files and Verified votes of their current patch set. */
  private async candidates(project: string, branch: string): Promise<CandidateChange[]> {
    const open = await this.d.gerrit.queryChanges(`status:open project:${project} branch:${branch}`, {
      options: ["CURRENT_REVISION", "CURRENT_FILES", "DETAILED_LABELS", "DETAILED_ACCOUNTS"],
      limit: this.d.maxCandidates ?? 500,
    });
    // Every candidate on the branch head: their own commits are rarely in the clone, and one model is cheap.
    const choice = await this.choose("", branch);
    const model = await buildModel({ dir: this.d.monorepo.path, rev: choice.rev }, this.modelOpts);
    const out: CandidateChange[] = [];
    for (const c of open) {
      const revision = c.current_revision;
      const rev = revision ? c.revisions?.[revision] : undefined;
      if (!revision || !rev) continue;
      out.push({
        number: c._number,
        project: c.project,
        branch: c.branch,
        patchSet: rev._number,
        revision,
        ...(c.subject ? { subject: c.subject } : {}),
        url: changeUrl(this.d.gerritUrl, c.project, c._number),
        charms: affected(model, touchedPaths(changedFiles(rev.files ?? {}))).charms,
        verified: verifiedVotes(c),
      });
    }
    return out;
  }

  private changeTrigger(report: ExplainedChange): TriggerChange {
    const t = report.change;
    return {
      number: t.number,
      project: t.project,
      branch: t.branch,
      ...(t.subject ? { subject: t.subject } : {}),
      ...(t.url ? { url: t.url } : {}),
      charms: report.charms,
    };
  }

  private async plan(
    trigger: Trigger,
    all: boolean,
    max: number,
    batch: ReadonlySet<number> = new Set(),
  ): Promise<RecheckPlan> {
    const t = trigger;
    const candidates = t.charms.length > 0 ? await this.candidates(t.project, t.branch) : [];
    const done = new Set<string>();
    const cooling = new Set<number>();
    if (candidates.length > 0) {
      const keys = candidates.map((c) => doneKey(c.number, c.patchSet, triggerId(t)));
      const marks = await this.d.redis.mget(...keys.map((k) => this.key("done", k)));
      keys.forEach((k, i) => marks[i] !== null && done.add(k));
      if (this.d.recheck.cooldownHours !== undefined) {
        const cool = await this.d.redis.mget(...candidates.map((c) => this.key("cooldown", c.number)));
        candidates.forEach((c, i) => cool[i] !== null && cooling.add(c.number));
      }
    }
    const opts = { all, ciAccounts: this.d.recheck.ciAccounts, max };
    return planRechecks(trigger, candidates, opts, done, cooling, batch);
  }

  /** Counts one recheck command of this requester; a UserError when over the hourly limit. */
  private async countRequester(requester: string): Promise<void> {
    const key = this.key("user", requester);
    const limit = this.d.recheck.perUserPerHour;
    const res = await this.d.redis.multi().incr(key).expire(key, HOUR, "NX").exec();
    if (Number(res?.[0]?.[1] ?? 0) <= limit) return;
    await this.d.redis.decr(key); // a refused command does not count
    const ttl = await this.d.redis.ttl(key);
    const minutes = Math.max(1, Math.ceil((ttl > 0 ? ttl : HOUR) / 60));
    throw new UserError(
      `${requester} has run ${limit} recheck command(s) this hour, the limit; try again in about ${minutes} min.`,
    );
  }

  private async post(plan: RecheckPlan, requester: string): Promise<RecheckPlan> {
    const wanted = plan.decisions.filter((d) => d.action === "recheck").length;
    const globalKey = this.key("global");
    let granted = Number(
      await this.d.redis.eval(RESERVE, 1, globalKey, wanted, this.d.recheck.globalPerHour, HOUR),
    );
    const decisions: Decision[] = [];
    for (const d of plan.decisions) {
      if (d.action !== "recheck") {
        decisions.push(d);
        continue;
      }
      if (granted <= 0) {
        decisions.push(markSkipped(d, "rate-limited"));
        continue;
      }
      granted--;
      const c = d.change;
      const doneAt = this.key("done", doneKey(c.number, c.patchSet, triggerId(plan.trigger)));
      // Taken before posting: a second replica (or a retried job) running the same command skips it.
      if ((await this.d.redis.set(doneAt, requester, "EX", DONE_TTL_SECONDS, "NX")) !== "OK") {
        await this.d.redis.decr(globalKey);
        decisions.push(markSkipped(d, "already-rechecked"));
        continue;
      }
      try {
        await this.d.gerrit.postReview(c.number, c.revision, {
          message: recheckMessage(plan.trigger, requester, d.shared),
          tag: DEFAULT_REVIEW_TAG,
          // Zuul's report notifies the owner; the bot's own comment is not worth a mail.
          notify: "NONE",
        });
      } catch (err) {
        await this.d.redis.del(doneAt);
        await this.d.redis.decr(globalKey);
        this.d.log.warn({ change: c.number, err: errorMessage(err) }, "recheck post failed");
        decisions.push(markSkipped(d, "post-failed", errorMessage(err).slice(0, 120)));
        continue;
      }
      await this.d.stats?.incr("recheck:posted").catch(() => undefined);
      const cooldown = this.d.recheck.cooldownHours;
      if (cooldown !== undefined && cooldown > 0) {
        await this.d.redis.set(
          this.key("cooldown", c.number),
          triggerId(plan.trigger),
          "EX",
          Math.ceil(cooldown * HOUR),
        );
      }
      this.d.log.info(
        { change: c.number, patchSet: c.patchSet, trigger: triggerId(plan.trigger), requester },
        "recheck posted",
      );
      decisions.push(d);
    }
    return { trigger: plan.trigger, decisions };
  }

  /**
   * `!recheck-affected`: posts `recheck` on the open changes of the trigger's project and branch that
   * share an affected charm (and, without `all`, have a failing Verified vote). Dry runs post nothing
   * and are not rate-limited.
   */
  async recheck(ref: string, req: RecheckRequest): Promise<RecheckResult> {
    await this.fetchQuietly();
    return this.recheckFor(this.changeTrigger((await this.analyse(ref)).report), req);
  }

  /**
   * The automatic flow for an event that changes what `charms` build with no repository change (a pinned
   * image tag moved): the open changes of the monorepo's default branch that affect one of them and have a
   * failing Verified vote get `recheck`, with the same dedup (per change, patch set and `trigger.id`),
   * limits, tag and notify as `!recheck-affected`. A UserError when the requester's hourly limit is hit.
   */
  async recheckCharms(
    charms: readonly string[],
    trigger: EventTrigger,
    opts: CharmRecheckOptions = {},
  ): Promise<RecheckResult> {
    await this.fetchQuietly();
    const event: Trigger = {
      id: trigger.id,
      label: trigger.label,
      ...(trigger.url ? { url: trigger.url } : {}),
      project: this.d.monorepo.project,
      branch: this.d.monorepo.branch,
      charms: [...new Set(charms)].sort(),
    };
    return this.recheckFor(
      event,
      { dryRun: opts.dryRun ?? false, all: false, requester: opts.requester ?? AUTO_REQUESTER },
      opts.batch,
    );
  }

  private async recheckFor(
    trigger: Trigger,
    req: RecheckRequest,
    batch?: ReadonlySet<number>,
  ): Promise<RecheckResult> {
    const max = this.d.recheck.maxPerCommand;
    let plan = await this.plan(trigger, req.all, max, batch);
    if (!req.dryRun && plan.decisions.some((d) => d.action === "recheck")) {
      await this.countRequester(req.requester);
      plan = await this.post(plan, req.requester);
    }
    const reply = renderRecheckReply(plan, { dryRun: req.dryRun, all: req.all, max });
    return { plan, dryRun: req.dryRun, reply };
  }

  /**
   * On change-merged of the monorepo project: fetches the clone (point 7), then, when suggestions are
   * enabled and the change touched shared inputs, the room message listing the open failing changes it
   * affects with the command to recheck them, or (autoRecheck) the reply of the recheck it ran itself.
   * null when there is nothing to say.
   */
  async suggestOnMerge(event: GerritEvent, opts: { commandPrefix?: string } = {}): Promise<string | null> {
    const number = event.change?.number;
    if (event.kind !== "gerrit.change-merged" || event.project !== this.d.monorepo.project || !number) {
      return null;
    }
    await this.fetchQuietly();
    const s = this.d.recheck.suggestOnMerge;
    if (!s.enabled) return null;
    const { report, model } = await this.analyse(String(number));
    const shared = sharedInputs(report, model);
    if (shared.length === 0) return null;
    if (s.autoRecheck) {
      try {
        const r = await this.recheckFor(this.changeTrigger(report), {
          dryRun: false,
          all: false,
          requester: AUTO_REQUESTER,
        });
        return worthReporting(r.plan) ? r.reply : null;
      } catch (err) {
        if (err instanceof UserError) return `Automatic recheck after ${number} not done: ${err.message}`;
        throw err;
      }
    }
    const trigger = this.changeTrigger(report);
    const plan = await this.plan(trigger, false, Number.MAX_SAFE_INTEGER);
    const failing = plan.decisions.filter((d) => d.action === "recheck").map((d) => d.change);
    if (failing.length === 0) return null;
    return renderSuggestion({
      trigger,
      sharedReasons: shared,
      failing,
      commandPrefix: opts.commandPrefix ?? "!",
    });
  }
}
