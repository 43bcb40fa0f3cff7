// Turns Launchpad data (bug, task, messages, attachments) into the evaluator's input (pure).
import type { BugForTriage } from "./checklist.js";

/** The parts of a Launchpad message the triage needs (the client's Message fits). */
export interface MessageLike {
  content: string;
  owner_link?: string | null | undefined;
  date_created: string;
  self_link?: string;
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
  filename?: string;
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

/** Title and file name, once each: a custom title ("juju status output") still says what the file is. */
export function attachmentNames(attachments: readonly AttachmentLike[]): string[] {
  const out = new Set<string>();
  for (const a of attachments) {
    for (const n of [a.filename, a.title]) if (n && n.trim()) out.add(n.trim());
  }
  return [...out];
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
    attachments: attachmentNames(d.attachments),
    comments: later.map((m) => ({
      author_is_reporter: reporter !== undefined && personName(m.owner_link) === reporter,
      content: m.content,
    })),
    reporter,
  };
}
