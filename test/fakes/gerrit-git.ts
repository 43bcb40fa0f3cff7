// A Gerrit-like git endpoint on 127.0.0.1: the real `git http-backend` over a bare repository, with hooks that
// emulate `refs/for/<branch>%topic=…` pushes and Change-Id patch sets, plus the REST query the bot reads.
//
// Emulated (as Gerrit documents it, "Uploading Changes" and "Change-Id Lines"):
// - `git push <url> <sha>:refs/for/<branch>[%topic=<t>]` creates a change (number, patch set 1,
//   `refs/changes/NN/N/1`); a push whose Change-Id footer names an open change on that branch adds a patch
//   set; the same commit again is refused with "no new changes"; a push to an abandoned or merged change is
//   refused with "change N closed"; a commit without a Change-Id footer is refused ("missing Change-Id");
//   a push straight to `refs/heads/*` is refused (review is mandatory, as on OpenDev).
// - The success output lists the change URL on a `remote:` line, as Gerrit prints it.
// - Basic auth (the HTTP password) for every receive-pack request and for `/a/` REST.
// - `GET /a/changes/?q=` with `project:`, `branch:`, `topic:`, `status:`, `change:`; `abandon(n)` is what
//   a human pressing Abandon does.
// Not emulated: SSH, submit/merge, rebases and parents (each change is pushed on its own base), reviewers,
// labels, `%wip`/`%private`, push certificates, Change-Id uniqueness across branches, refs/meta.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeChange {
  _number: number;
  change_id: string;
  project: string;
  branch: string;
  topic?: string;
  subject: string;
  status: "NEW" | "ABANDONED" | "MERGED";
  /** Commit sha of each patch set, in order. */
  patchSets: string[];
  created: string;
  updated: string;
}

// Runs inside the hooks with the machine's node: plain CommonJS, no dependencies.
const HOOK = String.raw`#!/usr/bin/env node
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const db = process.env.FAKE_GERRIT_DB;
const project = process.env.FAKE_GERRIT_PROJECT;
const base = process.env.FAKE_GERRIT_URL;
const mode = process.argv[2];
const lines = fs.readFileSync(0, "utf8").split("\n").filter(Boolean);
const state = JSON.parse(fs.readFileSync(db, "utf8"));
const git = (...a) => execFileSync("git", a, { encoding: "utf8" });
const now = () => new Date().toISOString().replace("T", " ").replace("Z", "000000");
let failed = false;
for (const line of lines) {
  const [, sha, ref] = line.split(" ");
  const m = /^refs\/for\/([^%]+)(?:%(.*))?$/.exec(ref);
  if (!m) {
    if (mode === "pre") { console.error("prohibited by Gerrit: direct push to " + ref); failed = true; }
    continue;
  }
  const branch = m[1];
  const opts = Object.fromEntries((m[2] || "").split(",").filter(Boolean).map((o) => o.split("=")));
  const msg = git("log", "-1", "--format=%B", sha);
  const subject = msg.split("\n")[0];
  const ids = [...msg.matchAll(/^Change-Id: (I[0-9a-f]{40})\s*$/gm)].map((x) => x[1]);
  const changeId = ids[ids.length - 1];
  const existing = state.changes.find((c) => c.change_id === changeId && c.branch === branch);
  if (mode === "pre") {
    if (!changeId) { console.error("[" + sha.slice(0, 7) + "] missing Change-Id in message footer"); failed = true; }
    else if (existing && existing.status !== "NEW") { console.error("change " + base + "/c/" + project + "/+/" + existing._number + " closed"); failed = true; }
    else if (existing && existing.patchSets.includes(sha)) { console.error("no new changes"); failed = true; }
    continue;
  }
  let c = existing;
  if (!c) {
    c = { _number: state.next++, change_id: changeId, project, branch, subject, status: "NEW", patchSets: [], created: now(), updated: now() };
    state.changes.push(c);
  }
  c.patchSets.push(sha);
  c.subject = subject;
  c.updated = now();
  if (opts.topic) c.topic = opts.topic;
  const n = String(c._number);
  git("update-ref", "refs/changes/" + n.slice(-2).padStart(2, "0") + "/" + n + "/" + c.patchSets.length, sha);
  git("update-ref", "-d", ref);
  console.error("");
  console.error((c.patchSets.length === 1 ? "SUCCESS" : "SUCCESS (updated)"));
  console.error("");
  console.error("  " + base + "/c/" + project + "/+/" + n + " " + subject + (c.patchSets.length === 1 ? " [NEW]" : ""));
  console.error("");
}
if (mode === "post") fs.writeFileSync(db, JSON.stringify(state));
process.exit(failed ? 1 : 0);
`;

