// The `chat` config section: which networks the bot joins and how it paces its messages there.
import { z } from "zod";
import { NETWORKS, nonEmpty, type CoreConfig, type Network } from "../core/config.js";
import type { ConfigProblem } from "../core/config-load.js";

export const CHAT_CONFIG_SHAPE = {
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
};

export type ChatConfig = z.infer<z.ZodObject<typeof CHAT_CONFIG_SHAPE>>;

/** The networks configured and enabled under chat. */
export function enabledNetworks(cfg: ChatConfig): Network[] {
  return NETWORKS.filter((n) =>
    n === "console"
      ? cfg.chat.console.enabled
      : n === "matrix"
        ? cfg.chat.matrix?.enabled
        : cfg.chat.slack?.enabled,
  );
}

/** Every room must be on a network that is configured and enabled. */
export function chatCrossCheck(cfg: ChatConfig & Pick<CoreConfig, "rooms">): ConfigProblem[] {
  const enabled = enabledNetworks(cfg);
  return Object.entries(cfg.rooms).flatMap(([room, r]) =>
    enabled.includes(r.network)
      ? []
      : [
          {
            path: `rooms.${room}.network`,
            message: `network ${r.network} is not configured and enabled under chat.${r.network}`,
            value: r.network,
          },
        ],
  );
}
