// One poll of the watched OCI images: tags, digests of the relevant ones, diff against Redis state, events.
import { RetryLaterError, errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { ociEventId, type OciEvent } from "./events.js";
import { diff, type ImageState, type OciDiff, type OciStateStore } from "./state.js";
import { relevantNewTags } from "./tag-family.js";
import { tagsToWatch, type WatchList, type WatchedImage } from "./watch-list.js";

/** The part of RegistryClient the poller uses (a plain object in tests of the pure parts). */
export interface RegistryLike {
  listTags(image: string): Promise<string[] | null>;
  digest(image: string, tag?: string): Promise<string | null>;
}

export interface ImageResult {
  image: string;
  /** Digests of the tags that were looked up: the pinned tags and the relevant newer ones. */
  tags: Record<string, string>;
  /** How many tags the repository has in all. */
  tagCount: number;
  /** New tags that matter to a pin (newer releases of a pinned family, pinned tags); `latest` and other families are only recorded. */
  newTags: OciDiff["newTags"];
  movedDigests: OciDiff["movedDigests"];
  /** Tags newer than some pin in the pin's family (whether new in this poll or not). */
  relevant: string[];
  /** True when this poll only recorded the image (no earlier state): nothing is announced for it. */
  firstRun: boolean;
  /** Set when the image could not be polled; its state is left as it was. */
  error?: string;
  /** For a 429: how long the registry asked us to wait. */
  retryAfterMs?: number;
}

export interface PollResult {
  results: ImageResult[];
  events: OciEvent[];
}

export interface PollOptions {
  client: RegistryLike;
  watchList: WatchList;
  state: OciStateStore;
  log?: Logger;
  /**
   * Called with this poll's events before any state is saved: if it throws, nothing is saved and the next
   * poll emits the same events again under the same ids (which the queue deduplicates) instead of losing them.
   */
  emit?: (events: OciEvent[], results: ImageResult[]) => Promise<void>;
  /** Images polled at once (default 4): registries rate-limit, a poll is not in a hurry. */
  concurrency?: number;
  now?: () => number;
}

/**
 * The events of one image's diff: only tags that matter to a pin are announced (a new `2025.2` of another
 * base is recorded silently), and only with a digest, which is part of the id.
 */
export function eventsFor(
  img: WatchedImage,
  d: OciDiff,
  lookup: ReadonlySet<string>,
  detectedAt: number,
): OciEvent[] {
  const events: OciEvent[] = [];
  const pinned = img.pins.flatMap((p) => (p.tag === null ? [] : [p.tag]));
  for (const { tag, digest } of d.newTags) {
    if (!digest || !lookup.has(tag)) continue;
    const upgrades = [...new Set(pinned.filter((p) => relevantNewTags(p, [tag]).length > 0))].sort();
    events.push({
      source: "oci",
      kind: "oci.tag-published",
      id: ociEventId(img.image, tag, digest),
      image: img.image,
      tag,
      digest,
      upgrades,
      detectedAt,
    });
  }
  for (const m of d.movedDigests) {
    if (!lookup.has(m.tag)) continue;
    events.push({
      source: "oci",
      kind: "oci.digest-changed",
      id: ociEventId(img.image, m.tag, m.to),
      image: img.image,
      tag: m.tag,
      digest: m.to,
      previous: m.from,
      detectedAt,
    });
  }
  return events;
}

/**
 * The state to save: every tag now listed, with the digest just looked up, else the one recorded before
 * (a tag that stopped mattering keeps its last digest rather than looking unresolved).
 */
export function nextState(
  previous: ImageState | null,
  allTags: readonly string[],
  looked: Record<string, string>,
): ImageState {
  const tags: Record<string, string | null> = {};
  for (const t of allTags) tags[t] = looked[t] ?? previous?.tags[t] ?? null;
  return { tags };
}

interface Polled {
  result: ImageResult;
  events: OciEvent[];
  save?: ImageState;
}

async function pollOne(img: WatchedImage, opts: PollOptions, now: number): Promise<Polled> {
  const base = { image: img.image, tags: {}, tagCount: 0, newTags: [], movedDigests: [], relevant: [] };
  try {
    const all = await opts.client.listTags(img.image);
    if (all === null) {
      return { result: { ...base, firstRun: false, error: "repository not found (404)" }, events: [] };
    }
    const { relevant, lookup } = tagsToWatch(img, all);
    const looked: Record<string, string> = {};
    // Sequential on purpose: a handful of HEADs per image, and a 429 stops this image's requests at once.
    for (const tag of lookup) {
      const d = await opts.client.digest(img.image, tag);
      if (d) looked[tag] = d;
    }
    const previous = await opts.state.load(img.image);
    const current = nextState(previous, all, looked);
    const changes = diff(previous, current);
    const watched = new Set(lookup);
    const result: ImageResult = {
      image: img.image,
      tags: looked,
      tagCount: all.length,
      newTags: changes.newTags.filter((t) => watched.has(t.tag)),
      movedDigests: changes.movedDigests.filter((m) => watched.has(m.tag)),
      relevant,
      firstRun: previous === null,
    };
    return { result, events: eventsFor(img, changes, watched, now), save: current };
  } catch (err) {
    opts.log?.warn({ image: img.image, err: errorMessage(err) }, "OCI image poll failed");
    const result: ImageResult = { ...base, firstRun: false, error: errorMessage(err) };
    if (err instanceof RetryLaterError) result.retryAfterMs = err.retryAfterMs;
    return { result, events: [] };
  }
}

/**
 * Polls every watched image (a failing one is reported in its result and never stops the others), hands
 * the events to `emit`, then saves the state of the images that were polled.
 */
export async function pollImages(opts: PollOptions): Promise<PollResult> {
  const now = (opts.now ?? Date.now)();
  const images = opts.watchList.images;
  const polled: Polled[] = new Array<Polled>(images.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < images.length; i = next++)
      polled[i] = await pollOne(images[i] as WatchedImage, opts, now);
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, images.length)) }, worker),
  );
  const results = polled.map((p) => p.result);
  const events = polled.flatMap((p) => p.events);
  if (opts.emit && events.length) await opts.emit(events, results);
  for (let i = 0; i < images.length; i++) {
    const p = polled[i] as Polled;
    if (p.save) await opts.state.save(p.result.image, p.save);
  }
  opts.log?.info(
    {
      images: images.length,
      failed: results.filter((r) => r.error).length,
      events: events.length,
    },
    "OCI poll done",
  );
  return { results, events };
}
