// zod schemas for the Launchpad web service payloads the bot reads, and small pure helpers over them.
import { z } from "zod";

const link = z.string().nullable().optional();

/** A bug task: status and importance live here, not on the bug. */
export const BugTaskSchema = z.looseObject({
  self_link: z.string(),
  web_link: z.string().optional(),
  bug_link: z.string(),
  http_etag: z.string().optional(),
  title: z.string().optional(),
  status: z.string(),
  importance: z.string().optional(),
  assignee_link: link,
  owner_link: link,
  milestone_link: link,
  target_link: link,
  bug_target_name: z.string().optional(),
  date_created: z.string().optional(),
  date_incomplete: z.string().nullable().optional(),
  date_left_new: z.string().nullable().optional(),
  is_complete: z.boolean().optional(),
});
export type BugTask = z.infer<typeof BugTaskSchema>;

export const BugSchema = z.looseObject({
  id: z.number(),
  self_link: z.string(),
  web_link: z.string().optional(),
  http_etag: z.string().optional(),
  title: z.string(),
  description: z.string().nullable().optional(),
  tags: z.array(z.string()),
  owner_link: link,
  date_created: z.string().optional(),
  date_last_updated: z.string().optional(),
  date_last_message: z.string().nullable().optional(),
  message_count: z.number().optional(),
  messages_collection_link: z.string().optional(),
  attachments_collection_link: z.string().optional(),
  bug_tasks_collection_link: z.string().optional(),
  duplicate_of_link: link,
  information_type: z.string().optional(),
  private: z.boolean().optional(),
});
export type Bug = z.infer<typeof BugSchema>;

export const MessageSchema = z.looseObject({
  self_link: z.string(),
  web_link: z.string().optional(),
  subject: z.string().nullable().optional(),
  content: z.string(),
  owner_link: link,
  date_created: z.string(),
  bug_attachments_collection_link: z.string().optional(),
});
export type Message = z.infer<typeof MessageSchema>;

export const AttachmentSchema = z.looseObject({
  self_link: z.string(),
  web_link: z.string().optional(),
  title: z.string(),
  type: z.string().optional(),
  data_link: z.string(),
  message_link: link,
  bug_link: link,
});
export type Attachment = z.infer<typeof AttachmentSchema>;

/** A page of a collection; the total may come only as total_size_link. */
export function collectionSchema<T extends z.ZodType>(entry: T) {
  return z.looseObject({
    start: z.number().optional(),
    total_size: z.number().optional(),
    total_size_link: z.string().optional(),
    entries: z.array(entry),
    next_collection_link: z.string().optional(),
    prev_collection_link: z.string().optional(),
  });
}

/** Launchpad's rule for a tag (lib/lp/bugs/interfaces/bug.py). */
export const TAG_RE = /^[a-z0-9][a-z0-9+.-]+$/;

/** Bug number from 2081234, "2081234", "#2081234", "LP: #2081234", an API self_link or a web link. */
export function parseBugId(ref: number | string): number | undefined {
  if (typeof ref === "number") return Number.isSafeInteger(ref) && ref > 0 ? ref : undefined;
  const s = ref.trim();
  const m = /^(?:LP:?\s*)?#?(\d+)$/i.exec(s) ?? /(?:\/\+bug\/|\/bugs\/)(\d+)(?:\/?$|[/?#])/.exec(s);
  const n = m?.[1] !== undefined ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** A title that is plausibly the file's own name: one word with an extension, no path separators. */
export function titleLooksLikeFilename(title: string): boolean {
  return /^[^\s/\\]+\.[a-z0-9]{1,8}$/i.test(title.trim());
}

/** The Librarian URL ends in the real file name (percent-encoded). */
export function filenameFromLocation(location: string): string | undefined {
  let path: string;
  try {
    path = new URL(location).pathname;
  } catch {
    return undefined;
  }
  const last = path.split("/").filter(Boolean).pop();
  if (last === undefined) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** Position of a message in its bug ("…/comments/3" → 3); ties on date_created are broken by it. */
function commentIndex(m: Message): number {
  const n = /\/comments\/(\d+)$/.exec(m.self_link)?.[1];
  return n === undefined ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** Oldest first, whatever order the service used (the interface claims newest first). */
export function sortMessages(messages: Message[]): Message[] {
  return [...messages].sort(
    (a, b) => Date.parse(a.date_created) - Date.parse(b.date_created) || commentIndex(a) - commentIndex(b),
  );
}

/** Tags after adding/removing, keeping the current order; undefined when nothing would change. */
export function editTagList(current: string[], add: string[], remove: string[]): string[] | undefined {
  const drop = new Set(remove);
  const next = current.filter((t) => !drop.has(t));
  for (const t of add) if (!next.includes(t)) next.push(t);
  const same = next.length === current.length && next.every((t) => current.includes(t));
  return same ? undefined : next;
}
