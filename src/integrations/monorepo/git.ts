// Reads a repository at a revision through git alone (no checkout), on a working tree or a bare git dir.
import { execFile, spawn } from "node:child_process";
import { UserError } from "../../core/errors.js";

const MAX_BUFFER = 512 * 1024 * 1024;

/** Longest any git read may take: a hung git (NFS, a lock, a huge object) must not hold a job forever. */
let gitTimeoutMs = 120_000;

/** Sets the git read timeout (config or tests); returns the previous one. */
export function setGitTimeout(ms: number): number {
  const prev = gitTimeoutMs;
  gitTimeoutMs = ms;
  return prev;
}

export interface GitChange {
  /** A, M, D, R, C, T … (rename/copy scores stripped). */
  status: string;
  path: string;
  /** Source path of a rename or copy. */
  oldPath?: string;
}

/** Rejects revisions git could take for an option, and control characters. */
export function checkRev(rev: string): string {
  // eslint-disable-next-line no-control-regex
  if (rev.length === 0 || rev.startsWith("-") || /[\s\x00-\x1f]/.test(rev)) {
    throw new UserError(`invalid git revision: ${JSON.stringify(rev)}`);
  }
  return rev;
}

/** The caller's environment without the variables that would point git at another repository. */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  for (const k of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE"]) {
    delete env[k];
  }
  return env;
}

function run(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd,
        env: gitEnv(),
        maxBuffer: MAX_BUFFER,
        encoding: "utf8",
        timeout: gitTimeoutMs,
        killSignal: "SIGKILL",
      },
      (err, stdout, stderr) => {
        if (err && (err as { killed?: boolean }).killed)
          reject(new Error(`git ${args[2] ?? args[0]} timed out after ${gitTimeoutMs} ms`));
        else if (err) reject(new Error(`git ${args[2] ?? args[0]} failed: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

const gitDirs = new Map<string, Promise<string>>();

/** The absolute git dir behind `dir` (a working tree, a subdirectory of one, or a bare repo). */
export function resolveGitDir(dir: string): Promise<string> {
  let hit = gitDirs.get(dir);
  if (!hit) {
    hit = run(["rev-parse", "--absolute-git-dir"], dir).then(
      (out) => out.trim(),
      (err: unknown) => {
        gitDirs.delete(dir);
        throw new UserError(`not a git repository: ${dir} (${err instanceof Error ? err.message : ""})`);
      },
    );
    gitDirs.set(dir, hit);
  }
  return hit;
}

async function git(dir: string, args: string[]): Promise<string> {
  return run(["--git-dir", await resolveGitDir(dir), ...args]);
}

/** The commit sha a revision names; a UserError when it names none. */
export async function revParse(dir: string, rev: string): Promise<string> {
  checkRev(rev);
  await resolveGitDir(dir); // "not a git repository" is a different mistake from an unknown revision
  try {
    const out = await git(dir, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]);
    return out.trim();
  } catch {
    throw new UserError(`unknown revision ${rev} in ${dir}`);
  }
}

/** A commit's parents (first parent first) and full message. */
export async function commitInfo(dir: string, sha: string): Promise<{ parents: string[]; message: string }> {
  const out = await git(dir, ["cat-file", "commit", checkRev(sha)]);
  const split = out.indexOf("\n\n");
  const header = split < 0 ? out : out.slice(0, split);
  const parents = [...header.matchAll(/^parent ([0-9a-f]{40})$/gm)].map((m) => m[1] as string);
  return { parents, message: split < 0 ? "" : out.slice(split + 2) };
}

/** First-parent history of `rev` (newest first) committed at or after `since` (epoch seconds). */
export async function firstParentLog(
  dir: string,
  rev: string,
  since: number,
): Promise<{ sha: string; time: number; parents: string[]; message: string }[]> {
  const out = await git(dir, [
    "log",
    "--first-parent",
    `--since=@${Math.floor(since)}`,
    "--format=%H %ct %P%n%B%x00",
    "--end-of-options",
    checkRev(rev),
  ]);
  return out
    .split("\0")
    .map((chunk) => chunk.replace(/^\n/, ""))
    .filter((chunk) => /^[0-9a-f]{40} /.test(chunk))
    .map((chunk) => {
      const nl = chunk.indexOf("\n");
      const [sha, time, ...parents] = (nl < 0 ? chunk : chunk.slice(0, nl)).trim().split(" ");
      return {
        sha: sha as string,
        time: Number(time),
        parents: parents.filter(Boolean),
        message: nl < 0 ? "" : chunk.slice(nl + 1),
      };
    });
}

/** Every file path in the tree of a commit. */
export async function listFiles(dir: string, rev: string): Promise<string[]> {
  const out = await git(dir, ["ls-tree", "-r", "--name-only", "-z", "--end-of-options", checkRev(rev)]);
  return out.split("\0").filter((p) => p.length > 0);
}

/** One file's content at a revision; undefined when the path does not exist there. */
export async function showFile(dir: string, rev: string, path: string): Promise<string | undefined> {
  try {
    return await git(dir, ["show", "--end-of-options", `${checkRev(rev)}:${path}`]);
  } catch {
    return undefined;
  }
}

/** Every blob in the tree of a commit: path → object id (one `ls-tree`, so reads need no path lookups). */
export async function listTree(dir: string, rev: string): Promise<Map<string, string>> {
  const out = await git(dir, ["ls-tree", "-r", "-z", "--end-of-options", checkRev(rev)]);
  const tree = new Map<string, string>();
  for (const entry of out.split("\0")) {
    // "<mode> SP <type> SP <oid> TAB <path>"
    const tab = entry.indexOf("\t");
    const [, type, oid] = entry.slice(0, tab).split(" ");
    if (tab > 0 && type === "blob" && oid) tree.set(entry.slice(tab + 1), oid);
  }
  return tree;
}

/**
 * Many objects in one `git cat-file --batch` process: spawning `git show` per file costs milliseconds
 * each, which is seconds on a large monorepo. `specs` are object ids or `<rev>:<path>`; missing ones
 * are left out of the result.
 */
async function catFiles(dir: string, specs: string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const wanted = specs.filter((p) => !p.includes("\n"));
  if (wanted.length === 0) return result;
  const gitDir = await resolveGitDir(dir);
  const child = spawn("git", ["--git-dir", gitDir, "cat-file", "--batch", "--buffer"], { env: gitEnv() });
  const chunks: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => chunks.push(c));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`git cat-file timed out after ${gitTimeoutMs} ms`));
    }, gitTimeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`git cat-file failed: ${err.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`git cat-file failed: ${stderr.trim() || `exit ${code}`}`));
    });
  });
  // Every pipe has a handler: a git that exits early makes our write fail with EPIPE, which without
  // one is an uncaught error that ends the process. The exit code above says what went wrong.
  child.stdin.on("error", () => undefined);
  child.stdout.on("error", () => undefined);
  child.stderr.on("error", () => undefined);
  child.stdin.end(wanted.map((p) => `${p}\n`).join(""));
  await done;
  const out = Buffer.concat(chunks);
  let pos = 0;
  for (const spec of wanted) {
    const nl = out.indexOf(10, pos);
    if (nl < 0) break;
    const m = /^\S+ (\S+) (\d+)$/.exec(out.toString("utf8", pos, nl));
    pos = nl + 1;
    if (!m) continue; // "<spec> missing" or "ambiguous"
    const size = Number(m[2]);
    if (m[1] === "blob") result.set(spec, out.toString("utf8", pos, pos + size));
    pos += size + 1;
  }
  return result;
}

