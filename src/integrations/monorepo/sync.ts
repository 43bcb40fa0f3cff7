// Keeps the bot's monorepo clone current: clone when missing, `git fetch` single-flight in-process and
// serialised across replicas by a Redis lock.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Redis } from "ioredis";
import { PermanentError, RetryLaterError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { keyFor } from "../../core/redis.js";

export interface MonorepoSyncOptions {
  /** The clone: a bare git dir (what `ensureClone` makes) or an operator-provided working tree. */
  path: string;
  /** Where to fetch from: a URL or, in tests, a local path. */
  remote: string;
  /** With redis, replicas sharing the clone's volume never run git on it at the same time. */
  redis?: Redis;
  prefix?: string;
  /** Lock lifetime, and the longest a git command may run (it is killed then, so it never outlives the lock). */
  lockMs?: number;
  /** How long to wait for another replica's fetch before giving up with RetryLaterError. */
  waitMs?: number;
  log?: Logger;
}

export interface FetchResult {
  /** Branch → commit sha after the fetch. */
  heads: Record<string, string>;
  /** Whether this call cloned the repository. */
  cloned: boolean;
}

/** Compare-and-delete: only the holder's token releases the lock (an expired lock may be someone else's). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  for (const k of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE"]) {
    delete env[k];
  }
  return env;
}

export class MonorepoSync {
  private inflight: Promise<FetchResult> | undefined;
  /** git processes this instance started, by verb: lets tests and metrics see that callers share one fetch. */
  readonly runs = { clone: 0, fetch: 0 };
  private readonly lockMs: number;
  private readonly waitMs: number;

  constructor(private readonly o: MonorepoSyncOptions) {
    // A remote starting with "-" would be read by git as an option.
    if (o.remote.startsWith("-")) throw new PermanentError(`bad monorepo remote: ${o.remote}`);
    this.lockMs = o.lockMs ?? 5 * 60_000;
    this.waitMs = o.waitMs ?? this.lockMs;
  }

  private git(args: string[], cwd?: string): Promise<string> {
    // The ceiling stops git from walking up: a plain directory inside another repository is no clone.
    const env = { ...gitEnv(), GIT_CEILING_DIRECTORIES: dirname(resolve(this.o.path)) };
    return new Promise((done, reject) => {
      execFile(
        "git",
        args,
        { cwd, env, timeout: this.lockMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
        (err, stdout, stderr) =>
          err ? reject(new Error(`git ${args[0]} failed: ${stderr.trim() || err.message}`)) : done(stdout),
      );
    });
  }

  private async isRepo(): Promise<boolean> {
    if (!existsSync(this.o.path)) return false;
    try {
      // A bare dir, or a working tree's top level (with the ceiling, a subdirectory of one fails).
      const prefix = await this.git(["rev-parse", "--absolute-git-dir", "--show-prefix"], this.o.path);
      return (prefix.split("\n")[1] ?? "") === "";
    } catch {
      return false;
    }
  }

  private async bare(): Promise<boolean> {
    return (await this.git(["rev-parse", "--is-bare-repository"], this.o.path)).trim() === "true";
  }

  /**
   * A bare clone with branches only: `--mirror` would also copy Gerrit's refs/changes/* (hundreds of
   * thousands of refs on OpenDev). Branches land in refs/heads/<branch>, where chooseChangeModel looks.
   */
  private async clone(): Promise<void> {
    if (existsSync(this.o.path) && readdirSync(this.o.path).length > 0) {
      throw new PermanentError(
        `${this.o.path} exists and is not a git repository: refusing to clone into it`,
      );
    }
    mkdirSync(dirname(this.o.path), { recursive: true });
    this.runs.clone++;
    await this.git(["clone", "--bare", "--quiet", this.o.remote, this.o.path]);
    await this.git(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], this.o.path);
    this.o.log?.info({ path: this.o.path, remote: this.o.remote }, "monorepo cloned");
  }

  /** Clones the remote when the path holds no repository yet. */
  async ensureClone(): Promise<boolean> {
    if (await this.isRepo()) return false;
    return this.locked(async () => {
      if (await this.isRepo()) return false; // another replica cloned it while we waited
      await this.clone();
      return true;
    });
  }

  /**
   * Brings every branch up to date (cloning first when needed). Callers arriving while a fetch runs
   * share it: a burst of merges costs one `git fetch`.
   */
  fetch(): Promise<FetchResult> {
    this.inflight ??= this.doFetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async doFetch(): Promise<FetchResult> {
    return this.locked(async () => {
      let cloned = false;
      if (!(await this.isRepo())) {
        await this.clone();
        cloned = true;
      } else {
        // A bare clone keeps branches in refs/heads; a working tree in refs/remotes/origin (its checked-out
        // branch must not move under it). The configured remote is the truth, whatever `origin` says.
        const dest = (await this.bare()) ? "refs/heads" : "refs/remotes/origin";
        this.runs.fetch++;
        await this.git(
          ["fetch", "--prune", "--quiet", this.o.remote, `+refs/heads/*:${dest}/*`],
          this.o.path,
        );
      }
      const heads = await this.heads();
      this.o.log?.debug({ path: this.o.path, heads, cloned }, "monorepo fetched");
      return { heads, cloned };
    });
  }

  /** Branch heads where the model looks for them. */
  async heads(): Promise<Record<string, string>> {
    const ns = (await this.bare()) ? "refs/heads/" : "refs/remotes/origin/";
    const out = await this.git(["for-each-ref", "--format=%(refname) %(objectname)", ns], this.o.path);
    const heads: Record<string, string> = {};
    for (const line of out.split("\n")) {
      const [ref, sha] = line.split(" ");
      if (ref && sha && ref !== `${ns}HEAD`) heads[ref.slice(ns.length)] = sha;
    }
    return heads;
  }

  /** The Redis key of the clone's lock (one per clone path). */
  get lockKey(): string {
    const id = createHash("sha256").update(this.o.path).digest("hex").slice(0, 16);
    return keyFor(this.o.prefix ?? "sunbeam", "monorepo", "lock", id);
  }

  /**
   * Runs `fn` holding the clone's Redis lock (SET NX PX with a random token). Replicas with their own
   * volumes merely take turns, which costs little; replicas sharing one never race on git's ref locks.
   */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const redis = this.o.redis;
    if (!redis) return fn();
    const key = this.lockKey;
    const token = randomBytes(12).toString("hex");
    const deadline = Date.now() + this.waitMs;
    let delay = 50;
    while ((await redis.set(key, token, "PX", this.lockMs, "NX")) !== "OK") {
      if (Date.now() >= deadline) {
        throw new RetryLaterError("another replica is fetching the monorepo", Math.min(this.lockMs, 30_000));
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
    try {
      return await fn();
    } finally {
      await redis.eval(RELEASE, 1, key, token).catch((err: unknown) => {
        this.o.log?.warn({ err: String(err) }, "could not release the monorepo lock; it expires by itself");
      });
    }
  }
}
