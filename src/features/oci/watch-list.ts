// Pure: the watched images (charm pins from the monorepo model plus config images) and each pin's status.
import type { MonorepoModel } from "../../integrations/monorepo/monorepo.js";
import { imageName, normalizeRegistryHost, tryParseImageRef } from "../../integrations/registry/image-ref.js";
import { newestInFamily, relevantNewTags } from "./tag-family.js";

/** An image named in config: watched even when no charm of the monorepo pins it. */
export interface ExtraImage {
  /** A reference with the tag whose family to watch, e.g. `ghcr.io/canonical/x:2025.1`. */
  image: string;
  /** Charms (outside the monorepo, or not yet pinning it) to name as its users. */
  charms?: string[];
}

/** One place an image is pinned: a charm resource in the monorepo, or a config entry. */
export interface Pin {
  /** null for a config image that names no charm. */
  charm: string | null;
  /** The charm's resource name; null for config images. */
  resource: string | null;
  /** null when the reference has no tag (a bare name or digest-only pin): nothing to compare. */
  tag: string | null;
  digest?: string;
  /** The reference exactly as written. */
  upstreamSource: string;
  /** The repo file that holds the pin (`charms/x/charmcraft.yaml`); null for config images or when unknown. */
  file: string | null;
}

export interface WatchedImage {
  /** Registry and repository as the client takes it: `ghcr.io/canonical/keystone`, `ubuntu/bind9`. */
  image: string;
  pins: Pin[];
}

export interface WatchList {
  images: WatchedImage[];
  /** References that could not be parsed: shown, never fatal. */
  problems: string[];
}

export type PinState = "behind" | "current" | "unknown";

export interface PinStatus {
  status: PinState;
  /** The newest release of the pin's family, when newer than the pin. */
  newest?: string;
  /** The pinned tag now resolves to another digest than the one the charm pins. */
  digestMoved?: boolean;
}

/** The watched identity of a reference (registry/repository, no tag); null when it does not parse. */
export function imageKey(reference: string): string | null {
  const ref = tryParseImageRef(reference);
  return ref ? imageName(ref) : null;
}

const byPin = (a: Pin, b: Pin): number =>
  (a.charm ?? "").localeCompare(b.charm ?? "") || (a.resource ?? "").localeCompare(b.resource ?? "");

/**
 * Groups every OCI pin by image repository. `resourceFiles` maps a charm directory to the file its
 * resources were read from (charmcraft.yaml, or metadata.yaml in older trees); the model does not keep it.
 */
export function buildWatchList(
  model: Pick<MonorepoModel, "charms"> | null,
  extras: readonly ExtraImage[] = [],
  resourceFiles: ReadonlyMap<string, string> = new Map(),
): WatchList {
  const byImage = new Map<string, Pin[]>();
  const problems: string[] = [];
  const add = (key: string, pin: Pin) => byImage.set(key, [...(byImage.get(key) ?? []), pin]);
  for (const charm of model?.charms ?? []) {
    for (const r of charm.resources) {
      const ref = tryParseImageRef(r.upstreamSource);
      if (!ref) {
        problems.push(
          `${charm.name}: resource ${r.resource}: unusable image ${JSON.stringify(r.upstreamSource)}`,
        );
        continue;
      }
      add(imageName(ref), {
        charm: charm.name,
        resource: r.resource,
        tag: ref.tag ?? null,
        ...(ref.digest ? { digest: ref.digest } : {}),
        upstreamSource: r.upstreamSource,
        file: resourceFiles.get(charm.dir) ?? null,
      });
    }
  }
  for (const extra of extras) {
    const ref = tryParseImageRef(extra.image);
    if (!ref) {
      problems.push(`config: unusable image ${JSON.stringify(extra.image)}`);
      continue;
    }
    const charms = extra.charms?.length ? extra.charms : [null];
    for (const charm of charms) {
      add(imageName(ref), {
        charm,
        resource: null,
        tag: ref.tag ?? null,
        ...(ref.digest ? { digest: ref.digest } : {}),
        upstreamSource: extra.image,
        file: null,
      });
    }
  }
  const images = [...byImage.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([image, pins]) => ({ image, pins: pins.sort(byPin) }));
  return { images, problems };
}

/** Who pins an image, for a problem line: `bind9-k8s (bind-image), config`. */
function pinnedBy(img: WatchedImage): string {
  const who = img.pins.map((p) =>
    p.charm === null ? "config" : p.resource ? `${p.charm} (${p.resource})` : p.charm,
  );
  return [...new Set(who)].join(", ");
}

/**
 * Keeps the images on allowed registries; every other one becomes a problem line naming its registry and
 * its users (the real monorepo pins `busybox` and `ubuntu/bind9` on Docker Hub, outside `ghcr.io`).
 */
