// Turns Launchpad data (bug, task, messages, attachments) into the evaluator's input (pure).
import type { BugForTriage } from "./checklist.js";
import type { AttachmentForTriage } from "./evidence.js";

/** The parts of a Launchpad message the triage needs (the client's Message fits). */
export interface MessageLike {
  content: string;
  owner_link?: string | null | undefined;
  date_created: string;
  self_link?: string;
  /** devel API: false for a hidden comment. */
  visible?: boolean | undefined;
}

/** The parts of a Launchpad bug the triage needs (the client's Bug fits). */
export interface BugLike {
  id: number;
  title: string;
  description?: string | null | undefined;
  tags: readonly string[];
  owner_link?: string | null | undefined;
}

/** An attachment's names: the title, and the Librarian file name where the client resolved it. */
export interface AttachmentLike {
  title: string;
  filename?: string | undefined;
  /** The message the attachment came with: its owner is the uploader. */
  messageLink?: string | null | undefined;
  /** Launchpad's type (Patch/Unspecified) or, where known, the media type. */
  type?: string | undefined;
}

export interface LaunchpadBugData {
  bug: BugLike;
  /** Oldest first (the client sorts them); message 0 is the description. */
  messages: readonly MessageLike[];
  attachments: readonly AttachmentLike[];
}

/** The Launchpad name in a person link: `https://api.launchpad.net/devel/~jdoe` → `jdoe`. */
export function personName(link: string | null | undefined): string | undefined {
  if (!link) return undefined;
  const m = /\/~([^/?#]+)\/?(?:[?#].*)?$/.exec(link);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** "…/+bug/5/comments/2" → "comments/2": API roots and project paths differ between links to one message. */
function commentKey(link: string | null | undefined): string | undefined {
  return link ? (/\/comments\/\d+\/?$/.exec(link)?.[0].replace(/\/$/, "") ?? link) : undefined;
}

/**
 * Each attachment with its uploader: the owner of the message it came with. Another person's sosreport says
 * nothing about the reporter's system. An attachment whose message is unknown is given the benefit of the doubt.
 */
export function attachmentsForTriage(
  d: LaunchpadBugData,
  reporter: string | undefined,
): AttachmentForTriage[] {
  const owners = new Map<string, string | undefined>();
  for (const m of d.messages) {
    const key = commentKey(m.self_link);
    if (key) owners.set(key, personName(m.owner_link));
  }
  return d.attachments.map((a) => {
    const key = commentKey(a.messageLink);
    const uploader = key && owners.has(key) ? owners.get(key) : undefined;
    const name = (a.filename ?? a.title).trim();
    const media = a.type && a.type.includes("/") ? a.type : undefined; // Patch/Unspecified say nothing
    return {
      name,
      ...(a.title.trim() && a.title.trim() !== name ? { title: a.title.trim() } : {}),
      ...(media ? { type: media } : {}),
      fromReporter: uploader === undefined || reporter === undefined || uploader === reporter,
    };
  });
}

/**
 * The evaluator's view of a bug. The description is the bug's current one (a reporter may have edited
 * it to add what was asked), else message 0, which Launchpad creates from it. Later messages become
 * comments; the evaluator reads only the reporter's (nobody else's words prove what the reporter ran).
 */
export function bugForTriage(d: LaunchpadBugData): BugForTriage & { reporter: string | undefined } {
  const reporter = personName(d.bug.owner_link);
  const [first, ...later] = d.messages;
  const description = d.bug.description ?? first?.content ?? "";
  return {
    title: d.bug.title,
    description,
    tags: [...d.bug.tags],
    attachments: attachmentsForTriage(d, reporter),
    comments: later.map((m) => ({
      author_is_reporter: reporter !== undefined && personName(m.owner_link) === reporter,
      content: m.content,
      ...(m.visible === false ? { visible: false } : {}),
    })),
    reporter,
  };
}
