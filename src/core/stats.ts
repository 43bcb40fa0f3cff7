// The bot's own counters and "last seen" markers in Redis: shared by replicas, shown by !status.
import type { Redis } from "ioredis";
import type { BotEvent } from "./events.js";
import { keyFor } from "./redis.js";

interface LastEvent {
  id: string;
  kind: string;
  at: string;
}

/** How long event bookkeeping may wait in memory: one Redis write per this, not one per event. */
const FLUSH_MS = 250;

export class Stats {
  // Per-event bookkeeping (last event per source, events per kind) is batched: on the hot path it cost a
  // third of the pipeline's throughput (docs/performance.md). At worst a crash loses FLUSH_MS of these
  // figures, never an event. Counters written with incr() (the weekly numbers) stay immediate.
  private pendingLast = new Map<string, LastEvent>();
  private pendingCounts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  recordEvent(e: BotEvent): void {
    this.pendingLast.set(e.source, { id: e.id, kind: e.kind, at: new Date().toISOString() });
    const k = `events:${e.kind}`;
    this.pendingCounts.set(k, (this.pendingCounts.get(k) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes the batched bookkeeping; on failure it is merged back and tried again with the next batch. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      const last = this.pendingLast;
      const counts = this.pendingCounts;
      if (last.size === 0 && counts.size === 0) return;
      this.pendingLast = new Map();
      this.pendingCounts = new Map();
      const m = this.redis.multi();
      for (const [source, ev] of last) m.hset(keyFor(this.prefix, "last-event", source), { ...ev });
      for (const [k, n] of counts) m.hincrby(keyFor(this.prefix, "counters"), k, n);
      try {
        await m.exec();
      } catch (err) {
        for (const [source, ev] of last) if (!this.pendingLast.has(source)) this.pendingLast.set(source, ev);
        for (const [k, n] of counts) this.pendingCounts.set(k, (this.pendingCounts.get(k) ?? 0) + n);
        throw err;
      }
    });
    return this.flushing;
  }

  async incr(counter: string, by = 1): Promise<void> {
    await this.redis.hincrby(keyFor(this.prefix, "counters"), counter, by);
  }

  async counters(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(keyFor(this.prefix, "counters"));
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }

  /** The last event seen from each source (gerrit, chat, …). */
  async lastEvents(
    sources: readonly string[],
  ): Promise<Record<string, { id: string; kind: string; at: string }>> {
    const out: Record<string, { id: string; kind: string; at: string }> = {};
    for (const source of sources) {
      // This replica's newest events may still wait in memory: they are newer than what Redis has.
      const mine = this.pendingLast.get(source);
      if (mine) {
        out[source] = mine;
        continue;
      }
      const h = await this.redis.hgetall(keyFor(this.prefix, "last-event", source));
      if (h.id && h.kind && h.at) out[source] = { id: h.id, kind: h.kind, at: h.at };
    }
    return out;
  }
}
