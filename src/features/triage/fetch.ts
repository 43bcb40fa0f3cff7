// Reads what the triage needs of one Launchpad bug (bug, messages, attachment names; optionally its task).
import type { AttachmentInfo, Bug, BugRef, BugTask, Message } from "../../integrations/launchpad/client.js";
import type { LaunchpadBugData } from "./bug-input.js";

/** The reads the triage makes (LaunchpadClient fits; anonymous is enough for public bugs). */
export interface BugReader {
  getBug(ref: BugRef): Promise<Bug>;
  getMessages(ref: BugRef): Promise<Message[]>;
  getAttachments(ref: BugRef): Promise<AttachmentInfo[]>;
}

export interface FetchedBug extends LaunchpadBugData {
  bug: Bug;
  messages: Message[];
  attachments: AttachmentInfo[];
}

/** The bug first (its links name the collections), then its messages and attachments side by side. */
export async function fetchBug(client: BugReader, ref: BugRef): Promise<FetchedBug> {
  const bug = await client.getBug(ref);
  const [messages, attachments] = await Promise.all([client.getMessages(bug), client.getAttachments(bug)]);
  return { bug, messages, attachments };
}

export interface TaskReader extends BugReader {
  getTask(project: string, ref: BugRef): Promise<BugTask>;
}

/** As fetchBug, plus the bug's task in `project` (status, importance and assignee live there). */
export async function fetchBugAndTask(
  client: TaskReader,
  project: string,
  id: number,
): Promise<FetchedBug & { task: BugTask }> {
  const [data, task] = await Promise.all([fetchBug(client, id), client.getTask(project, id)]);
  return { ...data, task };
}

/** The bug's web page: Launchpad's own web_link, else the canonical short form. */
export function bugUrl(bug: { id: number; web_link?: string | undefined }): string {
  return bug.web_link ?? `https://bugs.launchpad.net/bugs/${bug.id}`;
}
