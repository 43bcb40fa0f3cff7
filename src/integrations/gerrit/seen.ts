// Which Gerrit events were already taken in: exact ids, plus a time-tolerant key for backfill's clock skew.
import type { Redis } from "ioredis";
import type { GerritEvent } from "../../core/events.js";
import { keyFor } from "../../core/redis.js";
import { fuzzyKey } from "./backfill.js";

/**
 * A live event and the same event synthesised from REST can differ by a second in eventCreatedOn, so
 * besides the exact id (which the queue's job-id dedup already covers) we remember a time-free key at
 * its second and look ±tolerance around it.
 */
export class SeenEvents {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly toleranceSeconds = 2,
    private readonly ttlSeconds = 3 * 86400,
  ) {}

  private key(e: GerritEvent, at: number): string {
    return keyFor(this.prefix, "gseen", fuzzyKey(e), at);
  }

  async seen(e: GerritEvent): Promise<boolean> {
    if (e.createdOn === null) return false;
    const keys: string[] = [];
    for (let d = -this.toleranceSeconds; d <= this.toleranceSeconds; d++)
      keys.push(this.key(e, e.createdOn + d));
    const vals = await this.redis.mget(...keys);
    return vals.some((v) => v !== null);
  }

  async mark(e: GerritEvent): Promise<void> {
    if (e.createdOn === null) return;
    await this.redis.set(this.key(e, e.createdOn), e.id, "EX", this.ttlSeconds);
  }
}
