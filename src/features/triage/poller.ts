// One poll of a Launchpad project: new bugs since the cursor, and replies to the bot's prompts, as events.
import type { Bug, BugTask, Message, SearchTasksOptions } from "../../integrations/launchpad/client.js";
import { parseBugId } from "../../integrations/launchpad/schemas.js";
import type { Logger } from "../../core/log.js";
import { personName } from "./bug-input.js";
import {
  bugNewEventId,
  bugRepliedEventId,
  type LaunchpadBugNewEvent,
  type LaunchpadBugRepliedEvent,
  type LaunchpadEvent,
} from "../../core/events.js";
import { reporterMessagesAfter } from "./flow.js";
import type { PollCursor, TriageStore } from "./state.js";

/** The search-only status Launchpad gives an Incomplete task once someone commented (§0.2 of the doc). */
export const WITH_RESPONSE = "Incomplete (with response)";

/** The part of LaunchpadClient the poller reads with. */
export interface LaunchpadReader {
  iterateTasks(project: string, o?: SearchTasksOptions): AsyncGenerator<BugTask>;
  getBug(ref: number | string | Bug): Promise<Bug>;
  getMessages(ref: number | string | Bug): Promise<Message[]>;
}

export interface PollLaunchpadOptions {
  client: LaunchpadReader;
  project: string;
  cursorStore: TriageStore;
  log?: Logger;
  now?: () => number;
  /** The bot's tag (config `launchpad.tag`). */
  tag?: string;
  /** Entries per page and pages per search: a search cut at the cap resumes from where it stopped. */
  pageSize?: number;
  maxPages?: number;
  /** Without a cursor (first poll), look back this far. */
  lookbackMinutes?: number;
  /** After a complete reply search, the next one reaches back this much: our clock and Launchpad's differ. */
  overlapMs?: number;
  /**
   * Called with the events before the cursor is saved: if it throws, the cursor stays and the next poll
   * emits the same events under the same ids (which the queue deduplicates) instead of losing them.
   */
  emit?: (events: LaunchpadEvent[]) => Promise<void>;
}

export interface PollLaunchpadResult {
  events: LaunchpadEvent[];
  cursor: PollCursor;
  /** Which searches stopped at the page cap (the next poll continues them). */
  cut: { created: boolean; replies: boolean };
}

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);

/** `Bug #12 in snap-openstack: "Title"` → `Title`. */
export function taskBugTitle(task: BugTask): string {
  const t = task.title ?? "";
  return /^Bug #\d+ in [^:]+: "([\s\S]*)"$/.exec(t)?.[1] ?? t;
}

function bugIdOf(task: BugTask): number | undefined {
  return parseBugId(task.bug_link);
}

interface Search {
  tasks: BugTask[];
  cut: boolean;
}

/** All matching tasks up to the cap; `cut` when the cap was reached (the client stops there silently). */
async function search(o: PollLaunchpadOptions, q: SearchTasksOptions): Promise<Search> {
  const pageSize = o.pageSize ?? 50;
  const maxPages = o.maxPages ?? 10;
  const tasks: BugTask[] = [];
  for await (const t of o.client.iterateTasks(o.project, { ...q, pageSize, maxPages })) tasks.push(t);
  return { tasks, cut: tasks.length >= pageSize * maxPages };
}

function replied(project: string, bug: Bug, reason: LaunchpadBugRepliedEvent["reason"], now: number) {
  const at = bug.date_last_message ?? bug.date_last_updated ?? new Date(now).toISOString();
  const e: LaunchpadBugRepliedEvent = {
    source: "launchpad",
    kind: "launchpad.bug-replied",
    id: bugRepliedEventId(bug.id, at),
    project,
    bug: bug.id,
    title: bug.title,
    lastMessageAt: at,
    reason,
    detectedAt: now,
  };
  return e;
}

/** New bugs: created since the cursor, oldest first, so a cut search resumes at the last one seen. */
async function newBugs(o: PollLaunchpadOptions, since: string, now: number) {
  const s = await search(o, { createdSince: since, status: ["New"], orderBy: ["datecreated"] });
  const events: LaunchpadBugNewEvent[] = [];
  let newest: string | undefined;
  for (const t of s.tasks) {
    const bug = bugIdOf(t);
    if (bug === undefined) continue;
    const createdAt = t.date_created ?? new Date(now).toISOString();
    events.push({
      source: "launchpad",
      kind: "launchpad.bug-new",
      id: bugNewEventId(bug),
      project: o.project,
      bug,
      title: taskBugTitle(t),
      createdAt,
      detectedAt: now,
    });
    if (t.date_created && !(ms(t.date_created) <= ms(newest))) newest = t.date_created;
  }
  return { events, newest, cut: s.cut };
}

/**
 * Replies: (a) Incomplete (with response) bugs carrying our tag — Launchpad's own answer to "did anyone
 * reply" — and (b) a reporter comment on a bug we prompted that (a) cannot see, e.g. a reply that came
 * before the status was set to Incomplete. Both only over bugs modified since the cursor.
 */
