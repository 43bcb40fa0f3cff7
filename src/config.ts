// The one config schema (YAML file + env). Unknown keys are errors; secrets never live here (see secrets.ts).
import { z } from "zod";
import { DEFAULT_RELAY_KINDS, RELAY_KINDS } from "./relay/kinds.js";
import { OciConfigSchema } from "./oci/config.js";
import { MonorepoConfigSchema, RecheckConfigSchema } from "./charms/config.js";
import { LaunchpadConfigSchema, launchpadProblems } from "./triage/config.js";
import { SummaryConfigSchema, summaryCrossCheck } from "./summary/config.js";
import { DashboardConfigSchema } from "./dashboard.js";
import { clusterPrefixProblem, parseRedisUrl } from "./redis.js";
import { errorMessage } from "./errors.js";

export { DEFAULT_RELAY_KINDS, RELAY_KINDS };

const NETWORKS = ["console", "matrix", "slack"] as const;
export type Network = (typeof NETWORKS)[number];

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "must be lower-case letters, digits, '-' or '_'");
const nonEmpty = z.string().min(1, "must not be empty");

const RoomSchema = z.strictObject({ network: z.enum(NETWORKS), id: nonEmpty });

const RoleSchema = z.strictObject({
  console: z.array(nonEmpty).default([]),
  matrix: z.array(nonEmpty).default([]),
  slack: z.array(nonEmpty).default([]),
});

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

const GerritSchema = z.strictObject({
  /** Web/REST base URL, e.g. https://review.opendev.org */
  url: z.url(),
  ssh: z
    .strictObject({
      host: nonEmpty,
      port: z.number().int().min(1).max(65535).default(29418),
      user: nonEmpty,
      privateKeyFile: nonEmpty,
      /** SHA256 fingerprint of the server's host key, `SHA256:base64…` as `ssh-keygen -lf` prints it. */
      hostKeyFingerprint: z
        .string()
        .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, "must look like SHA256:<43 base64 chars>"),
      keepaliveSeconds: z.number().int().min(5).default(30),
    })
    .optional(),
  http: z.strictObject({ user: nonEmpty }).optional(),
  /** Projects the bot follows: narrows the backfill query (empty: every project the account can see). */
  projects: z.array(nonEmpty).default([]),
  /** The bot's own Gerrit username: its events are never relayed or acted on. */
  botUser: nonEmpty.default("sunbeam-bot"),
  /** Other automated accounts (Zuul): their comments are summarised, never relayed verbatim. */
  botAccounts: z.array(nonEmpty).default(["zuul"]),
  /** Seconds to wait before acting on an event: Gerrit data can lag the event. */
  settleSeconds: z.number().min(0).max(600).default(5),
  /** The webhooks plugin's POSTs, for sites that cannot give SSH (secret: GERRIT_WEBHOOK_SECRET). */
  webhook: z
    .strictObject({
      enabled: z.boolean().default(false),
      path: z
        .string()
        .regex(/^\/[\w/-]*$/, "must be a URL path like /gerrit/events")
        .default("/gerrit/events"),
      maxBytes: z
        .number()
        .int()
        .min(1024)
        .max(16 * 1024 * 1024)
        .default(1024 * 1024),
    })
    .prefault({}),
});

export const ConfigSchema = z.strictObject({
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
      /** Relay lines for one room within this window become one message (0: post each at once). */
      coalesceSeconds: z.number().min(0).max(300).default(3),
    })
    .prefault({}),
  chat: z
    .strictObject({
      console: z
        .strictObject({
          enabled: z.boolean().default(false),
          user: nonEmpty.default("local"),
          minIntervalMs: z.number().int().min(0).default(0),
        })
        .prefault({}),
      /** Token: MATRIX_ACCESS_TOKEN (or _FILE); `sunbeam-bot matrix login` prints one. */
      matrix: z
        .strictObject({
          enabled: z.boolean().default(true),
          homeserver: z.url(),
          userId: z.string().regex(/^@[^:]+:.+$/, "must look like @user:server"),
          deviceId: nonEmpty.optional(),
          /** Users whose invites the bot accepts. */
          inviteAllowList: z.array(nonEmpty).default([]),
          /** Per-room pacing of the bot's own messages (homeservers rate-limit senders). */
          minIntervalMs: z.number().int().min(0).default(500),
        })
        .optional(),
      /** Tokens: SLACK_BOT_TOKEN plus SLACK_APP_TOKEN (socket) or SLACK_SIGNING_SECRET (http). */
      slack: z
        .strictObject({
          enabled: z.boolean().default(true),
          mode: z.enum(["socket", "http"]).default("socket"),
          http: z
            .strictObject({
              host: nonEmpty.default("127.0.0.1"),
              port: z.number().int().min(0).max(65535).default(3000),
              path: nonEmpty.default("/slack/events"),
            })
            .prefault({}),
          /** Web API base URL; only for Enterprise Grid proxies and tests. */
          apiUrl: z.url().optional(),
          slashCommand: z
            .string()
            .regex(/^\/[a-z0-9_-]+$/, "must look like /sunbeam")
            .default("/sunbeam"),
          /** Slack allows about one message per second per channel. */
          minIntervalMs: z.number().int().min(0).default(1100),
        })
        .optional(),
    })
    .prefault({}),
  rooms: z.record(name, RoomSchema).default({}),
  roles: z.record(name, RoleSchema).default({}),
  /** Per-command permission overrides: `commands: {status: {role: core}}`. */
  commands: z.record(name, z.strictObject({ role: name.optional() })).default({}),
  gerrit: GerritSchema.optional(),
  relay: z.array(RelaySchema).default([]),
  oci: OciConfigSchema.optional(),
  /** The bot's clone of the charms monorepo: !affected, !recheck-affected, suggestions on merge. */
  monorepo: MonorepoConfigSchema.optional(),
  recheck: RecheckConfigSchema.prefault({}),
  /** Launchpad bug triage: projects polled, the checklist, the triage room; dry-run until writes: true. */
  launchpad: LaunchpadConfigSchema.optional(),
  /** The weekly cycle-action summary (docs/summary.md); absent: no weekly message. */
  summary: SummaryConfigSchema.optional(),
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: nonEmpty.default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8080),
      /** The Bull Board queue dashboard: off unless enabled; password DASHBOARD_PASSWORD. */
      dashboard: DashboardConfigSchema.prefault({}),
    })
    .prefault({}),
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
});

