// The Feature contract: one capability (relay, affected, triage, oci, summary) as one typed object.
// src/features.ts lists them by hand; the Bot builds each with a FeatureContext and merges what it returns.
import type { z } from "zod";
import type { AnyCommand, CommandServices } from "./commands.js";
import type { ConfigProblem } from "./config-load.js";
import type { BotEvent } from "./events.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";
import type { Outbox } from "./outbox.js";
import type { Queues } from "./queues.js";
import type { Redis } from "./redis.js";
import type { Route } from "./routes.js";
import type { Secrets } from "./secrets.js";
import type { Stats } from "./stats.js";
import type { HandlerTable } from "./worker.js";

/** What every feature is built with. A feature's own type adds the config parts and integrations it reads. */
export interface FeatureContext<C = unknown> {
  config: C;
  secrets: Secrets;
  redis: Redis;
  queues: Queues;
  outbox: Outbox;
  stats: Stats;
  metrics: Metrics;
  log: Logger;
  /** Puts an event on the queues its routes name (pollers call this). */
  ingest(event: BotEvent): Promise<unknown>;
  /**
   * The services built so far, by the features listed earlier: how one feature reaches another's service
   * (OCI's auto-recheck reads `charmRecheck`) without importing it. Read it when called, not at build time.
   */
  services: CommandServices;
}

/** What a built feature hands the Bot: every part is optional. */
export interface FeatureParts {
  /** Job handlers by queue name. */
  handlers?: HandlerTable;
  /** Entries for CommandServices (the feature declares their types by module augmentation). */
  services?: Partial<CommandServices>;
  /** Upserts (or removes) its BullMQ job schedulers: run by the scheduler role. */
  schedule?(): Promise<void>;
  /**
   * Intake asks this for each event one of its routes names: false and the event is not queued for it (no
   * job, no kept copy). Absent: every routed event is wanted.
   */
  wants?(event: BotEvent): boolean | Promise<boolean>;
  /** Timers of its own (the monorepo fetch): run by the workers role. */
  start?(): void;
  stop?(): void;
}

export interface Feature<
  Ctx extends FeatureContext = FeatureContext,
  Shape extends Record<string, z.ZodType> = Record<string, z.ZodType>,
> {
  /** The folder name under src/features/. */
  name: string;
  /** Its chat commands, in !help order. */
  commands: readonly AnyCommand[];
  /** Which events go to which of its queues. */
  routes: readonly Route[];
  /** Its top-level config sections (zod), mounted by src/app/config.ts. */
  configShape: Shape;
  /** Checks that need other sections (room names, roles): every problem with its key path. */
  crossCheck?(config: Ctx["config"]): ConfigProblem[];
  create(ctx: Ctx): FeatureParts;
}

/** Identity, for inference: `export default defineFeature({...})`. */
export function defineFeature<Ctx extends FeatureContext, Shape extends Record<string, z.ZodType>>(
  f: Feature<Ctx, Shape>,
): Feature<Ctx, Shape> {
  return f;
}