export function onAllowedRegistries(list: WatchList, registries: readonly string[]): WatchList {
  const allowed = new Set(registries.map(normalizeRegistryHost));
  const images: WatchedImage[] = [];
  const problems = [...list.problems];
  for (const img of list.images) {
    const registry = tryParseImageRef(img.image)?.registry;
    if (registry && allowed.has(registry)) {
      images.push(img);
      continue;
    }
    problems.push(
      `${img.image}: registry ${registry ?? "?"} is not in oci.registries (${[...allowed].join(", ")}): not watched; pinned by ${pinnedBy(img)}`,
    );
  }
  return { images, problems };
}

/** Images whose full name, repository or last path component is `name` (all of them without a name). */
export function findImages(list: WatchList, name?: string): WatchedImage[] {
  if (!name) return list.images;
  const want = name.trim().toLowerCase();
  const key = imageKey(want);
  return list.images.filter((w) => {
    const last = w.image.slice(w.image.lastIndexOf("/") + 1);
    const repo = tryParseImageRef(w.image)?.repository;
    return w.image === want || w.image === key || repo === want || last === want;
  });
}

/**
 * Which of an image's tags matter: `relevant` are newer releases of a pinned family; `lookup` adds the
 * pinned tags themselves. Only `lookup` tags get a digest request, which keeps a poll to a few requests.
 */
export function tagsToWatch(
  img: WatchedImage,
  allTags: readonly string[],
): { relevant: string[]; lookup: string[] } {
  const present = new Set(allTags);
  const relevant = new Set<string>();
  const lookup = new Set<string>();
  for (const pin of img.pins) {
    if (pin.tag === null) continue;
    for (const t of relevantNewTags(pin.tag, allTags)) relevant.add(t);
    if (present.has(pin.tag)) lookup.add(pin.tag);
  }
  for (const t of relevant) lookup.add(t);
  return { relevant: [...relevant].sort(), lookup: [...lookup].sort() };
}

/**
 * A pin is behind when a newer release of its family is known, or when it pins a digest and its tag now
 * resolves to another one. A tag-only pin whose digest moved is current: the next build pulls the new image.
 */
export function pinStatus(
  pin: Pin,
  knownTags: readonly string[] | null,
  digests: Readonly<Record<string, string | null | undefined>>,
): PinStatus {
  // Never polled: nothing is known, and "current" would be a claim.
  if (pin.tag === null || knownTags === null) return { status: "unknown" };
  const newest = newestInFamily(pin.tag, knownTags);
  const now = digests[pin.tag];
  const digestMoved = pin.digest !== undefined && !!now && now !== pin.digest;
  if (!newest && !digestMoved) return { status: "current" };
  return { status: "behind", ...(newest ? { newest } : {}), ...(digestMoved ? { digestMoved } : {}) };
}

/** How a pin reads in messages: `2024.1`, `2024.1@sha256:abcdef123456`, or the digest alone. */
export function pinLabel(pin: Pin): string {
  const d = pin.digest ? shortDigest(pin.digest) : "";
  if (pin.tag === null) return d || pin.upstreamSource;
  return d ? `${pin.tag}@${d}` : pin.tag;
}

/** `sha256:` and the first 12 hex digits: enough to tell digests apart in a chat line. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest.slice(0, 12) : `${digest.slice(0, colon)}:${digest.slice(colon + 1, colon + 13)}`;
}

/** One line's worth of users: the pins of one charm with the same reference, resources merged. */
export interface PinGroup {
  charm: string | null;
  resources: string[];
  pin: Pin;
  status: PinStatus;
}

/** Pins grouped per charm and reference (nova's two resources on one rock become one line). */
export function groupPins(
  img: WatchedImage,
  /** null when the image was never polled: every pin is "unknown". */
  knownTags: readonly string[] | null,
  digests: Readonly<Record<string, string | null | undefined>>,
): PinGroup[] {
  const groups = new Map<string, PinGroup>();
  for (const pin of img.pins) {
    const key = `${pin.charm ?? ""}\0${pin.upstreamSource}`;
    const g = groups.get(key);
    if (g) {
      if (pin.resource) g.resources.push(pin.resource);
      continue;
    }
    groups.set(key, {
      charm: pin.charm,
      resources: pin.resource ? [pin.resource] : [],
      pin,
      status: pinStatus(pin, knownTags, digests),
    });
  }
  return [...groups.values()];
}

/** Charms (of the monorepo) that pin `image:tag`: whose build a moved digest changes (the auto-recheck flow). */
export function charmsPinning(list: WatchList, image: string, tag: string): string[] {
  const img = list.images.find((w) => w.image === image);
  const names = (img?.pins ?? []).filter((p) => p.tag === tag && p.resource !== null).map((p) => p.charm);
  return [...new Set(names.filter((n): n is string => n !== null))].sort();
}
