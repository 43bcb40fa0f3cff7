// The outbound path: every chat message is a job on the chat-out queue, sent with an idempotent send id.
import type { Redis } from "ioredis";
import type { ChatAdapter, ChatMessage } from "./adapter.js";
import { PermanentError, RetryLaterError } from "../errors.js";
import type { Metrics } from "../metrics.js";
import { keyFor } from "../redis.js";

export interface ChatTarget {
  network: string;
  /** Room/channel id on that network, or a user id when `direct` is set. */
  room: string;
  thread?: string;
  /** Messages with the same key share a thread (the first one is its root), where the network has threads. */
  threadKey?: string;
  direct?: boolean;
}

export interface OutboundJob extends ChatTarget {
  text: string;
  sendId: string;
}

/** Anything that can put a message on the outbound queue (handlers and commands only see this). */
export interface Outbox {
  post(target: ChatTarget, message: ChatMessage, sendId: string): Promise<void>;
}

/** The chat-out job handler: delivers one message through the adapter of its network. */
export class Sender {
  constructor(
    private readonly adapters: ReadonlyMap<string, ChatAdapter>,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly metrics?: Metrics,
  ) {}

  private threadRootKey(job: OutboundJob): string {
    return keyFor(this.prefix, "thread", job.network, job.room, job.threadKey ?? "");
  }

  async deliver(job: OutboundJob): Promise<void> {
    const adapter = this.adapters.get(job.network);
    if (!adapter) throw new PermanentError(`no chat adapter for network "${job.network}"`);
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
