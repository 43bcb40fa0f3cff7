// The BotEvent union: the only shape that leaves a source and enters a queue.

/** Every Gerrit stream-events type we understand (gerrit-zuul.md §1). Anything else becomes `unknown`. */
export const GERRIT_TYPES = [
  "patchset-created",
  "comment-added",
  "change-merged",
  "change-abandoned",
  "change-restored",
  "ref-updated",
  "reviewer-added",
  "reviewer-deleted",
  "vote-deleted",
  "wip-state-changed",
  "private-state-changed",
  "topic-changed",
  "hashtags-changed",
  "project-created",
  "dropped-output",
] as const;
export type GerritType = (typeof GERRIT_TYPES)[number];

export interface Account {
  name?: string;
  email?: string;
  username?: string;
}

export interface Approval {
  type: string;
  value: number;
  oldValue?: number;
  by?: Account;
}

export interface ChangeRef {
  number?: number;
  id?: string;
  subject?: string;
  url?: string;
  status?: string;
  owner?: Account;
  topic?: string;
  wip?: boolean;
  private?: boolean;
  hashtags?: string[];
}

export interface PatchSetRef {
  number?: number;
  revision?: string;
  kind?: string;
  uploader?: Account;
}

/** A normalised Gerrit event. `type` is the raw type; `kind` is `gerrit.<type>` or `gerrit.unknown`. */
export interface GerritEvent {
  source: "gerrit";
  kind: `gerrit.${GerritType}` | "gerrit.unknown";
  id: string;
  type: string;
  /** eventCreatedOn in seconds since the epoch; null where an old server omitted it. */
  createdOn: number | null;
  project?: string;
  branch?: string;
  change?: ChangeRef;
  patchSet?: PatchSetRef;
  /** Whoever caused the event: uploader, author, submitter, abandoner, … */
  actor?: Account;
  approvals?: Approval[];
  comment?: string;
  reason?: string;
  newRev?: string;
  refUpdate?: { oldRev?: string; newRev?: string; refName?: string; project?: string };
  reviewer?: Account;
  hashtagsAdded?: string[];
  hashtagsRemoved?: string[];
  oldTopic?: string;
  projectName?: string;
  headName?: string;
  /** Set when the event was synthesised from Gerrit REST after a gap rather than read live. */
  backfilled?: boolean;
}

/** A message typed in a chat room that starts with the command prefix. */
export interface ChatCommandEvent {
  source: "chat";
  kind: "chat.command";
  id: string;
  network: string;
  room: string;
  /** Thread root to answer in, where the network has threads. */
  thread?: string;
  user: string;
  text: string;
  createdOn: number;
}

export type BotEvent = GerritEvent | ChatCommandEvent | LaunchpadEvent;
export type EventKind = BotEvent["kind"];

// --- Launchpad: the events the triage poller emits, and their deterministic ids.

/** A bug filed in a watched project since the poller's cursor, still New when it was seen. */
export interface LaunchpadBugNewEvent {
  source: "launchpad";
  kind: "launchpad.bug-new";
  /** `lp:<bug>:new`: a bug is looked at as new once, however often a poll sees it. */
  id: string;
  project: string;
  bug: number;
  title: string;
  /** The task's date_created (ISO): the grace period counts from here. */
  createdAt: string;
  /** When the poller saw it (ms since the epoch); not part of the id. */
  detectedAt: number;
}

/** The reporter answered a prompt of ours: a new message on a bug the bot asked for debug info. */
export interface LaunchpadBugRepliedEvent {
  source: "launchpad";
  kind: "launchpad.bug-replied";
  /** `lp:<bug>:<date_last_message or date_last_updated>`: each new message is looked at once. */
  id: string;
  project: string;
  bug: number;
  title: string;
  /** The date in the id. */
  lastMessageAt: string;
  /** with-response: Incomplete (with response) + our tag; reporter-comment: a reporter comment after our prompt. */
  reason: "with-response" | "reporter-comment";
  detectedAt: number;
}

export type LaunchpadEvent = LaunchpadBugNewEvent | LaunchpadBugRepliedEvent;

export function bugNewEventId(bug: number): string {
  return `lp:${bug}:new`;
}

export function bugRepliedEventId(bug: number, lastMessageAt: string): string {
  return `lp:${bug}:${lastMessageAt}`;
}
