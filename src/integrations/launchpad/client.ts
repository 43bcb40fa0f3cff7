// Launchpad web service client (axios): anonymous or OAuth-signed calls, paging, retries, zod-checked payloads.
import type { AxiosResponse } from "axios";
import type { Readable } from "node:stream";
import { PermanentError, RetryLaterError, UserError } from "../../core/errors.js";
import { HttpPermanentError } from "../http.js";
import { LaunchpadHttp, header, pathOf, type LaunchpadHttpOptions } from "./http.js";
import {
  AttachmentSchema,
  BugSchema,
  BugTaskSchema,
  MessageSchema,
  TAG_RE,
  editTagList,
  filenameFromLocation,
  parseBugId,
  sortMessages,
  titleLooksLikeFilename,
  type Bug,
  type BugTask,
  type Message,
} from "./schemas.js";

export * from "./schemas.js";
export { DEFAULT_API_ROOT } from "./http.js";

export interface LaunchpadClientOptions extends LaunchpadHttpOptions {
  /** How often a tag edit re-reads and retries after 412 Precondition Failed. */
  maxConflictRetries?: number;
}

export interface SearchTasksOptions {
  createdSince?: Date | string;
  createdBefore?: Date | string;
  modifiedSince?: Date | string;
  /** Display names, including the search-only "Incomplete (with response)" / "(without response)". */
  status?: string[];
  tags?: string[];
  tagsCombinator?: "Any" | "All";
  /** e.g. ["datecreated"], ["-date_last_updated"]. */
  orderBy?: string[];
  /** `ws.size` of the first page (Launchpad: default 50, max 300). */
  pageSize?: number;
  maxPages?: number;
  /** Any other searchTasks parameter (importance, assignee, …), sent as given. */
  extra?: Record<string, string | string[]>;
}

/** A bug number, "#N", a bug or task link, or a bug already read. */
export type BugRef = number | string | Bug;

export interface AttachmentInfo {
  title: string;
  /** The real file name when it was checked, else the title. */
  filename: string;
  filenameFrom: "title" | "location";
  type: string | undefined;
  selfLink: string;
  dataLink: string;
  messageLink: string | null | undefined;
}

function toIso(d: Date | string): string {
  return typeof d === "string" ? d : d.toISOString();
}

/** searchTasks query: list parameters repeat (`status=New&status=Confirmed`), as lazr.restful expects. */
export function searchTasksParams(o: SearchTasksOptions): URLSearchParams {
  const q = new URLSearchParams({ "ws.op": "searchTasks" });
  if (o.createdSince !== undefined) q.set("created_since", toIso(o.createdSince));
  if (o.createdBefore !== undefined) q.set("created_before", toIso(o.createdBefore));
  if (o.modifiedSince !== undefined) q.set("modified_since", toIso(o.modifiedSince));
  for (const s of o.status ?? []) q.append("status", s);
  for (const t of o.tags ?? []) q.append("tags", t);
  if (o.tagsCombinator) q.set("tags_combinator", o.tagsCombinator);
  for (const k of o.orderBy ?? []) q.append("order_by", k);
  for (const [k, v] of Object.entries(o.extra ?? {})) for (const x of [v].flat()) q.append(k, x);
  if (o.pageSize !== undefined) q.set("ws.size", String(o.pageSize));
  return q;
}

export class LaunchpadClient {
  private readonly http: LaunchpadHttp;
  readonly apiRoot: string;

  constructor(private readonly opts: LaunchpadClientOptions = {}) {
    this.http = new LaunchpadHttp(opts);
    this.apiRoot = this.http.apiRoot;
  }

  get canWrite(): boolean {
    return this.http.canWrite;
  }

  // ---- reads ----

  /** The API link of a bug. */
  bugLink(ref: BugRef): string {
    if (typeof ref === "object") return ref.self_link;
    const id = parseBugId(ref);
    if (id === undefined) throw new UserError(`Not a Launchpad bug: ${String(ref)}`);
    return `${this.apiRoot}/bugs/${id}`;
  }

