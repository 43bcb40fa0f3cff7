// Command handler: runs a chat command through the router and posts the reply where it was asked.
import type { CommandRouter, CommandServices } from "../core/commands.js";
import type { Outbox } from "../chat/outbox.js";
import type { Handler } from "../core/worker.js";
import type { Metrics } from "../core/metrics.js";

export function runCommand(
  router: CommandRouter,
  services: CommandServices,
  outbox: Outbox,
  metrics?: Metrics,
): Handler<"commands"> {
  return async (event, ctx) => {
    if (event.kind !== "chat.command") return;
    const { reply, outcome, command } = await router.handle(
      { network: event.network, room: event.room, user: event.user, text: event.text },
      services,
      ctx.log,
    );
    metrics?.commands.inc({ command: command ?? "unknown", result: outcome });
    if (reply === null) return;
    await outbox.post(
      { network: event.network, room: event.room, ...(event.thread ? { thread: event.thread } : {}) },
      { text: reply },
      `reply:${event.id}`,
    );
  };
}
