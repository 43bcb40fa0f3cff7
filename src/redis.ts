// Redis connections from config: one place that knows the ioredis options BullMQ needs.
import { Redis, type RedisOptions } from "ioredis";

export type { Redis };

/**
 * BullMQ workers block on Redis, so requests must not fail after N retries (maxRetriesPerRequest: null);
 * while Redis is down, commands wait for the reconnect instead of being lost.
 */
export function connectRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    ...extra,
  });
}

/** Our own keys (stats, rate limits, relay subscriptions) live beside BullMQ's under the same prefix. */
export function keyFor(prefix: string, ...parts: (string | number)[]): string {
  return [prefix, "bot", ...parts].join(":");
}
