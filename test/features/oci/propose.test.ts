// Bumps proposed as Gerrit changes, end to end: Debian's real docker-registry, a synthetic monorepo pinning
// images on it, the Gerrit-like git endpoint (real `git push` through `git http-backend`), real Redis, and the
// wired oci-poll job; plus `oci propose` dry-run, mirrors and the announcement after a digest-only poll.
import { readFileSync, writeFileSync } from "node:fs";
import { runCli } from "../../helpers/cli.js";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wireOci } from "../../../src/features/oci/index.js";
import { ociPropose } from "../../../src/features/oci/cli.js";
import { OciConfigSchema } from "../../../src/features/oci/config.js";
import { clearModelCache } from "../../../src/integrations/monorepo/monorepo.js";
import { GerritClient } from "../../../src/integrations/gerrit/client.js";
import { RegistryClient } from "../../../src/integrations/registry/client.js";
import { pushForReview } from "../../../src/integrations/gerrit/push.js";
import { PermanentError } from "../../../src/core/errors.js";
import { validateConfig } from "../../../src/app/config-load.js";
import { Metrics } from "../../../src/core/metrics.js";
import { Queues } from "../../../src/core/queues.js";
import { connectRedis } from "../../../src/core/redis.js";
import { Stats } from "../../../src/core/stats.js";
import { FakeGerritGit } from "../../fakes/gerrit-git.js";
import { startRegistryFront, type RegistryFront } from "../../fakes/registry-front.js";
import { MemoryOutbox } from "../../helpers/memory-outbox.js";
import { quietLogger, testConfig } from "../../helpers/bot.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";
import { pushImage, pushIndex, startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../../helpers/synthetic-monorepo.js";

const PROJECT = "openstack/sunbeam-charms";
const USER = "sunbeam-bot";
const PASSWORD = "http-pw-7c1f";

let reg: TestRegistry;
let repo: SyntheticRepo;
let gerrit: FakeGerritGit;
const redis = connectRedis(redisUrl());
const prefix = randomPrefix();
const log = quietLogger();
const ctx = { log, jobId: "j", attempt: 1 };

beforeAll(async () => {
  clearModelCache();
  reg = await startRegistry();
  repo = await createSyntheticMonorepo();
  const local = (s: string) => s.replaceAll("ghcr.io/canonical/", `${reg.host}/canonical/`);
  const read = (p: string) => readFileSync(join(repo.dir, p), "utf8");
  await repo.commit(
    {
      "charms/keystone-k8s/charmcraft.yaml": local(read("charms/keystone-k8s/charmcraft.yaml")),
      "charms/glance-k8s/metadata.yaml": local(read("charms/glance-k8s/metadata.yaml")),
      "charms/nova-k8s/charmcraft.yaml": local(read("charms/nova-k8s/charmcraft.yaml")),
      "charms/placement-k8s/charmcraft.yaml": local(read("charms/placement-k8s/charmcraft.yaml")),
    },
    "pin the local registry",
  );
  await pushImage(reg.url, "canonical/keystone", "2024.1");
  await pushImage(reg.url, "canonical/keystone", "2025.1");
  await pushImage(reg.url, "canonical/keystone", "latest");
  const g = await pushImage(reg.url, "canonical/glance-api", "amd64");
  await pushIndex(reg.url, "canonical/glance-api", "2024.1-24.04_edge", [g]);
  await pushIndex(reg.url, "canonical/glance-api", "2025.1-24.04_edge", [g]);
  await pushIndex(reg.url, "canonical/glance-api", "2025.1", [g]); // another family: never proposed
  const n = await pushImage(reg.url, "canonical/nova-consolidated", "amd64");
  await pushIndex(reg.url, "canonical/nova-consolidated", "2024.1-24.04_edge", [n]);
  await pushImage(reg.url, "canonical/placement-api", "2024.1");
  gerrit = await FakeGerritGit.start({ project: PROJECT, seed: repo.dir, user: USER, password: PASSWORD });
});

afterAll(async () => {
  await gerrit?.close();
  await reg?.stop();
  repo?.cleanup();
  await dropPrefix(prefix);
  await redis.quit();
});

const ociSection = (propose: Record<string, unknown>) => ({
  registries: [reg.host],
  plainHttp: [reg.host],
  monorepo: { path: repo.dir },
  announce: [{ room: "team" }],
  propose: { enabled: true, remote: gerrit.gitUrl, project: PROJECT, ...propose },
});

function setup(propose: Record<string, unknown>) {
  const { config } = validateConfig(
    testConfig(prefix, {
      rooms: { team: { network: "console", id: "!team" } },
      oci: ociSection(propose),
      gerrit: { url: gerrit.url, projects: [PROJECT] },
      roles: { core: { console: ["local"] } },
    }),
    {},
    "test",
  );
  const outbox = new MemoryOutbox();
  const client = new GerritClient({
    url: gerrit.url,
    user: USER,
    password: PASSWORD,
    retry: { retries: 0, baseDelayMs: 1 },
  });
  const wiring = wireOci(config, {
    redis,
    queues: new Queues(redis, prefix, config.jobs),
    outbox,
    metrics: new Metrics(),
    stats: new Stats(redis, prefix),
    log,
    proposals: { gerritUrl: gerrit.url, gerrit: client, auth: { user: USER, password: PASSWORD } },
  });
  const poll = wiring.handlers["oci-poll"];
  if (!poll) throw new Error("oci-poll handler not wired");
  return { outbox, poll: () => poll({}, ctx) };
}

describe("oci propose", () => {
  it("dry-run by default: prints one commit per family and pushes nothing", async () => {
    const oci = OciConfigSchema.parse(ociSection({}));
    const r = await ociPropose({
      oci,
      gerrit: { url: gerrit.url, user: USER, password: PASSWORD },
      dryRun: true,
    });
    expect(r.exitCode).toBe(0);
    expect(r.report.proposals.map((p) => [p.subject, p.action])).toEqual([
      ["Bump glance-api image to 2025.1-24.04_edge", "new"],
      // One push per run by default: the second family waits for the next one.
      ["Bump keystone image to 2025.1", "limited"],
    ]);
    expect(r.output).toContain("Bump glance-api image to 2025.1-24.04_edge: would push (new change)");
    expect(r.output).toMatch(/ {4}Change-Id: I[0-9a-f]{40}/);
    expect(r.output).toContain(`+    upstream-source: ${reg.host}/canonical/glance-api:2025.1-24.04_edge`);
    expect(gerrit.pushes).toBe(0);
    expect(gerrit.changes()).toEqual([]);
  });

  it("pushes one change per family, nothing without a new tag, amends on a newer tag, respects an abandon", async () => {
    const { outbox, poll } = setup({ pushesPerPoll: 5 });
    await poll();
    const first = gerrit.changes();
    expect(first.map((c) => [c._number, c.subject, c.topic, c.branch, c.patchSets.length])).toEqual([
      [1, "Bump glance-api image to 2025.1-24.04_edge", "oci-bump", "main", 1],
      [2, "Bump keystone image to 2025.1", "oci-bump", "main", 1],
    ]);
    expect(gerrit.pushes).toBe(2);
    const msg = gerrit.message(2);
    expect(msg).toContain(`- ${reg.host}/canonical/keystone: 2024.1 → 2025.1`);
    expect(msg).toContain("Affected charms: keystone-k8s");
    expect(msg).toMatch(/Zuul jobs that will run: .*charm-build-keystone-k8s/);
    expect(msg.trimEnd().split("\n").at(-1)).toBe(`Change-Id: ${first[1]?.change_id}`);
    // Exactly the family's pins move: one upstream-source line, nothing else.
    expect(
      gerrit
        .diff(2)
        .split("\n")
        .filter((l) => /^[+-](?![+-])/.test(l)),
    ).toEqual([
      `-    upstream-source: ${reg.host}/canonical/keystone:2024.1`,
      `+    upstream-source: ${reg.host}/canonical/keystone:2025.1`,
    ]);
    const links = outbox.posts.filter((p) => p.text.startsWith("**OCI bump proposed**"));
    expect(links.map((p) => p.target.room)).toEqual(["!team", "!team"]);
    expect(links[1]?.text).toContain(`(${gerrit.url}/c/${PROJECT}/+/2)`);
    expect(links[1]?.text).toContain("- charms: `keystone-k8s`");

    // A digest-only poll: keystone's pinned tag moves. Nothing to push; the message tells the truth.
    await pushImage(reg.url, "canonical/keystone", "2024.1", { content: "rebuilt\n" });
    const before = outbox.posts.length;
    await poll();
    expect(gerrit.pushes).toBe(2);
    const moved = outbox.posts.slice(before).map((p) => p.text);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toContain("`2024.1` moved");
    expect(moved[0]).toContain(
      "keystone-k8s `keystone-image` pins `" + "2024.1`: **behind** (newest `2025.1`)",
    );
    expect(moved[0]).not.toContain("All pins are current");

    // A newer tag: the same Change-Id gets patch set 2.
    await pushImage(reg.url, "canonical/keystone", "2025.2");
    await poll();
    const after = gerrit.changes();
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({
      change_id: first[1]?.change_id,
      subject: "Bump keystone image to 2025.2",
    });
    expect(after[1]?.patchSets).toHaveLength(2);
    expect(outbox.posts.at(-1)?.text).toContain(
      `**OCI bump updated**: [Bump keystone image to 2025.2](${gerrit.url}/c/${PROJECT}/+/2)`,
    );

    // A reviewer abandons glance's proposal: the same target is never pushed again.
    gerrit.abandon(1);
    const pushes = gerrit.pushes;
    await poll();
    await poll();
    expect(gerrit.pushes).toBe(pushes);
    const dry = await ociPropose({
      oci: OciConfigSchema.parse(ociSection({})),
      gerrit: { url: gerrit.url, user: USER, password: PASSWORD },
      dryRun: true,
    });
    expect(dry.output).toContain(
      `Bump glance-api image to 2025.1-24.04_edge: skip: abandoned by a reviewer: not proposed again ${gerrit.url}/c/${PROJECT}/+/1`,
    );
    expect(dry.output).toContain(`Bump keystone image to 2025.2: skip: already proposed`);

    // A newer glance release after the abandon: a new change (the next Change-Id), within maxOpen.
    await pushIndex(reg.url, "canonical/glance-api", "2025.2-24.04_edge", [
      await pushImage(reg.url, "canonical/glance-api", "amd64"),
    ]);
    const dryRun = (propose: Record<string, unknown>) =>
      ociPropose({
        oci: OciConfigSchema.parse(ociSection(propose)),
        gerrit: { url: gerrit.url, user: USER, password: PASSWORD },
        dryRun: true,
      });
    const next = await dryRun({});
    const glance = next.report.proposals.find((p) => p.subject.startsWith("Bump glance-api"));
    expect(glance).toMatchObject({ subject: "Bump glance-api image to 2025.2-24.04_edge", action: "new" });
    expect(glance?.changeId).not.toBe(first[0]?.change_id);
    const capped = await dryRun({ maxOpen: 1 });
    expect(capped.output).toContain(
      "Bump glance-api image to 2025.2-24.04_edge: limited: 1 open proposals (oci.propose.maxOpen 1)",
    );

    // The endpoint refuses what Gerrit refuses, and the push helper says why, as a permanent error.
    const again = (sha: string) =>
      pushForReview({
        repoDir: repo.dir,
        remote: gerrit.gitUrl,
        sha,
        branch: "main",
        topic: "oci-bump",
        auth: { user: USER, password: PASSWORD },
      });
    await expect(again(gerrit.changes()[1]?.patchSets[1] ?? "")).rejects.toThrow(
      /Gerrit refused the push: no new changes/,
    );
    await expect(again(gerrit.changes()[0]?.patchSets[0] ?? "")).rejects.toThrow(/closed/);
    const denied = await pushForReview({
      repoDir: repo.dir,
      remote: gerrit.gitUrl,
      sha: gerrit.changes()[0]?.patchSets[0] ?? "",
      branch: "main",
      auth: { user: USER, password: "wrong-pw-31f" },
    }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(PermanentError);
    expect(String(denied)).toMatch(/push not authorised/);
    expect(String(denied)).not.toContain("wrong-pw-31f");
  });

  it("the CLI: `oci propose` is a dry-run by default, `--push` and `--dry-run` exclude each other", async () => {
    const cfg = join(gerrit.dir, "config.json");
    writeFileSync(
      cfg,
      JSON.stringify(
        testConfig(prefix, { oci: ociSection({}), gerrit: { url: gerrit.url, projects: [PROJECT] } }),
      ),
    );
    const before = gerrit.pushes;
    const dry = await runCli(["oci", "propose", "-c", cfg]);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Bump keystone image to 2025.2: skip: already proposed");
    const json = await runCli(["oci", "propose", "-c", cfg, "--json"]);
    expect((JSON.parse(json.stdout) as { pushed: number }).pushed).toBe(0);
    const both = await runCli(["oci", "propose", "-c", cfg, "--push", "--dry-run"]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("--push and --dry-run exclude each other");
    expect(gerrit.pushes).toBe(before);
  });

  it("a mirror takes every request while pins and proposals keep the canonical names", async () => {
    const front: RegistryFront = await startRegistryFront(reg.url);
    try {
      const client = new RegistryClient({
        allowedHosts: [reg.host],
        mirrors: { [reg.host]: `http://${front.host}` },
      });
      expect(await client.listTags(`${reg.host}/canonical/keystone`)).toContain("2025.1");
      expect(await client.digest(`${reg.host}/canonical/keystone`, "2025.1")).toMatch(/^sha256:/);
      expect(front.requests).toEqual([
        expect.stringMatching(/^GET \/v2\/canonical\/keystone\/tags\/list/),
        "HEAD /v2/canonical/keystone/manifests/2025.1",
      ]);
      const oci = OciConfigSchema.parse({
        ...ociSection({ pushesPerPoll: 5 }),
        plainHttp: [],
        mirrors: { [reg.host]: `http://${front.host}` },
      });
      const r = await ociPropose({ oci, dryRun: true });
      expect(r.output).toMatch(/\+ {4}upstream-source: \S+\/canonical\/glance-api:2025\.\d-24\.04_edge/);
      expect(r.output).toContain(`upstream-source: ${reg.host}/canonical/glance-api:`);
      expect(r.output).not.toContain(front.host);
      expect(front.requests.length).toBeGreaterThan(2);
    } finally {
      await front.close();
    }
  });
});
