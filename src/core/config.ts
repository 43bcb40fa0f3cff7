// The core config sections (Redis, log, bot, rooms, roles, commands, scale-out, jobs) and the helpers every
// section uses. Each feature, chat and Gerrit add their own sections; src/app/config.ts assembles the whole.
import { z } from "zod";
import { clusterPrefixProblem, parseRedisUrl } from "./redis.js";
import { errorMessage } from "./errors.js";
import type { ConfigProblem } from "./config-load.js";

export const NETWORKS = ["console", "matrix", "slack"] as const;
export type Network = (typeof NETWORKS)[number];

export const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "must be lower-case letters, digits, '-' or '_'");
export const nonEmpty = z.string().min(1, "must not be empty");

const RoomSchema = z.strictObject({ network: z.enum(NETWORKS), id: nonEmpty });

const RoleSchema = z.strictObject({
  console: z.array(nonEmpty).default([]),
  matrix: z.array(nonEmpty).default([]),
  slack: z.array(nonEmpty).default([]),
});

export const CORE_CONFIG_SHAPE = {
  redis: z
    .strictObject({
      /** redis://, rediss://, redis+sentinel://h1,h2/<master>[/db] or redis+cluster://h1,h2 (docs/operations.md). */
      url: z
        .string()
        .superRefine((url, ctx) => {
          try {
            parseRedisUrl(url);
          } catch (err) {
            ctx.addIssue({ code: "custom", message: errorMessage(err) });
          }
        })
        .default("redis://127.0.0.1:6379"),
      prefix: z
        .string()
        .regex(
          /^(\{[A-Za-z0-9_.-]+\}|[A-Za-z0-9_.-]+)$/,
          "letters, digits, '.', '-' or '_', or one {hash tag} of them (Redis Cluster)",
        )
        .default("sunbeam"),
    })
    .prefault({}),
  log: z
    .strictObject({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info") })
    .prefault({}),
  bot: z
    .strictObject({
      commandPrefix: z.string().min(1).max(3).default("!"),
      /** What an unauthorised user gets: a short refusal, or nothing. */
      unauthorized: z.enum(["refuse", "silent"]).default("refuse"),
      rateLimit: z
        .strictObject({
          commands: z.number().int().min(1).default(10),
          perSeconds: z.number().int().min(1).default(60),
        })
        .prefault({}),
      /** Other bots' user ids on any network: never answered. */
      ignoreUsers: z.array(nonEmpty).default([]),
      /** Commands sent more than this long before the bot started are history, never run (clock skew margin). */
      historySeconds: z.number().int().min(0).max(86_400).default(120),
      /** Relay lines for one room within this window become one message (0: post each at once). */
      coalesceSeconds: z.number().min(0).max(300).default(3),
      /** A coalesced digest keeps its newest lines up to this many ("…and N earlier" above them). */
      digestMaxLines: z.number().int().min(1).max(500).default(60),
    })
    .prefault({}),
  rooms: z.record(name, RoomSchema).default({}),
  roles: z.record(name, RoleSchema).default({}),
  /** Per-command permission overrides: `commands: {status: {role: core}}`. */
  commands: z.record(name, z.strictObject({ role: name.optional() })).default({}),
  /** Several replicas on one Redis: leases for the connections only one of them may hold. */
  scaleOut: z
    .strictObject({
      /** A dead holder's Gerrit stream and chat connections move to a standby within this long. */
      leaseSeconds: z.number().min(1).max(300).default(15),
    })
    .prefault({}),
  jobs: z
    .strictObject({
      attempts: z.number().int().min(1).max(50).default(8),
      backoffMs: z.number().int().min(10).default(2000),
      concurrency: z.number().int().min(1).max(256).default(8),
      /** How long finished job ids are kept, which is how long a replayed event is recognised. */
      keepDays: z.number().min(0.01).default(7),
      /**
       * A job whose worker died (SIGKILL, lost host) is taken up again by another worker after this long:
       * BullMQ's lock duration and stalled-job check interval.
       */
      lockSeconds: z.number().min(1).max(600).default(30),
      /** On shutdown, running jobs get this long to finish before the workers are closed by force. */
      shutdownGraceSeconds: z.number().min(0).max(3600).default(30),
    })
    .prefault({}),
};

/** The sections every part of the bot may read. */
export type CoreConfig = z.infer<z.ZodObject<typeof CORE_CONFIG_SHAPE>>;
export type Rooms = CoreConfig["rooms"];

/** `path` names a room that the rooms section does not have. */
export function unknownRoom(path: string, room: string, rooms: Rooms): ConfigProblem {
  const known = Object.keys(rooms);
  return { path, message: `unknown room (rooms: ${known.join(", ") || "none"})`, value: room };
}

/** `path` names a role that the roles section does not have. */
export function unknownRole(path: string, role: string, roles: CoreConfig["roles"]): ConfigProblem {
  return {
    path,
    message: `unknown role (roles: ${Object.keys(roles).join(", ") || "none"})`,
    value: role,
  };
}

/** Checks among the core sections. */
export function coreCrossCheck(cfg: CoreConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const clusterProblem = clusterPrefixProblem(cfg.redis.url, cfg.redis.prefix);
  if (clusterProblem)
    problems.push({ path: "redis.prefix", message: clusterProblem, value: cfg.redis.prefix });
  for (const [cmd, c] of Object.entries(cfg.commands)) {
    if (c.role && c.role !== "anyone" && !cfg.roles[c.role])
      problems.push(unknownRole(`commands.${cmd}.role`, c.role, cfg.roles));
  }
  return problems;
}
