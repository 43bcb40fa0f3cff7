// Pure tag-family logic: which new tags of an image are upgrades for a pin (same suffix family, newer release).
export type Release = readonly [year: number, minor: number];

export interface TagFamily {
  /** `[2024, 1]` for `2024.1-24.04_edge`; null for tags without a leading `<year>.<minor>` (e.g. `latest`). */
  release: Release | null;
  /** What follows the release (`-24.04_edge`, `""`); the whole tag when release is null. */
  suffix: string;
  /** Digits in the year part: `23.09` (2) and `2024.1` (4) are different numbering schemes, never compared. */
  yearDigits: number;
}

// A release is `<digits>.<digits>` followed by nothing or a `-`/`_` suffix. `2024.1.2` (a third number)
// is not a `<year>.<minor>` release, so it stays an odd tag rather than being half-understood.
const RELEASE = /^(\d{1,4})\.(\d{1,3})((?:[-_].*)?)$/;

export function tagFamily(tag: string): TagFamily {
  const m = RELEASE.exec(tag);
  if (!m) return { release: null, suffix: tag, yearDigits: 0 };
  const [, year = "", minor = "", suffix = ""] = m;
  return { release: [Number(year), Number(minor)], suffix, yearDigits: year.length };
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b`. */
export function compareReleases(a: Release, b: Release): number {
  return Math.sign(a[0] - b[0] || a[1] - b[1]);
}

/**
 * Whether `candidate` may replace a pin of family `pinned`: exactly the same suffix (so `_edge` only moves
 * to `_edge`, and a `-24.04` base only to `-24.04`), and the same numbering scheme.
 */
export function sameFamily(pinned: TagFamily, candidate: TagFamily): boolean {
  return (
    pinned.release !== null &&
    candidate.release !== null &&
    pinned.suffix === candidate.suffix &&
    pinned.yearDigits === candidate.yearDigits
  );
}

/**
 * The tags in `allTags` that are upgrades for `pinnedTag`: same family, strictly newer release, oldest
 * first. An odd pin (`latest`, `sha-abc`) has no upgrades by tag; only its digest can move.
 */
export function relevantNewTags(pinnedTag: string, allTags: readonly string[]): string[] {
  const pinned = tagFamily(pinnedTag);
  if (pinned.release === null) return [];
  const base = pinned.release;
  const found = new Map<string, Release>();
  for (const tag of allTags) {
    const fam = tagFamily(tag);
    if (fam.release && sameFamily(pinned, fam) && compareReleases(fam.release, base) > 0) {
      found.set(tag, fam.release);
    }
  }
  return [...found.entries()]
    .sort(([ta, ra], [tb, rb]) => compareReleases(ra, rb) || (ta < tb ? -1 : ta > tb ? 1 : 0))
    .map(([t]) => t);
}

/** The newest upgrade for a pin, or null when the pin is current (or odd). */
export function newestInFamily(pinnedTag: string, allTags: readonly string[]): string | null {
  return relevantNewTags(pinnedTag, allTags).at(-1) ?? null;
}
