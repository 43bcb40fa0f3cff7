// A fake Launchpad web service (node:http on 127.0.0.1): searchTasks, bugs, comments, status, tags, OAuth checks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { attachmentJson, bugJson, messageJson, pageOf, taskJson } from "./launchpad-json.js";
import {
  LaunchpadStore,
  STATUSES,
  TAG_RE,
  type FakeAttachment,
  type FakeBug,
  type FakeMessage,
  type NewBug,
} from "./launchpad-model.js";
import { FakeOAuth, parseOAuthHeader } from "./launchpad-oauth.js";

export { WITH_RESPONSE, WITHOUT_RESPONSE, type FakeBug } from "./launchpad-model.js";
export { parseOAuthHeader } from "./launchpad-oauth.js";

export type Write =
  | { kind: "comment"; bugId: number; owner: string; content: string; subject: string; messageIndex: number }
  | { kind: "status"; bugId: number; from: string; to: string }
  | { kind: "tags"; bugId: number; before: string[]; after: string[] };

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
  /** The raw header (tests assert its shape) and its fields, percent-decoded. */
  authorization: string | undefined;
  oauth: Record<string, string> | undefined;
  ifMatch: string | undefined;
  userAgent: string | undefined;
}

export interface FakeLaunchpadOptions {
  projects?: string[];
  consumerKey?: string;
  /** The bot's access token; its comments are owned by `botName`. */
  token?: string;
  tokenSecret?: string;
  botName?: string;
  /** Small by default so that tests page. */
  pageSize?: number;
  /** Serve messages newest first (what the interface docs claim) to prove clients sort. */
  messagesNewestFirst?: boolean;
  now?: () => number;
}

interface Req {
  method: string;
  parts: string[];
  url: URL;
  body: string;
  ifMatch: string | undefined;
  who: string | undefined;
}

