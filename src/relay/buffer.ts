// The per-room relay buffer in Redis: lines wait here for the window to close, then one flush claims them.
import type { Redis } from "ioredis";
import { keyFor } from "../redis.js";
import type { BufferedLine } from "./digest.js";

/**
 * Claims the room's buffer for one flush, idempotently: the first call renames the live buffer to a
 * per-bucket pending key; a retried flush finds that pending key again, so no line is lost or doubled.
 */
const CLAIM = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('EXPIRE', KEYS[2], 604800)
end
return redis.call('HVALS', KEYS[2])
`;

export class RelayBuffer {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private live(room: string): string {
    return keyFor(this.prefix, "relay-buf", room);
  }

  private pending(room: string, bucket: number): string {
    return keyFor(this.prefix, "relay-pending", room, bucket);
  }

  /** Adds a line; the field is the event id, so a retried relay job cannot add it twice. */
  async add(room: string, line: BufferedLine): Promise<void> {
    await this.redis.hset(this.live(room), line.eventId, JSON.stringify(line));
  }

  async claim(room: string, bucket: number): Promise<BufferedLine[]> {
    const vals = (await this.redis.eval(CLAIM, 2, this.live(room), this.pending(room, bucket))) as string[];
    return vals.map((v) => JSON.parse(v) as BufferedLine);
  }

  async release(room: string, bucket: number): Promise<void> {
    await this.redis.del(this.pending(room, bucket));
  }
}
