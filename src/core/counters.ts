// The bot's own counters the weekly numbers come from: their names, the triage completion times, and weekly deltas.
import type { Redis } from "ioredis";
import { keyFor } from "./redis.js";

/**
 * Fields of the Stats counters hash (`<prefix>:bot:counters`, written with `Stats.incr(name)`) that the
 * summary reads. They only ever grow; a week's figure is the difference from the previous summary's snapshot.
 * Written by the features that own them: triage (prompted, completed), rechecks, OCI announcements, the Gerrit source.
 */
export const COUNTERS = {
  /** A triage prompt posted on a bug (the reporter was asked for missing debug info). */
  prompted: "triage:prompted",
  /** A prompted bug whose reporter then supplied what was missing. */
  completed: "triage:completed",
  /** `recheck` comments the bot posted on Gerrit. */
  rechecks: "recheck:posted",
  /** New OCI images/tags announced in chat. */
  imagesAnnounced: "oci:announced",
  /** Gerrit stream-events reconnects. */
  gerritReconnects: "gerrit:reconnects",
  /** Seconds the Gerrit stream was connected (added periodically and on disconnect). */
  gerritConnectedSeconds: "gerrit:connected-seconds",
} as const;

/** What the summary needs of the bot's counters (src/stats.ts `Stats` satisfies it). */
export interface CounterSource {
  counters(): Promise<Record<string, number>>;
}

/**
 * Triage completion times: a sorted set scored by completion time (ms), member `<bug>:<seconds>`, so a
 * week's median can be taken over exactly that week and a repeated record of one bug counts once.
 */
export class TriageCompletions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get key(): string {
    return keyFor(this.prefix, "triage-completions");
  }

  /** Called by the triage feature when a prompted bug becomes complete. */
  async record(bug: number, promptedAt: Date, completedAt: Date): Promise<void> {
    const seconds = Math.max(0, Math.round((completedAt.getTime() - promptedAt.getTime()) / 1000));
    await this.redis.zadd(this.key, completedAt.getTime(), `${bug}:${seconds}`);
  }

  async completionSeconds(since: Date, until: Date): Promise<number[]> {
    const members = await this.redis.zrangebyscore(this.key, since.getTime(), `(${until.getTime()}`);
    return members.map((m) => Number(m.split(":")[1])).filter((n) => Number.isFinite(n));
  }
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * A counter's growth since the previous snapshot; the running total when there is none (first summary);
 * null when the counter was never written (the feature that writes it is not running).
 */
export function counterDelta(
  now: Record<string, number>,
  before: Record<string, number> | undefined,
  name: string,
): number | null {
  const v = now[name];
  if (v === undefined) return null;
  const b = before?.[name] ?? 0;
  // A counter reset (Redis emptied) shows as the new total rather than a negative number.
  return v >= b ? v - b : v;
}
