// What features and handlers see of chat: a message, a target room, and the Outbox that queues a send.

/** A message to send. `text` is a small Markdown subset ([label](url), **bold**, `code`, "- " lists). */
export interface ChatMessage {
  text: string;
}

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
