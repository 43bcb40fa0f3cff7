// The ChatAdapter interface: the small surface (start, send, sendDirect, stop) every network implements.

import type { ChatMessage } from "../core/outbox.js";

export type { ChatMessage };

export interface SendOptions {
  /** Thread root id to reply in, where the network has threads. */
  thread?: string;
  /** Stable id for this send: a retried send with the same id must not post twice. */
  sendId?: string;
}

export interface SentMessage {
  /** The network's id for the posted message (a thread root for later replies). */
  id?: string;
}

export interface IncomingMessage {
  network: string;
  /** The network's room/channel id. */
  room: string;
  user: string;
  text: string;
  /** The network's id for this message: the command's deterministic event id is built from it. */
  id: string;
  thread?: string;
  /** Milliseconds since the epoch. */
  ts: number;
  /** True for messages the bot must never answer (its own, other bots, notices). */
  fromBot?: boolean;
}

export interface ChatAdapter {
  readonly network: string;
  /** True where the network has threads (Matrix, Slack): relay lines of one change then share a thread. */
  readonly threads?: boolean;
  start(onMessage: (msg: IncomingMessage) => void | Promise<void>): Promise<void>;
  send(room: string, message: ChatMessage, opts?: SendOptions): Promise<SentMessage>;
  sendDirect(user: string, message: ChatMessage, opts?: SendOptions): Promise<SentMessage>;
  stop(): Promise<void>;
  /** True while connected; /readyz and !status report it. */
  isConnected(): boolean;
}

/** Renders the Markdown subset as plain text for networks (and terminals) without formatting. */
export function toPlainText(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) =>
      label === url ? url : `${label} <${url}>`,
    )
    .replace(/\*\*([^*]+)\*\*/g, "$1")
    .replace(/`([^`]+)`/g, "$1");
}
