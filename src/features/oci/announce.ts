// OCI announcements: one grouped message per poll and room (image, tag, short digest, the charms using it).
import { createHash } from "node:crypto";
import type { ChatTarget, Outbox } from "../../chat/outbox.js";
import type { Logger } from "../../core/log.js";
import type { OciEvent } from "./events.js";
import { compareReleases, tagFamily } from "./tag-family.js";
import {
  findImages,
  groupPins,
  pinLabel,
  shortDigest,
  type PinGroup,
  type WatchList,
  type WatchedImage,
} from "./watch-list.js";

/** What the poll learnt about an image beyond the events (the poller's per-image result fits). */
export interface KnownImage {
  image: string;
  /** Tag → digest of the tags looked up. */
  tags: Record<string, string>;
  /** Newer releases of pinned families, new in this poll or not. */
  relevant: string[];
  /** Set when the image could not be polled: its pins' state is unknown. */
  error?: string;
}

export interface RenderOptions {
  /** The monorepo path for the bump hint; `DIR` when unset. */
  repoDir?: string;
  known?: readonly KnownImage[];
}

/** Release order, then name: `2024.2` before `2025.1`, odd tags last. */
function byRelease(a: string, b: string): number {
  const ra = tagFamily(a).release;
  const rb = tagFamily(b).release;
  if (ra && rb) return compareReleases(ra, rb) || a.localeCompare(b);
  if (ra || rb) return ra ? -1 : 1;
  return a.localeCompare(b);
}

function describeEvent(e: OciEvent): string {
  return e.kind === "oci.tag-published"
    ? `new tag \`${e.tag}\` (\`${shortDigest(e.digest)}\`)`
    : `\`${e.tag}\` moved \`${shortDigest(e.previous)}\` → \`${shortDigest(e.digest)}\``;
}

function pinLine(g: PinGroup): string {
  const who = g.charm === null ? "config" : g.pin.resource === null ? `${g.charm} (config)` : g.charm;
  const resources = g.resources.map((r) => `\`${r}\``).join(", ");
  const verb = g.resources.length > 1 ? "pin" : "pins";
  const subject = resources ? `${who} ${resources} ${verb}` : `${who} watches`;
  const s = g.status;
  let state = s.status === "behind" ? "**behind**" : s.status;
  const why = [
    ...(s.newest ? [`newest \`${s.newest}\``] : []),
    ...(s.digestMoved ? ["pinned digest moved"] : []),
  ];
  if (why.length) state += ` (${why.join(", ")})`;
  return `- ${subject} \`${pinLabel(g.pin)}\`: ${state}`;
}

/**
 * Tags and digests known for an image: the poll's lookups overlaid with this poll's events. `known`
 * undefined means the caller passed no poll results (events alone); `null` means the poll has none for
 * this image, so its pins' state is unknown rather than "current".
 */
function knowledge(img: WatchedImage, events: readonly OciEvent[], known: KnownImage | null | undefined) {
  const digests: Record<string, string> = { ...(known?.tags ?? {}) };
  for (const e of events) digests[e.tag] = e.digest;
  if (known === null) return groupPins(img, null, digests);
  const tags = [...new Set([...(known?.relevant ?? []), ...Object.keys(digests)])];
  return groupPins(img, tags, digests);
}

/**
 * The message for one poll's events: a line per image with what happened, a "- " line per charm that
 * uses it (resources, pin, behind or current), and the bump command. Empty string when there are no events.
 */
export function renderOciAnnouncement(
  events: readonly OciEvent[],
  watchList: WatchList,
  opts: RenderOptions = {},
): string {
  if (events.length === 0) return "";
  const byImage = new Map<string, OciEvent[]>();
  for (const e of events) byImage.set(e.image, [...(byImage.get(e.image) ?? []), e]);
  const order = [
    ...watchList.images.map((w) => w.image).filter((i) => byImage.has(i)),
    ...[...byImage.keys()].filter((i) => !watchList.images.some((w) => w.image === i)).sort(),
  ];
  const published = events.filter((e) => e.kind === "oci.tag-published").length;
  const moved = events.length - published;
  const counts = [
    ...(published ? [`${published} new tag${published === 1 ? "" : "s"}`] : []),
    ...(moved ? [`${moved} moved digest${moved === 1 ? "" : "s"}`] : []),
  ];
  const lines = [`**OCI images**: ${counts.join(", ")}`];
  const toBump: string[] = [];
  let monorepoPins = false;
  for (const image of order) {
    const evs = (byImage.get(image) ?? []).sort((a, b) =>
      a.kind === b.kind ? byRelease(a.tag, b.tag) : a.kind === "oci.tag-published" ? -1 : 1,
    );
    lines.push(`**${image}**: ${evs.map(describeEvent).join("; ")}`);
    const img = watchList.images.find((w) => w.image === image);
    if (!img || img.pins.length === 0) {
      lines.push("- no charm pins this image");
      continue;
    }
    const groups = knowledge(
      img,
      evs,
      opts.known ? (opts.known.find((k) => k.image === image && !k.error) ?? null) : undefined,
    );
    for (const g of groups) lines.push(pinLine(g));
    const inRepo = groups.filter((g) => g.pin.resource !== null);
    if (inRepo.length) monorepoPins = true;
    if (inRepo.some((g) => g.status.status === "behind")) toBump.push(image);
  }
  const repo = opts.repoDir ?? "DIR";
  const only = (images: string[]) => (images.length === 1 ? ` --image ${images[0]}` : "");
  if (toBump.length) {
    lines.push(`Bump: \`sunbeam-bot oci bump --repo ${repo}${only(toBump)}\``);
  } else if (monorepoPins) {
    lines.push(
      `All pins are current. To pin the new digests: \`sunbeam-bot oci bump --repo ${repo}${only(order)} --digest\``,
    );
  }
  return lines.join("\n");
}

export interface OciAnnounceTarget {
  target: ChatTarget;
  /** Only these images (full name, repository or last component); every image when unset. */
  images?: string[];
}

export interface OciAnnounceDeps {
  outbox: Outbox;
  targets: readonly OciAnnounceTarget[];
  repoDir?: string;
  log?: Logger;
}

/** Same events, same send id: a retried poll job never posts its message twice. */
export function announcementSendId(target: ChatTarget, events: readonly OciEvent[]): string {
  const ids = events.map((e) => e.id).sort();
  const hash = createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 24);
  return `oci:${target.network}:${target.room}:${hash}`;
}

/**
 * The poll's announcer: for each room, the events of the images it follows as one message through the
 * outbox. Returns how many messages were queued. Pass it (bound to a watch list) as the poller's `emit`.
 */
export function announceOci(deps: OciAnnounceDeps) {
  return async (
    events: readonly OciEvent[],
    watchList: WatchList,
    known?: readonly KnownImage[],
  ): Promise<number> => {
    let posted = 0;
    for (const t of deps.targets) {
      const wanted = t.images?.length
        ? new Set(t.images.flatMap((name) => findImages(watchList, name).map((w) => w.image)))
        : null;
      const mine = wanted ? events.filter((e) => wanted.has(e.image)) : [...events];
      const text = renderOciAnnouncement(mine, watchList, {
        ...(deps.repoDir ? { repoDir: deps.repoDir } : {}),
        ...(known ? { known } : {}),
      });
      if (!text) continue;
      await deps.outbox.post(t.target, { text }, announcementSendId(t.target, mine));
      posted++;
    }
    deps.log?.debug({ events: events.length, posted }, "OCI announcement queued");
    return posted;
  };
}
