// Wires Launchpad triage: the per-project poll schedulers (a source), the triage handler and the !triage service.
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import { LaunchpadClient } from "../../integrations/launchpad/client.js";
import { defineFeature, type FeatureContext } from "../../core/feature.js";
import { TRIAGE_CONFIG_SHAPE, triageCrossCheck, type TriageConfig } from "./config.js";
import triageCommand from "./commands.js";
import type { Secrets } from "../../core/secrets.js";
import type { BotEvent } from "../../core/events.js";
import { triageBug } from "./handler.js";
import type { Logger } from "../../core/log.js";
import type { Queues } from "../../core/queues.js";
import type { Redis } from "../../core/redis.js";
import { launchpadPollJob } from "./poller.js";
import { loadChecklist } from "./checklist.js";
import { triageService } from "./cli.js";
import { TriageStore } from "./state.js";
import type { HandlerTable } from "../../core/worker.js";
import type { Stats } from "../../core/stats.js";
import { countCalls, type Metrics } from "../../core/metrics.js";
import { TriageCompletions } from "../../core/counters.js";

export interface TriageWiring {
  handlers: Pick<HandlerTable, "triage" | "launchpad-poll">;
  services: Record<string, unknown>;
  schedule(): Promise<void>;
}

export function wireTriage(
  config: TriageConfig,
  secrets: Secrets,
  deps: {
    redis: Redis;
    queues: Queues;
    outbox: Outbox;
    log: Logger;
    ingest: (e: BotEvent) => Promise<unknown>;
    stats: Stats;
    metrics?: Metrics;
  },
): TriageWiring {
  const lp = config.launchpad;
  if (!lp?.enabled) return { handlers: {}, services: {}, schedule: async () => undefined };
  const log = deps.log.child({ feature: "triage" });
  const checklist = loadChecklist(lp.checklistFile); // a broken file stops the start with its problems listed
  const common = {
    consumerKey: lp.consumerKey,
    log,
    ...(lp.apiRoot ? { apiRoot: lp.apiRoot } : {}),
  };
  const reader = new LaunchpadClient(common); // anonymous: polls and !triage never need the token
  const token =
    lp.writes && secrets.launchpadToken && secrets.launchpadTokenSecret
      ? {
          token: secrets.launchpadToken,
          tokenSecret: secrets.launchpadTokenSecret,
        }
      : {};
  const client = new LaunchpadClient({ ...common, ...token });
  // Every successful Launchpad write is counted (sunbeam_bot_launchpad_writes_total) by kind.
  const writer = deps.metrics
    ? countCalls(client, deps.metrics.launchpadWrites, {
        newMessage: "comment",
        setStatus: "status",
        addTags: "tags-add",
        removeTags: "tags-remove",
      })
    : client;
  const store = new TriageStore(deps.redis, config.redis.prefix);
  const room = lp.triageRoom ? config.rooms[lp.triageRoom] : undefined;
  const target: ChatTarget | undefined = room ? { network: room.network, room: room.id } : undefined;
  return {
    handlers: {
      triage: triageBug({
        client: writer,
        store,
        outbox: deps.outbox,
        room: target,
        config: lp,
        checklist,
        log,
        stats: deps.stats,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
        completions: new TriageCompletions(deps.redis, config.redis.prefix),
      }),
      "launchpad-poll": launchpadPollJob({
        client: reader,
        store,
        tag: lp.tag,
        emit: async (events) => {
          for (const e of events) await deps.ingest(e);
        },
      }),
    },
    services: {
      triage: triageService({
        client: reader,
        checklist,
        reporterAllowList: lp.reporterAllowList,
        skipTags: [lp.skipTag],
      }),
    },
    schedule: async () => {
      for (const project of lp.projects) {
        await deps.queues
          .get("launchpad-poll")
          .upsertJobScheduler(
            `launchpad-poll:${project}`,
            { every: lp.pollMinutes * 60_000 },
            { name: "poll", data: { project } },
          );
      }
    },
  };
}

export default defineFeature({
  name: "triage",
  commands: [triageCommand],
  // The triage handler waits out its own grace period (RetryLaterError): no settle delay.
  routes: [{ kinds: ["launchpad.*"], queue: "triage" }],
  configShape: TRIAGE_CONFIG_SHAPE,
  crossCheck: triageCrossCheck,
  create(ctx: FeatureContext<TriageConfig>) {
    const w = wireTriage(ctx.config, ctx.secrets, ctx);
    return { handlers: w.handlers, services: w.services, schedule: () => w.schedule() };
  },
});
