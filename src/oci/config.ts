// The `oci` config section: which registries, which images, how often, where announcements go, and the
// automatic rechecks when a pinned tag moves.
import { z } from "zod";
import type { OciSettings } from "./cli.js";

const nonEmpty = z.string().min(1, "must not be empty");

export const OciConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Registry hosts the bot may contact: the allow-list that keeps chat input from reaching other hosts. */
  registries: z.array(nonEmpty).min(1).default(["ghcr.io"]),
  /** Hosts spoken to over plain http (a local mirror). */
  plainHttp: z.array(nonEmpty).default([]),
  /** The monorepo checkout whose charms' `upstream-source` pins are watched. */
  monorepo: z.strictObject({ path: nonEmpty, rev: nonEmpty.default("HEAD") }).optional(),
  /** Images to watch besides the charms' pins. */
  images: z.array(z.strictObject({ image: nonEmpty, charms: z.array(nonEmpty).default([]) })).default([]),
  pollMinutes: z.number().min(1).max(1440).default(15),
  /** Rooms that get the grouped announcement; `images` narrows a room to some images. */
  announce: z
    .array(z.strictObject({ room: z.string().min(1), images: z.array(nonEmpty).optional() }))
    .default([]),
  /**
   * When a tag some monorepo charm pins moves to a new digest, the charm builds a different image with no
   * repository change: recheck the open failing changes that affect those charms (off by default).
   */
  autoRecheck: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** A room name from `rooms` for the reply; the announce rooms when unset. */
      room: nonEmpty.optional(),
      /** Say what would be rechecked, post nothing on Gerrit. */
      dryRun: z.boolean().default(false),
    })
    .prefault({}),
});

export type OciConfig = z.infer<typeof OciConfigSchema>;

export function ociSettings(o: OciConfig): OciSettings {
  return {
    registries: o.registries,
    plainHttp: o.plainHttp,
    images: o.images,
    ...(o.monorepo ? { monorepo: { dir: o.monorepo.path, rev: o.monorepo.rev } } : {}),
  };
}
