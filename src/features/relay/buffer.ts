// The per-room relay window in Redis: the first event of a window goes out at once, followers wait here for
// the window to close, then one flush claims them.
import type { Redis } from "ioredis";
import { keyFor } from "../../core/redis.js";
import type { BufferedLine } from "./digest.js";

/**
 * Claims the room's buffer for one flush, idempotently: the first call renames the live buffer to a
 * per-window pending key; a retried flush finds that pending key again, so no line is lost or doubled.
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
 * Takes an event into the room's window, once per room and event: with no window open it opens one and
 * answers 'L' (the caller posts the line now); inside an open window it buffers the line and answers 'F'
 * with the window and its remaining ms. The answer is remembered with the event, so a relay job re-run (a
 * worker killed after this call) gets the same answer: a lead is posted again under the same send id, a
 * follower schedules the same flush; neither ends up in a later window.
 */
const ENTER = `
local prev = redis.call('GET', KEYS[2])
if prev then
  if prev == 'L' then return {'L', 0, 0} end
  local w = tonumber(string.sub(prev, 3))
  local cur = redis.call('GET', KEYS[3])
  local left = 0
  if cur and tonumber(cur) == w then left = redis.call('PTTL', KEYS[3]) end
  return {'F', w, left}
end
local cur = redis.call('GET', KEYS[3])
if not cur then
  local w = redis.call('INCR', KEYS[4])
  redis.call('SET', KEYS[3], w, 'PX', tonumber(ARGV[4]))
  redis.call('SET', KEYS[2], 'L', 'EX', tonumber(ARGV[3]))
  return {'L', w, 0}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], 'F:' .. cur, 'EX', tonumber(ARGV[3]))
return {'F', tonumber(cur), redis.call('PTTL', KEYS[3])}
`;

/** Marks the window flushed as the pending lines go: a re-run of the same flush then claims nothing. */
const RELEASE = `
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[1]))
return 1
`;

/** Where an event landed: posted at once (the window's first), or buffered in window `window`. */
export type Entered = { lead: true } | { lead: false; window: number; msLeft: number };

export class RelayBuffer {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private live(room: string): string {
    return keyFor(this.prefix, "relay-buf", room);
  }

  private pending(room: string, window: number): string {
    return keyFor(this.prefix, "relay-pending", room, window);
  }

  private flushed(room: string, window: number): string {
    return keyFor(this.prefix, "relay-flushed", room, window);
  }

  /** Leads or joins the room's window (see ENTER); windowMs is the length of a window opened now. */
  async enter(room: string, line: BufferedLine, windowMs: number): Promise<Entered> {
    const keys = [
      this.live(room),
      keyFor(this.prefix, "relay-added", room, line.eventId),
      keyFor(this.prefix, "relay-win", room),
      keyFor(this.prefix, "relay-win-seq", room),
    ];
    const [role, window, left] = (await this.redis.eval(
      ENTER,
      4,
      ...keys,
      line.eventId,
      JSON.stringify(line),
      86400,
      Math.max(1, Math.round(windowMs)),
    )) as [string, number, number];
    return role === "L" ? { lead: true } : { lead: false, window, msLeft: Math.max(0, left) };
  }

  async claim(room: string, window: number): Promise<BufferedLine[]> {
    const keys = [this.live(room), this.pending(room, window), this.flushed(room, window)];
    const vals = (await this.redis.eval(CLAIM, 3, ...keys)) as string[];
    return vals.map((v) => JSON.parse(v) as BufferedLine);
  }

  async release(room: string, window: number): Promise<void> {
    await this.redis.eval(RELEASE, 2, this.pending(room, window), this.flushed(room, window), 86400);
  }
}
