// The `gerrit` config section: REST URL, the SSH stream, the webhook receiver, the accounts to ignore.
import { z } from "zod";
import { nonEmpty } from "../../core/config.js";

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

export const GERRIT_CONFIG_SHAPE = {
  gerrit: GerritSchema.optional(),
};

export type GerritConfig = z.infer<typeof GerritSchema>;
/** The config a Gerrit reader sees: the optional section. */
export interface GerritConfigPart {
  gerrit?: GerritConfig | undefined;
}
