// What the image poller saw last, per image, in Redis (tags and digests), and the pure diff against a new poll.
import type { Redis } from "../../core/redis.js";
import { keyFor } from "../../core/redis.js";

/** Every tag seen for an image; the digest is null for tags no pin made us resolve (only relevant tags cost a HEAD). */
export interface ImageState {
  tags: Record<string, string | null>;
}

export interface OciDiff {
  /** Tags absent from the previous state; digest null when the tag was not resolved. */
  newTags: { tag: string; digest: string | null }[];
  /** Tags resolved both times to different digests. */
  movedDigests: { tag: string; from: string; to: string }[];
}

/** The store the poller needs; `OciState` is the Redis one. */
export interface OciStateStore {
  /** null until the image's first poll has been saved (the first run records, it never announces). */
  load(image: string): Promise<ImageState | null>;
  save(image: string, state: ImageState): Promise<void>;
}

/**
 * What changed between two polls of one image. No previous state means the first run: everything is
 * recorded and nothing reported, so turning the watcher on does not announce every existing tag.
 */
export function diff(previous: ImageState | null, current: ImageState): OciDiff {
  const out: OciDiff = { newTags: [], movedDigests: [] };
  if (!previous) return out;
  for (const tag of Object.keys(current.tags).sort()) {
    const now = current.tags[tag] ?? null;
    if (!Object.hasOwn(previous.tags, tag)) {
      out.newTags.push({ tag, digest: now });
      continue;
    }
    const before = previous.tags[tag] ?? null;
    if (before && now && before !== now) out.movedDigests.push({ tag, from: before, to: now });
  }
  return out;
}

/**
 * Redis layout under `<prefix>:bot:<namespace>:`: `tags:<image>` is a hash tag → digest ("" = not resolved);
 * `polled` is a hash image → ISO time of the last save, and its presence is the image's first-run marker.
 * The CLI uses its own namespace so `oci check` never swallows what the bot has yet to announce.
 */
export class OciState implements OciStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly namespace = "oci",
    private readonly now: () => number = Date.now,
  ) {}

  private tagsKey(image: string): string {
    return keyFor(this.prefix, this.namespace, "tags", image);
  }

  private polledKey(): string {
    return keyFor(this.prefix, this.namespace, "polled");
  }

  /** Whether the image's first run has been recorded. */
  async firstRunDone(image: string): Promise<boolean> {
    return (await this.redis.hexists(this.polledKey(), image)) === 1;
  }

  async load(image: string): Promise<ImageState | null> {
    // One round trip for both keys: a save between two reads could pair a marker with another poll's tags.
    const res = await this.redis.multi().hget(this.polledKey(), image).hgetall(this.tagsKey(image)).exec();
    const [marker, tags] = (res ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    });
    if (marker === null || marker === undefined) return null;
    const out: ImageState = { tags: {} };
    for (const [tag, digest] of Object.entries((tags ?? {}) as Record<string, string>)) {
      out.tags[tag] = digest === "" ? null : digest;
    }
    return out;
  }

  /** Replaces the image's tags and sets its marker in one transaction. */
  async save(image: string, state: ImageState): Promise<void> {
    const fields = Object.entries(state.tags).flatMap(([tag, digest]) => [tag, digest ?? ""]);
    const tx = this.redis.multi().del(this.tagsKey(image));
    if (fields.length) tx.hset(this.tagsKey(image), ...fields);
    tx.hset(this.polledKey(), image, new Date(this.now()).toISOString());
    const res = await tx.exec();
    for (const [err] of res ?? []) if (err) throw err;
  }

  /** When each image was last saved (ISO time); images never polled are absent. */
  async lastPolled(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.polledKey());
  }
}
