// A per-user fixed-window rate limit kept in Redis, so every replica counts the same commands.
import type { Redis } from "ioredis";
import type { RateLimiter } from "./commands.js";
import { keyFor } from "./redis.js";

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly perSeconds: number,
  ) {}

  async hit(network: string, user: string): Promise<boolean> {
    const key = keyFor(this.prefix, "ratelimit", network, user);
    const [[, count] = [null, 0]] =
      (await this.redis.multi().incr(key).expire(key, this.perSeconds, "NX").exec()) ?? [];
    return Number(count) <= this.limit;
  }

  describe(): string {
    return `at most ${this.limit} commands per ${this.perSeconds} s`;
  }
}
