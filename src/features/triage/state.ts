// Triage state in Redis: poll cursors, the bugs the bot prompted, each bug's step record, the write budget.
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { keyFor } from "../../core/redis.js";

export interface PollCursor {
  /** date_created of the newest bug seen by the new-bug search (ISO). */
  created?: string;
  /** Everything modified up to here was seen by the reply searches (ISO). */
  modified?: string;
}

/** Steps of the prompt and reply flows, recorded as they complete so that a crash resumes, never repeats. */
export type StepRecord = Record<string, string>;

/** A bug's step record outlives any plausible reply (Launchpad expires Incomplete bugs after 60 days). */
const STEP_TTL_SECONDS = 365 * 86400;

export class TriageStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(...parts: (string | number)[]): string {
    return keyFor(this.prefix, "triage", ...parts);
  }

  // ---- poll cursor, per project ----

  async cursor(project: string): Promise<PollCursor> {
    const h = await this.redis.hgetall(this.key("cursor", project));
    return {
      ...(h.created ? { created: h.created } : {}),
      ...(h.modified ? { modified: h.modified } : {}),
    };
  }

  async saveCursor(project: string, c: PollCursor): Promise<void> {
    const fields = Object.entries(c).filter((e): e is [string, string] => typeof e[1] === "string");
    if (fields.length) await this.redis.hset(this.key("cursor", project), Object.fromEntries(fields));
  }

  // ---- bugs the bot prompted: bug id → watermark (date of the last message already looked at) ----

  async markPrompted(project: string, bug: number, watermark: string): Promise<void> {
    await this.redis.hset(this.key("prompted", project), String(bug), watermark);
  }

  async prompted(project: string): Promise<Map<number, string>> {
    const h = await this.redis.hgetall(this.key("prompted", project));
    return new Map(Object.entries(h).map(([k, v]) => [Number(k), v]));
  }

  /** Moves the watermark forward only (two replies handled out of order never move it back). */
  async advanceWatermark(project: string, bug: number, iso: string): Promise<void> {
    const key = this.key("prompted", project);
    const cur = await this.redis.hget(key, String(bug));
    if (cur !== null && Date.parse(cur) < Date.parse(iso)) await this.redis.hset(key, String(bug), iso);
  }

  async unmarkPrompted(project: string, bug: number): Promise<void> {
    await this.redis.hdel(this.key("prompted", project), String(bug));
  }

  // ---- per-bug step record ----

  async steps(bug: number): Promise<StepRecord> {
    return this.redis.hgetall(this.key("bug", bug));
  }

  async setSteps(bug: number, fields: StepRecord): Promise<void> {
    const key = this.key("bug", bug);
    await this.redis.multi().hset(key, fields).expire(key, STEP_TTL_SECONDS).exec();
  }

  // ---- one flow per bug at a time ----

  /**
   * Takes the bug's lock for `ttlMs` (a crashed holder's lock expires). Returns a token for unlock, or null
   * when another job holds it: a new-bug flow and a reply flow must never interleave their writes.
   */
  async lock(bug: number, ttlMs: number): Promise<string | null> {
    const token = randomBytes(8).toString("hex");
    const ok = await this.redis.set(this.key("lock", bug), token, "PX", ttlMs, "NX");
    return ok === "OK" ? token : null;
  }

  /** Releases the lock only if it is still ours (it may have expired and been taken by another job). */
  async unlock(bug: number, token: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      this.key("lock", bug),
      token,
    );
  }

  // ---- write budget ----

  /**
   * Reserves `n` Launchpad writes in the current window (one poll interval). All of a flow's writes are
   * reserved at once, so a flow never stops half-way for lack of budget. A flow larger than the whole cap
   * may still run alone in an empty window. Returns how long to wait when the window is full.
   */
  async reserveWrites(n: number, max: number, windowMs: number, now: number): Promise<number> {
    if (n <= 0) return 0;
    const bucket = Math.floor(now / windowMs);
    const key = this.key("writes", bucket);
    const [[, used]] = (await this.redis
      .multi()
      .incrby(key, n)
      .pexpire(key, windowMs * 2)
      .exec()) as [[Error | null, number]];
    if (used <= max || used === n) return 0;
    await this.redis.decrby(key, n);
    return (bucket + 1) * windowMs - now;
  }
}
