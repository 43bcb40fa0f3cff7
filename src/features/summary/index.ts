// Wires the weekly cycle-action summary: its service, the weekly job and its scheduler, !actions/!summary.
import type { Outbox } from "../../chat/outbox.js";
import { LaunchpadClient } from "../../integrations/launchpad/client.js";
import type { GerritClient } from "../../integrations/gerrit/client.js";
import { defineFeature, type FeatureContext } from "../../core/feature.js";
import { SUMMARY_CONFIG_SHAPE, summaryConfigCheck, type SummaryFeatureConfig } from "./config.js";
import actions from "./command-actions.js";
import summaryCommand from "./commands.js";
import { weeklySummary } from "./handler.js";
import type { Logger } from "../../core/log.js";
import type { Queues } from "../../core/queues.js";
import type { Redis } from "../../core/redis.js";
import type { Stats } from "../../core/stats.js";
import { evidenceProjects } from "./config.js";
import { scheduleWeeklySummary } from "./schedule.js";
import { SummaryService } from "./service.js";
import type { HandlerTable } from "../../core/worker.js";
import type { SummaryServices } from "./services.js";

export interface SummaryWiring {
  service: SummaryService | undefined;
  handlers: Pick<HandlerTable, "summary">;
  services: Partial<SummaryServices>;
  /** Upserts (or, with the section absent or disabled, removes) the weekly scheduler. */
  schedule(): Promise<void>;
}

export function wireSummary(
  config: SummaryFeatureConfig,
  deps: {
    gerrit: GerritClient | undefined;
    redis: Redis;
    queues: Queues;
    outbox: Outbox;
    stats: Stats;
    log: Logger;
  },
): SummaryWiring {
  const schedule = () => scheduleWeeklySummary(deps.queues.get("summary"), config.summary);
  if (!config.summary) return { service: undefined, handlers: {}, services: {}, schedule };
  const g = config.gerrit;
  const projects = evidenceProjects(config.summary, g?.projects, config.launchpad?.projects);
  const lpRoot = config.launchpad?.apiRoot;
  const service = new SummaryService({
    config: config.summary,
    prefix: config.redis.prefix,
    redis: deps.redis,
    rooms: config.rooms,
    outbox: deps.outbox,
    counters: deps.stats,
    ...(deps.gerrit && g
      ? { gerrit: { client: deps.gerrit, webUrl: g.url, projects: projects.gerrit } }
      : {}),
    launchpad: {
      client: new LaunchpadClient({ ...(lpRoot ? { apiRoot: lpRoot } : {}), log: deps.log }),
      projects: projects.launchpad,
    },
    log: deps.log.child({ feature: "summary" }),
  });
  return {
    service,
    handlers: { summary: weeklySummary(service) },
    services: service.commandServices(),
    schedule,
  };
}

export type SummaryContext = FeatureContext<SummaryFeatureConfig> & { gerrit: GerritClient | undefined };

export default defineFeature({
  name: "summary",
  commands: [actions, summaryCommand],
  routes: [],
  configShape: SUMMARY_CONFIG_SHAPE,
  crossCheck: summaryConfigCheck,
  create(ctx: SummaryContext) {
    const w = wireSummary(ctx.config, ctx);
    return { handlers: w.handlers, services: w.services, schedule: () => w.schedule() };
  },
});
