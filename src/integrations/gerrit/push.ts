// Pushes one commit for review (`refs/for/<branch>%topic=…`) from a local clone, over HTTPS with the HTTP
// password (an Authorization header passed in git's environment config: never in the URL, argv or logs)
// or SSH with a key.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PermanentError, RetryLaterError, UserError } from "../../core/errors.js";
import { checkRev } from "../monorepo/git.js";

export interface PushAuth {
  /** HTTPS: Gerrit user and HTTP password (Settings → HTTP Credentials). */
  user?: string;
  password?: string;
  /** SSH: the private key file and, for host key checking, a known_hosts file. */
  sshKeyFile?: string;
  knownHostsFile?: string;
}

export interface CommitSpec {
  /** The clone (working tree or bare) whose objects the commit is built in; its checkout is never touched. */
  repoDir: string;
  /** The parent commit. */
  parent: string;
  /** Repo path → new full text. */
  files: ReadonlyMap<string, string>;
  message: string;
  author: { name: string; email: string };
  /** Commit and author date (seconds since the epoch): the same inputs give the same sha. */
  date: number;
}

export interface PushResult {
  /** The change URL Gerrit printed on a `remote:` line, when it printed one. */
  url?: string;
  /** Gerrit's answer, `remote:` lines included (for the logs; it holds no secret). */
  output: string;
}

const MAX_BUFFER = 64 * 1024 * 1024;

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  for (const k of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE"]) {
    delete env[k];
  }
  return env;
}