export type Config = z.infer<typeof ConfigSchema>;
export type RelayRule = z.infer<typeof RelaySchema>;

/** Checks that need the whole document: references between sections. */
export function crossCheck(cfg: Config): { path: string; message: string; value: unknown }[] {
  const problems: { path: string; message: string; value: unknown }[] = [];
  const rooms = Object.keys(cfg.rooms);
  cfg.relay.forEach((r, i) => {
    if (!cfg.rooms[r.room]) {
      problems.push({
        path: `relay.${i}.room`,
        message: `unknown room (rooms: ${rooms.join(", ") || "none"})`,
        value: r.room,
      });
    }
  });
  (cfg.oci?.announce ?? []).forEach((a, i) => {
    if (!cfg.rooms[a.room]) {
      problems.push({
        path: `oci.announce.${i}.room`,
        message: `unknown room (rooms: ${rooms.join(", ") || "none"})`,
        value: a.room,
      });
    }
  });
  if (cfg.launchpad?.enabled) problems.push(...launchpadProblems(cfg.launchpad, rooms));
  if (cfg.summary) {
    const enabledNetworks = NETWORKS.filter((n) =>
      n === "console"
        ? cfg.chat.console.enabled
        : n === "matrix"
          ? cfg.chat.matrix?.enabled
          : cfg.chat.slack?.enabled,
    );
    problems.push(...summaryCrossCheck(cfg.summary, cfg.rooms, enabledNetworks));
  }
  const clusterProblem = clusterPrefixProblem(cfg.redis.url, cfg.redis.prefix);
  if (clusterProblem)
    problems.push({ path: "redis.prefix", message: clusterProblem, value: cfg.redis.prefix });
  const sr = cfg.recheck.suggestOnMerge;
  if (sr.enabled && sr.room && !cfg.rooms[sr.room]) {
    problems.push({
      path: "recheck.suggestOnMerge.room",
      message: `unknown room (rooms: ${rooms.join(", ") || "none"})`,
      value: sr.room,
    });
  }
  const ar = cfg.oci?.enabled ? cfg.oci.autoRecheck : undefined;
  if (ar?.enabled) {
    if (ar.room && !cfg.rooms[ar.room]) {
      problems.push({
        path: "oci.autoRecheck.room",
        message: `unknown room (rooms: ${rooms.join(", ") || "none"})`,
        value: ar.room,
      });
    }
    if (!ar.room && (cfg.oci?.announce.length ?? 0) === 0) {
      problems.push({
        path: "oci.autoRecheck.room",
        message: "needs a room (or oci.announce rooms) for its replies",
        value: undefined,
      });
    }
    if (!cfg.monorepo || !cfg.gerrit) {
      problems.push({
        path: "oci.autoRecheck",
        message: "needs monorepo and gerrit: it rechecks like !recheck-affected",
        value: true,
      });
    }
  }
  if (cfg.monorepo && !cfg.gerrit) {
    problems.push({
      path: "monorepo",
      message: "needs gerrit.url: !affected and !recheck-affected read changes from Gerrit",
      value: cfg.monorepo.path,
    });
  }
  if (cfg.recheck.role !== "anyone" && !cfg.roles[cfg.recheck.role] && cfg.monorepo) {
    problems.push({
      path: "recheck.role",
      message: `unknown role (roles: ${Object.keys(cfg.roles).join(", ") || "none"})`,
      value: cfg.recheck.role,
    });
  }
  for (const [cmd, c] of Object.entries(cfg.commands)) {
    if (c.role && c.role !== "anyone" && !cfg.roles[c.role]) {
      problems.push({
        path: `commands.${cmd}.role`,
        message: `unknown role (roles: ${Object.keys(cfg.roles).join(", ") || "none"})`,
        value: c.role,
      });
    }
  }
  for (const [room, r] of Object.entries(cfg.rooms)) {
    const enabled =
      r.network === "console"
        ? cfg.chat.console.enabled
        : r.network === "matrix"
          ? cfg.chat.matrix?.enabled
          : cfg.chat.slack?.enabled;
    if (!enabled) {
      problems.push({
        path: `rooms.${room}.network`,
        message: `network ${r.network} is not configured and enabled under chat.${r.network}`,
        value: r.network,
      });
    }
  }
  return problems;
}