async function replies(o: PollLaunchpadOptions, cursor: PollCursor, now: number) {
  const since = cursor.modified;
  // A complete search saw everything up to now by our clock; Launchpad's may lag, so reach back a bit.
  const fullySeen = new Date(now - (o.overlapMs ?? 120_000)).toISOString();
  const events = new Map<number, LaunchpadBugRepliedEvent>();
  const bugs = new Map<number, Bug>();
  const bugOf = async (t: BugTask): Promise<Bug> => {
    const id = bugIdOf(t) ?? -1;
    const b = bugs.get(id) ?? (await o.client.getBug(t.bug_link));
    bugs.set(b.id, b);
    return b;
  };
  // Where the next search starts: after all of it, or after its last entry when it was cut at the cap.
  const seenUpTo = async (s: Search): Promise<string> => {
    const last = s.tasks[s.tasks.length - 1];
    if (!s.cut || !last) return fullySeen;
    return (await bugOf(last)).date_last_updated ?? fullySeen;
  };

  const a = await search(o, {
    status: [WITH_RESPONSE],
    tags: [o.tag ?? "needs-debug-info"],
    orderBy: ["date_last_updated"],
    ...(since ? { modifiedSince: since } : {}),
  });
  for (const t of a.tasks) {
    const bug = await bugOf(t);
    events.set(bug.id, replied(o.project, bug, "with-response", now));
  }
  let seen = await seenUpTo(a);

  const prompted = await o.cursorStore.prompted(o.project);
  let cutB = false;
  if (prompted.size > 0) {
    const lookback = new Date(now - (o.lookbackMinutes ?? 60) * 60_000).toISOString();
    const b = await search(o, {
      status: ["New", "Incomplete"],
      orderBy: ["date_last_updated"],
      modifiedSince: since ?? lookback,
    });
    cutB = b.cut;
    for (const t of b.tasks) {
      const id = bugIdOf(t);
      const watermark = id === undefined ? undefined : prompted.get(id);
      if (id === undefined || watermark === undefined || events.has(id)) continue;
      const bug = await bugOf(t);
      if (!(ms(bug.date_last_message) > ms(watermark))) continue;
      const messages = await o.client.getMessages(bug);
      if (reporterMessagesAfter(messages, personName(bug.owner_link), watermark).length === 0) continue;
      events.set(id, replied(o.project, bug, "reporter-comment", now));
    }
    const seenB = await seenUpTo(b);
    if (ms(seenB) < ms(seen)) seen = seenB;
  }
  return { events: [...events.values()], seen, cut: a.cut || cutB };
}

/** Polls one project once: emits its events, then saves the cursor over what was actually seen. */
export async function pollLaunchpad(o: PollLaunchpadOptions): Promise<PollLaunchpadResult> {
  const now = (o.now ?? Date.now)();
  const cursor = await o.cursorStore.cursor(o.project);
  const since = cursor.created ?? new Date(now - (o.lookbackMinutes ?? 60) * 60_000).toISOString();
  const fresh = await newBugs(o, since, now);
  const rep = await replies(o, cursor, now);
  const events: LaunchpadEvent[] = [...fresh.events, ...rep.events];
  if (o.emit && events.length) await o.emit(events);
  const next: PollCursor = {
    created: fresh.newest ?? since,
    // Never backwards (a replayed poll cannot undo progress); a cut search resumes after its last entry.
    modified: cursor.modified && ms(cursor.modified) > ms(rep.seen) ? cursor.modified : rep.seen,
  };
  await o.cursorStore.saveCursor(o.project, next);
  const cut = { created: fresh.cut, replies: rep.cut };
  o.log?.info(
    { project: o.project, new: fresh.events.length, replied: rep.events.length, cut },
    "Launchpad poll done",
  );
  return { events, cursor: next, cut };
}

export interface LaunchpadPollJobDeps {
  client: LaunchpadReader;
  store: TriageStore;
  /** The bot's tag (config `launchpad.tag`). */
  tag: string;
  /** Puts the events on the triage queue (the bot's ingest); deterministic ids make repeats harmless. */
  emit: (events: LaunchpadEvent[]) => Promise<void>;
  pageSize?: number;
  maxPages?: number;
  now?: () => number;
}

/** The `launchpad-poll` job (`Handler<"launchpad-poll">`): one poll of the project its job scheduler names. */
export function launchpadPollJob(deps: LaunchpadPollJobDeps) {
  return async (data: { project: string }, ctx: { log: Logger }): Promise<void> => {
    await pollLaunchpad({
      client: deps.client,
      project: data.project,
      cursorStore: deps.store,
      tag: deps.tag,
      log: ctx.log,
      emit: deps.emit,
      ...(deps.pageSize !== undefined ? { pageSize: deps.pageSize } : {}),
      ...(deps.maxPages !== undefined ? { maxPages: deps.maxPages } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
  };
}
