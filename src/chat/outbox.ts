// The outbound path: every chat message is a job on the chat-out queue, sent with an idempotent send id.
import type { Redis } from "ioredis";
import type { ChatAdapter } from "./adapter.js";
import type { ChatMessage, OutboundJob } from "../core/outbox.js";
import { PermanentError, RetryLaterError } from "../core/errors.js";
import type { Metrics } from "../core/metrics.js";
import { keyFor } from "../core/redis.js";

export type { ChatTarget, OutboundJob, Outbox } from "../core/outbox.js";

/**
 * Reserves the next send slot of a room, in arrival order: slot = max(now, previous slot + interval).
 * The slot is remembered per send id, so a job delayed until its slot keeps it when it comes back.
 */
const RESERVE = `
local slot = redis.call('GET', KEYS[2])
if not slot then
  local now = tonumber(ARGV[1])
  local interval = tonumber(ARGV[2])
  local last = tonumber(redis.call('GET', KEYS[1]) or '0')
  slot = math.max(now, last + interval)
  redis.call('SET', KEYS[1], slot, 'PX', interval * 20 + 60000)
  redis.call('SET', KEYS[2], slot, 'PX', 3600000)
end
return tonumber(slot)
`;

/** The chat-out job handler: delivers one message through the adapter of its network. */
export class Sender {
  constructor(
    private readonly adapters: ReadonlyMap<string, ChatAdapter>,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly metrics?: Metrics,
    /** Minimum gap between two messages to one room, per network (Slack ≈ 1/s per channel). */
    private readonly intervals: Partial<Record<string, number>> = {},
  ) {}

  /** Waits (through the queue, not in the worker) until this message's turn in its room. */
  private async pace(job: OutboundJob): Promise<void> {
    const interval = this.intervals[job.network] ?? 0;
    if (interval <= 0) return;
    const now = Date.now();
    const slot = Number(
      await this.redis.eval(
        RESERVE,
        2,
        keyFor(this.prefix, "pace", job.network, job.room),
        keyFor(this.prefix, "pace-slot", job.sendId),
        now,
        interval,
      ),
    );
    if (slot - now > 5) throw new RetryLaterError(`pacing ${job.network} room ${job.room}`, slot - now);
  }

  private threadRootKey(job: OutboundJob): string {
    return keyFor(this.prefix, "thread", job.network, job.room, job.threadKey ?? "");
  }

  async deliver(job: OutboundJob): Promise<void> {
    const adapter = this.adapters.get(job.network);
    if (!adapter) throw new PermanentError(`no chat adapter for network "${job.network}"`);
    await this.pace(job);
    const message: ChatMessage = { text: job.text };
    let thread = job.thread;
    const keyed = job.threadKey && !thread && adapter.threads && !job.direct;
    if (keyed) thread = (await this.redis.get(this.threadRootKey(job))) ?? undefined;
    const opts = { sendId: job.sendId, ...(thread ? { thread } : {}) };
    let sent;
    try {
      sent = job.direct
        ? await adapter.sendDirect(job.room, message, opts)
        : await adapter.send(job.room, message, opts);
    } catch (err) {
      if (err instanceof RetryLaterError) this.metrics?.chatRateLimited.inc({ network: job.network });
      throw err;
    }
    this.metrics?.chatSent.inc({ network: job.network });
    // The first message about a change becomes its thread root for the next month of updates.
    if (keyed && !thread && sent.id)
      await this.redis.set(this.threadRootKey(job), sent.id, "EX", 30 * 86400, "NX");
  }
}
