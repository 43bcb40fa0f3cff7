// Relay handler: renders a Gerrit event and posts it to every room whose filter accepts it.
import type { Config } from "../config.js";
import type { GerritEvent } from "../events.js";
import type { Outbox } from "../chat/outbox.js";
import { renderGerritEvent, type RenderOptions } from "../relay/render-gerrit.js";
import { roomsFor, type RuleLike } from "../relay/filter.js";
import type { Handler } from "../worker.js";

export interface AnnounceDeps {
  rooms: Config["rooms"];
  /** Config rules plus the rooms' run-time subscriptions. */
  rules(): Promise<RuleLike[]>;
  render: RenderOptions;
  outbox: Outbox;
}

export function announceGerrit(deps: AnnounceDeps): Handler<"relay"> {
  return async (event, ctx) => {
    if (event.source !== "gerrit") return;
    const e: GerritEvent = event;
    const rendered = renderGerritEvent(e, deps.render);
    if (!rendered) {
      ctx.log.debug({ kind: e.kind }, "not relay-worthy");
      return;
    }
    const rooms = roomsFor(await deps.rules(), e, rendered.kind);
    for (const name of rooms) {
      const room = deps.rooms[name];
      if (!room) continue;
      await deps.outbox.post(
        { network: room.network, room: room.id },
        { text: rendered.text },
        `relay:${e.id}:${name}`,
      );
    }
    ctx.log.debug({ rooms }, "relayed");
  };
}
