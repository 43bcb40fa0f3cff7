// The per-room relay buffer in Redis: lines wait here for the window to close, then one flush claims them.
import type { Redis } from "ioredis";
import { keyFor } from "../../core/redis.js";
import type { BufferedLine } from "./digest.js";

/**
 * Claims the room's buffer for one flush, idempotently: the first call renames the live buffer to a
 * per-bucket pending key; a retried flush finds that pending key again, so no line is lost or doubled.
 */
const CLAIM = `
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('EXPIRE', KEYS[2], 604800)
end
return redis.call('HVALS', KEYS[2])
`;

/**
 * Adds a line once per room and event, across windows: a relay job re-run after its line was already
 * flushed (a worker killed between the write and the job's completion) must not put it in a later window.
 */
const ADD = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[3])) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
`;

/** Marks the window flushed as the pending lines go: a re-run of the same flush then claims nothing. */
const RELEASE = `
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[1]))
return 1
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

  /** Adds a line unless this event was already buffered for this room (in this window or an earlier one). */
  async add(room: string, line: BufferedLine): Promise<void> {
    const added = keyFor(this.prefix, "relay-added", room, line.eventId);
    await this.redis.eval(ADD, 2, this.live(room), added, line.eventId, JSON.stringify(line), 86400);
  }

  private flushed(room: string, bucket: number): string {
    return keyFor(this.prefix, "relay-flushed", room, bucket);
  }

  async claim(room: string, bucket: number): Promise<BufferedLine[]> {
    const keys = [this.live(room), this.pending(room, bucket), this.flushed(room, bucket)];
    const vals = (await this.redis.eval(CLAIM, 3, ...keys)) as string[];
    return vals.map((v) => JSON.parse(v) as BufferedLine);
  }

  async release(room: string, bucket: number): Promise<void> {
    await this.redis.eval(RELEASE, 2, this.pending(room, bucket), this.flushed(room, bucket), 86400);
  }
}
