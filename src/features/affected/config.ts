// Config sections for the monorepo clone and for rechecks (zod, with defaults), and their cross-checks.
import { z } from "zod";
import { LayoutSchema } from "../../integrations/monorepo/layout.js";
import { unknownRole, unknownRoom, type CoreConfig } from "../../core/config.js";
import type { ConfigProblem } from "../../core/config-load.js";
import type { GerritConfigPart } from "../../integrations/gerrit/config.js";

const nonEmpty = z.string().min(1, "must not be empty");

export const MonorepoConfigSchema = z.strictObject({
  /** The bot's clone (bare or normal); created by `MonorepoSync.ensureClone()` when missing. */
  path: nonEmpty,
  /** Where `git fetch` reads from (a URL or, in tests, a path). */
  remote: nonEmpty.default("https://opendev.org/openstack/sunbeam-charms"),
  /** The Gerrit project of the monorepo: only its changes are explained and rechecked. */
  project: nonEmpty.default("openstack/sunbeam-charms"),
  /** The default branch (the model used when a change names none). */
  branch: nonEmpty.default("main"),
  /** Minutes between scheduled fetches (0: only on change-merged). */
  fetchMinutes: z.number().min(0).max(1440).default(10),
  /** Layout rules for another monorepo shape; every field defaults to the sunbeam-charms layout. */
  layout: LayoutSchema.optional(),
});
export type MonorepoConfig = z.infer<typeof MonorepoConfigSchema>;

export const RecheckConfigSchema = z
  .strictObject({
    /** Role that may run `!recheck-affected` (the lead maps it onto `commands.recheck-affected.role`). */
    role: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/)
      .default("core"),
    /** At most this many rechecks posted by one command; the rest are reported as over the cap. */
    maxPerCommand: z.number().int().min(1).max(200).default(20),
    /** Recheck commands (not dry runs) one requester may run per hour. */
    perUserPerHour: z.number().int().min(1).default(5),
    /** Recheck comments the bot posts per hour over every requester: protects Zuul's nodes and Gerrit. */
    globalPerHour: z.number().int().min(1).default(30),
    /** When set, a change the bot rechecked (for any trigger) is not rechecked again within this many hours. */
    cooldownHours: z
      .number()
      .min(0)
      .max(24 * 30)
      .optional(),
    /**
     * Failures Zuul reported longer ago than this are not rechecked or suggested: in the real history 63% of
     * suggestions targeted failures older than 7 days, and almost none of those passed.
     */
    maxFailureAgeHours: z
      .number()
      .min(1)
      .max(24 * 90)
      .default(24),
    /** Gerrit accounts whose Verified vote counts (empty: any voter; Zuul's account on OpenDev is "zuul"). */
    ciAccounts: z.array(nonEmpty).default([]),
    suggestOnMerge: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** A room name from `rooms`. */
        room: nonEmpty.optional(),
        /** Recheck the failing changes instead of only suggesting the command. */
        autoRecheck: z.boolean().default(false),
      })
      .prefault({}),
  })
  .superRefine((r, ctx) => {
    if (r.suggestOnMerge.enabled && !r.suggestOnMerge.room) {
      ctx.addIssue({
        code: "custom",
        path: ["suggestOnMerge", "room"],
        message: "required when suggestOnMerge is enabled",
      });
    }
  });
export type RecheckConfig = z.infer<typeof RecheckConfigSchema>;

/** The defaults, for callers and tests that configure nothing. */
export const DEFAULT_RECHECK_CONFIG: RecheckConfig = RecheckConfigSchema.parse({});

export const AFFECTED_CONFIG_SHAPE = {
  /** The bot's clone of the charms monorepo: !affected, !recheck-affected, suggestions on merge. */
  monorepo: MonorepoConfigSchema.optional(),
  recheck: RecheckConfigSchema.prefault({}),
};

/** What the affected feature reads of the config. */
export type AffectedConfig = CoreConfig &
  GerritConfigPart & { monorepo?: MonorepoConfig | undefined; recheck: RecheckConfig };

export function affectedCrossCheck(cfg: AffectedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sr = cfg.recheck.suggestOnMerge;
  if (sr.enabled && sr.room && !cfg.rooms[sr.room])
    problems.push(unknownRoom("recheck.suggestOnMerge.room", sr.room, cfg.rooms));
  if (cfg.monorepo && !cfg.gerrit) {
    problems.push({
      path: "monorepo",
      message: "needs gerrit.url: !affected and !recheck-affected read changes from Gerrit",
      value: cfg.monorepo.path,
    });
  }
  if (cfg.recheck.role !== "anyone" && !cfg.roles[cfg.recheck.role] && cfg.monorepo)
    problems.push(unknownRole("recheck.role", cfg.recheck.role, cfg.roles));
  return problems;
}
