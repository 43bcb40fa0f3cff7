// Wires the OCI image watch: the scheduled poll job (a source: registry poll, then announce, then the
// optional auto-recheck for pinned tags that moved), its job scheduler and the !images service. The poll
// job lives here, not in handlers/, because it drives a source.
import { createHash } from "node:crypto";
import type { CharmRechecker } from "../../core/services.js";
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import { defineFeature, type FeatureContext } from "../../core/feature.js";
import type { Rooms } from "../../core/config.js";
import images from "./commands.js";
import { UserError, errorMessage } from "../../core/errors.js";
import { announceOci, type OciAnnounceTarget } from "./announce.js";
import { pollImages } from "./poller.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import { imagesService, loadWatchList, registryClient } from "./cli.js";
import {
  OCI_CONFIG_SHAPE,
  ociCrossCheck,
  ociSettings,
  type OciConfig,
  type OciFeatureConfig,
} from "./config.js";
import type { OciEvent } from "./events.js";
import { OciState } from "./state.js";
import { findImages, type WatchList } from "./watch-list.js";
import { imageMoves, type ImageMove } from "./moves.js";
import { proposeBumps, type ChangeQuery } from "./proposer.js";
import { GerritClient } from "../../integrations/gerrit/client.js";
import type { PushAuth } from "../../integrations/gerrit/push.js";

export { imageMoves, type ImageMove };
import type { Queues } from "../../core/queues.js";
import type { Redis } from "../../core/redis.js";
import type { Stats } from "../../core/stats.js";
import type { Handler, HandlerTable } from "../../core/worker.js";

/** What the auto-recheck uses of the affected feature (a core type: features do not import each other). */
export type ImageRecheckService = CharmRechecker;

interface AutoRecheckDeps {
  service: ImageRecheckService;
  /** Rooms for the reply; `images` narrows a room to some images, as for announcements. */
  targets: readonly OciAnnounceTarget[];
  outbox: Outbox;
  dryRun: boolean;
}

/** Same moves, same send id: a retried poll job never posts its reply twice. */
export function autoRecheckSendId(target: ChatTarget, triggerIds: readonly string[]): string {
  const hash = createHash("sha256")
    .update([...triggerIds].sort().join("\n"))
    .digest("hex")
    .slice(0, 24);
  return `oci-recheck:${target.network}:${target.room}:${hash}`;
}

/**
 * After the announcement: rechecks, per image move, the failing open changes affecting the charms that
 * pin the tag, then posts the replies worth reading in the rooms. Moves run one after another, and a change
 * rechecked for one is skipped for the next, so one poll gives a change at most one recheck. A failure is
 * reported in the room and logged, never thrown: the announcement is out, and failing the poll would
 * announce its events again with the next poll's.
 */
export async function autoRecheck(
  deps: AutoRecheckDeps,
  events: readonly OciEvent[],
  watchList: WatchList,
  log: Logger,
): Promise<number> {
  const moves = imageMoves(events, watchList);
  const batch = new Set<number>();
  const replies: { image: string; id: string; text: string }[] = [];
  for (const m of moves) {
    try {
      const r = await deps.service.recheckCharms(m.charms, m.trigger, { dryRun: deps.dryRun, batch });
      for (const n of r.touched) batch.add(n);
      if (r.worthReporting) replies.push({ image: m.image, id: m.trigger.id, text: r.reply });
    } catch (err) {
      if (!(err instanceof UserError)) {
        log.warn(
          { trigger: m.trigger.id, err: errorMessage(err) },
          "automatic recheck after an image move failed",
        );
      }
      const text = `Automatic recheck after ${m.trigger.label} not done: ${errorMessage(err)}`;
      replies.push({ image: m.image, id: m.trigger.id, text });
    }
  }
  let posted = 0;
  for (const t of deps.targets) {
    const wanted = t.images?.length
      ? new Set(t.images.flatMap((name) => findImages(watchList, name).map((w) => w.image)))
      : null;
    const mine = replies.filter((r) => !wanted || wanted.has(r.image));
    if (mine.length === 0) continue;
    const text = mine.map((r) => r.text).join("\n\n");
    await deps.outbox.post(
      t.target,
      { text },
      autoRecheckSendId(
        t.target,
        mine.map((r) => r.id),
      ),
    );
    posted++;
  }
  return posted;
}

interface PollOciDeps {
  oci: OciConfig;
  rooms: Rooms;
  outbox: Outbox;
  redis: Redis;
  prefix: string;
  metrics?: Metrics;
  stats?: Stats;
  /** Set when `oci.autoRecheck` is enabled and the affected-charm service exists. */
  affected?: ImageRecheckService;
  /** Set when `oci.propose` is enabled: Gerrit for the topic's changes, and the push credentials. */
  proposals?: ProposalWiring;
}

/** What the poll's proposals need beyond the OCI config. */
export interface ProposalWiring {
  gerritUrl: string;
  gerrit: ChangeQuery;
  auth: PushAuth;
}

function roomTarget(rooms: Rooms, name: string, images?: string[]): OciAnnounceTarget[] {
  const room = rooms[name];
  return room ? [{ target: { network: room.network, room: room.id }, ...(images ? { images } : {}) }] : [];
}

