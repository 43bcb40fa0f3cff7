// The affected-charms flow as users meet it: the built CLI on a bare clone (and --change through a config),
// and `sunbeam-bot run` answering !affected and !recheck-affected typed at the console, against the fake
// Gerrit REST and a clone the bot makes itself.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../../../src/core/redis.js";
import { Stats } from "../../../src/core/stats.js";
import { FakeGerritRest } from "../../fakes/gerrit-rest.js";
import { monorepoChange } from "../../helpers/monorepo-changes.js";
import { runCli, startCli, until } from "../../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../../helpers/synthetic-monorepo.js";

const IDENTITY_LIB = "charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py";

let repo: SyntheticRepo;
let bare: string;
let fake: FakeGerritRest;
const prefix = randomPrefix();
let dir: string;

beforeAll(async () => {
  repo = await createSyntheticMonorepo();
  bare = await repo.bareClone();
  fake = await FakeGerritRest.start({ user: "sunbeam-bot", password: "rest-pw-123456" });
  fake.changes.push(
    monorepoChange(100, [IDENTITY_LIB], { status: "MERGED" }),
    monorepoChange(201, ["charms/glance-k8s/src/charm.py"], { status: "NEW", zuul: -1 }),
    monorepoChange(202, ["charms/nova-k8s/src/charm.py"], { status: "NEW", zuul: -1 }),
    monorepoChange(203, ["charms/placement-k8s/src/charm.py"], { status: "NEW", zuul: 1 }),
  );
  dir = mkdtempSync(join(tmpdir(), "cli-affected-"));
});

afterAll(async () => {
  await fake?.close();
  repo?.cleanup();
  await dropPrefix(prefix);
});

function config(extra: string[] = []): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    [
      `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
      "chat: { console: { enabled: true, user: pat } }",
      "rooms: { team: { network: console, id: '#team' } }",
      "roles: { core: { console: [pat] } }",
      "http: { enabled: false }",
      "bot: { coalesceSeconds: 0 }",
      `gerrit: { url: "${fake.url}", settleSeconds: 0, http: { user: sunbeam-bot } }`,
      `monorepo: { path: "${join(dir, "clone.git")}", remote: "${repo.dir}", fetchMinutes: 0 }`,
      "recheck: { ciAccounts: [zuul] }",
      ...extra,
    ].join("\n"),
  );
  return file;
}
const env = { GERRIT_HTTP_PASSWORD: "rest-pw-123456" };

describe("sunbeam-bot affected", () => {
  it("answers --files on a bare git dir with the JSON contract", async () => {
    const r = await runCli(["affected", "--repo", bare, "--files", IDENTITY_LIB, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining(["charms", "reasons", "zuulJobs", "untested", "tested"]),
    );
    expect(j.charms).toEqual(expect.arrayContaining(["keystone-k8s", "glance-k8s", "placement-k8s"]));
    // The lib's consumers are affected, but only its owner is built by a job.
    expect(j.untested).toEqual(expect.arrayContaining(["glance-k8s", "placement-k8s"]));
    expect(j.tested).toContain("keystone-k8s");
    expect(j.modelRev).toMatch(/^[0-9a-f]{40}$/);
  });

  it("takes --change files from Gerrit through the config, and says which model answered", async () => {
    const r = await runCli(["affected", "--repo", bare, "--change", "201", "--config", config()], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("glance-k8s");
    expect(r.stdout).toMatch(/Model: [0-9a-f]{12}/);
  });

  it("exits 2 naming the problem for a usage mistake", async () => {
    const both = await runCli(["affected", "--repo", bare, "--files", "x", "--rev", "HEAD~1..HEAD"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("exactly one of --files, --rev, --change");
    const noGerrit = await runCli(["affected", "--repo", bare, "--change", "201"]);
    expect(noGerrit.code).toBe(2);
    expect(noGerrit.stderr).toMatch(/--change needs Gerrit/);
  });
});

describe("!affected and !recheck-affected from the console", () => {
  it("explains, dry-runs, then rechecks the failing open changes that share a charm, once", async () => {
    const bot = startCli(["run", "--config", config()], env);
    try {
      const team = () => bot.out();
      bot.child.stdin.write("!affected 100\n");
      await until(() => /Affected charms/.test(team()), 30_000, "the !affected answer");
      expect(team()).toMatch(/not built by any Zuul job/);

      bot.child.stdin.write("!recheck-affected 100 --dry-run\n");
      await until(() => /would recheck|dry run/i.test(team()), 30_000, "the dry-run answer");
      expect(fake.reviews).toHaveLength(0);

      bot.child.stdin.write("!recheck-affected 100\n");
      await until(() => fake.reviews.length >= 1 && /rechecked/i.test(team()), 30_000, "the recheck");
      // 201 (glance, failing) shares a charm; 202 (nova) does not; 203 (placement) passes.
      expect(fake.reviews.map((r) => Number(r.changeId))).toEqual([201]);
      expect(fake.reviews[0]?.body).toMatchObject({ tag: "autogenerated:sunbeam-bot" });
      expect(String((fake.reviews[0]?.body as { message?: string }).message)).toMatch(/^recheck/);
      const redis = connectRedis(redisUrl());
      expect((await new Stats(redis, prefix).counters())["recheck:posted"]).toBe(1);
      redis.disconnect();

      const before = team().length;
      bot.child.stdin.write("!recheck-affected 100\n");
      await until(
        () => team().length > before && /already rechecked/i.test(team().slice(before)),
        30_000,
        "the second answer",
      );
      expect(fake.reviews).toHaveLength(1);
    } finally {
      bot.child.kill("SIGTERM");
      await new Promise((r) => bot.child.on("close", r));
    }
  });
});
