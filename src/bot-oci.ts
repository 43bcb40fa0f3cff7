// Wires the OCI image watch: the scheduled poll job (a source: registry poll, then announce), its job
// scheduler and the !images service. The poll job lives here, not in handlers/, because it drives a source.
import type { Outbox } from "./chat/outbox.js";
import type { Config } from "./config.js";
import { announceOci } from "./handlers/announce-oci.js";
import { pollImages } from "./sources/oci-poller.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";
import { imagesService, loadWatchList, registryClient } from "./oci/cli.js";
import { ociSettings, type OciConfig } from "./oci/config.js";
import { OciState } from "./oci/state.js";
import type { Queues } from "./queues.js";
import type { Redis } from "./redis.js";
import type { Stats } from "./stats.js";
import type { Handler, HandlerTable } from "./worker.js";

interface PollOciDeps {
  oci: OciConfig;
  rooms: Config["rooms"];
  outbox: Outbox;
  redis: Redis;
  prefix: string;
  metrics?: Metrics;
  stats?: Stats;
}

function pollOci(deps: PollOciDeps): Handler<"oci-poll"> {
  const settings = ociSettings(deps.oci);
  const client = registryClient(settings);
  const state = new OciState(deps.redis, deps.prefix);
  const targets = deps.oci.announce.flatMap((a) => {
    const room = deps.rooms[a.room];
    return room
      ? [{ target: { network: room.network, room: room.id }, ...(a.images ? { images: a.images } : {}) }]
      : [];
  });
  const announce = announceOci({
    outbox: deps.outbox,
    targets,
    ...(deps.oci.monorepo ? { repoDir: deps.oci.monorepo.path } : {}),
  });
  return async (_data, ctx) => {
    const { watchList } = await loadWatchList(settings, ctx.log);
    const res = await pollImages({
      client,
      watchList,
      state,
      log: ctx.log,
      // Announce before the state is saved: a failed post means the next poll announces the same events again.
      emit: async (events) => {
        if (events.length === 0) return;
        const posted = await announce(events, watchList);
        deps.metrics?.ociAnnouncements.inc(posted);
        await deps.stats?.incr("oci:announced", events.length);
      },
    });
    for (const r of res.results) deps.metrics?.registryPolls.inc({ result: r.error ? "error" : "ok" });
    ctx.log.info(
      {
        images: res.results.length,
        events: res.events.length,
        failed: res.results.filter((r) => r.error).length,
      },
      "OCI poll done",
    );
  };
}

export interface OciWiring {
  handlers: Pick<HandlerTable, "oci-poll">;
  services: Record<string, unknown>;
  /** Upserts the poll scheduler: BullMQ runs each tick once however many replicas call this. */
  schedule(): Promise<void>;
}

export function wireOci(
  config: Config,
  deps: { redis: Redis; queues: Queues; outbox: Outbox; metrics: Metrics; stats: Stats; log: Logger },
): OciWiring {
  const oci = config.oci;
  if (!oci?.enabled) return { handlers: {}, services: {}, schedule: async () => undefined };
  const settings = ociSettings(oci);
  const prefix = config.redis.prefix;
  return {
    handlers: {
      "oci-poll": pollOci({
        oci,
        rooms: config.rooms,
        outbox: deps.outbox,
        redis: deps.redis,
        prefix,
        metrics: deps.metrics,
        stats: deps.stats,
      }),
    },
    services: {
      images: imagesService({
        watchList: async () => (await loadWatchList(settings, deps.log)).watchList,
        state: new OciState(deps.redis, prefix),
      }),
    },
    schedule: async () => {
      await deps.queues
        .get("oci-poll")
        .upsertJobScheduler("oci-poll", { every: oci.pollMinutes * 60_000 }, { name: "poll", data: {} });
    },
  };
}