interface Reply {
  text(status: number, msg: string): void;
  json(status: number, data: unknown): void;
  send(status: number, headers: Record<string, string>, data?: string): void;
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export class FakeLaunchpad {
  readonly store: LaunchpadStore;
  readonly oauth: FakeOAuth;
  /** Every successful write, in order. */
  readonly writes: Write[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Bytes served from the Librarian: tests assert it stays 0. */
  librarianDownloads = 0;
  private readonly failures: Array<{ status: number; body: string }> = [];
  private readonly writeFailures: Array<{ kind: Write["kind"]; status: number; body: string }> = [];
  private stalls = 0;
  private readonly races = new Map<number, (bug: FakeBug) => void>();
  private readonly server: Server;
  private port = 0;

  private constructor(private readonly opts: FakeLaunchpadOptions) {
    this.store = new LaunchpadStore(opts.projects ?? ["snap-openstack"], opts.now ?? Date.now);
    this.oauth = new FakeOAuth(
      opts.consumerKey ?? "sunbeam-bot",
      opts.botName ?? "sunbeam-bot",
      opts.token ?? "bot-token-key",
      opts.tokenSecret ?? "bot-token-secret",
    );
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
  }

  static async start(opts: FakeLaunchpadOptions = {}): Promise<FakeLaunchpad> {
    const f = new FakeLaunchpad(opts);
    await new Promise<void>((resolve) => f.server.listen(0, "127.0.0.1", () => resolve()));
    const addr = f.server.address();
    f.port = typeof addr === "object" && addr ? addr.port : 0;
    return f;
  }

  /** Web root (token dance, Librarian). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What LaunchpadClient takes as apiRoot. */
  get apiRoot(): string {
    return `${this.url}/devel`;
  }

  addBug(b: NewBug): FakeBug {
    return this.store.addBug(b);
  }

  /** A comment by someone other than the bot (flips Incomplete to "with response"). */
  addMessage(bugId: number, m: { owner: string; content: string; created?: Date | string }): FakeMessage {
    return this.store.addMessage(bugId, m);
  }

  addAttachment(bugId: number, a: { title: string; filename: string; owner?: string }): FakeAttachment {
    return this.store.addAttachment(bugId, a);
  }

  bug(id: number): FakeBug {
    return this.store.get(id);
  }

  /** The next `n` requests fail with this status and a text/plain body. */
  failNext(n: number, status = 503, body = `${status} Service Unavailable`): void {
    for (let i = 0; i < n; i++) this.failures.push({ status, body });
  }

  /**
   * The next write of this kind (comment: POST newMessage; status: PATCH of a task; tags: PATCH of a bug)
   * fails with this status, whatever comes before it: a crash between two of the bot's steps.
   */
  failNextWrite(
    kind: Write["kind"],
    status = 500,
    body = `${status} Internal Server Error (OOPS-fake)`,
  ): void {
    this.writeFailures.push({ kind, status, body });
  }

  /** The next `n` requests get no answer at all (client timeouts). */
  stallNext(n: number): void {
    this.stalls += n;
  }

  /** Someone else edits the bug just before the next tag PATCH on it is checked, so its If-Match is stale. */
  raceNextTagWrite(bugId: number, edit: (bug: FakeBug) => void): void {
    this.races.set(bugId, edit);
  }

  /** Step 2 of the token dance: the human grants access to this request token. */
  authorizeRequestToken(token: string): void {
    this.oauth.authorizeRequestToken(token);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const authorization = req.headers.authorization;
    const rec: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      status: 0,
      authorization,
      oauth: authorization ? parseOAuthHeader(authorization) : undefined,
      ifMatch: req.headers["if-match"],
      userAgent: req.headers["user-agent"],
    };
    this.requests.push(rec);
    const r: Reply = {
      send(status, headers, data = "") {
        rec.status = status;
        res.writeHead(status, { "Content-Length": String(Buffer.byteLength(data)), ...headers }).end(data);
      },
      text: (status, msg) => r.send(status, { "Content-Type": "text/plain; charset=utf-8" }, msg),
      json: (status, data) => r.send(status, { "Content-Type": "application/json" }, JSON.stringify(data)),
    };
    if (this.stalls > 0) {
      this.stalls--;
      return; // never answered; close() ends the connection
    }
    const fail = this.failures.shift();
    if (fail) return r.text(fail.status, fail.body);
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const writeKind = this.writeKindOf(method, parts);
    const wf = writeKind ? this.writeFailures.findIndex((f) => f.kind === writeKind) : -1;
    if (wf >= 0) {
      const [f] = this.writeFailures.splice(wf, 1);
      if (f) return r.text(f.status, f.body);
    }
    if (parts[0] === "librarian") {
      const data = "x".repeat(1024);
      this.librarianDownloads += data.length;
      return r.send(200, { "Content-Type": "application/octet-stream" }, data);
    }
    if (parts[0] !== "devel") {
      const accept = (req.headers.accept ?? "").includes("application/json");
      const d =
        method === "POST" ? this.oauth.dance(url.pathname, new URLSearchParams(body), accept) : undefined;
      return d ? r.send(d.status, { "Content-Type": d.contentType }, d.body) : r.text(404, "Not found");
    }
    const who = this.oauth.authenticate(authorization);
    if (typeof who === "object") return r.text(401, who.error);
    if (method !== "GET" && who === undefined)
      return r.text(401, "Unauthorized: this needs an OAuth-signed request.");
    try {
      this.route({ method, parts: parts.slice(1), url, body, ifMatch: req.headers["if-match"], who }, r);
    } catch (err) {
      r.text(404, err instanceof Error ? err.message : String(err));
    }
  }

  private writeKindOf(method: string, parts: string[]): Write["kind"] | undefined {
    if (parts[0] !== "devel") return undefined;
    if (parts[1] === "bugs" && parts.length === 3) {
      return method === "POST" ? "comment" : method === "PATCH" ? "tags" : undefined;
    }
    return method === "PATCH" && parts[2] === "+bug" && parts.length === 4 ? "status" : undefined;
  }

  private route(q: Req, r: Reply): void {
    const [api, s, p] = [this.apiRoot, this.store, q.parts];
    const page = (entries: unknown[]) => {
      const batch = pageOf(entries, q.url, this.url, this.opts.pageSize ?? 3);
      return typeof batch === "string" ? r.text(400, batch) : r.json(200, batch);
    };
    if (p[0] === "bugs" && p[1] !== undefined) {
      const bug = s.get(Number(p[1]));
      if (p.length === 2 && q.method === "GET") return r.json(200, bugJson(bug, api));
      if (p.length === 2 && q.method === "POST") return this.newMessage(bug, q, r);
      if (p.length === 2 && q.method === "PATCH") return this.patchBug(bug, q, r);
      if (p[2] === "messages") return page(this.messages(bug).map((m) => messageJson(bug, m, api)));
      if (p[2] === "attachments") return page(bug.attachments.map((a) => attachmentJson(bug, a, api)));
      if (p[2] === "bug_tasks") return page([taskJson(bug, api)]);
      const att = p[2] === "+attachment" ? bug.attachments.find((a) => String(a.id) === p[3]) : undefined;
      if (att && p.length === 4) return r.json(200, attachmentJson(bug, att, api));
      if (att && p[4] === "data") {
        // As Launchpad: a 303 to the Librarian, whose URL ends in the real file name.
        const location = `${this.url}/librarian/${att.id}/${encodeURIComponent(att.filename)}`;
        return r.send(303, { "Content-Type": "text/plain", Location: location });
      }
    } else if (p[0] !== undefined && s.projects.includes(p[0])) {
      if (p.length === 1 && q.url.searchParams.get("ws.op") === "searchTasks") {
        const found = s.search(p[0], q.url.searchParams);
        return typeof found === "string" ? r.text(400, found) : page(found.map((b) => taskJson(b, api)));
      }
      if (p.length === 1) return r.json(200, { name: p[0], self_link: `${api}/${p[0]}` });
      const bug = p[1] === "+bug" ? s.get(Number(p[2])) : undefined;
      if (bug && bug.project === p[0] && p.length === 3) {
        if (q.method === "GET") return r.json(200, taskJson(bug, api));
        if (q.method === "PATCH") return this.patchTask(bug, q, r);
      }
      const msg = bug && p[3] === "comments" ? bug.messages[Number(p[4])] : undefined;
      if (bug && msg && p.length === 5) return r.json(200, messageJson(bug, msg, api));
      if (bug && msg && p[5] === "bug_attachments") {
        return page(
          bug.attachments.filter((a) => a.messageIndex === msg.index).map((a) => attachmentJson(bug, a, api)),
        );
      }
    }
    r.text(404, `Object: not found: ${q.url.pathname}`);
  }

  private messages(bug: FakeBug): FakeMessage[] {
    return this.opts.messagesNewestFirst ? [...bug.messages].reverse() : bug.messages;
  }

  private newMessage(bug: FakeBug, q: Req, r: Reply): void {
    const form = new URLSearchParams(q.body);
    if (form.get("ws.op") !== "newMessage")
      return r.text(400, `No such operation: ${form.get("ws.op") ?? ""}`);
    const content = form.get("content");
    if (!content) return r.text(400, "content: Required input is missing.");
    const owner = q.who ?? "";
    const subject = form.get("subject");
    const m = this.store.addMessage(
      bug.id,
      subject === null ? { owner, content } : { owner, content, subject },
    );
    this.writes.push({
      kind: "comment",
      bugId: bug.id,
      owner,
      content,
      subject: m.subject,
      messageIndex: m.index,
    });
    r.send(201, { Location: `${this.apiRoot}/${bug.project}/+bug/${bug.id}/comments/${m.index}` });
  }

  private patchTask(bug: FakeBug, q: Req, r: Reply): void {
    const fields = parseObject(q.body);
    if (!fields) return r.text(400, "Expected a JSON object.");
    if (q.ifMatch !== undefined && q.ifMatch !== taskJson(bug, this.apiRoot).http_etag) {
      return r.text(412, "Precondition Failed");
    }
    const other = Object.keys(fields).find((k) => k !== "status");
    if (other !== undefined) return r.text(400, `${other}: the fake Launchpad only patches status.`);
    const to = fields.status;
    if (typeof to !== "string" || !STATUSES.includes(to)) {
      return r.text(
        400,
        `status: Invalid value "${String(to)}". Acceptable values are: ${STATUSES.join(", ")}`,
      );
    }
    const from = bug.status;
    this.store.setStatus(bug, to);
    if (from !== bug.status) this.writes.push({ kind: "status", bugId: bug.id, from, to });
    r.json(209, taskJson(bug, this.apiRoot));
  }

  private patchBug(bug: FakeBug, q: Req, r: Reply): void {
    const fields = parseObject(q.body);
    if (!fields) return r.text(400, "Expected a JSON object.");
    const race = this.races.get(bug.id);
    if (race) {
      this.races.delete(bug.id);
      race(bug);
      bug.lastUpdated = this.store.tick();
    }
    if (q.ifMatch !== undefined && q.ifMatch !== bugJson(bug, this.apiRoot).http_etag) {
      return r.text(412, "Precondition Failed");
    }
    const other = Object.keys(fields).find((k) => k !== "tags");
    if (other !== undefined) return r.text(400, `${other}: the fake Launchpad only patches tags.`);
    const tags = fields.tags;
    if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === "string")) {
      return r.text(400, "tags: Expected a list of strings.");
    }
    const bad = tags.find((t) => !TAG_RE.test(t));
    if (bad !== undefined) return r.text(400, `tags: '${bad}' isn't a valid tag name.`);
    const before = [...bug.tags];
    this.store.setTags(bug, tags);
    this.writes.push({ kind: "tags", bugId: bug.id, before, after: [...bug.tags] });
    r.json(209, bugJson(bug, this.apiRoot));
  }
}
