// The Outbox every handler and command posts through: one chat-out job per message, its send id the job id.
import { scrubSecrets } from "../core/log.js";
import type { Queues } from "../core/queues.js";
import type { ChatTarget, Outbox } from "./outbox.js";

/** Posts to the chat-out queue; the send id becomes the job id, so a retried job never posts twice. */
export class QueueOutbox implements Outbox {
  constructor(private readonly queues: Queues) {}
  async post(target: ChatTarget, message: { text: string }, sendId: string): Promise<void> {
    // Last line of defence: a reply quoting a server's error must never carry a credential to a room.
    await this.queues.add(
      "chat-out",
      "send",
      { ...target, text: scrubSecrets(message.text), sendId },
      `send:${sendId}`,
    );
  }
}
