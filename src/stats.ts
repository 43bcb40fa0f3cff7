// The bot's own counters and "last seen" markers in Redis: shared by replicas, shown by !status.
import type { Redis } from "ioredis";
import type { BotEvent } from "./events.js";
import { keyFor } from "./redis.js";

export class Stats {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async recordEvent(e: BotEvent): Promise<void> {
    await this.redis
      .multi()
      .hset(keyFor(this.prefix, "last-event", e.source), {
        id: e.id,
        kind: e.kind,
        at: new Date().toISOString(),
      })
      .hincrby(keyFor(this.prefix, "counters"), `events:${e.kind}`, 1)
      .exec();
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
      const h = await this.redis.hgetall(keyFor(this.prefix, "last-event", source));
      if (h.id && h.kind && h.at) out[source] = { id: h.id, kind: h.kind, at: h.at };
    }
    return out;
  }
}
