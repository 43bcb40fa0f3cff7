// The whole config schema, assembled from the parts (core, chat, Gerrit, each feature's configShape, http).
// Unknown keys are errors; secrets never live here (see core/secrets.ts).
import { z } from "zod";
import { CORE_CONFIG_SHAPE, coreCrossCheck, nonEmpty } from "../core/config.js";
import type { ConfigProblem } from "../core/config-load.js";
import { CHAT_CONFIG_SHAPE, chatCrossCheck } from "../chat/config.js";
import { GERRIT_CONFIG_SHAPE } from "../integrations/gerrit/config.js";
import { DashboardConfigSchema } from "./dashboard.js";
import { FEATURES } from "../features.js";
import relay from "../features/relay/index.js";
import affected from "../features/affected/index.js";
import triage from "../features/triage/index.js";
import oci from "../features/oci/index.js";
import summary from "../features/summary/index.js";

export type { Network } from "../core/config.js";
export { DEFAULT_RELAY_KINDS, RELAY_KINDS, type RelayRule } from "../features/relay/config.js";

const APP_SHAPE = {
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: nonEmpty.default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8080),
      /** The Bull Board queue dashboard: off unless enabled; password DASHBOARD_PASSWORD. */
      dashboard: DashboardConfigSchema.prefault({}),
    })
    .prefault({}),
};

export const ConfigSchema = z.strictObject({
  ...CORE_CONFIG_SHAPE,
  ...CHAT_CONFIG_SHAPE,
  ...GERRIT_CONFIG_SHAPE,
  ...relay.configShape,
  ...affected.configShape,
  ...triage.configShape,
  ...oci.configShape,
  ...summary.configShape,
  ...APP_SHAPE,
});

export type Config = z.infer<typeof ConfigSchema>;

/** Checks that need the whole document: references between sections, each part's own. */
export function crossCheck(cfg: Config): ConfigProblem[] {
  return [
    ...FEATURES.flatMap((f) => f.crossCheck?.(cfg) ?? []),
    ...coreCrossCheck(cfg),
    ...chatCrossCheck(cfg),
  ];
}
