// The !affected / !recheck-affected service: Gerrit + the monorepo clone + Redis (dedup, rate limits); also
// the automatic rechecks after events that change what charms build (an image tag moving to a new digest).
// Reading changes is MonorepoChanges' part, the Redis bookkeeping and posting RecheckLedger's.
import {
  ambiguousWriteFailure,
  DEFAULT_REVIEW_TAG,
  touchedPaths,
  type GerritClient,
} from "../../integrations/gerrit/client.js";
import { parseZuulComment } from "../../integrations/monorepo/zuul-report.js";
import { branchJobs } from "./affected.js";
import { withObserved } from "./observed-jobs.js";
import { ZuulObservations } from "./zuul-observations.js";
import { UserError } from "../../core/errors.js";
import type { GerritEvent } from "../../core/events.js";
import type { Logger } from "../../core/log.js";
import type { Redis } from "../../core/redis.js";
import type {
  CharmRecheckOptions,
  CharmRecheckOutcome,
  CharmRechecker,
  EventTrigger,
} from "../../core/services.js";
import type { MonorepoConfig, RecheckConfig } from "./config.js";
import { MonorepoChanges, type ExplainedChange } from "./monorepo-changes.js";
import { RecheckLedger } from "./recheck-ledger.js";
import {
  changeTrigger,
  isChangeTrigger,
  markSkipped,
  planRechecks,
  recheckMessage,
  renderRecheckReply,
  renderSuggestion,
  sharedInputs,
  worthReporting,
  type RecheckPlan,
  type Trigger,
} from "./recheck-plan.js";

export type { ExplainedChange };

export type GerritLike = Pick<GerritClient, "getChange" | "getFiles" | "queryChanges" | "postReview"> &
  Partial<Pick<GerritClient, "hasTaggedMessage">>;

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
  /** The clock freshness is measured by (tests). */
  now?: () => Date;
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

export type { CharmRecheckOptions, EventTrigger };

/** The requester the merge suggestions recheck as, when `suggestOnMerge.autoRecheck` is on. */
export const AUTO_REQUESTER = "sunbeam-bot (auto)";

export class AffectedService {
  private readonly changes: MonorepoChanges;
  private readonly ledger: RecheckLedger;
  private readonly observations: ZuulObservations;

  constructor(private readonly d: AffectedServiceDeps) {
    this.changes = new MonorepoChanges({ ...d, ciAccounts: d.recheck.ciAccounts });
    this.ledger = new RecheckLedger(d);
    this.observations = new ZuulObservations(d.redis, d.prefix);
  }

  /**
   * `!affected`: the charms a change affects, the Zuul jobs that run (zuul.d, calibrated by the jobs Zuul's
   * recent check reports on the branch show), and the untested charms.
   */
  async explain(ref: string): Promise<ExplainedChange> {
    const { report, model } = await this.changes.analyse(ref);
    const c = report.change;
    const obs = await this.observations.get(c.project, c.branch);
    const inRepo = new Set(branchJobs(model, c.branch).map((j) => j.name));
    return { ...withObserved(report, obs, inRepo), change: c, totalCharms: report.totalCharms };
  }

  /**
   * On a Zuul check report of the monorepo project (comment-added by a CI account): records the jobs it
   * listed with the patch set's files. Returns whether it was one.
   */
  async observeReport(event: GerritEvent): Promise<boolean> {
    const n = event.change?.number;
    const ps = event.patchSet?.number;
    if (event.kind !== "gerrit.comment-added" || event.project !== this.d.monorepo.project) return false;
    if (!n || !ps || !event.branch) return false;
    const ci = this.d.recheck.ciAccounts.length > 0 ? this.d.recheck.ciAccounts : ["zuul"];
    const a = event.actor;
    if (!a || !ci.some((x) => [a.username, a.name, a.email].includes(x))) return false;
    const z = parseZuulComment(event.comment);
    const pipeline = this.d.monorepo.layout?.checkPipeline ?? "check";
    if (!z || z.pipeline !== pipeline || z.jobResults.length === 0) return false;
    const files = touchedPaths(await this.d.gerrit.getFiles(n, ps));
    const at = event.createdOn ?? Math.floor(Date.now() / 1000);
    await this.observations.record(
      event.project,
      event.branch,
      z.jobResults.map((j) => j.name),
      files,
      at,
    );
    return true;
  }

  private async plan(
    trigger: Trigger,
    all: boolean,
    max: number,
    batch: ReadonlySet<number> = new Set(),
  ): Promise<RecheckPlan> {
    const t = trigger;
    // A change trigger with no charm still has dependents (Depends-On, child commits) to look for.
    const wanted = t.charms.length > 0 || isChangeTrigger(t);
    const candidates = wanted ? await this.changes.candidates(t.project, t.branch) : [];
    const { done, cooling } = await this.ledger.marks(trigger, candidates);
    const opts = {
      all,
      ciAccounts: this.d.recheck.ciAccounts,
      max,
      maxFailureAgeHours: this.d.recheck.maxFailureAgeHours,
      ...(this.d.now ? { now: this.d.now() } : {}),
    };
    return planRechecks(trigger, candidates, opts, done, cooling, batch);
  }

