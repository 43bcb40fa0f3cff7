// Pure decisions of the triage flow: did a human handle the bug, where is our prompt, did the reporter reply.
import { parseMarker } from "./prompt.js";
import { personName, type MessageLike } from "./bug-input.js";

/** The parts of a bug task the rules read (the client's BugTask fits). */
export interface TaskLike {
  status: string;
  importance?: string | undefined;
  assignee_link?: string | null | undefined;
  milestone_link?: string | null | undefined;
}

export interface Who {
  /** The reporter's Launchpad name. */
  reporter: string | undefined;
  /** The bot's own Launchpad name, when configured. */
  botAccount?: string | undefined;
}

/** A message the bot wrote: by its account, or carrying its marker (an account name may not be configured). */
export function isBotMessage(m: MessageLike, who: Who): boolean {
  const owner = personName(m.owner_link);
  if (who.botAccount !== undefined && owner === who.botAccount) return true;
  return parseMarker(m.content) !== null;
}

/**
 * Why a new bug is someone else's already (bugbot's lesson: never act on a bug a human touched): its task
 * left New, has an importance, assignee or milestone, or someone other than the reporter (and the bot)
 * commented after filing. Undefined when nobody has.
 */
export function humanHandledReason(
  task: TaskLike,
  messages: readonly MessageLike[],
  who: Who,
): string | undefined {
  if (task.status !== "New") return `status is ${task.status}`;
  if (task.importance && task.importance !== "Undecided") return `importance is ${task.importance}`;
  if (task.assignee_link) return `assigned to ${personName(task.assignee_link) ?? "someone"}`;
  if (task.milestone_link) return "targeted to a milestone";
  const other = messages.slice(1).find((m) => {
    const owner = personName(m.owner_link);
    return owner !== who.reporter && !isBotMessage(m, who);
  });
  if (other) return `${personName(other.owner_link) ?? "someone"} commented`;
  return undefined;
}

export interface OurMarkers {
  /** The first prompt the bot posted (the one that counts: there is never a second). */
  prompt?: { message: MessageLike; missing: string[] };
  /** The thanks posted once the info was complete. */
  complete?: MessageLike;
}

/** The bot's own earlier comments on a bug, found by their marker line. */
export function findMarkers(messages: readonly MessageLike[]): OurMarkers {
  const out: OurMarkers = {};
  for (const m of messages) {
    const mk = parseMarker(m.content);
    if (!mk) continue;
    if (!mk.complete && !out.prompt) out.prompt = { message: m, missing: mk.missing };
    if (mk.complete && !out.complete) out.complete = m;
  }
  return out;
}

/** Messages by the reporter after a point in time (ISO), e.g. after our prompt: the reply we wait for. */
export function reporterMessagesAfter(
  messages: readonly MessageLike[],
  reporter: string | undefined,
  afterIso: string,
): MessageLike[] {
  if (reporter === undefined) return [];
  const after = Date.parse(afterIso);
  return messages.filter((m) => personName(m.owner_link) === reporter && Date.parse(m.date_created) > after);
}

/** The newest message date (ISO), for event ids and watermarks. */
export function lastMessageDate(messages: readonly MessageLike[]): string | undefined {
  let best: MessageLike | undefined;
  for (const m of messages)
    if (!best || Date.parse(m.date_created) >= Date.parse(best.date_created)) best = m;
  return best?.date_created;
}

/** A Launchpad write the flow intends (what dry-run shows instead of doing). */
export type PlannedWrite =
  | { kind: "comment"; what: "prompt" | "thanks" }
  | { kind: "status"; to: string }
  | { kind: "tags"; add?: string; remove?: string };

export function describeWrite(w: PlannedWrite): string {
  if (w.kind === "comment")
    return w.what === "prompt" ? "comment asking for the missing items" : "comment thanking the reporter";
  if (w.kind === "status") return `status → ${w.to}`;
  return w.add ? `add tag ${w.add}` : `remove tag ${w.remove ?? ""}`;
}

/** The line dry-run adds to a triage-room note. */
export function dryRunLine(writes: readonly PlannedWrite[]): string {
  return writes.length ? `Would write to Launchpad: ${writes.map(describeWrite).join("; ")}.` : "";
}

/** The prompt steps recorded so far (TriageStore fields): "Incomplete" / the tag when we set them. */
export interface PromptSteps {
  status?: string | undefined;
  tag?: string | undefined;
}

/** Recorded instead of "Incomplete" when the reporter answered before we got to set it. */
export const NOT_SET_REPLIED = "not set: the reporter replied first";

function humanField(task: TaskLike): string | undefined {
  if (task.importance && task.importance !== "Undecided") return `importance is ${task.importance}`;
  if (task.assignee_link) return `assigned to ${personName(task.assignee_link) ?? "someone"}`;
  if (task.milestone_link) return "targeted to a milestone";
  return undefined;
}

/**
 * Between our comment and our last prompt step (a crash, a retry), did a human move the bug on? A status
 * other than New or the Incomplete we set, or (before our status) an importance, assignee or milestone.
 */
export function takeoverDuringPrompt(task: TaskLike, steps: PromptSteps): string | undefined {
  const expected = steps.status === undefined ? ["New", "Incomplete"] : ["Incomplete"];
  if (steps.status === NOT_SET_REPLIED) expected.push("New");
  if (!expected.includes(task.status)) return `status is ${task.status}`;
  return steps.status === undefined ? humanField(task) : undefined;
}

/**
 * On a reply: did a human take over since our prompt? The status is no longer what we left (Incomplete,
 * or New when the reporter answered before we set it), or our tag was taken off.
 */
export function takeoverOnReply(
  task: TaskLike,
  tags: readonly string[],
  steps: PromptSteps,
  ourTag: string,
): string | undefined {
  const expected = steps.status === NOT_SET_REPLIED ? ["Incomplete", "New"] : ["Incomplete"];
  if (!expected.includes(task.status)) return `status is ${task.status}`;
  const tagged = steps.tag === undefined || steps.tag === ourTag;
  if (tagged && !tags.includes(ourTag)) return `tag ${ourTag} was removed`;
  return undefined;
}