/** Blob contents by object id (from `listTree`). */
export function readBlobs(dir: string, oids: string[]): Promise<Map<string, string>> {
  return catFiles(dir, oids);
}

/** Many files at a revision; missing paths are left out of the result. */
export async function readFiles(dir: string, rev: string, paths: string[]): Promise<Map<string, string>> {
  checkRev(rev);
  const byPath = await catFiles(
    dir,
    paths.map((p) => `${rev}:${p}`),
  );
  return new Map([...byPath].map(([spec, text]) => [spec.slice(rev.length + 1), text]));
}

/** Parses `git diff --name-status -z` output. */
export function parseNameStatus(out: string): GitChange[] {
  const parts = out.split("\0");
  const changes: GitChange[] = [];
  for (let i = 0; i < parts.length;) {
    const code = parts[i++];
    if (!code) continue;
    const status = code.charAt(0);
    if (status === "R" || status === "C") {
      const oldPath = parts[i++] ?? "";
      changes.push({ status, path: parts[i++] ?? "", oldPath });
    } else changes.push({ status, path: parts[i++] ?? "" });
  }
  return changes;
}

/** Files changed between two revisions, renames detected (`-M`). */
export async function diffNameStatus(dir: string, a: string, b: string): Promise<GitChange[]> {
  const out = await git(dir, ["diff", "--name-status", "-z", "-M", checkRev(a), checkRev(b), "--"]);
  return parseNameStatus(out);
}

/** Both sides of every rename/copy: what the affected rules take as "changed files". */
export function changedPaths(changes: GitChange[]): string[] {
  const paths = new Set<string>();
  for (const c of changes) {
    paths.add(c.path);
    if (c.oldPath) paths.add(c.oldPath);
  }
  return [...paths].sort();
}
