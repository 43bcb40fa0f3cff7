// Keeps the Matrix sync position in Redis, so a restart neither re-answers nor misses messages.
import type { Redis } from "ioredis";
import type { SyncStore } from "./matrix.js";

export class RedisSyncStore implements SyncStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async get(): Promise<string | undefined> {
    return (await this.redis.get(this.key)) ?? undefined;
  }

  async set(token: string): Promise<void> {
    await this.redis.set(this.key, token);
  }
}