  async getBug(ref: BugRef): Promise<Bug> {
    return (await this.http.getJson(BugSchema, this.bugLink(ref))).data;
  }

  /** The bug's task in one project (where its status, importance and assignee live). */
  async getTask(project: string, ref: BugRef): Promise<BugTask> {
    const id = typeof ref === "object" ? ref.id : parseBugId(ref);
    if (id === undefined) throw new UserError(`Not a Launchpad bug: ${String(ref)}`);
    return (
      await this.http.getJson(BugTaskSchema, `${this.apiRoot}/${encodeURIComponent(project)}/+bug/${id}`)
    ).data;
  }

  /** Every matching task over all pages, by following next_collection_link (never computed offsets). */
  async *iterateTasks(project: string, o: SearchTasksOptions = {}): AsyncGenerator<BugTask> {
    const url = `${this.apiRoot}/${encodeURIComponent(project)}?${searchTasksParams(o).toString()}`;
    yield* this.http.iterate(BugTaskSchema, url, o.maxPages);
  }

  async searchTasks(project: string, o: SearchTasksOptions = {}): Promise<BugTask[]> {
    const out: BugTask[] = [];
    for await (const t of this.iterateTasks(project, o)) out.push(t);
    return out;
  }

  /** All messages, oldest first (message 0 is the description). */
  async getMessages(ref: BugRef): Promise<Message[]> {
    const url = (typeof ref === "object" && ref.messages_collection_link) || `${this.bugLink(ref)}/messages`;
    const out: Message[] = [];
    for await (const m of this.http.iterate(MessageSchema, url)) out.push(m);
    return sortMessages(out);
  }

  /**
   * Attachments with file names: the title when it looks like a file name, otherwise (or with
   * "always") the Location of the data_link redirect. The file itself is never downloaded.
   */
  async getAttachments(
    ref: BugRef,
    o: { resolveFilenames?: "auto" | "always" | "never" } = {},
  ): Promise<AttachmentInfo[]> {
    const mode = o.resolveFilenames ?? "auto";
    const url =
      (typeof ref === "object" && ref.attachments_collection_link) || `${this.bugLink(ref)}/attachments`;
    const out: AttachmentInfo[] = [];
    for await (const a of this.http.iterate(AttachmentSchema, url)) {
      const info: AttachmentInfo = {
        title: a.title,
        filename: a.title,
        filenameFrom: "title",
        type: a.type,
        selfLink: a.self_link,
        dataLink: a.data_link,
        messageLink: a.message_link,
      };
      if (mode === "always" || (mode === "auto" && !titleLooksLikeFilename(a.title))) {
        const name = await this.attachmentFilename(a.data_link);
        if (name !== undefined) Object.assign(info, { filename: name, filenameFrom: "location" });
      }
      out.push(info);
    }
    return out;
  }

  /** GET data_link without following the 303 and without reading a body: the Location names the file. */
  async attachmentFilename(dataLink: string): Promise<string | undefined> {
    let res: AxiosResponse<unknown>;
    try {
      res = await this.http.send("GET", dataLink, { idempotent: true, stream: true });
    } catch (err) {
      if (err instanceof RetryLaterError) throw err;
      this.opts.log?.warn({ err: (err as Error).message }, "Launchpad attachment name not resolved");
      return undefined;
    }
    (res.data as Readable | undefined)?.destroy();
    const location = res.status >= 300 && res.status < 400 ? header(res, "location") : undefined;
    return location === undefined ? undefined : filenameFromLocation(location);
  }

  // ---- writes (OAuth) ----