function git(
  args: string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      { cwd: o.cwd, env: o.env ?? baseEnv(), maxBuffer: MAX_BUFFER, encoding: "utf8", timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) {
          const e = new Error(stderr.trim() || err.message) as Error & { stderr?: string };
          // --porcelain prints the per-ref verdict on stdout: keep both for the reason.
          e.stderr = `${stdout}\n${stderr}`;
          reject(e);
        } else resolve({ stdout, stderr });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/**
 * Builds the commit with plumbing only (hash-object, a private index, write-tree, commit-tree): the clone's
 * branches, HEAD and working tree stay as they are. Returns the commit sha.
 */
export async function buildCommit(spec: CommitSpec): Promise<string> {
  checkRev(spec.parent);
  const tmp = mkdtempSync(join(tmpdir(), "sunbeam-bot-index-"));
  const env = { ...baseEnv(), GIT_INDEX_FILE: join(tmp, "index") };
  try {
    await git(["read-tree", spec.parent], { cwd: spec.repoDir, env });
    for (const [path, text] of [...spec.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (path.startsWith("-") || path.includes("\0"))
        throw new UserError(`bad path ${JSON.stringify(path)}`);
      const blob = (
        await git(["hash-object", "-w", "--stdin"], { cwd: spec.repoDir, input: text })
      ).stdout.trim();
      // Keep the file's mode (an executable stays executable); new files are plain.
      const ls = (await git(["ls-files", "-s", "--", path], { cwd: spec.repoDir, env })).stdout;
      const mode = /^(\d{6}) /.exec(ls)?.[1] ?? "100644";
      await git(["update-index", "--add", "--cacheinfo", `${mode},${blob},${path}`], {
        cwd: spec.repoDir,
        env,
      });
    }
    const tree = (await git(["write-tree"], { cwd: spec.repoDir, env })).stdout.trim();
    const when = `${spec.date} +0000`;
    const commitEnv = {
      ...baseEnv(),
      GIT_AUTHOR_NAME: spec.author.name,
      GIT_AUTHOR_EMAIL: spec.author.email,
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_NAME: spec.author.name,
      GIT_COMMITTER_EMAIL: spec.author.email,
      GIT_COMMITTER_DATE: when,
    };
    const out = await git(["commit-tree", tree, "-p", spec.parent, "-F", "-"], {
      cwd: spec.repoDir,
      env: commitEnv,
      input: spec.message,
    });
    return out.stdout.trim();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `refs/for/<branch>%topic=<topic>`: Gerrit's magic ref for a review push with push options in the ref. */
export function reviewRef(branch: string, topic?: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.startsWith("-")) {
    throw new UserError(`bad branch ${JSON.stringify(branch)}`);
  }
  if (topic !== undefined && !/^[A-Za-z0-9._-]+$/.test(topic)) {
    throw new UserError(`bad topic ${JSON.stringify(topic)} (letters, digits, . _ - only)`);
  }
  return `refs/for/${branch}${topic ? `%topic=${topic}` : ""}`;
}

/** The change URL in Gerrit's push answer (`remote:   https://review…/c/project/+/123 subject`). */
export function changeUrlFromPush(output: string): string | undefined {
  return /remote:\s+(https?:\/\/\S+\/\+\/\d+)/.exec(output)?.[1];
}

/**
 * Why a push was refused: Gerrit puts it in the ref's verdict (`[remote rejected] (no new changes)`); a hook
 * says "hook declined" there and the reason on its `remote:` lines.
 */
export function rejection(text: string): string {
  const verdict = /\[remote rejected\][^\n]*?\(([^)]*)\)/.exec(text)?.[1];
  if (verdict && !/hook declined/.test(verdict)) return verdict;
  const remote = text
    .split("\n")
    .map((l) => /^remote:\s*(.*)$/.exec(l)?.[1]?.trim() ?? "")
    .find((l) => l !== "");
  return remote ?? verdict ?? text.trim().split("\n").at(-1) ?? "";
}

/** Reasons Gerrit refuses a review push that retrying will not fix. */
const REFUSED = /no new changes|closed|missing Change-Id|prohibited|not permitted|invalid Change-Id/i;

/**
 * `git push <remote> <sha>:refs/for/<branch>%topic=<topic>`. HTTPS credentials go in an `http.extraHeader`
 * set through `GIT_CONFIG_COUNT` (git ≥ 2.31); SSH uses `GIT_SSH_COMMAND` with the key and strict host
 * keys. A refusal is a PermanentError carrying Gerrit's reason; a network failure a RetryLaterError.
 */
export async function pushForReview(o: {
  repoDir: string;
  remote: string;
  sha: string;
  branch: string;
  topic?: string;
  auth: PushAuth;
}): Promise<PushResult> {
  checkRev(o.sha);
  if (o.remote.startsWith("-")) throw new UserError(`bad remote ${JSON.stringify(o.remote)}`);
  const env = baseEnv();
  if (/^https?:\/\//.test(o.remote)) {
    if (/\/\/[^/]*@/.test(o.remote)) throw new UserError("the push URL must not carry credentials");
    if (o.auth.user && o.auth.password) {
      // Preemptive Basic auth (Gerrit answers it on /a/ and git paths) through git's environment-only
      // config: no credential helper, no shell, nothing in argv or the URL.
      const basic = Buffer.from(`${o.auth.user}:${o.auth.password}`).toString("base64");
      const n = Number(env.GIT_CONFIG_COUNT ?? 0);
      env.GIT_CONFIG_COUNT = String(n + 2);
      env[`GIT_CONFIG_KEY_${n}`] = "http.extraHeader";
      env[`GIT_CONFIG_VALUE_${n}`] = `Authorization: Basic ${basic}`;
      // The header goes with every request: never follow a redirect that could carry it elsewhere.
      env[`GIT_CONFIG_KEY_${n + 1}`] = "http.followRedirects";
      env[`GIT_CONFIG_VALUE_${n + 1}`] = "false";
    }
  } else if (o.auth.sshKeyFile) {
    const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    env.GIT_SSH_COMMAND = [
      "ssh",
      "-i",
      q(o.auth.sshKeyFile),
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      ...(o.auth.knownHostsFile ? ["-o", q(`UserKnownHostsFile=${o.auth.knownHostsFile}`)] : []),
    ].join(" ");
  }
  const ref = reviewRef(o.branch, o.topic);
  try {
    const r = await git(["push", "--porcelain", o.remote, `${o.sha}:${ref}`], {
      cwd: o.repoDir,
      env,
    });
    const output = `${r.stdout}${r.stderr}`;
    const url = changeUrlFromPush(output);
    return { ...(url ? { url } : {}), output };
  } catch (err) {
    const text = (err as { stderr?: string }).stderr ?? (err as Error).message;
    const reason = rejection(text);
    if (REFUSED.test(text)) throw new PermanentError(`Gerrit refused the push: ${reason}`);
    if (/Authentication failed|could not read (?:Username|Password)|\b40[13]\b/.test(text))
      throw new PermanentError(`push not authorised: ${reason}`);
    throw new RetryLaterError(`push to ${o.remote.replace(/\/\/[^/]*@/, "//")} failed: ${reason}`, 60_000);
  }
}
