// Pure: which OCI events move the image a monorepo charm builds (a pinned tag's new digest), as recheck triggers.
import type { EventTrigger } from "../../core/services.js";
import type { OciEvent } from "./events.js";
import { shortDigest, type WatchList } from "./watch-list.js";

/** A pinned tag's move to a new digest: the charms that pin the tag now build another image. */
export interface ImageMove {
  image: string;
  digest: string;
  /** The pinned tags that moved to this digest (usually one). */
  tags: string[];
  /** Monorepo charms whose resources pin one of the tags without a digest. */
  charms: string[];
  trigger: EventTrigger;
}

/**
 * Pure: the digest-changed events of tags that monorepo charms pin, grouped per image and new digest (the
 * trigger id is `oci:<image>@<digest>`, so the same move never rechecks a patch set twice, a later move
 * may). A pin with `tag@sha256:…` is left out: its charm still builds the pinned digest. Config images
 * and newer releases of a pinned family build nothing of the monorepo.
 */
export function imageMoves(events: readonly OciEvent[], watchList: WatchList): ImageMove[] {
  const moves = new Map<string, { image: string; digest: string; tags: Set<string>; charms: Set<string> }>();
  for (const e of events) {
    if (e.kind !== "oci.digest-changed") continue;
    const pins = watchList.images.find((w) => w.image === e.image)?.pins ?? [];
    const charms = pins
      .filter((p) => p.tag === e.tag && p.resource !== null && p.digest === undefined)
      .flatMap((p) => (p.charm === null ? [] : [p.charm]));
    if (charms.length === 0) continue;
    const key = `${e.image}@${e.digest}`;
    const m = moves.get(key) ?? { image: e.image, digest: e.digest, tags: new Set(), charms: new Set() };
    m.tags.add(e.tag);
    for (const c of charms) m.charms.add(c);
    moves.set(key, m);
  }
  return [...moves.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, m]) => {
      const tags = [...m.tags].sort();
      const name = tags.length === 1 ? `${m.image}:${tags[0]}` : `${m.image} (tags ${tags.join(", ")})`;
      return {
        image: m.image,
        digest: m.digest,
        tags,
        charms: [...m.charms].sort(),
        trigger: { id: `oci:${key}`, label: `${name} moved to ${shortDigest(m.digest)}…` },
      };
    });
}
