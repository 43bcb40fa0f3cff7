// Wires the affected-charm feature: the monorepo clone and its fetch timer, the AffectedService behind
// !affected / !recheck-affected / OCI auto-recheck, and the change-merged handler (suggestions on merge).
import type { Outbox } from "../../chat/outbox.js";
import { AffectedService } from "./service.js";
import { MonorepoSync } from "../../integrations/monorepo/sync.js";
import type { GerritClient } from "../../integrations/gerrit/client.js";
import { defineFeature, type FeatureContext } from "../../core/feature.js";
import { AFFECTED_CONFIG_SHAPE, affectedCrossCheck, type AffectedConfig } from "./config.js";
import affected from "./commands.js";
import recheckAffected from "./command-recheck.js";
import { charmRechecker } from "./service.js";
import { errorMessage } from "../../core/errors.js";
import { suggestRechecks } from "./suggest-rechecks.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import type { Redis } from "../../core/redis.js";
import type { Stats } from "../../core/stats.js";
import type { HandlerTable } from "../../core/worker.js";

export interface AffectedWiring {
  /** Absent without a monorepo and a Gerrit: the commands then say the feature is not configured. */
  service: AffectedService | undefined;
  handlers: Pick<HandlerTable, "merges">;
  /** Fetches the clone now and every monorepo.fetchMinutes. */
  start(): void;
  stop(): void;
}

export function wireAffected(
  config: AffectedConfig,
  deps: {
    gerrit: GerritClient | undefined;
    redis: Redis;
    outbox: Outbox;
    stats: Stats;
    log: Logger;
    metrics?: Metrics;
  },
): AffectedWiring {
  const g = config.gerrit;
  const mono = config.monorepo;
  if (!mono || !g || !deps.gerrit) {
    // Without the feature intake queues no merge (wants), so no `merges` worker (and connection) is needed.
    return {
      service: undefined,
      handlers: {},
      start: () => undefined,
      stop: () => undefined,
    };
  }
  const sync = new MonorepoSync({
    path: mono.path,
    remote: mono.remote,
    redis: deps.redis,
    prefix: config.redis.prefix,
    log: deps.log.child({ component: "monorepo" }),
  });
  const service = new AffectedService({
    gerrit: deps.gerrit,
    gerritUrl: g.url,
    redis: deps.redis,
    prefix: config.redis.prefix,
    monorepo: mono,
    recheck: config.recheck,
    sync,
    stats: deps.stats,
    log: deps.log.child({ component: "affected" }),
  });
  const room = config.recheck.suggestOnMerge.room;
  const target = room ? config.rooms[room] : undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    service,
    handlers: {
      merges: suggestRechecks({
        service,
        outbox: deps.outbox,
        commandPrefix: config.bot.commandPrefix,
        ...(target ? { target: { network: target.network, room: target.id } } : {}),
      }),
    },
    // Every replica keeps its own clone, so each fetches on its own timer (a BullMQ scheduler would run on
    // one replica only); the Redis lock in MonorepoSync keeps the remote from being hammered.
    start() {
      // The sync's outcome is a readiness check: a clone that cannot be made leaves !affected dead.
      const fetch = () =>
        void sync.fetch().then(
          () => deps.metrics?.setCheck("monorepo", true),
          (err: unknown) => {
            deps.metrics?.setCheck("monorepo", false);
            deps.log.warn({ err: errorMessage(err) }, "monorepo fetch failed");
          },
        );
      fetch();
      if (mono.fetchMinutes > 0) (timer = setInterval(fetch, mono.fetchMinutes * 60_000)).unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type AffectedContext = FeatureContext<AffectedConfig> & { gerrit: GerritClient | undefined };

export default defineFeature({
  name: "affected",
  commands: [affected, recheckAffected],
  // A merge can make open changes worth rechecking (a gate fix): their own queue, apart from the relay.
  // Zuul's check reports ride the same queue: they teach which jobs run (observed-jobs.ts).
  routes: [{ kinds: ["gerrit.change-merged", "gerrit.comment-added"], queue: "merges", settle: true }],
  configShape: AFFECTED_CONFIG_SHAPE,
  crossCheck: affectedCrossCheck,
  create(ctx: AffectedContext) {
    const w = wireAffected(ctx.config, ctx);
    return {
      handlers: w.handlers,
      services: w.service ? { affected: w.service, charmRecheck: charmRechecker(w.service) } : {},
      start: () => w.start(),
      stop: () => w.stop(),
      // Only the monorepo's merges matter here: other projects' merges are not even queued.
      wants: (e) =>
        w.service !== undefined && e.source === "gerrit" && e.project === ctx.config.monorepo?.project,
    };
  },
});
