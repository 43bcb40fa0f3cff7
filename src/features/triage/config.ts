// The `launchpad` config section (zod, with defaults): projects, polling, grace, tags, dry-run, write cap.
import { z } from "zod";
import type { CoreConfig } from "../../core/config.js";

/** Launchpad's tag rule (lib/lp/bugs/interfaces/bug.py): a bad tag would fail every tag write later. */
const tag = z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, "must be a valid Launchpad tag (a-z, 0-9, + . -)");
const nonEmpty = z.string().trim().min(1, "must not be empty");
const roomName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "must name a room of the rooms section");
const lpName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9+.-]*$/, "must be a Launchpad user name (lower-case, e.g. sunbeam-bot)");

export const LaunchpadConfigSchema = z.strictObject({
  /** Switches the poller and the triage handler off without deleting the section. */
  enabled: z.boolean().default(true),
  /** Launchpad projects whose new bugs are checked. */
  projects: z.array(lpName).min(1).default(["snap-openstack"]),
  /** How often each project is polled (Launchpad has no push; ≥5 minutes is polite). */
  pollMinutes: z
    .number()
    .min(1)
    .max(24 * 60)
    .default(5),
  /** A bug is evaluated this long after it was filed: attachments arrive as separate messages afterwards. */
  graceMinutes: z
    .number()
    .min(0)
    .max(7 * 24 * 60)
    .default(10),
  /** Added when the bot asks for debug info; its removal by a human means "hands off". */
  tag: tag.default("needs-debug-info"),
  /** A bug carrying this tag is never touched (in addition to the checklist's own skip tags). */
  skipTag: tag.default("triage-bot-skip"),
  /** Where the triage notes go (a name in `rooms`); without it the notes are only logged. */
  triageRoom: roomName.optional(),
  /** false (the default) is dry-run: no Launchpad writes at all, the intended ones go to the log and the room. */
  writes: z.boolean().default(false),
  /** At most this many Launchpad writes per poll interval, whatever happens (a bad checklist cannot spam). */
  maxWritesPerRun: z.number().int().min(1).max(1000).default(10),
  /** Launchpad names of reporters the bot never prompts (e.g. the team's own members). */
  reporterAllowList: z.array(lpName).default([]),
  /** A checklist of one's own instead of the bundled default-checklist.yaml. */
  checklistFile: nonEmpty.optional(),
  /** e.g. https://api.staging.launchpad.net/devel to try writes on staging first. */
  apiRoot: z.url().optional(),
  /** The OAuth consumer key (also the User-Agent of anonymous reads). */
  consumerKey: nonEmpty.default("sunbeam-bot"),
  /** The bot's own Launchpad user name: its comments are never taken for a human's. */
  botAccount: lpName.optional(),
});

export type LaunchpadConfig = z.infer<typeof LaunchpadConfigSchema>;

/**
 * Checks that need the rest of the config (for the config's crossCheck): the triage room is a known room.
 * The checklist file is checked where it is loaded (loadChecklist throws a ConfigError listing its problems).
 */
export function launchpadProblems(
  lp: LaunchpadConfig,
  rooms: readonly string[],
): { path: string; message: string; value: unknown }[] {
  const out: { path: string; message: string; value: unknown }[] = [];
  if (lp.triageRoom !== undefined && !rooms.includes(lp.triageRoom)) {
    out.push({
      path: "launchpad.triageRoom",
      message: `unknown room (rooms: ${rooms.join(", ") || "none"})`,
      value: lp.triageRoom,
    });
  }
  if (lp.writes && lp.triageRoom === undefined) {
    out.push({
      path: "launchpad.triageRoom",
      message: "writes are enabled but no triage room is set: triagers would never hear of the prompts",
      value: undefined,
    });
  }
  return out;
}

/** The defaults, as a handler or test gets them without a config file. */
export function launchpadConfig(input: unknown = {}): LaunchpadConfig {
  return LaunchpadConfigSchema.parse(input);
}

export const TRIAGE_CONFIG_SHAPE = {
  /** Launchpad bug triage: projects polled, the checklist, the triage room; dry-run until writes: true. */
  launchpad: LaunchpadConfigSchema.optional(),
};

/** What triage reads of the config. */
export type TriageConfig = CoreConfig & { launchpad?: LaunchpadConfig | undefined };

export function triageCrossCheck(cfg: TriageConfig): { path: string; message: string; value: unknown }[] {
  return cfg.launchpad?.enabled ? launchpadProblems(cfg.launchpad, Object.keys(cfg.rooms)) : [];
}
