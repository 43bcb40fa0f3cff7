// A fake Gerrit REST server (node:http on 127.0.0.1): queries, changes, files, reviews, XSSI prefix, basic auth.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ChangeInfo, ChangeMessageInfo, RevisionInfo } from "../../integrations/gerrit/client.js";

export interface RecordedReview {
  changeId: string;
  revision: string;
  user: string | undefined;
  body: Record<string, unknown>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authenticated: boolean;
}

export interface FailureSpec {
  status: number;
  retryAfter?: string;
  body?: string;
  /** Do the request first, then answer with this failure: a gateway timing out after Gerrit stored it. */
  afterDoing?: boolean;
  /** Only requests of this method get it (others pass), e.g. "POST" for the review write. */
  method?: string;
}

export interface FakeGerritRestOptions {
  user?: string;
  password?: string;
  changes?: ChangeInfo[];
}

const XSSI = ")]}'\n";

/** "2024-01-01 12:00:00.000000000" (UTC) or a query's "2024-01-01 12:00:00[ +0000]" → ms. */
function gerritTimeMs(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?/.exec(s.trim());
  return m ? Date.parse(`${m[1]}T${m[2] ?? "00:00:00"}Z`) : NaN;
}

export class FakeGerritRest {
  readonly changes: ChangeInfo[];
  readonly reviews: RecordedReview[] = [];
  readonly requests: RecordedRequest[] = [];
  private readonly failures: FailureSpec[] = [];
  private readonly server: Server;
  private port_ = 0;

  private constructor(private readonly opts: FakeGerritRestOptions) {
    this.changes = opts.changes ?? [];
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
  }

