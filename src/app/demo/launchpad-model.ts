// In-memory data of the fake Launchpad: bugs, tasks, messages, attachments, their JSON shapes and searchTasks.
/** Settable task statuses (display names). */
export const STATUSES = [
  "New",
  "Incomplete",
  "Opinion",
  "Invalid",
  "Won't Fix",
  "Expired",
  "Confirmed",
  "Triaged",
  "In Progress",
  "Fix Committed",
  "Fix Released",
];
export const WITH_RESPONSE = "Incomplete (with response)";
export const WITHOUT_RESPONSE = "Incomplete (without response)";
const SEARCH_STATUSES = [...STATUSES, WITH_RESPONSE, WITHOUT_RESPONSE];
/** What searchTasks returns without a status parameter (DEFAULT_SEARCH_BUGTASK_STATUSES). */
const DEFAULT_SEARCH = ["New", "Incomplete", "Confirmed", "Triaged", "In Progress", "Fix Committed"];
export const TAG_RE = /^[a-z0-9][a-z0-9+.-]+$/;

export interface FakeMessage {
  index: number;
  owner: string;
  subject: string;
  content: string;
  created: Date;
}

export interface FakeAttachment {
  id: number;
  title: string;
  /** The real file name, seen only in the data_link redirect. */
  filename: string;
  type: "Patch" | "Unspecified";
  messageIndex: number;
}

export interface FakeBug {
  id: number;
  project: string;
  title: string;
  description: string;
  tags: string[];
  owner: string;
  created: Date;
  lastUpdated: Date;
  /** As Launchpad stores it: an Incomplete task is "Incomplete (with|without response)"; reads show "Incomplete". */
  status: string;
  importance: string;
  assignee: string | undefined;
  dateIncomplete: Date | undefined;
  dateLeftNew: Date | undefined;
  messages: FakeMessage[];
  attachments: FakeAttachment[];
}

export interface NewBug {
  title: string;
  description: string;
  tags?: string[];
  owner: string;
  status?: string;
  importance?: string;
  assignee?: string;
  created?: Date | string;
  project?: string;
}

export function iso(d: Date): string {
  return d.toISOString().replace(/Z$/, "+00:00");
}

export function displayStatus(internal: string): string {
  return internal === WITH_RESPONSE || internal === WITHOUT_RESPONSE ? "Incomplete" : internal;
}

/** Order keys of lib/lp/bugs/model/bugtasksearch.py that the fake knows. */
const ORDER: Record<string, (b: FakeBug) => number | string> = {
  id: (b) => b.id,
  datecreated: (b) => b.created.getTime(),
  date_last_updated: (b) => b.lastUpdated.getTime(),
  title: (b) => b.title,
  status: (b) => STATUSES.indexOf(displayStatus(b.status)),
};

export class LaunchpadStore {
  readonly bugs = new Map<number, FakeBug>();
  private nextBugId = 2_100_001;
  private nextAttachmentId = 8_000_001;
  private last = 0;

  constructor(
    readonly projects: string[],
    private readonly clock: () => number,
  ) {}

  /** A strictly increasing time, so date_last_updated always moves on a write. */
  tick(): Date {
    this.last = Math.max(this.clock(), this.last + 1000);
    return new Date(this.last);
  }

  private see(d: Date): Date {
    this.last = Math.max(this.last, d.getTime());
    return d;
  }

  get(id: number): FakeBug {
    const b = this.bugs.get(id);
    if (!b) throw new Error(`fake Launchpad: no bug ${id}`);
    return b;
  }

  addBug(n: NewBug): FakeBug {
    const created = this.see(n.created !== undefined ? new Date(n.created) : this.tick());
    const status = n.status ?? "New";
    const bug: FakeBug = {
      id: this.nextBugId++,
      project: n.project ?? this.projects[0] ?? "snap-openstack",
      title: n.title,
      description: n.description,
      tags: [...(n.tags ?? [])].sort(),
      owner: n.owner,
      created,
      lastUpdated: created,
      status: status === "Incomplete" ? WITHOUT_RESPONSE : status,
      importance: n.importance ?? "Undecided",
      assignee: n.assignee,
      dateIncomplete: status === "Incomplete" ? created : undefined,
      dateLeftNew: status !== "New" ? created : undefined,
      messages: [{ index: 0, owner: n.owner, subject: n.title, content: n.description, created }],
      attachments: [],
    };
    this.bugs.set(bug.id, bug);
    return bug;
  }

