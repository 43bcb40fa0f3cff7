// The BotEvent union: the only shape that leaves a source and enters a queue.
import type { LaunchpadEvent } from "./triage/events.js";

export type { LaunchpadEvent };

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
