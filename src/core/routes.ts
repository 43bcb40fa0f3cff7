// Which event goes to which queue: a Route is one row; each feature declares its rows (Feature.routes).
import type { BotEvent, EventKind } from "./events.js";
import type { QueueName } from "./queue-names.js";

export interface Route {
  /** Event kinds, or a `source.*` wildcard. */
  kinds: (EventKind | `${BotEvent["source"]}.*`)[];
  /** Kinds the wildcard does not cover. */
  except?: EventKind[];
  queue: QueueName;
  /** Wait this long before handling: Gerrit data can lag the event (the settle delay). */
  settle?: boolean;
}

/** The bot's own route: chat commands. The features add theirs (src/features.ts assembles the table). */
export const CORE_ROUTES: readonly Route[] = [{ kinds: ["chat.command"], queue: "commands" }];

export function routesFor(event: BotEvent, routes: readonly Route[]): Route[] {
  return routes.filter(
    (r) =>
      !(r.except ?? []).includes(event.kind) &&
      r.kinds.some((k) => k === event.kind || (k.endsWith(".*") && event.kind.startsWith(k.slice(0, -1)))),
  );
}
