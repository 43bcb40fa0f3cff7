// The `oci` config section: which registries, which images, how often, where announcements go, and the
// automatic rechecks when a pinned tag moves.
import { z } from "zod";
import type { ExtraImage } from "./watch-list.js";
import { unknownRoom, type CoreConfig } from "../../core/config.js";
import type { ConfigProblem } from "../../core/config-load.js";

const nonEmpty = z.string().min(1, "must not be empty");
const MIRROR =
  /^(?:https?:\/\/)?[A-Za-z0-9.-]+(?::\d{1,5})?\/?$|^(?:https?:\/\/)?\[[0-9A-Fa-f:.]+\](?::\d{1,5})?\/?$/;

export const OciConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Registry hosts the bot may contact: the allow-list that keeps chat input from reaching other hosts. */
  registries: z.array(nonEmpty).min(1).default(["ghcr.io"]),
  /** Hosts spoken to over plain http (a local mirror). */
  plainHttp: z.array(nonEmpty).default([]),
  /**
   * Pull-through caches / mirrors: canonical registry host → the host every request goes to instead
   * (`{ghcr.io: "127.0.0.1:5000"}`, or `http://127.0.0.1:5000` for plain http). Pins, announcements and
   * proposals keep the canonical names; only the network requests move.
   */
  mirrors: z
    .record(nonEmpty, z.string().regex(MIRROR, "must be host[:port] or http(s)://host[:port]"))
    .default({}),
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
  /**
   * Bumps proposed as Gerrit changes (off by default): one change per image family with a newer release,
   * pushed to refs/for/<branch> with a topic and a Change-Id stable per (family, branch).
   */
  propose: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Where to push: `https://review.opendev.org/openstack/sunbeam-charms` or `ssh://bot@host:29418/…`. */
      remote: nonEmpty.optional(),
      /** The Gerrit project the changes belong to (for the REST queries and links). */
      project: nonEmpty.default("openstack/sunbeam-charms"),
      branch: nonEmpty.default("main"),
      topic: z
        .string()
        .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only")
        .default("oci-bump"),
      /** Open proposals under the topic at most: no new change past this (amendments still go). */
      maxOpen: z.number().int().min(1).max(100).default(5),
      /** Pushes per poll (and per `oci propose` run): one keeps a poll short and the reviewers' queue calm. */
      pushesPerPoll: z.number().int().min(1).max(50).default(1),
      /** Pin `tag@sha256:…` (pins that already carry a digest always get the new one). */
      digest: z.boolean().default(false),
      /** SSH push: the private key file and a known_hosts file (HTTPS uses gerrit.http and GERRIT_HTTP_PASSWORD). */
      sshKeyFile: nonEmpty.optional(),
      knownHostsFile: nonEmpty.optional(),
      author: z
        .strictObject({
          name: nonEmpty.default("sunbeam-bot"),
          email: nonEmpty.default("sunbeam-bot@localhost"),
        })
        .prefault({}),
      /** A room name from `rooms` for the change links; the announce rooms when unset. */
      room: nonEmpty.optional(),
    })
    .prefault({}),
});

export type OciConfig = z.infer<typeof OciConfigSchema>;

/** What the OCI tools and the poller take (from the config section, or the CLI). */
export interface OciSettings {
  /** Registry hosts the client may contact (the SSRF allow-list), e.g. `["ghcr.io"]`. */
  registries: string[];
  /** Hosts spoken to over plain http (a local registry or mirror). */
  plainHttp?: string[];
  /** Canonical registry host → mirror host (every request goes there; names stay canonical). */
  mirrors?: Record<string, string>;
  /** The monorepo whose charms' pins are watched. */
  monorepo?: { dir: string; rev?: string };
  /** Images added in config. */
  images?: ExtraImage[];
}

export function ociSettings(o: OciConfig): OciSettings {
  return {
    registries: o.registries,
    plainHttp: o.plainHttp,
    mirrors: o.mirrors,
    images: o.images,
    ...(o.monorepo ? { monorepo: { dir: o.monorepo.path, rev: o.monorepo.rev } } : {}),
  };
}

export const OCI_CONFIG_SHAPE = { oci: OciConfigSchema.optional() };

/** What the OCI watch reads of the config (monorepo and gerrit only to check the auto-recheck's needs). */
export type OciFeatureConfig = CoreConfig & {
  oci?: OciConfig | undefined;
  monorepo?: unknown;
  /** Read for the proposals: where the REST queries and change links go, and the HTTP user. */
  gerrit?: { url: string; http?: { user: string } | undefined } | undefined;
};

export function ociCrossCheck(cfg: OciFeatureConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  (cfg.oci?.announce ?? []).forEach((a, i) => {
    if (!cfg.rooms[a.room]) problems.push(unknownRoom(`oci.announce.${i}.room`, a.room, cfg.rooms));
  });
  const pr = cfg.oci?.enabled ? cfg.oci.propose : undefined;
  if (pr?.enabled) {
    if (!pr.remote) {
      problems.push({
        path: "oci.propose.remote",
        message: "needs the git URL to push to",
        value: undefined,
      });
    }
    if (!cfg.oci?.monorepo) {
      problems.push({
        path: "oci.propose",
        message: "needs oci.monorepo: the clone it commits in",
        value: true,
      });
    }
    if (!cfg.gerrit) {
      problems.push({
        path: "oci.propose",
        message: "needs gerrit: it reads the open proposals",
        value: true,
      });
    }
    if (pr.room && !cfg.rooms[pr.room]) problems.push(unknownRoom("oci.propose.room", pr.room, cfg.rooms));
  }
  const ar = cfg.oci?.enabled ? cfg.oci.autoRecheck : undefined;
  if (ar?.enabled) {
    if (ar.room && !cfg.rooms[ar.room])
      problems.push(unknownRoom("oci.autoRecheck.room", ar.room, cfg.rooms));
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
  return problems;
}
