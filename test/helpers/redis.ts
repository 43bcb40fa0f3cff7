// Test access to the run's private redis-server: a random key prefix per test, everything removed after.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { connectRedis, type Redis } from "../../src/core/redis.js";

export function redisUrl(): string {
  return inject("redisUrl");
}

export function randomPrefix(): string {
  return `t${randomBytes(5).toString("hex")}`;
}

/** Deletes every key under a prefix (the test's own BullMQ queues and bot keys). */
export async function dropPrefix(prefix: string): Promise<void> {
  const r: Redis = connectRedis(redisUrl());
  let cursor = "0";
  do {
    const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== "0");
  await r.quit();
}
