// The `summary` config section (schedule, recipients, evidence scope) and the chat targets it names.
import { z } from "zod";
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
  /** The cycle actions (format: docs/summary.md). */
  actionsFile: nonEmpty.default(DEFAULT_ACTIONS_FILE),
  cron: cron.default(DEFAULT_SUMMARY_CRON),
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
  /** Gerrit query terms that bound the summary's queries, e.g. "project:a OR project:b". */
  gerritQueryScope: nonEmpty.optional(),
  launchpadProjects: z.array(nonEmpty).default(["snap-openstack"]),
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

/** Checks against the rest of the config (the room must exist); the lead calls it from crossCheck. */
export function summaryCrossCheck(
  cfg: SummaryConfig,
  rooms: Record<string, RoomRef>,
): { path: string; message: string; value: unknown }[] {
  if (cfg.room === undefined || rooms[cfg.room]) return [];
  return [
    {
      path: "summary.room",
      message: `unknown room (rooms: ${Object.keys(rooms).join(", ") || "none"})`,
      value: cfg.room,
    },
  ];
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
