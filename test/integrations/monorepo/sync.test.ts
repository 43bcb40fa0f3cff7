// MonorepoSync against a local "remote": clone when missing, fetch moving the refs the model reads, one git
// run for concurrent callers, and the Redis lock shared with other replicas.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseChangeModel } from "../../../src/features/affected/cli.js";
import { buildModel } from "../../../src/integrations/monorepo/monorepo.js";
import { MonorepoSync } from "../../../src/integrations/monorepo/sync.js";
import { PermanentError, RetryLaterError } from "../../../src/core/errors.js";
import { connectRedis } from "../../../src/core/redis.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../../helpers/synthetic-monorepo.js";

const git = (cwd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile("git", args, { cwd }, (err, out, stderr) => (err ? reject(new Error(stderr)) : resolve(out))),
  );

let repo: SyntheticRepo;
let work: string;
const redis = connectRedis(redisUrl());
const prefix = randomPrefix();

beforeAll(async () => {
  repo = await createSyntheticMonorepo();
  work = mkdtempSync(join(tmpdir(), "sync-test-"));
});
afterAll(async () => {
  repo?.cleanup();
  rmSync(work, { recursive: true, force: true });
  await dropPrefix(prefix);
  await redis.quit();
});

describe("a bare clone made by the bot", () => {
  const path = () => join(work, "bare", "sunbeam-charms.git");
  let sync: MonorepoSync;

  it("is cloned when missing, with the branch where the model looks", async () => {
    sync = new MonorepoSync({ path: path(), remote: repo.dir, redis, prefix });
    expect(await sync.ensureClone()).toBe(true);
    expect(await sync.ensureClone()).toBe(false);
    expect(sync.runs.clone).toBe(1);
    expect(await git(path(), ["rev-parse", "--is-bare-repository"])).toBe("true\n");
    expect(await chooseChangeModel(path(), "", "main")).toEqual({
      rev: repo.sha,
      ref: "main",
      source: "branch",
    });
  });

  it("fetch picks up a new commit, and concurrent callers share one git fetch", async () => {
    const sha = await repo.commit({
      "charms/ironic-k8s/.sunbeam-build.yaml": "{}\n",
      "charms/ironic-k8s/charmcraft.yaml": "name: ironic-k8s\n",
    });
    const before = sync.runs.fetch;
    const [a, b] = await Promise.all([sync.fetch(), sync.fetch()]);
    expect(sync.runs.fetch - before).toBe(1);
    expect(a).toBe(b);
    expect(a).toEqual({ heads: { main: sha }, cloned: false });
    const choice = await chooseChangeModel(path(), "", "main");
    expect(choice?.rev).toBe(sha);
    const model = await buildModel({ dir: path(), rev: choice?.rev ?? "" });
    expect(model.charms.map((c) => c.name)).toContain("ironic-k8s");
    // Once finished, the next call fetches again.
    await sync.fetch();
    expect(sync.runs.fetch - before).toBe(2);
  });

  it("waits for another replica's lock, gives up with RetryLaterError, and releases its own", async () => {
    const other = new MonorepoSync({ path: path(), remote: repo.dir, redis, prefix, waitMs: 150 });
    await redis.set(other.lockKey, "someone-else", "PX", 60_000);
    const runs = other.runs.fetch;
    await expect(other.fetch()).rejects.toBeInstanceOf(RetryLaterError);
    expect(other.runs.fetch).toBe(runs);
    expect(await redis.get(other.lockKey)).toBe("someone-else"); // never released by a non-holder
    await redis.del(other.lockKey);
    await other.fetch();
    expect(other.runs.fetch).toBe(runs + 1);
    expect(await redis.exists(other.lockKey)).toBe(0);
  });

  it("fetch clones when the path is missing", async () => {
    const fresh = new MonorepoSync({ path: join(work, "fresh.git"), remote: repo.dir });
    const r = await fresh.fetch();
    expect(r.cloned).toBe(true);
    expect(r.heads.main).toBe(await git(repo.dir, ["rev-parse", "HEAD"]).then((s) => s.trim()));
  });
});

describe("an operator's working-tree clone", () => {
  it("fetch moves refs/remotes/origin/<branch>, never the checked-out branch", async () => {
    const dir = join(work, "tree");
    await git(work, ["clone", "-q", repo.dir, dir]);
    const head = (await git(dir, ["rev-parse", "HEAD"])).trim();
    const sha = await repo.commit({ "charms/nova-k8s/src/charm.py": "# changed\n" });
    const sync = new MonorepoSync({ path: dir, remote: repo.dir });
    expect(await sync.ensureClone()).toBe(false);
    expect((await sync.fetch()).heads).toEqual({ main: sha });
    expect((await git(dir, ["rev-parse", "HEAD"])).trim()).toBe(head);
    expect(await chooseChangeModel(dir, "", "main")).toEqual({
      rev: sha,
      ref: "origin/main",
      source: "branch",
    });
  });
});

describe("refusals", () => {
  it("never clones into a non-empty directory that is no repository", async () => {
    const dir = join(work, "junk");
    mkdirSync(dir);
    writeFileSync(join(dir, "file"), "x");
    await expect(new MonorepoSync({ path: dir, remote: repo.dir }).fetch()).rejects.toBeInstanceOf(
      PermanentError,
    );
  });

  it("does not mistake a directory inside another repository for a clone", async () => {
    const dir = join(repo.dir, "nested-clone");
    mkdirSync(dir);
    const sync = new MonorepoSync({ path: dir, remote: repo.dir });
    expect(await sync.ensureClone()).toBe(true);
    expect(await git(dir, ["rev-parse", "--is-bare-repository"])).toBe("true\n");
    rmSync(dir, { recursive: true, force: true });
  });

  it("rejects a remote git would read as an option", () => {
    expect(() => new MonorepoSync({ path: join(work, "x"), remote: "--upload-pack=evil" })).toThrow(
      /bad monorepo remote/,
    );
  });
});
