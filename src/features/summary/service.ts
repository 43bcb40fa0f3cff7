// The summary service: builds a week's SummaryData from every source, sends it once per week, serves commands.
import type { Redis } from "ioredis";
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import { PermanentError, UserError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { keyFor } from "../../core/redis.js";
import { Stats } from "../../core/stats.js";
import { loadActions, type ActionStatus, type ActionsFile } from "./actions.js";
import {
  collectBugs,
  collectChanges,
  countNewBugs,
  settle,
  type GerritReader,
  type LaunchpadReader,
} from "./collect.js";
import { summaryTargets, type RoomRef, type SummaryConfig } from "./config.js";
import { TriageCompletions, type CounterSource } from "../../core/counters.js";
import { ActionOverrides, type WeekSnapshot } from "./overrides.js";
import { assembleSummary, type Collected } from "./report.js";
import { renderSummary, type SummaryData } from "./render.js";
import type { ActionListEntry, ActionsService, SummaryServices } from "./services.js";
import { isoWeekKey } from "./week.js";

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** A previous summary older than this is not a useful start: the period falls back to the last 7 days. */
const MAX_PERIOD = 35 * DAY;
/** Sent-marks outlive any retry of the week's job, then expire. */
const MARK_TTL_SECONDS = 40 * 86400;
const MAX_NOTE = 500;

export interface SummaryServiceOptions {
  config: SummaryConfig;
  /** Redis key prefix (`redis.prefix`). */
  prefix: string;
  /** Without Redis: no chat updates, counters or weekly sends (the CLI when Redis cannot be reached). */
  redis?: Redis;
  rooms?: Record<string, RoomRef>;
  outbox?: Outbox;
  gerrit?: { client: GerritReader; webUrl: string; projects: readonly string[] };
  launchpad?: { client: LaunchpadReader; projects: readonly string[] };
  /** The bot's counters; default: `Stats` on `redis`. */
  counters?: CounterSource;
  /** Why Redis is missing, when it is (shown as the reason it was unavailable). */
  redisProblem?: string;
  now?: () => Date;
  log?: Logger;
}

export interface BuildOptions {
  /** Start of the period; default: the previous weekly summary's end, or 7 days before `until`. */
  since?: Date;
  until?: Date;
  /** Per-source time limit; default `sourceTimeoutSeconds` (a chat command waits less than the weekly job). */
  timeoutMs?: number;
}

/** `!summary` answers within about this long even when a source hangs. */
const COMMAND_TIMEOUT_MS = 45_000;

export interface BuiltSummary {
  week: string;
  file: ActionsFile;
  data: SummaryData;
  snapshot: Omit<WeekSnapshot, "week">;
}

export interface WeeklyResult {
  week: string;
  /** Target keys posted now (`matrix`, `slack`, `room:<name>`). */
  sent: string[];
  /** Target keys already sent this week (by another replica or an earlier run). */
  skipped: string[];
  unavailable: string[];
}

/** The send id of a week's summary to one target: a retry or a second replica reuses it, so the outbox keeps one. */
export function weeklySendId(week: string, targetKey: string): string {
  return `summary:${week}:${targetKey}`;
}

export class SummaryService {
  private readonly overrides: ActionOverrides | undefined;
  private readonly completions: TriageCompletions | undefined;
  private readonly counters: CounterSource | undefined;
  private readonly now: () => Date;

  constructor(private readonly o: SummaryServiceOptions) {
    this.now = o.now ?? (() => new Date());
    if (o.redis) {
      this.overrides = new ActionOverrides(o.redis, o.prefix, this.now);
      this.completions = new TriageCompletions(o.redis, o.prefix);
    }
    this.counters = o.counters ?? (o.redis ? new Stats(o.redis, o.prefix) : undefined);
  }

  /** Read for every use, so a PTL's edit of the file needs no restart; a broken file fails loudly (ConfigError). */
  actionsFile(): ActionsFile {
    return loadActions(this.o.config.actionsFile);
  }

  async build(opts: BuildOptions = {}): Promise<BuiltSummary> {
    const until = opts.until ?? this.now();
    const week = isoWeekKey(until, this.o.config.timezone);
    const file = this.actionsFile();
    const timeoutMs = opts.timeoutMs ?? this.o.config.sourceTimeoutSeconds * 1000;
    const unavailable: Record<string, string> = {};
    const c: Collected = { unavailable };

    // Redis first: the previous summary decides where the period starts.
    const ov = this.overrides;
    if (!ov) unavailable.redis = this.o.redisProblem ?? "not configured";
    else {
      const r = await settle(timeoutMs, () =>
        Promise.all([ov.previousWeek(week), ov.list(), this.counters?.counters()]),
      );
      if (r.ok) [c.previous, c.overrides, c.counters] = r.value;
      else unavailable.redis = r.reason;
    }
    const prevAt = c.previous ? Date.parse(c.previous.at) : NaN;
    const since =
      opts.since ??
      (until.getTime() - prevAt > 0 && until.getTime() - prevAt <= MAX_PERIOD
        ? new Date(prevAt)
        : new Date(until.getTime() - WEEK));
    if (since.getTime() >= until.getTime())
      throw new UserError(`the period must start before ${until.toISOString()} (got ${since.toISOString()})`);
    const lookbackWeeks = this.o.config.lookbackWeeks;
    const after = new Date(Math.min(since.getTime(), until.getTime() - lookbackWeeks * WEEK));

    const { gerrit, launchpad } = this.o;
    const [completions, changes, lp] = await Promise.all([
      this.completions && !unavailable.redis
        ? settle(timeoutMs, () => (this.completions as TriageCompletions).completionSeconds(since, until))
        : undefined,
      gerrit
        ? settle(timeoutMs, () => collectChanges(gerrit.client, { after, projects: gerrit.projects }))
        : undefined,
      launchpad
        ? settle(timeoutMs, () =>
            Promise.all([
              collectBugs(launchpad.client, file, { after, projects: launchpad.projects }),
              countNewBugs(launchpad.client, { since, until, projects: launchpad.projects }),
            ]),
          )
        : undefined,
    ]);
    if (completions?.ok) c.completions = completions.value;
    else if (completions) unavailable.redis = completions.reason;
    if (!changes) unavailable.gerrit = "not configured";
    else if (changes.ok) c.changes = changes.value;
    else unavailable.gerrit = changes.reason;
    if (!lp) unavailable.launchpad = "not configured";
    else if (lp.ok) [c.bugs, c.newBugs] = lp.value;
    else unavailable.launchpad = lp.reason;
    for (const [source, reason] of Object.entries(unavailable))
      this.o.log?.warn({ source, reason }, "summary source unavailable");

    const { data, snapshot } = assembleSummary(file, c, {
      since,
      until,
      lookbackWeeks,
      webUrl: gerrit?.webUrl ?? "",
    });
    return { week, file, data, snapshot };
  }

  render(data: SummaryData): string {
    return renderSummary(data, this.o.config.maxEvidence);
  }

  private sentKey(week: string, targetKey: string): string {
    return keyFor(this.o.prefix, "summary", "sent", week, targetKey);
  }

  /**
   * Sends this ISO week's summary to every target at most once, however many replicas or retries call it.
   * Per target: SET NX "pending" claims the week; the message goes out with a send id fixed by week and
   * target; then the mark becomes "sent". A run that finds "pending" (a claimant still sending, or one that
   * died between mark and send) posts again with the same send id: the outbox keeps one job per send id, so
   * the PTL gets one message either way and a crash never loses the week's summary.
   */
  async sendWeekly(at: Date = this.now()): Promise<WeeklyResult> {
    const { redis, outbox } = this.o;
    if (!redis || !outbox) throw new PermanentError("the weekly summary needs Redis and the chat outbox");
    const week = isoWeekKey(at, this.o.config.timezone);
    const targets = summaryTargets(this.o.config, this.o.rooms ?? {});
    const result: WeeklyResult = { week, sent: [], skipped: [], unavailable: [] };
    if (targets.length === 0) return result;
    const states = await redis.mget(...targets.map((t) => this.sentKey(week, t.key)));
    if (states.every((s) => s === "sent")) {
      result.skipped = targets.map((t) => t.key);
      return result;
    }
    const built = await this.build({ until: at });
    result.unavailable = built.data.unavailable;
    const text = this.render(built.data);
    // Without the counters read, a snapshot would make next week's deltas wrong: keep the last good one.
    if (!built.data.unavailable.includes("redis") && this.overrides)
      await this.overrides.saveWeek(week, built.snapshot);
    for (const t of targets) {
      const key = this.sentKey(week, t.key);
      const claimed = await redis.set(key, "pending", "EX", MARK_TTL_SECONDS, "NX");
      if (claimed === null && (await redis.get(key)) === "sent") {
        result.skipped.push(t.key);
        continue;
      }
      const target: ChatTarget = { network: t.network, room: t.room, ...(t.direct ? { direct: true } : {}) };
      await outbox.post(target, { text }, weeklySendId(week, t.key));
      await redis.set(key, "sent", "EX", MARK_TTL_SECONDS);
      result.sent.push(t.key);
    }
    this.o.log?.info(result, "weekly summary");
    return result;
  }

  private requireOverrides(): ActionOverrides {
    if (!this.overrides) throw new UserError("Action updates need Redis, which is not available.");
    return this.overrides;
  }

  /** The id as the file has it; a UserError naming the known ids otherwise. */
  private knownId(id: string): string {
    const ids = this.actionsFile().actions.map((a) => a.id);
    const wanted = id.trim().toLowerCase();
    if (ids.includes(wanted)) return wanted;
    const close = ids.filter((i) => i.includes(wanted) || wanted.includes(i));
    throw new UserError(
      `No action "${id}".${close.length === 1 ? ` Did you mean ${close[0]}?` : ""} Actions: ${ids.join(", ")}`,
    );
  }

  readonly actions: ActionsService = {
    list: async (): Promise<ActionListEntry[]> => {
      const file = this.actionsFile();
      const updates = this.overrides ? await this.overrides.list() : {};
      return file.actions.map((a) => {
        const u = updates[a.id];
        const entry: ActionListEntry = {
          id: a.id,
          title: a.title,
          owner: a.owner,
          area: a.area,
          status: u?.status ?? a.status,
          notes: u?.notes ?? [],
        };
        if (u?.statusSetBy) entry.statusSetBy = u.statusSetBy;
        return entry;
      });
    },
    setStatus: async (id: string, status: ActionStatus, by: string) =>
      this.requireOverrides().setStatus(this.knownId(id), status, by),
    addNote: async (id: string, text: string, by: string) => {
      const t = text.trim();
      if (!t) throw new UserError("The note is empty.");
      if (t.length > MAX_NOTE) throw new UserError(`Notes are at most ${MAX_NOTE} characters.`);
      return this.requireOverrides().addNote(this.knownId(id), t, by);
    },
  };

  /** What the summary feature adds to CommandServices for `!actions` and `!summary`. */
  commandServices(): SummaryServices {
    return {
      actions: this.actions,
      summary: {
        render: async () => {
          const timeoutMs = Math.min(COMMAND_TIMEOUT_MS, this.o.config.sourceTimeoutSeconds * 1000);
          return this.render((await this.build({ timeoutMs })).data);
        },
      },
    };
  }
}
