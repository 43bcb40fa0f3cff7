// Turns the lines buffered for one room in one window into one chat message (pure).

export interface BufferedLine {
  /** Event time (seconds): the first sort key, so a digest reads in the order things happened. */
  createdOn: number;
  eventId: string;
  text: string;
  /** `<project>~<change number>`: lines of one change go in that change's thread. */
  change?: string;
  /**
   * When the bot took the event in (ms, or any increasing counter): the tie-break within one second, so a
   * gate report stays before the merge it caused. Lines without it keep the order they were given in.
   */
  arrivedAt?: number;
}

export interface Digest {
  text: string;
  /** Set when every line is about one change: the message belongs in that change's thread. */
  threadKey?: string;
  lines: number;
}

/** The default cap on the lines one digest shows (relay config can set another). */
export const DEFAULT_DIGEST_LINES = 60;

/**
 * Time order, stable: event time, then arrival, then the given order (Array.prototype.sort is stable).
 * Never the id text: within one second that put "merged" before the report that caused it.
 */
export function sortLines(items: BufferedLine[]): BufferedLine[] {
  return [...items].sort((a, b) => a.createdOn - b.createdOn || (a.arrivedAt ?? 0) - (b.arrivedAt ?? 0));
}

/**
 * Newest last, and past maxLines the oldest give way: after a reconnect the newest events (often the
 * merges) are the ones a room needs, so the digest says how many earlier lines it left out.
 */
export function renderDigest(items: BufferedLine[], maxLines = DEFAULT_DIGEST_LINES): Digest | null {
  if (items.length === 0) return null;
  const cap = Math.max(1, Math.floor(maxLines));
  const sorted = sortLines(items);
  const changes = new Set(sorted.map((i) => i.change ?? ""));
  const single = changes.size === 1 && sorted[0]?.change ? sorted[0].change : undefined;
  if (sorted.length === 1)
    return { text: (sorted[0] as BufferedLine).text, lines: 1, ...(single ? { threadKey: single } : {}) };
  const shown = sorted.slice(-cap);
  const earlier = sorted.length - shown.length;
  const head = single
    ? `**${sorted.length} updates on ${single.split("~").pop()}**`
    : `**${sorted.length} Gerrit updates**`;
  const body = shown.map((i) => `- ${i.text}`).join("\n");
  return {
    text: `${head}\n${earlier > 0 ? `…and ${earlier} earlier\n` : ""}${body}`,
    lines: sorted.length,
    ...(single ? { threadKey: single } : {}),
  };
}
