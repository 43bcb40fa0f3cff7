// The features, listed by hand (no discovery): the order is the order they are built in (a feature may read
// the services of those before it) and the order of their commands in !help.
import { CORE_ROUTES, type Route } from "./core/routes.js";
import affected from "./features/affected/index.js";
import relay from "./features/relay/index.js";
import oci from "./features/oci/index.js";
import triage from "./features/triage/index.js";
import summary from "./features/summary/index.js";

export const FEATURES = [affected, relay, oci, triage, summary] as const;

/** Every route: the bot's own (chat commands) and each feature's. */
export const ROUTES: readonly Route[] = [...CORE_ROUTES, ...FEATURES.flatMap((f) => f.routes)];
