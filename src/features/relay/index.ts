// Wires the Gerrit relay: rules (config + subscriptions), the leading-edge window, its two handlers and what
// it asks of intake.
import type { Outbox } from "../../chat/outbox.js";
import type { SubscriptionService } from "./services.js";
import { defineFeature, type FeatureContext } from "../../core/feature.js";
import { RELAY_CONFIG_SHAPE, relayCrossCheck, type RelayConfig } from "./config.js";
import { subscribe, unsubscribe } from "./commands.js";
import { announceGerrit, relayWants } from "./announce.js";
import type { BotEvent } from "../../core/events.js";
import { flushRelay } from "./flush.js";
import type { Queues } from "../../core/queues.js";
import type { Redis } from "../../core/redis.js";
import { RelayBuffer } from "./buffer.js";
import { RelayRules, configRules } from "./rules.js";
import { Subscriptions } from "./subscriptions.js";
import type { HandlerTable } from "../../core/worker.js";

export interface RelayWiring {
  handlers: Pick<HandlerTable, "relay" | "relay-flush">;
  /** Whether a config rule or a run-time subscription would announce the event (intake asks this). */
  wants(event: BotEvent): boolean | Promise<boolean>;
  subscriptions: SubscriptionService;
}

export function wireRelay(config: RelayConfig, redis: Redis, queues: Queues, outbox: Outbox): RelayWiring {
  const subs = new Subscriptions(redis, config.redis.prefix);
  const rules = new RelayRules(config, subs);
  const buffer = new RelayBuffer(redis, config.redis.prefix);
  const windowMs = config.bot.coalesceSeconds * 1000;
  const render = {
    botUser: config.gerrit?.botUser ?? "sunbeam-bot",
    botAccounts: config.gerrit?.botAccounts ?? ["zuul"],
    ...(config.gerrit ? { gerritUrl: config.gerrit.url } : {}),
  };
  // The last window this process scheduled a flush for, per room: a burst adds one flush job, not one per
  // event. Safe because that flush runs only after its window ends, so it takes every line of the window.
  const scheduled = new Map<string, number>();
  const relay = announceGerrit({
    rules: () => rules.rules(),
    render,
    outbox,
    window: {
      ms: windowMs,
      buffer,
      // One flush job per room and window: the job id collapses every schedule of the same window.
      scheduleFlush: async (key, target, window, msLeft) => {
        if (scheduled.get(key) === window) return;
        await queues.add("relay-flush", "flush", { key, target, bucket: window }, `flush:${key}:${window}`, {
          delay: msLeft + 50,
        });
        scheduled.set(key, window);
      },
    },
  });
  const fromConfig = (network: string, room: string) =>
    configRules(config)
      .filter((r) => r.target.network === network && r.target.room === room)
      .map((r) => `${r.projects.join(",")} (${r.events.join(", ")})`);
  return {
    handlers: { relay, "relay-flush": flushRelay({ buffer, outbox, maxLines: config.bot.digestMaxLines }) },
    wants: (e) => e.source === "gerrit" && relayWants(() => rules.rules(), e, render),
    subscriptions: {
      list: async (network, room) => ({
        runtime: await subs.list(network, room),
        fromConfig: fromConfig(network, room),
      }),
      add: async (network, room, sub) => {
        await subs.add(network, room, sub);
        rules.invalidate();
      },
      remove: async (network, room, project) => {
        const n = await subs.remove(network, room, project);
        rules.invalidate();
        return n;
      },
    },
  };
}

export default defineFeature({
  name: "relay",
  commands: [subscribe, unsubscribe],
  // dropped-output is a signal to the stream source (backfill), never an announcement.
  routes: [
    {
      kinds: ["gerrit.*"],
      except: ["gerrit.dropped-output", "gerrit.unknown"],
      queue: "relay",
      // No settle delay: the relay renders the event itself and reads nothing from Gerrit.
    },
  ],
  configShape: RELAY_CONFIG_SHAPE,
  crossCheck: relayCrossCheck,
  create(ctx: FeatureContext<RelayConfig>) {
    const w = wireRelay(ctx.config, ctx.redis, ctx.queues, ctx.outbox);
    return { handlers: w.handlers, services: { subscriptions: w.subscriptions }, wants: w.wants };
  },
});
