// The events the Launchpad poller emits (members of the BotEvent union) and their deterministic ids.

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
