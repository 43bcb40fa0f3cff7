// The Redis side of rechecks: the done marks (one recheck or suggestion per failing patch set, whatever the
// trigger, over every replica), the per-change cooldown, the per-requester and global hourly limits, and the posting loop that
// keeps them true to what was actually posted.
import { UserError, errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { keyFor, type Redis } from "../../core/redis.js";
import type { RecheckConfig } from "./config.js";
import {
  doneKey,
  markSkipped,
  triggerId,
  type CandidateChange,
  type Decision,
  type RecheckPlan,
  type Trigger,
} from "./recheck-plan.js";

export interface RecheckLedgerDeps {
  redis: Redis;
  prefix: string;
  recheck: Pick<RecheckConfig, "cooldownHours" | "perUserPerHour" | "globalPerHour">;
  log: Logger;
  /** The bot's counters (src/stats.ts): every posted recheck is counted for the weekly summary. */
  stats?: { incr(counter: string, by?: number): Promise<void> };
}

/** Posts one recheck comment on the change's current revision; a throw marks the change `post-failed`. */
export type PostRecheck = (change: CandidateChange, shared: readonly string[]) => Promise<unknown>;

/**
 * After a failure that may have written anyway (timeout, 5xx): whether the bot's own tagged recheck is
 * on that patch set. Asked before posting again, so an ambiguous failure never makes a second comment.
 */
export interface RecheckCheck {
  ambiguous(err: unknown): boolean;
  posted(change: CandidateChange): Promise<boolean>;
}

/** The done mark's value while it is not known whether the last post reached Gerrit. */
const UNCERTAIN = "?uncertain";

/** What the ledger already holds about the candidates of a trigger: the inputs of planRechecks. */
export interface RecheckMarks {
  /** `doneKey`s of patch sets already rechecked, or suggested by another trigger. */
  done: Set<string>;
  /** Change numbers rechecked (for any trigger) within the cooldown. */
  cooling: Set<number>;
}

/** A recheck is remembered this long per (change, patch set): longer than any change stays open unrevised. */
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

/** The done mark a suggestion leaves: its trigger's command may still recheck the patch set. */
const suggestedMark = (t: Trigger) => `suggested:${triggerId(t)}`;

export class RecheckLedger {
  constructor(private readonly d: RecheckLedgerDeps) {}

  private key(...parts: (string | number)[]): string {
    return keyFor(this.d.prefix, "recheck", ...parts);
  }

  /** The done marks of `trigger` and the cooldowns among `candidates` (cooldowns only when configured). */
  async marks(trigger: Trigger, candidates: readonly CandidateChange[]): Promise<RecheckMarks> {
    const done = new Set<string>();
    const cooling = new Set<number>();
    if (candidates.length === 0) return { done, cooling };
    const keys = candidates.map((c) => doneKey(c.number, c.patchSet));
    const marks = await this.d.redis.mget(...keys.map((k) => this.key("done", k)));
    // An uncertain mark is not "done": post() looks on Gerrit for it before deciding. A suggestion names the
    // command to run for its trigger: that command must not be refused for it.
    const own = suggestedMark(trigger);
    keys.forEach((k, i) => marks[i] !== null && marks[i] !== UNCERTAIN && marks[i] !== own && done.add(k));
    if (this.d.recheck.cooldownHours !== undefined) {
      const cool = await this.d.redis.mget(...candidates.map((c) => this.key("cooldown", c.number)));
      candidates.forEach((c, i) => cool[i] !== null && cooling.add(c.number));
    }
    return { done, cooling };
  }

  /** Takes the done mark, over a suggestion of the same trigger (the suggested command being run). */
  private async take(key: string, value: string, trigger: Trigger): Promise<boolean> {
    if ((await this.d.redis.set(key, value, "EX", DONE_TTL_SECONDS, "NX")) === "OK") return true;
    const was = await this.d.redis.get(key);
    if (was !== suggestedMark(trigger)) return false;
    return (await this.d.redis.set(key, value, "EX", DONE_TTL_SECONDS, "XX")) === "OK";
  }

  /**
   * Records the plan's would-be rechecks as suggested (a room message named them): a later trigger on the
   * same failing patch set does not suggest it again. Returns the plan with those already taken skipped.
   */
  async markSuggested(plan: RecheckPlan): Promise<RecheckPlan> {
    const mark = suggestedMark(plan.trigger);
    const decisions: Decision[] = [];
    for (const d of plan.decisions) {
      if (d.action !== "recheck") {
        decisions.push(d);
        continue;
      }
      const key = this.key("done", doneKey(d.change.number, d.change.patchSet));
      const ok = (await this.d.redis.set(key, mark, "EX", DONE_TTL_SECONDS, "NX")) === "OK";
      decisions.push(ok || (await this.d.redis.get(key)) === mark ? d : markSkipped(d, "already-rechecked"));
    }
    return { trigger: plan.trigger, decisions };
  }

  /** Counts one recheck command of this requester; a UserError when over the hourly limit. */
  async countRequester(requester: string): Promise<void> {
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

  /**
   * Posts the plan's rechecks with `send`, within the global hourly budget: each change's done mark is
   * taken before posting and released (with its budget unit) when the post fails. Returns the plan with
   * the rechecks that did not happen turned into skips.
   */
  async post(
    plan: RecheckPlan,
    requester: string,
    send: PostRecheck,
    check?: RecheckCheck,
  ): Promise<RecheckPlan> {
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
      const doneAt = this.key("done", doneKey(c.number, c.patchSet));
      // Taken before posting: a second replica (or a retried job) running the same command skips it.
      const value = `rechecked:${triggerId(plan.trigger)}:${requester}`;
      if (!(await this.take(doneAt, value, plan.trigger))) {
        // An earlier post ended without knowing: look on Gerrit before taking the mark over.
        const retry = (await this.d.redis.get(doneAt)) === UNCERTAIN && check;
        const onGerrit = retry ? await check.posted(c).catch(() => true) : true;
        if (onGerrit) {
          if (retry) await this.d.redis.set(doneAt, value, "EX", DONE_TTL_SECONDS);
          await this.d.redis.decr(globalKey);
          decisions.push(markSkipped(d, "already-rechecked"));
          continue;
        }
        await this.d.redis.set(doneAt, value, "EX", DONE_TTL_SECONDS);
      }
      try {
        await send(c, d.shared);
      } catch (err) {
        const verdict = check?.ambiguous(err) ? await check.posted(c).catch(() => undefined) : false;
        if (verdict === true) {
          this.d.log.warn(
            { change: c.number, err: errorMessage(err) },
            "recheck post failed but is on Gerrit",
          );
        } else {
          // Unknown (the look failed too): keep the mark as uncertain, so the next run looks first.
          if (verdict === undefined) await this.d.redis.set(doneAt, UNCERTAIN, "EX", DONE_TTL_SECONDS);
          else await this.d.redis.del(doneAt);
          await this.d.redis.decr(globalKey);
          this.d.log.warn({ change: c.number, err: errorMessage(err) }, "recheck post failed");
          decisions.push(markSkipped(d, "post-failed", errorMessage(err).slice(0, 120)));
          continue;
        }
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
}
