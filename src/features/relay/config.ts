// The `relay` config section: which Gerrit events go to which room (projects, branches, kinds, authors).
import { z } from "zod";
import { name, nonEmpty, unknownRoom, type CoreConfig } from "../../core/config.js";
import type { ConfigProblem } from "../../core/config-load.js";
import type { GerritConfigPart } from "../../integrations/gerrit/config.js";
import { DEFAULT_RELAY_KINDS, RELAY_KINDS } from "./kinds.js";

export { DEFAULT_RELAY_KINDS, RELAY_KINDS };

const RelaySchema = z.strictObject({
  room: name,
  /** Exact names, globs (`openstack/*`) or `^regex`. */
  projects: z.array(nonEmpty).min(1).default(["*"]),
  branches: z.array(nonEmpty).min(1).default(["*"]),
  events: z
    .array(z.enum(RELAY_KINDS))
    .min(1)
    .default([...DEFAULT_RELAY_KINDS]),
  includeAuthors: z.array(nonEmpty).optional(),
  excludeAuthors: z.array(nonEmpty).default([]),
});

export const RELAY_CONFIG_SHAPE = {
  relay: z.array(RelaySchema).default([]),
};

export type RelayRule = z.infer<typeof RelaySchema>;
/** What the relay reads of the config. */
export type RelayConfig = CoreConfig & GerritConfigPart & { relay: RelayRule[] };

export function relayCrossCheck(cfg: RelayConfig): ConfigProblem[] {
  return cfg.relay.flatMap((r, i) =>
    cfg.rooms[r.room] ? [] : [unknownRoom(`relay.${i}.room`, r.room, cfg.rooms)],
  );
}