  static async start(opts: FakeGerritRestOptions = {}): Promise<FakeGerritRest> {
    const f = new FakeGerritRest(opts);
    await new Promise<void>((resolve) => f.server.listen(0, "127.0.0.1", () => resolve()));
    const addr = f.server.address();
    f.port_ = typeof addr === "object" && addr ? addr.port : 0;
    return f;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port_}`;
  }

  /** The next `count` requests get this answer instead (429 with Retry-After, 500, …). */
  failNext(count: number, spec: FailureSpec): void {
    for (let i = 0; i < count; i++) this.failures.push(spec);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const u = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    const authed = u.pathname.startsWith("/a/");
    const user = authed ? this.checkAuth(req) : undefined;
    this.requests.push({ method, path: u.pathname, query: u.searchParams, authenticated: authed });
    const at = this.failures.findIndex((f) => f.method === undefined || f.method === method);
    const fail = at === -1 ? undefined : this.failures.splice(at, 1)[0];
    if (fail?.afterDoing) {
      // The real handling runs against a response that goes nowhere; the client gets the failure.
      const sink = {
        writeHead: () => sink,
        end: () => sink,
        setHeader: () => sink,
      } as unknown as ServerResponse;
      this.route(sink, u, method, authed, user, body);
    }
    if (fail) {
      const headers: Record<string, string> = { "Content-Type": "text/plain" };
      if (fail.retryAfter !== undefined) headers["Retry-After"] = fail.retryAfter;
      res.writeHead(fail.status, headers).end(fail.body ?? `Error ${fail.status}`);
      return;
    }
    this.route(res, u, method, authed, user, body);
  }

  private route(
    res: ServerResponse,
    u: URL,
    method: string,
    authed: boolean,
    user: string | undefined,
    body: string,
  ): void {
    if (authed && user === undefined) return text(res, 401, "Unauthorized");
    const path = authed ? u.pathname.slice(2) : u.pathname;
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    try {
      if (method === "GET" && parts.length === 1 && parts[0] === "changes")
        return this.query(res, u.searchParams);
      if (parts[0] !== "changes" || parts[1] === undefined) return text(res, 404, "Not found");
      const change = this.find(parts[1]);
      if (!change) return text(res, 404, `Not found: ${parts[1]}`);
      if (method === "GET" && parts.length === 2)
        return json(res, this.shape(change, u.searchParams.getAll("o")));
      const rev =
        parts[2] === "revisions" && parts[3] !== undefined ? this.revision(change, parts[3]) : undefined;
      if (!rev) return text(res, 404, `Not found: ${parts.slice(2).join("/")}`);
      if (method === "GET" && parts[4] === "files") {
        return json(res, { "/COMMIT_MSG": { status: "A", lines_inserted: 10 }, ...rev[1].files });
      }
      if (method === "POST" && parts[4] === "review") return this.review(res, change, rev, user, body);
      return text(res, 405, "Method not allowed");
    } catch (err) {
      return text(res, 400, err instanceof Error ? err.message : String(err));
    }
  }

  private checkAuth(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization ?? "";
    if (!h.startsWith("Basic ")) return undefined;
    const [u, ...rest] = Buffer.from(h.slice(6), "base64").toString("utf8").split(":");
    return u === this.opts.user && rest.join(":") === this.opts.password ? u : undefined;
  }

  private find(id: string): ChangeInfo | undefined {
    const num = /(?:^|~)(\d+)$/.exec(id)?.[1];
    return this.changes.find(
      (c) => (num !== undefined && c._number === Number(num)) || c.id === id || c.change_id === id,
    );
  }

  private revision(c: ChangeInfo, rev: string): [string, RevisionInfo] | undefined {
    const revs = Object.entries(c.revisions ?? {});
    if (rev === "current") return revs.find(([sha]) => sha === c.current_revision);
    return revs.find(([sha, r]) => sha === rev || String(r._number) === rev);
  }

  /** Supports `after:`/`since:`, `project:`, `branch:`, `status:`, `change:`; anything else is a 400 like Gerrit's. */
  private query(res: ServerResponse, params: URLSearchParams): void {
    const q = params.get("q") ?? "";
    let list = [...this.changes];
    // One OR-group of projects, as the stream source sends for several projects: (project:a OR project:b)
    const group = /\(\s*(project:\S+(?:\s+OR\s+project:\S+)*)\s*\)/.exec(q);
    let rest = q;
    if (group?.[1]) {
      const projects = new Set(group[1].split(/\s+OR\s+/).map((t) => t.slice("project:".length)));
      list = list.filter((c) => projects.has(c.project));
      rest = rest.replace(group[0], "");
    }
    const re = /(\w+):(?:"([^"]*)"|(\S+))/g;
    for (const m of rest.matchAll(re)) {
      const [all, op, quoted, bare] = m;
      const v = quoted ?? bare ?? "";
      rest = rest.replace(all, "");
      if (op === "after" || op === "since") {
        const t = gerritTimeMs(v);
        if (Number.isNaN(t)) return text(res, 400, `Bad time: ${v}`);
        list = list.filter((c) => gerritTimeMs(c.updated ?? "") >= t);
      } else if (op === "project") list = list.filter((c) => c.project === v);
      else if (op === "branch") list = list.filter((c) => c.branch === v);
      else if (op === "status")
        list = list.filter((c) => c.status.toLowerCase() === (v === "open" ? "new" : v));
      else if (op === "change") list = list.filter((c) => String(c._number) === v || c.change_id === v);
      else return text(res, 400, `Unsupported operator: ${op}`);
    }
    if (rest.trim()) return text(res, 400, `Unsupported query text: ${rest.trim()}`);
    // Gerrit returns the most recently updated first.
    list.sort((a, b) => gerritTimeMs(b.updated ?? "") - gerritTimeMs(a.updated ?? ""));
    const start = Number(params.get("S") ?? 0);
    const n = Number(params.get("n") ?? 500);
    const page = list.slice(start, start + n).map((c) => this.shape(c, params.getAll("o")));
    const last = page[page.length - 1];
    if (last && start + n < list.length) last._more_changes = true;
    json(res, page);
  }

  /** Applies the `o=` options as Gerrit does: revisions, files, messages and account detail only when asked. */
  private shape(c: ChangeInfo, options: string[]): ChangeInfo {
    const o = new Set(options);
    const out = structuredClone(c);
    delete out._more_changes;
    if (!o.has("MESSAGES")) delete out.messages;
    shapeLabels(out, o);
    if (o.has("ALL_REVISIONS")) {
      // keep every revision
    } else if (o.has("CURRENT_REVISION") && c.current_revision) {
      const cur = c.revisions?.[c.current_revision];
      out.revisions = cur ? { [c.current_revision]: structuredClone(cur) } : {};
    } else {
      delete out.revisions;
      delete out.current_revision;
    }
    for (const [sha, r] of Object.entries(out.revisions ?? {})) {
      const filesWanted = o.has("ALL_FILES") || (o.has("CURRENT_FILES") && sha === c.current_revision);
      if (filesWanted) r.files = { "/COMMIT_MSG": { status: "A", lines_inserted: 10 }, ...r.files };
      else delete r.files;
    }
    if (!o.has("DETAILED_ACCOUNTS")) stripAccounts(out);
    return out;
  }

  private review(
    res: ServerResponse,
    change: ChangeInfo,
    rev: [string, RevisionInfo],
    user: string | undefined,
    body: string,
  ): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return text(res, 400, "Invalid JSON body");
    }
    if (typeof parsed !== "object" || parsed === null) return text(res, 400, "Invalid review input");
    const input = parsed as Record<string, unknown>;
    this.reviews.push({ changeId: String(change._number), revision: rev[0], user, body: input });
    if (typeof input.message === "string") {
      const msg: ChangeMessageInfo = {
        id: `m${this.reviews.length}`,
        author: { username: user ?? "anonymous" },
        date: new Date().toISOString().replace("T", " ").replace("Z", "000000"),
        message: `Patch Set ${rev[1]._number}:\n\n${input.message}`,
        _revision_number: rev[1]._number,
      };
      if (typeof input.tag === "string") msg.tag = input.tag;
      (change.messages ??= []).push(msg);
      change.updated = msg.date;
    }
    json(res, { labels: input.labels ?? {} });
  }
}

/** One label as DETAILED_LABELS returns it: `all` holds one entry per voter (value 0 or absent: no vote). */
export interface FakeLabel {
  all?: { _account_id: number; value?: number; username?: string; name?: string; email?: string }[];
  [k: string]: unknown;
}

/**
 * `labels` only with LABELS or DETAILED_LABELS; LABELS gives Gerrit's summary (`approved`/`rejected`…
 * and the single `value`) without the per-voter `all`. Seeded labels are those of the current patch set.
 */
function shapeLabels(c: ChangeInfo, o: Set<string>): void {
  const labels = (c as { labels?: Record<string, FakeLabel> }).labels;
  if (!labels) return;
  if (!o.has("LABELS") && !o.has("DETAILED_LABELS")) {
    delete (c as { labels?: unknown }).labels;
    return;
  }
  for (const [name, label] of Object.entries(labels)) {
    if (o.has("DETAILED_LABELS")) continue;
    const votes = (label.all ?? []).filter((a) => a.value);
    const min = votes.reduce((m, a) => Math.min(m, a.value ?? 0), 0);
    const max = votes.reduce((m, a) => Math.max(m, a.value ?? 0), 0);
    const summary: FakeLabel = {};
    const by = (v: number) => {
      const a = votes.find((x) => x.value === v);
      return a ? { _account_id: a._account_id } : undefined;
    };
    if (min <= -2) summary.rejected = by(min);
    else if (min < 0) summary.disliked = by(min);
    if (max >= 2) summary.approved = by(max);
    else if (max > 0) summary.recommended = by(max);
    if (min < 0 || max > 0) summary.value = min < 0 ? min : max;
    labels[name] = summary;
  }
}

/** `labels` for seeding a change: the Verified votes on its current patch set, as DETAILED_LABELS shows them. */
export function verifiedLabels(votes: { username: string; value: number; id?: number }[]): {
  labels: Record<string, FakeLabel>;
} {
  return {
    labels: {
      Verified: {
        all: votes.map((v, i) => ({
          _account_id: v.id ?? 2000 + i,
          username: v.username,
          name: v.username,
          value: v.value,
        })),
      },
    },
  };
}

function stripAccounts(c: ChangeInfo): void {
  const only = (a: { _account_id?: number } | undefined) =>
    a ? { _account_id: a._account_id ?? 0 } : undefined;
  if (c.owner) c.owner = only(c.owner);
  if (c.submitter) c.submitter = only(c.submitter);
  for (const m of c.messages ?? []) {
    if (m.author) m.author = only(m.author);
  }
  for (const r of Object.values(c.revisions ?? {})) if (r.uploader) r.uploader = only(r.uploader);
  for (const label of Object.values((c as { labels?: Record<string, FakeLabel> }).labels ?? {})) {
    if (label.all)
      label.all = label.all.map((a) => ({
        _account_id: a._account_id,
        ...(a.value !== undefined ? { value: a.value } : {}),
      }));
  }
}

function json(res: ServerResponse, data: unknown): void {
  res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" }).end(XSSI + JSON.stringify(data));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" }).end(body);
}

export const ALICE = {
  _account_id: 1000,
  name: "Alice Example",
  email: "alice@example.com",
  username: "alice",
};

/** A ChangeInfo as Gerrit returns it with every option, for seeding the fake and for pure tests. */
export function makeChange(n: number, over: Partial<ChangeInfo> = {}): ChangeInfo {
  const sha = n.toString(16).padStart(40, "a");
  return {
    id: `openstack%2Fsunbeam-charms~main~I${sha}`,
    project: "openstack/sunbeam-charms",
    branch: "main",
    change_id: `I${sha}`,
    subject: `Change ${n}`,
    status: "NEW",
    _number: n,
    owner: ALICE,
    created: "2025-01-01 10:00:00.000000000",
    updated: "2025-01-01 10:00:00.000000000",
    current_revision: sha,
    revisions: {
      [sha]: {
        _number: 1,
        created: "2025-01-01 10:00:00.000000000",
        uploader: ALICE,
        ref: `refs/changes/${String(n % 100).padStart(2, "0")}/${n}/1`,
        kind: "REWORK",
        files: { "charms/keystone-k8s/src/charm.py": { lines_inserted: 3, lines_deleted: 1 } },
      },
    },
    messages: [],
    ...over,
  };
}