export class FakeGerritGit {
  readonly dir: string;
  readonly repo: string;
  private readonly db: string;
  private readonly server: Server;
  private port = 0;
  /** Successful receive-pack POSTs (one per `git push` that sent objects). */
  pushes = 0;

  private constructor(
    readonly project: string,
    private readonly user: string,
    private readonly password: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "fake-gerrit-git-"));
    this.repo = join(this.dir, `${project}.git`);
    this.db = join(this.dir, "changes.json");
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => void this.handle(req, res, Buffer.concat(chunks)));
    });
  }

  /** A bare repository holding `seed`'s branches, served at `<url>/<project>`. */
  static async start(o: {
    project: string;
    seed: string;
    user: string;
    password: string;
  }): Promise<FakeGerritGit> {
    const f = new FakeGerritGit(o.project, o.user, o.password);
    execFileSync("git", ["clone", "--bare", "--quiet", o.seed, f.repo]);
    execFileSync("git", ["-C", f.repo, "config", "http.receivepack", "true"]);
    writeFileSync(f.db, JSON.stringify({ next: 1, changes: [] }));
    for (const [hook, mode] of [
      ["pre-receive", "pre"],
      ["post-receive", "post"],
    ] as const) {
      const path = join(f.repo, "hooks", hook);
      writeFileSync(path, HOOK.replace("process.argv[2]", JSON.stringify(mode)));
      chmodSync(path, 0o755);
    }
    await new Promise<void>((resolve) => f.server.listen(0, "127.0.0.1", () => resolve()));
    const addr = f.server.address();
    f.port = typeof addr === "object" && addr ? addr.port : 0;
    return f;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The git URL to push to (credentials come from the client's credential helper, never the URL). */
  get gitUrl(): string {
    return `${this.url}/a/${this.project}`;
  }

  changes(): FakeChange[] {
    return (JSON.parse(readFileSync(this.db, "utf8")) as { changes: FakeChange[] }).changes;
  }

  /** What a reviewer pressing Abandon does. */
  abandon(n: number): void {
    const state = JSON.parse(readFileSync(this.db, "utf8")) as { changes: FakeChange[] };
    for (const c of state.changes) if (c._number === n) c.status = "ABANDONED";
    writeFileSync(this.db, JSON.stringify(state));
  }

  /** The commit message of a change's latest patch set. */
  message(n: number): string {
    const c = this.changes().find((x) => x._number === n);
    const sha = c?.patchSets.at(-1);
    return sha
      ? execFileSync("git", ["-C", this.repo, "log", "-1", "--format=%B", sha], { encoding: "utf8" })
      : "";
  }

  /** `git show --stat`-free view: the files a patch set changes against its parent. */
  diff(n: number): string {
    const sha =
      this.changes()
        .find((x) => x._number === n)
        ?.patchSets.at(-1) ?? "";
    return execFileSync("git", ["-C", this.repo, "diff", "-U0", `${sha}^`, sha], { encoding: "utf8" });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private authed(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? "";
    if (!h.startsWith("Basic ")) return false;
    const [u, ...rest] = Buffer.from(h.slice(6), "base64").toString("utf8").split(":");
    return u === this.user && rest.join(":") === this.password;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const u = new URL(req.url ?? "/", "http://x");
    const path = u.pathname.replace(/^\/a\//, "/");
    const unauthorized = () =>
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="Gerrit Code Review"' }).end("Unauthorized");
    if (path === "/changes/" || path === "/changes") {
      if (u.pathname.startsWith("/a/") && !this.authed(req)) return void unauthorized();
      return this.query(res, u.searchParams.get("q") ?? "");
    }
    if (!path.startsWith(`/${this.project}/`) && !path.startsWith(`/${this.project}.git/`)) {
      return void res.writeHead(404).end("Not found");
    }
    const receive =
      u.searchParams.get("service") === "git-receive-pack" || path.endsWith("/git-receive-pack");
    if (receive && !this.authed(req)) return void unauthorized();
    const info = path.slice(1 + this.project.length).replace(/^\.git/, "");
    await this.cgi(req, res, body, `/${this.project}.git${info}`, u.search.slice(1), receive);
  }

  private cgi(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    pathInfo: string,
    query: string,
    receive: boolean,
  ): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: this.dir,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: pathInfo,
      REQUEST_METHOD: req.method ?? "GET",
      QUERY_STRING: query,
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      CONTENT_LENGTH: String(body.length),
      REMOTE_USER: this.user,
      REMOTE_ADDR: "127.0.0.1",
      FAKE_GERRIT_DB: this.db,
      FAKE_GERRIT_PROJECT: this.project,
      FAKE_GERRIT_URL: this.url,
    };
    if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = String(req.headers["content-encoding"]);
    if (req.headers["git-protocol"]) env.GIT_PROTOCOL = String(req.headers["git-protocol"]);
    return new Promise((resolve) => {
      const child = spawn("git", ["http-backend"], { env });
      const out: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", () => undefined);
      child.on("close", () => {
        const all = Buffer.concat(out);
        let sep = all.indexOf("\r\n\r\n");
        let skip = 4;
        if (sep < 0) {
          sep = all.indexOf("\n\n");
          skip = 2;
        }
        const head = all.subarray(0, Math.max(0, sep)).toString("utf8");
        const headers: Record<string, string> = {};
        let status = 200;
        for (const line of head.split(/\r?\n/)) {
          const i = line.indexOf(":");
          if (i < 0) continue;
          const k = line.slice(0, i).trim();
          const v = line.slice(i + 1).trim();
          if (k.toLowerCase() === "status") status = Number(v.split(" ")[0]);
          else headers[k] = v;
        }
        if (receive && req.method === "POST" && status === 200) this.pushes++;
        res.writeHead(status, headers).end(all.subarray(sep + skip));
        resolve();
      });
      child.stdin.end(body);
    });
  }

  /** Gerrit's `)]}'` prefix and ChangeInfo fields the bot reads; newest updated first, as Gerrit sorts. */
  private query(res: ServerResponse, q: string): void {
    let list = this.changes();
    for (const m of q.matchAll(/(\w+):(?:"([^"]*)"|(\S+))/g)) {
      const [, op, quoted, bare] = m;
      const v = quoted ?? bare ?? "";
      if (op === "project") list = list.filter((c) => c.project === v);
      else if (op === "branch") list = list.filter((c) => c.branch === v);
      else if (op === "topic") list = list.filter((c) => c.topic === v);
      else if (op === "change") list = list.filter((c) => c.change_id === v || String(c._number) === v);
      else if (op === "status")
        list = list.filter((c) => (v === "open" ? c.status === "NEW" : c.status.toLowerCase() === v));
      else return void res.writeHead(400).end(`Unsupported operator: ${op}`);
    }
    list.sort((a, b) => (a.updated < b.updated ? 1 : -1));
    const body = list.map((c) => ({
      id: `${encodeURIComponent(c.project)}~${c.branch}~${c.change_id}`,
      project: c.project,
      branch: c.branch,
      ...(c.topic ? { topic: c.topic } : {}),
      change_id: c.change_id,
      subject: c.subject,
      status: c.status,
      created: c.created,
      updated: c.updated,
      _number: c._number,
      owner: { _account_id: 1000 },
    }));
    res.writeHead(200, { "Content-Type": "application/json" }).end(`)]}'\n${JSON.stringify(body)}`);
  }
}