  /**
   * `!recheck-affected`: posts `recheck` on the open changes of the trigger's project and branch that
   * share an affected charm (and, without `all`, have a failing Verified vote). Dry runs post nothing
   * and are not rate-limited.
   */
  async recheck(ref: string, req: RecheckRequest): Promise<RecheckResult> {
    await this.changes.fetchQuietly();
    const a = await this.changes.analyse(ref);
    return this.recheckFor(changeTrigger(a.report, a.model, a.changeId), req);
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
    await this.changes.fetchQuietly();
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

  /** Plans, then (unless a dry run, and when there is something to recheck) counts the requester and posts. */
  private async recheckFor(
    trigger: Trigger,
    req: RecheckRequest,
    batch?: ReadonlySet<number>,
    onlyDependents = false,
  ): Promise<RecheckResult> {
    const max = this.d.recheck.maxPerCommand;
    let plan = await this.plan(trigger, req.all, max, batch);
    if (onlyDependents) plan = keepDependents(plan);
    if (!req.dryRun && plan.decisions.some((d) => d.action === "recheck")) {
      await this.ledger.countRequester(req.requester);
      const g = this.d.gerrit;
      plan = await this.ledger.post(
        plan,
        req.requester,
        (c, shared) =>
          g.postReview(c.number, c.revision, {
            message: recheckMessage(trigger, req.requester, shared),
            tag: DEFAULT_REVIEW_TAG,
            // Zuul's report notifies the owner; the bot's own comment is not worth a mail.
            notify: "NONE",
          }),
        g.hasTaggedMessage
          ? {
              ambiguous: ambiguousWriteFailure,
              // Any tagged "recheck" of ours on the patch set counts, whoever asked for it.
              posted: (c) =>
                g.hasTaggedMessage?.(c.number, c.patchSet, DEFAULT_REVIEW_TAG, "recheck") ??
                Promise.resolve(false),
            }
          : undefined,
      );
    }
    const reply = renderRecheckReply(plan, {
      dryRun: req.dryRun,
      all: req.all,
      max,
      maxFailureAgeHours: this.d.recheck.maxFailureAgeHours,
    });
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
    await this.changes.fetchQuietly();
    const s = this.d.recheck.suggestOnMerge;
    if (!s.enabled) return null;
    const { report, model, changeId } = await this.changes.analyse(String(number));
    const shared = sharedInputs(report, model);
    const trigger = changeTrigger(report, model, changeId);
    // Without shared inputs only the dependents (Depends-On, child commits) are worth a word.
    const onlyDependents = shared.length === 0;
    if (s.autoRecheck) {
      try {
        const r = await this.recheckFor(
          trigger,
          { dryRun: false, all: false, requester: AUTO_REQUESTER },
          undefined,
          onlyDependents,
        );
        return worthReporting(r.plan) ? r.reply : null;
      } catch (err) {
        if (err instanceof UserError) return `Automatic recheck after ${number} not done: ${err.message}`;
        throw err;
      }
    }
    let plan = await this.plan(trigger, false, Number.MAX_SAFE_INTEGER);
    if (onlyDependents) plan = keepDependents(plan);
    if (!plan.decisions.some((d) => d.action === "recheck")) return null;
    // One suggestion per failing patch set: a later merge does not name it again.
    plan = await this.ledger.markSuggested(plan);
    const failing = plan.decisions.filter((d) => d.action === "recheck");
    if (failing.length === 0) return null;
    return renderSuggestion({
      trigger,
      sharedReasons: shared,
      failing: failing.map((d) => d.change),
      dependents: failing.filter((d) => d.dependency).map((d) => d.change.number),
      commandPrefix: opts.commandPrefix ?? "!",
    });
  }
}

/** The plan with only the dependents of the trigger left to recheck (a merge that shares no input). */
function keepDependents(plan: RecheckPlan): RecheckPlan {
  return {
    trigger: plan.trigger,
    decisions: plan.decisions.map((d) =>
      d.action === "recheck" && !d.dependency ? markSkipped(d, "no-shared-charm") : d,
    ),
  };
}

/** The AffectedService as the core CharmRechecker other features (OCI auto-recheck) call. */
export function charmRechecker(service: Pick<AffectedService, "recheckCharms">): CharmRechecker {
  return {
    async recheckCharms(charms, trigger, opts): Promise<CharmRecheckOutcome> {
      const r = await service.recheckCharms(charms, trigger, opts);
      return {
        touched: r.plan.decisions
          .filter((d) => d.action === "recheck" || d.reason === "already-rechecked")
          .map((d) => d.change.number),
        worthReporting: worthReporting(r.plan),
        reply: r.reply,
      };
    },
  };
}
