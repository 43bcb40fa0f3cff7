// The one table of which event goes to which queue. Adding a capability means adding a row here.
import type { BotEvent, EventKind } from "./events.js";
import type { QueueName } from "./queues.js";

export interface Route {
  /** Event kinds, or a `source.*` wildcard. */
  kinds: (EventKind | `${BotEvent["source"]}.*`)[];
  /** Kinds the wildcard does not cover. */
  except?: EventKind[];
  queue: QueueName;
  /** Wait this long before handling: Gerrit data can lag the event (the settle delay). */
  settle?: boolean;
}

export const ROUTES: Route[] = [
  // dropped-output is a signal to the stream source (backfill), never an announcement.
  { kinds: ["gerrit.*"], except: ["gerrit.dropped-output", "gerrit.unknown"], queue: "relay", settle: true },
  { kinds: ["chat.command"], queue: "commands" },
  // A merge can make open changes worth rechecking (a gate fix): their own queue, apart from the relay.
  { kinds: ["gerrit.change-merged"], queue: "merges", settle: true },
  // The triage handler waits out its own grace period (RetryLaterError): no settle delay.
  { kinds: ["launchpad.*"], queue: "triage" },
];

export function routesFor(event: BotEvent, routes: Route[] = ROUTES): Route[] {
  return routes.filter(
    (r) =>
      !(r.except ?? []).includes(event.kind) &&
      r.kinds.some((k) => k === event.kind || (k.endsWith(".*") && event.kind.startsWith(k.slice(0, -1)))),
  );
}