  /** Posts a comment; Launchpad answers 201 with the new message's link in Location. */
  async newMessage(ref: BugRef, content: string, subject?: string): Promise<{ selfLink: string }> {
    const form = new URLSearchParams({ "ws.op": "newMessage", content });
    if (subject !== undefined) form.set("subject", subject);
    const url = this.bugLink(ref);
    const res = await this.http.send("POST", url, {
      body: form.toString(),
      contentType: "application/x-www-form-urlencoded",
      idempotent: false,
      write: true,
    });
    const location = header(res, "location");
    if (res.status !== 201 || location === undefined) {
      throw new HttpPermanentError(`Launchpad POST ${pathOf(url)}: expected 201 Created`, res.status);
    }
    return { selfLink: location };
  }

  /**
   * PATCH the task's status (display name, e.g. "Incomplete") under If-Match with the task as it was
   * read; Launchpad answers 209 with the task. On 412 (someone changed the task meanwhile) the task is
   * read again: already at `status` (our own earlier write, or a human's), it is left as it is; a human's
   * other status is never overwritten, the fresh task is returned instead.
   */
  async setStatus(task: string | BugTask, status: string): Promise<BugTask> {
    const seen = typeof task === "string" ? (await this.http.getJson(BugTaskSchema, task)).data : task;
    const link = seen.self_link;
    const ifMatch = seen.http_etag;
    try {
      const res = await this.patch(link, { status }, ifMatch ? { "If-Match": ifMatch } : {});
      return res.status === 209
        ? this.http.parse(BugTaskSchema, res, link)
        : (await this.http.getJson(BugTaskSchema, link)).data;
    } catch (err) {
      if (!(err instanceof HttpPermanentError && err.status === 412)) throw err;
      const fresh = (await this.http.getJson(BugTaskSchema, link)).data;
      if (fresh.status !== status)
        this.opts.log?.info(
          { task: link, wanted: status, now: fresh.status, was: seen.status },
          "Launchpad task status changed meanwhile (412): left as it is",
        );
      return fresh;
    }
  }

  async addTags(ref: BugRef, tags: string[]): Promise<Bug> {
    return this.editTags(ref, tags, []);
  }

  async removeTags(ref: BugRef, tags: string[]): Promise<Bug> {
    return this.editTags(ref, [], tags);
  }

  /** Read-modify-write of the whole tag list under If-Match; a concurrent edit (412) re-reads and retries. */
  private async editTags(ref: BugRef, add: string[], remove: string[]): Promise<Bug> {
    for (const t of [...add, ...remove]) {
      if (!TAG_RE.test(t))
        throw new PermanentError(`Invalid Launchpad tag "${t}" (must match ${TAG_RE.source})`);
    }
    if (!this.http.canWrite) this.http.refuseWrite("PATCH", this.bugLink(ref));
    const url = this.bugLink(ref);
    for (let attempt = 0; ; attempt++) {
      const { data: bug, etag } = await this.http.getJson(BugSchema, url);
      const next = editTagList(bug.tags, add, remove);
      if (next === undefined) return bug;
      const ifMatch = bug.http_etag ?? etag;
      try {
        const res = await this.patch(bug.self_link, { tags: next }, ifMatch ? { "If-Match": ifMatch } : {});
        return res.status === 209
          ? this.http.parse(BugSchema, res, url)
          : (await this.http.getJson(BugSchema, url)).data;
      } catch (err) {
        const conflict = err instanceof HttpPermanentError && err.status === 412;
        if (!conflict || attempt >= (this.opts.maxConflictRetries ?? 3)) throw err;
        this.opts.log?.info(
          { bug: bug.id, attempt: attempt + 1 },
          "Launchpad bug changed meanwhile (412): re-reading",
        );
      }
    }
  }

  private patch(link: string, fields: Record<string, unknown>, headers: Record<string, string> = {}) {
    // Absolute values: repeating a PATCH is harmless (and If-Match turns a repeat after success into 412).
    return this.http.send("PATCH", link, {
      body: JSON.stringify(fields),
      contentType: "application/json",
      headers,
      idempotent: true,
      write: true,
    });
  }
}
