// Pure: which incoming chat messages become command events, and the event (its id dedupes replicas).
import type { ChatCommandEvent } from "../core/events.js";
import type { IncomingMessage } from "./adapter.js";
import { MAX_COMMAND_CHARS } from "../core/commands.js";

/**
 * A command for the bot, or null: bots (itself included), ignored users, plain chatter and history are
 * dropped. History is a message older than `notBeforeMs` (the bot's start less a small window): a room's
 * timeline served on joining it, a sync resumed after downtime, a Slack redelivery. Commands act on the
 * world now (rechecks, subscriptions), so an old one is never run late.
 */
export function commandEvent(
  m: IncomingMessage,
  bot: { commandPrefix: string; ignoreUsers: readonly string[] },
  notBeforeMs = 0,
): ChatCommandEvent | null {
  if (m.fromBot || bot.ignoreUsers.includes(m.user)) return null;
  if (m.ts < notBeforeMs) return null;
  if (!m.text.trimStart().startsWith(bot.commandPrefix)) return null;
  return {
    source: "chat",
    kind: "chat.command",
    // The network's own message id: a second replica (or a redelivery) queues the same job id.
    id: `chat:${m.network}:${m.room}:${m.id}`,
    network: m.network,
    room: m.room,
    user: m.user,
    // Bounded before it is stored: the router refuses anything longer than MAX_COMMAND_CHARS anyway,
    // so one character over is enough for it to say so.
    text: m.text.length > MAX_COMMAND_CHARS ? m.text.slice(0, MAX_COMMAND_CHARS + 1) : m.text,
    createdOn: Math.floor(m.ts / 1000),
    ...(m.thread ? { thread: m.thread } : {}),
  };
}
