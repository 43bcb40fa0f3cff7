// Run-time relay subscriptions (!subscribe / !unsubscribe), kept in Redis per chat room.
import type { Redis } from "ioredis";
import { keyFor } from "../../core/redis.js";
import { isChatPattern } from "./patterns.js";

export interface Subscription {
  project: string;
  events: string[];
  by: string;
  at: string;
}

export class Subscriptions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(network: string, room: string): string {
    return keyFor(this.prefix, "subs", network, room);
  }

  private index(): string {
    return keyFor(this.prefix, "subs-index");
  }

  async list(network: string, room: string): Promise<Subscription[]> {
    const h = await this.redis.hgetall(this.key(network, room));
    return Object.values(h).map((v) => JSON.parse(v) as Subscription);
  }

  async add(network: string, room: string, sub: Subscription): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(network, room), sub.project, JSON.stringify(sub))
      .sadd(this.index(), JSON.stringify([network, room]))
      .exec();
  }

  /** Removes one project's subscription, or all of the room's; returns how many went. */
  async remove(network: string, room: string, project?: string): Promise<number> {
    if (project) return this.redis.hdel(this.key(network, room), project);
    const n = await this.redis.hlen(this.key(network, room));
    await this.redis
      .multi()
      .del(this.key(network, room))
      .srem(this.index(), JSON.stringify([network, room]))
      .exec();
    return n;
  }

  /** Every room with subscriptions: what the relay handler adds to the config's rules. */
  async all(): Promise<{ network: string; room: string; subs: Subscription[] }[]> {
    const rooms = await this.redis.smembers(this.index());
    const out: { network: string; room: string; subs: Subscription[] }[] = [];
    for (const r of rooms) {
      const [network, room] = JSON.parse(r) as [string, string];
      // A `^regex` stored before chat patterns were limited to globs is not matched: it could freeze
      // the event loop on every event, and it stayed in Redis across restarts.
      const subs = (await this.list(network, room)).filter((s) => isChatPattern(s.project));
      if (subs.length) out.push({ network, room, subs });
    }
    return out;
  }
}
