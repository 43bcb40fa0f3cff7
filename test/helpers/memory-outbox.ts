// An Outbox that keeps what handlers post, deduplicated by send id like the chat-out queue.
import type { ChatMessage } from "../../src/chat/adapter.js";
import type { ChatTarget, Outbox } from "../../src/chat/outbox.js";

export class MemoryOutbox implements Outbox {
  readonly posts: { target: ChatTarget; text: string; sendId: string }[] = [];
  private readonly ids = new Set<string>();
  async post(target: ChatTarget, message: ChatMessage, sendId: string): Promise<void> {
    // Like the chat-out queue: a send id seen before is a duplicate job and posts nothing.
    if (this.ids.has(sendId)) return;
    this.ids.add(sendId);
    this.posts.push({ target, text: message.text, sendId });
  }
}
