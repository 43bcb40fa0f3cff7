// Chat updates to cycle actions (status, notes, with who/when) and the weekly snapshots of the numbers, in Redis.
import type { Redis } from "ioredis";
import { z } from "zod";
import { keyFor } from "../../core/redis.js";
import { ACTION_STATUSES, type ActionStatus } from "./actions.js";
import type { ActionNote } from "./render.js";

export interface ActionOverride {
  status?: ActionStatus;
  statusSetBy?: { by: string; at: string };
  /** Oldest first. */
  notes: ActionNote[];
}

/** What a sent summary leaves behind, so next week's numbers can show their change. */
export interface WeekSnapshot {
  week: string;
  /** The end of the period that summary covered (ISO). */
  at: string;
  figures: { name: string; value: number | string | null }[];
  /** The bot's raw counters at that time: next week's counter figures are differences from these. */
  counters: Record<string, number>;
  /** Each action's latest evidence then: carried forward when a source is down, so nothing looks stale. */
  lastActivity: Record<string, string>;
}

const StatusSchema = z.object({ status: z.enum(ACTION_STATUSES), by: z.string(), at: z.string() });
const NoteSchema = z.object({ id: z.string(), by: z.string(), at: z.string(), text: z.string() });
const SnapshotSchema = z.object({
  week: z.string(),
  at: z.string(),
  figures: z.array(z.object({ name: z.string(), value: z.union([z.number(), z.string(), z.null()]) })),
  counters: z.record(z.string(), z.number()),
  lastActivity: z.record(z.string(), z.string()).default({}),
});

/** Notes kept over all actions; a cycle has far fewer. */
const MAX_NOTES = 2000;
/** Two years of weekly snapshots. */
const MAX_WEEKS = 104;

function parseJson<T>(schema: z.ZodType<T>, raw: string): T | undefined {
  try {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export class ActionOverrides {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private key(...parts: string[]): string {
    return keyFor(this.prefix, "summary", ...parts);
  }

  async setStatus(id: string, status: ActionStatus, by: string): Promise<{ by: string; at: string }> {
    const at = this.now().toISOString();
    await this.redis.hset(this.key("status"), id, JSON.stringify({ status, by, at }));
    return { by, at };
  }

  async addNote(id: string, text: string, by: string): Promise<ActionNote> {
    const note = { by, at: this.now().toISOString(), text };
    await this.redis
      .multi()
      .rpush(this.key("notes"), JSON.stringify({ id, ...note }))
      .ltrim(this.key("notes"), -MAX_NOTES, -1)
      .exec();
    return note;
  }

  /** Every action that has a chat update, by id. Unreadable entries are skipped, never fatal. */
  async list(): Promise<Record<string, ActionOverride>> {
    const [statuses, notes] = await Promise.all([
      this.redis.hgetall(this.key("status")),
      this.redis.lrange(this.key("notes"), 0, -1),
    ]);
    const out: Record<string, ActionOverride> = {};
    const entry = (id: string): ActionOverride => (out[id] ??= { notes: [] });
    for (const [id, raw] of Object.entries(statuses)) {
      const s = parseJson(StatusSchema, raw);
      if (s) Object.assign(entry(id), { status: s.status, statusSetBy: { by: s.by, at: s.at } });
    }
    for (const raw of notes) {
      const n = parseJson(NoteSchema, raw);
      if (n) entry(n.id).notes.push({ by: n.by, at: n.at, text: n.text });
    }
    return out;
  }

  /** Records a week's snapshot; the first one written for a week stays (a second replica's is dropped). */
  async saveWeek(week: string, snap: Omit<WeekSnapshot, "week">): Promise<boolean> {
    const key = this.key("weeks");
    const added = await this.redis.hsetnx(key, week, JSON.stringify({ ...snap, week }));
    const weeks = (await this.redis.hkeys(key)).sort();
    if (weeks.length > MAX_WEEKS) await this.redis.hdel(key, ...weeks.slice(0, weeks.length - MAX_WEEKS));
    return added === 1;
  }

  /**
   * The latest snapshot of a week before `week` (the previous summary sent; weeks may have been skipped),
   * or up to and including it (an on-demand summary mid-week counts from this week's).
   */
  async previousWeek(week: string, opts: { inclusive?: boolean } = {}): Promise<WeekSnapshot | undefined> {
    const key = this.key("weeks");
    // "YYYY-Www" keys sort in time order.
    const earlier = (await this.redis.hkeys(key)).filter((w) => w < week || (opts.inclusive && w === week));
    const last = earlier.sort().at(-1);
    if (last === undefined) return undefined;
    const raw = await this.redis.hget(key, last);
    return raw === null ? undefined : parseJson(SnapshotSchema, raw);
  }
}
