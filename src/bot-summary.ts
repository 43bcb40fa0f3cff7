// Wires the weekly cycle-action summary: its service, the weekly job and its scheduler, !actions/!summary.
import type { Outbox } from "./chat/outbox.js";
import { LaunchpadClient } from "./clients/launchpad.js";
import type { GerritClient } from "./clients/gerrit.js";
import type { Config } from "./config.js";
import { weeklySummary } from "./handlers/weekly-summary.js";
import type { Logger } from "./log.js";
import type { Queues } from "./queues.js";
import type { Redis } from "./redis.js";
import type { Stats } from "./stats.js";
import { evidenceProjects } from "./summary/config.js";
import { scheduleWeeklySummary } from "./summary/schedule.js";
import { SummaryService } from "./summary/service.js";
import type { HandlerTable } from "./worker.js";
import type { SummaryServices } from "./summary/services.js";

export interface SummaryWiring {
  service: SummaryService | undefined;
  handlers: Pick<HandlerTable, "summary">;
  services: Partial<SummaryServices>;
  /** Upserts (or, with the section absent or disabled, removes) the weekly scheduler. */
  schedule(): Promise<void>;
}

export function wireSummary(
  config: Config,
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