function pollOci(deps: PollOciDeps): Handler<"oci-poll"> {
  const settings = ociSettings(deps.oci);
  const client = registryClient(settings);
  const state = new OciState(deps.redis, deps.prefix);
  const targets = deps.oci.announce.flatMap((a) => roomTarget(deps.rooms, a.room, a.images));
  const announce = announceOci({
    outbox: deps.outbox,
    targets,
    ...(deps.oci.monorepo ? { repoDir: deps.oci.monorepo.path } : {}),
  });
  const auto = deps.oci.autoRecheck;
  const recheck =
    auto.enabled && deps.affected
      ? {
          service: deps.affected,
          targets: auto.room ? roomTarget(deps.rooms, auto.room) : targets,
          outbox: deps.outbox,
          dryRun: auto.dryRun,
        }
      : undefined;
  const proposals = deps.oci.propose.enabled ? deps.proposals : undefined;
  const proposeTargets = (
    deps.oci.propose.room ? roomTarget(deps.rooms, deps.oci.propose.room) : targets
  ).map((t) => t.target);
  return async (_data, ctx) => {
    const { watchList } = await loadWatchList(settings, ctx.log);
    const res = await pollImages({
      client,
      watchList,
      state,
      log: ctx.log,
      // Announce before the state is saved: a failed post means the next poll announces the same events again.
      // The poll's results go with the events: a digest-only poll still knows which pins have newer tags.
      emit: async (events, results) => {
        if (events.length === 0) return;
        const posted = await announce(events, watchList, results);
        deps.metrics?.ociAnnouncements.inc(posted);
        await deps.stats?.incr("oci:announced", events.length);
        if (recheck) await autoRecheck(recheck, events, watchList, ctx.log);
      },
    });
    // pollImages logs "OCI poll done" itself; this only counts.
    for (const r of res.results) deps.metrics?.registryPolls.inc({ result: r.error ? "error" : "ok" });
    if (proposals && deps.oci.monorepo) {
      // After the announcement, like the auto-recheck: a failure is logged, never a failed poll.
      try {
        const report = await proposeBumps({
          repoDir: deps.oci.monorepo.path,
          rev: deps.oci.monorepo.rev,
          registries: deps.oci.registries,
          client,
          propose: deps.oci.propose,
          gerritUrl: proposals.gerritUrl,
          gerrit: proposals.gerrit,
          auth: proposals.auth,
          dryRun: false,
          log: ctx.log,
          outbox: deps.outbox,
          targets: proposeTargets,
        });
        await deps.stats?.incr("oci:proposed", report.pushed);
      } catch (err) {
        ctx.log.warn({ err: errorMessage(err) }, "OCI bump proposals failed");
      }
    }
  };
}

export interface OciWiring {
  handlers: Pick<HandlerTable, "oci-poll">;
  services: Record<string, unknown>;
  /** Upserts the poll scheduler: BullMQ runs each tick once however many replicas call this. */
  schedule(): Promise<void>;
}

export function wireOci(
  config: OciFeatureConfig,
  deps: {
    redis: Redis;
    queues: Queues;
    outbox: Outbox;
    metrics: Metrics;
    stats: Stats;
    log: Logger;
    /** The affected-charm service (monorepo + Gerrit configured): needed by `oci.autoRecheck`. */
    affected?: ImageRecheckService;
    /** Gerrit and push credentials for `oci.propose` (built from config.gerrit and the secrets). */
    proposals?: ProposalWiring;
  },
): OciWiring {
  const oci = config.oci;
  if (!oci?.enabled) return { handlers: {}, services: {}, schedule: async () => undefined };
  const settings = ociSettings(oci);
  const prefix = config.redis.prefix;
  if (oci.autoRecheck.enabled && !deps.affected) {
    deps.log.warn("oci.autoRecheck is enabled but rechecks are not (needs monorepo and gerrit): ignored");
  }
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
        ...(deps.affected ? { affected: deps.affected } : {}),
        ...(deps.proposals ? { proposals: deps.proposals } : {}),
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

/** Gerrit REST (the HTTP user and password when set) and the push credentials, when proposals are on. */
function proposalWiring(ctx: FeatureContext<OciFeatureConfig>): ProposalWiring | undefined {
  const { oci, gerrit } = ctx.config;
  if (!oci?.enabled || !oci.propose.enabled || !gerrit) return undefined;
  const password = ctx.secrets.gerritHttpPassword;
  const creds = gerrit.http && password ? { user: gerrit.http.user, password } : {};
  return {
    gerritUrl: gerrit.url,
    gerrit: new GerritClient({ url: gerrit.url, log: ctx.log, ...creds }),
    auth: {
      ...creds,
      ...(oci.propose.sshKeyFile ? { sshKeyFile: oci.propose.sshKeyFile } : {}),
      ...(oci.propose.knownHostsFile ? { knownHostsFile: oci.propose.knownHostsFile } : {}),
    },
  };
}

export default defineFeature({
  name: "oci",
  commands: [images],
  routes: [],
  configShape: OCI_CONFIG_SHAPE,
  crossCheck: ociCrossCheck,
  create(ctx: FeatureContext<OciFeatureConfig>) {
    // The affected feature is listed earlier: its rechecker, when configured, is in ctx.services by now.
    const rechecker = ctx.services.charmRecheck;
    const proposals = proposalWiring(ctx);
    const w = wireOci(ctx.config, {
      ...ctx,
      ...(rechecker ? { affected: rechecker } : {}),
      ...(proposals ? { proposals } : {}),
    });
    return { handlers: w.handlers, services: w.services, schedule: () => w.schedule() };
  },
});
