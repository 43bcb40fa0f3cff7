// The outbound path: every chat message is a job on the chat-out queue, sent with an idempotent send id.
import type { ChatAdapter, ChatMessage } from "./adapter.js";
import { PermanentError } from "../errors.js";

export interface ChatTarget {
  network: string;
  /** Room/channel id on that network, or a user id when `direct` is set. */
  room: string;
  thread?: string;
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
export async function deliver(job: OutboundJob, adapters: ReadonlyMap<string, ChatAdapter>): Promise<void> {
  const adapter = adapters.get(job.network);
  if (!adapter) throw new PermanentError(`no chat adapter for network "${job.network}"`);
  const message: ChatMessage = { text: job.text };
  const opts = { sendId: job.sendId, ...(job.thread ? { thread: job.thread } : {}) };
  if (job.direct) await adapter.sendDirect(job.room, message, opts);
  else await adapter.send(job.room, message, opts);
}
