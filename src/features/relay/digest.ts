// Turns the lines buffered for one room in one window into one chat message (pure).

export interface BufferedLine {
  /** Event time (seconds) and id: the sort key, so a digest reads in the order things happened. */
  createdOn: number;
  eventId: string;
  text: string;
  /** `<project>~<change number>`: lines of one change go in that change's thread. */
  change?: string;
}

export interface Digest {
  text: string;
  /** Set when every line is about one change: the message belongs in that change's thread. */
  threadKey?: string;
  lines: number;
}

export function sortLines(items: BufferedLine[]): BufferedLine[] {
  return [...items].sort((a, b) => a.createdOn - b.createdOn || a.eventId.localeCompare(b.eventId));
}

/** Past maxLines a digest says how many more there were: a room is told, not flooded. */
export function renderDigest(items: BufferedLine[], maxLines = 60): Digest | null {
  if (items.length === 0) return null;
  const sorted = sortLines(items);
  const changes = new Set(sorted.map((i) => i.change ?? ""));
  const single = changes.size === 1 && sorted[0]?.change ? sorted[0].change : undefined;
  if (sorted.length === 1)
    return { text: (sorted[0] as BufferedLine).text, lines: 1, ...(single ? { threadKey: single } : {}) };
  const shown = sorted.slice(0, maxLines);
  const more = sorted.length - shown.length;
  const head = single
    ? `**${sorted.length} updates on ${single.split("~").pop()}**`
    : `**${sorted.length} Gerrit updates**`;
  const body = shown.map((i) => `- ${i.text}`).join("\n");
  return {
    text: `${head}\n${body}${more > 0 ? `\n…and ${more} more` : ""}`,
    lines: sorted.length,
    ...(single ? { threadKey: single } : {}),
  };
}