  /** Launchpad's linkMessage(): any new message on an Incomplete task marks it "with response". */
  addMessage(
    id: number,
    m: { owner: string; content: string; subject?: string; created?: Date | string },
  ): FakeMessage {
    const bug = this.get(id);
    const created = m.created !== undefined ? this.see(new Date(m.created)) : this.tick();
    const msg: FakeMessage = {
      index: bug.messages.length,
      owner: m.owner,
      subject: m.subject ?? `Re: ${bug.title}`,
      content: m.content,
      created,
    };
    bug.messages.push(msg);
    if (bug.status === WITHOUT_RESPONSE) bug.status = WITH_RESPONSE;
    bug.lastUpdated = created;
    return msg;
  }

  /** Attachments arrive with a message of their own, as on Launchpad. */
  addAttachment(
    id: number,
    a: { title: string; filename: string; owner?: string; comment?: string },
  ): FakeAttachment {
    const bug = this.get(id);
    const msg = this.addMessage(id, { owner: a.owner ?? bug.owner, content: a.comment ?? "" });
    const att: FakeAttachment = {
      id: this.nextAttachmentId++,
      title: a.title,
      filename: a.filename,
      type: "Unspecified",
      messageIndex: msg.index,
    };
    bug.attachments.push(att);
    return att;
  }

  /** transitionToStatus(): Incomplete is stored as "without response" (set after the last message). */
  setStatus(bug: FakeBug, status: string): void {
    if (displayStatus(bug.status) === status) return;
    const at = this.tick();
    if (bug.status === "New") bug.dateLeftNew = at;
    bug.status = status === "Incomplete" ? WITHOUT_RESPONSE : status;
    if (status === "Incomplete") bug.dateIncomplete = at;
    bug.lastUpdated = at;
  }

  setTags(bug: FakeBug, tags: string[]): void {
    bug.tags = [...new Set(tags)].sort();
    bug.lastUpdated = this.tick();
  }

  // ---- searchTasks ----

  /** The tasks of `project` matching the query, or the text of a 400 like lazr.restful's. */
  search(project: string, q: URLSearchParams): FakeBug[] | string {
    const statuses = q.getAll("status");
    for (const s of statuses) {
      if (!SEARCH_STATUSES.includes(s)) {
        return `status: Invalid value "${s}". Acceptable values are: ${SEARCH_STATUSES.join(", ")}`;
      }
    }
    const wanted = statuses.length ? statuses : DEFAULT_SEARCH;
    const dates: Record<string, number> = {};
    for (const k of ["created_since", "created_before", "modified_since"]) {
      const v = q.get(k);
      if (v === null) continue;
      const t = Date.parse(v);
      if (Number.isNaN(t)) return `${k}: Value doesn't look like a date.`;
      dates[k] = t;
    }
    const combinator = q.get("tags_combinator") ?? "All";
    if (combinator !== "All" && combinator !== "Any")
      return `tags_combinator: Invalid value "${combinator}".`;
    const tags = q.getAll("tags");
    const want = tags.filter((t) => !t.startsWith("-"));
    const omit = tags.filter((t) => t.startsWith("-")).map((t) => t.slice(1));
    const keys = q.getAll("order_by");
    for (const k of keys)
      if (!ORDER[k.replace(/^-/, "")]) return `order_by: Unrecognized order_by value "${k}"`;
    const list = [...this.bugs.values()].filter((b) => {
      if (b.project !== project) return false;
      const st = displayStatus(b.status);
      if (!wanted.some((w) => w === b.status || w === st)) return false;
      if (dates.created_since !== undefined && !(b.created.getTime() > dates.created_since)) return false;
      if (dates.created_before !== undefined && !(b.created.getTime() < dates.created_before)) return false;
      if (dates.modified_since !== undefined && !(b.lastUpdated.getTime() > dates.modified_since))
        return false;
      if (omit.some((t) => b.tags.includes(t))) return false;
      if (want.length === 0) return true;
      return combinator === "All"
        ? want.every((t) => b.tags.includes(t))
        : want.some((t) => b.tags.includes(t));
    });
    const order = [...keys, "id"];
    return list.sort((a, b) => {
      for (const k of order) {
        const f = ORDER[k.replace(/^-/, "")];
        if (!f) continue;
        const [x, y] = [f(a), f(b)];
        const c = x < y ? -1 : x > y ? 1 : 0;
        if (c !== 0) return k.startsWith("-") ? -c : c;
      }
      return 0;
    });
  }
}
