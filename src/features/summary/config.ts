// The `summary` config section (schedule, recipients, evidence scope) and the chat targets it names.
import { z } from "zod";
import type { CoreConfig } from "../../core/config.js";
import type { GerritConfigPart } from "../../integrations/gerrit/config.js";
import { enabledNetworks, type ChatConfig } from "../../chat/config.js";
import { DEFAULT_ACTIONS_FILE } from "./actions.js";

/** The weekly summary's schedule default: Monday 09:00, London time (the team's PTL works from there). */
export const DEFAULT_SUMMARY_CRON = "0 9 * * 1";
export const DEFAULT_SUMMARY_TIMEZONE = "Europe/London";

const nonEmpty = z.string().min(1, "must not be empty");

/** 5 fields (minute … weekday) or 6 (with seconds), as BullMQ's cron parser reads them. */
const cron = z
  .string()
  .trim()
  .refine((s) => /^(\S+\s+){4,5}\S+$/.test(s) && /^[\d*,/\-A-Za-z?LW#\s]+$/.test(s), {
    message: 'must be a cron pattern of 5 or 6 fields, e.g. "0 9 * * 1" (Monday 09:00)',
  });

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const timezone = z
  .string()
  .refine(isTimeZone, { message: 'must be an IANA time zone, e.g. "Europe/London"' });

export const SummaryConfigSchema = z.strictObject({
  /** false: no weekly job (`!summary`, `!actions` and the CLI still work). */
  enabled: z.boolean().default(true),
  /** The cycle actions (format: docs/summary.md); read again for every summary, so edits need no restart. */
  actionsFile: nonEmpty.default(DEFAULT_ACTIONS_FILE),
  cron: cron.default(DEFAULT_SUMMARY_CRON),
  /** The cron pattern is read in this zone, and the week a summary belongs to is this zone's week. */
  timezone: timezone.default(DEFAULT_SUMMARY_TIMEZONE),
  /** The PTL's user id on each network that should get the summary as a direct message. */
  ptl: z
    .strictObject({
      matrix: z
        .string()
        .regex(/^@[^:]+:.+$/, "must look like @user:server")
        .optional(),
      slack: z
        .string()
        .regex(/^[UW][A-Z0-9]+$/, "must be a Slack user id like U012ABCDEF")
        .optional(),
      console: nonEmpty.optional(),
    })
    .prefault({}),
  /** Also post it in this room (a name under `rooms`). */
  room: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, "must be a room name from `rooms`")
    .optional(),
  /** How far back to look for an action's last activity (its "no activity for N weeks" flag). */
  lookbackWeeks: z.number().int().min(1).max(52).default(8),
  /** Evidence links shown per action (the rest are counted). */
  maxEvidence: z.number().int().min(0).max(10).default(2),
  /** Gerrit projects searched for evidence; empty: `gerrit.projects` (and if that is empty, all visible). */
  gerritProjects: z.array(nonEmpty).default([]),
  /** Launchpad projects searched for bugs; unset: `launchpad.projects`, else snap-openstack. */
  launchpadProjects: z.array(nonEmpty).min(1).optional(),
  /** Upper bound on the time one source (Gerrit, Launchpad) may take before it is reported unavailable. */
  sourceTimeoutSeconds: z.number().int().min(5).max(1800).default(300),
});

export type SummaryConfig = z.infer<typeof SummaryConfigSchema>;

export interface SummaryTarget {
  network: string;
  room: string;
  direct?: boolean;
  /** Stable part of the send id: the network for a DM, `room:<name>` for a room. */
  key: string;
}

export interface RoomRef {
  network: string;
  id: string;
}

/**
 * Checks against the rest of the config: the room exists, and each PTL network is enabled under `chat`.
 * The lead calls it from crossCheck with `config.rooms` and the enabled networks.
 */
export function summaryCrossCheck(
  cfg: SummaryConfig,
  rooms: Record<string, RoomRef>,
  enabledNetworks: readonly string[],
): { path: string; message: string; value: unknown }[] {
  const problems: { path: string; message: string; value: unknown }[] = [];
  if (cfg.room !== undefined && !rooms[cfg.room]) {
    problems.push({
      path: "summary.room",
      message: `unknown room (rooms: ${Object.keys(rooms).join(", ") || "none"})`,
      value: cfg.room,
    });
  }
  const hasPtl = Object.values(cfg.ptl).some((u) => u !== undefined);
  if (cfg.enabled && !hasPtl && cfg.room === undefined) {
    problems.push({
      path: "summary.ptl",
      message: "the weekly summary has no recipient: set summary.ptl.<network> or summary.room",
      value: cfg.ptl,
    });
  }
  for (const [network, user] of Object.entries(cfg.ptl)) {
    if (user !== undefined && !enabledNetworks.includes(network)) {
      problems.push({
        path: `summary.ptl.${network}`,
        message: `network ${network} is not configured and enabled under chat.${network}`,
        value: user,
      });
    }
  }
  return problems;
}

/** Where the weekly summary goes: a DM to the PTL on each configured network, and the room if set. */
export function summaryTargets(cfg: SummaryConfig, rooms: Record<string, RoomRef>): SummaryTarget[] {
  const out: SummaryTarget[] = [];
  for (const network of ["matrix", "slack", "console"] as const) {
    const user = cfg.ptl[network];
    if (user) out.push({ network, room: user, direct: true, key: network });
  }
  const room = cfg.room ? rooms[cfg.room] : undefined;
  if (cfg.room && room) out.push({ network: room.network, room: room.id, key: `room:${cfg.room}` });
  return out;
}

/** Where evidence is searched: the summary's own lists, else the gerrit / launchpad sections' projects. */
export function evidenceProjects(
  cfg: Pick<SummaryConfig, "gerritProjects" | "launchpadProjects">,
  gerritProjects: readonly string[] = [],
  launchpadProjects?: readonly string[],
): { gerrit: string[]; launchpad: string[] } {
  return {
    gerrit: cfg.gerritProjects.length ? [...cfg.gerritProjects] : [...gerritProjects],
    launchpad: [...(cfg.launchpadProjects ?? launchpadProjects ?? ["snap-openstack"])],
  };
}

export const SUMMARY_CONFIG_SHAPE = {
  /** The weekly cycle-action summary (docs/summary.md); absent: no weekly message. */
  summary: SummaryConfigSchema.optional(),
};

/** What the summary reads of the config; Launchpad's projects and API root, as the triage section has them. */
export type SummaryFeatureConfig = CoreConfig &
  GerritConfigPart & {
    summary?: SummaryConfig | undefined;
    launchpad?: { projects: string[]; apiRoot?: string | undefined } | undefined;
  };

export function summaryConfigCheck(
  cfg: SummaryFeatureConfig & ChatConfig,
): { path: string; message: string; value: unknown }[] {
  return cfg.summary ? summaryCrossCheck(cfg.summary, cfg.rooms, enabledNetworks(cfg)) : [];
}
