// The queues and their payloads: the one table of queue names (a feature adds its queue here and a route
// in its feature object). Kept apart from queues.ts so that routes.ts can name queues without a circle.
import type { BotEvent, LaunchpadEvent } from "./events.js";
import type { ChatTarget, OutboundJob } from "./outbox.js";

export const QUEUE_NAMES = [
  "relay",
  "relay-flush",
  "commands",
  "chat-out",
  "oci-poll",
  "merges",
  "triage",
  "launchpad-poll",
  "summary",
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** One room's relay window to flush: `key` names the room, `bucket` the window (time / window length). */
export interface FlushJob {
  key: string;
  target: ChatTarget;
  bucket: number;
}

export interface QueuePayloads {
  relay: BotEvent;
  "relay-flush": FlushJob;
  commands: BotEvent;
  "chat-out": OutboundJob;
  "oci-poll": Record<string, never>;
  /** change-merged events: keep the monorepo clone current, suggest rechecks. */
  merges: BotEvent;
  /** New bugs and reporters' replies, checked against the debug-info checklist. */
  triage: LaunchpadEvent;
  /** One job scheduler per Launchpad project. */
  "launchpad-poll": { project: string };
  /** The weekly summary's scheduler tick: the week is the one the tick runs in. */
  summary: Record<string, never>;
}
