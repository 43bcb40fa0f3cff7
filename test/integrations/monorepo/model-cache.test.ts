// The on-disk model cache: a second process (here: a cleared in-memory cache) reads the commit's model back.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildModel, clearModelCache } from "../../../src/integrations/monorepo/monorepo.js";
import { affected } from "../../../src/features/affected/affected.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../../helpers/synthetic-monorepo.js";

let repo: SyntheticRepo;
let dir: string;
const before = process.env.SUNBEAM_BOT_CACHE_DIR;
beforeAll(async () => {
  repo = await createSyntheticMonorepo();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "model-cache-"));
  process.env.SUNBEAM_BOT_CACHE_DIR = dir;
  clearModelCache();
});
afterAll(() => {
  if (before === undefined) delete process.env.SUNBEAM_BOT_CACHE_DIR;
  else process.env.SUNBEAM_BOT_CACHE_DIR = before;
  clearModelCache();
  repo.cleanup();
});

const files = () => readdirSync(join(dir, "models")).filter((f) => f.endsWith(".json"));

describe("model cache on disk", () => {
  it("writes the commit's model once and gives the same answers when read back", async () => {
    const built = await buildModel({ dir: repo.dir, rev: "HEAD" });
    expect(files()).toHaveLength(1);
    clearModelCache();
    const read = await buildModel({ dir: repo.dir, rev: "HEAD" });
    expect(read).toEqual(built);
    const paths = built.charms.slice(0, 3).map((c) => `${c.dir}/src/charm.py`);
    expect(affected(read, paths)).toEqual(affected(built, paths));
  });

  it("reads the file, not git, for a commit it has: an edit to the file shows", async () => {
    await buildModel({ dir: repo.dir, rev: "HEAD" });
    const file = join(dir, "models", files()[0] as string);
    const m = JSON.parse(readFileSync(file, "utf8")) as { problems: string[] };
    writeFileSync(file, JSON.stringify({ ...m, problems: ["from the disk cache"] }));
    clearModelCache();
    expect((await buildModel({ dir: repo.dir, rev: "HEAD" })).problems).toEqual(["from the disk cache"]);
  });

  it("rebuilds over a corrupt file or one of another commit", async () => {
    const built = await buildModel({ dir: repo.dir, rev: "HEAD" });
    const file = join(dir, "models", files()[0] as string);
    writeFileSync(file, "{ not json");
    clearModelCache();
    expect(await buildModel({ dir: repo.dir, rev: "HEAD" })).toEqual(built);
    writeFileSync(file, JSON.stringify({ ...built, sha: "0".repeat(40) }));
    clearModelCache();
    expect((await buildModel({ dir: repo.dir, rev: "HEAD" })).sha).toBe(built.sha);
  });

  it("keys by commit: a new commit gets its own model", async () => {
    await buildModel({ dir: repo.dir, rev: "HEAD" });
    const sha = await repo.commit({ "README.md": "changed\n" });
    expect((await buildModel({ dir: repo.dir, rev: "HEAD" })).sha).toBe(sha);
    expect(files()).toHaveLength(2);
  });
});
