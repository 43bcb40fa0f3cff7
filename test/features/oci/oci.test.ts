// Image watching end to end against Debian's real docker-registry: polls, announcements, restarts, 429, paging, bump.
import { MemoryOutbox } from "../../helpers/memory-outbox.js";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RegistryClient } from "../../../src/integrations/registry/client.js";
import { announceOci } from "../../../src/features/oci/announce.js";
import {
  imagesService,
  loadWatchList,
  ociBump,
  ociCheck,
  type OciCheckReport,
} from "../../../src/features/oci/cli.js";
import { renderImages, type ImagesService } from "../../../src/features/oci/commands.js";
import { OciState } from "../../../src/features/oci/state.js";
import { buildWatchList, type ExtraImage } from "../../../src/features/oci/watch-list.js";
import { connectRedis, type Redis } from "../../../src/core/redis.js";
import { pollImages, type PollOptions } from "../../../src/features/oci/poller.js";
import { startRegistryFront, type RegistryFront } from "../../fakes/registry-front.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";
import { pushImage, pushIndex, startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../../helpers/synthetic-monorepo.js";

let reg: TestRegistry;
let front: RegistryFront;
let redis: Redis;
let prefix: string;

const client = () =>
  new RegistryClient({
    allowedHosts: [reg.host, front.host],
    plainHttpHosts: [reg.host, front.host],
    random: () => 0,
  });

const watch = (...extras: ExtraImage[]) => buildWatchList(null, extras);

function poll(state: OciState, watchList: PollOptions["watchList"], extra: Partial<PollOptions> = {}) {
  return pollImages({ client: client(), watchList, state, ...extra });
}

beforeAll(async () => {
  reg = await startRegistry();
  front = await startRegistryFront(reg.url);
  redis = connectRedis(redisUrl());
});

afterAll(async () => {
  await redis?.quit();
  await front?.close();
  await reg?.stop();
});

beforeEach(() => {
  prefix = randomPrefix();
  front.pageSize = null;
  front.requests = [];
  front.failNext(0, 0);
});

afterEach(async () => {
  await dropPrefix(prefix);
});

describe("polling", () => {
  it("records on the first poll, announces a new tag of the family once, and not again after a restart", async () => {
    const name = "t1/keystone";
    await pushImage(reg.url, name, "2024.1");
    await pushImage(reg.url, name, "2024.2-24.04_edge");
    await pushImage(reg.url, name, "latest");
    const list = watch({ image: `${reg.host}/${name}:2024.1`, charms: ["keystone-k8s"] });
    const state = new OciState(redis, prefix);

    const first = await poll(state, list);
    expect(first.events).toEqual([]);
    expect(first.results[0]).toMatchObject({ firstRun: true, tagCount: 3, relevant: [] });
    expect(Object.keys(first.results[0]?.tags ?? {})).toEqual(["2024.1"]);

    const pushed = await pushImage(reg.url, name, "2025.1");
    await pushImage(reg.url, name, "2025.1-24.04_edge");
    const second = await poll(state, list);
    expect(second.events).toEqual([
      expect.objectContaining({
        kind: "oci.tag-published",
        id: `oci:${reg.host}/${name}:2025.1@${pushed.digest}`,
        tag: "2025.1",
        digest: pushed.digest,
        upgrades: ["2024.1"],
      }),
    ]);
    // The other family's new tag is recorded (so it never looks new later), neither listed nor announced.
    expect(second.results[0]?.newTags.map((t) => t.tag)).toEqual(["2025.1"]);
    expect(Object.keys((await state.load(`${reg.host}/${name}`))?.tags ?? {})).toContain("2025.1-24.04_edge");
    expect(second.results[0]?.relevant).toEqual(["2025.1"]);

    expect((await poll(state, list)).events).toEqual([]);
    const other = connectRedis(redisUrl());
    try {
      const restarted = await poll(new OciState(other, prefix), list);
      expect(restarted.events).toEqual([]);
      expect(restarted.results[0]?.firstRun).toBe(false);
    } finally {
      await other.quit();
    }
  });

  it("announces a moved digest (the tag re-pushed) in one message per room, and only once", async () => {
    const name = "t2/nova-consolidated";
    const amd = await pushImage(reg.url, name, "amd64", { content: "one\n" });
    const before = await pushIndex(reg.url, name, "2024.1-24.04_edge", [amd]);
    const list = watch(
      { image: `${reg.host}/${name}:2024.1-24.04_edge`, charms: ["nova-k8s"] },
      { image: `${reg.host}/${name}:2024.1-24.04_edge@${before.digest}`, charms: ["pinned-k8s"] },
    );
    const state = new OciState(redis, prefix);
    const outbox = new MemoryOutbox();
    const announce = announceOci({
      outbox,
      targets: [{ target: { network: "matrix", room: "!a" } }, { target: { network: "slack", room: "C1" } }],
      repoDir: "/srv/charms",
    });
    const emit: PollOptions["emit"] = async (events, results) => void (await announce(events, list, results));
    expect((await poll(state, list, { emit })).events).toEqual([]);

    const amd2 = await pushImage(reg.url, name, "amd64", { content: "two\n" });
    const after = await pushIndex(reg.url, name, "2024.1-24.04_edge", [amd2]);
    const moved = await poll(state, list, { emit });
    expect(moved.events).toEqual([
      expect.objectContaining({
        kind: "oci.digest-changed",
        id: `oci:${reg.host}/${name}:2024.1-24.04_edge@${after.digest}`,
        digest: after.digest,
        previous: before.digest,
      }),
    ]);
    expect(outbox.posts.map((p) => p.target.room)).toEqual(["!a", "C1"]);
    const text = outbox.posts[0]?.text ?? "";
    expect(text).toContain(
      `**${reg.host}/${name}**: \`2024.1-24.04_edge\` moved \`${before.digest.slice(0, 19)}\``,
    );
    expect(text).toContain("- nova-k8s (config) watches `2024.1-24.04_edge`: current");
    expect(text).toContain("- pinned-k8s (config) watches");
    expect(text).toContain("**behind** (pinned digest moved)");

    // A retried poll job re-emits the same events: same send ids, nothing posted twice.
    await announce(moved.events, list, moved.results);
    expect(outbox.posts).toHaveLength(2);
    expect((await poll(state, list, { emit })).events).toEqual([]);
    expect(outbox.posts).toHaveLength(2);
  });

  it("reports a 429 or a missing repository per image and polls the others", async () => {
    await pushImage(reg.url, "t3/a", "2024.1");
    await pushImage(reg.url, "t3/b", "2024.1");
    const list = watch(
      { image: `${front.host}/t3/a:2024.1` },
      { image: `${front.host}/t3/b:2024.1` },
      { image: `${reg.host}/t3/missing:2024.1` },
    );
    const state = new OciState(redis, prefix);
    front.failNext(1, 429, "3");
    const { results } = await poll(state, list, { concurrency: 1 });
    // The list is sorted by image name, and the ports decide it: look results up by image.
    const of = (image: string) => results.find((r) => r.image === image);
    expect(results).toHaveLength(3);
    expect(of(`${front.host}/t3/a`)).toMatchObject({
      retryAfterMs: 3000,
      error: expect.stringContaining("429"),
    });
    const b = of(`${front.host}/t3/b`);
    expect(b).toMatchObject({ firstRun: true, tags: { "2024.1": expect.stringMatching(/^sha256:/) } });
    expect(b?.error).toBeUndefined();
    expect(of(`${reg.host}/t3/missing`)?.error).toBe("repository not found (404)");
    // The failed image kept no state: its next successful poll is still its first run.
    expect(await state.load(`${front.host}/t3/a`)).toBeNull();
    const again = await poll(state, list);
    expect(again.results.find((r) => r.image === `${front.host}/t3/a`)).toMatchObject({ firstRun: true });
  });

  it("follows Link paging through the front and looks up only the relevant tags", async () => {
    const name = "t4/glance-api";
    for (const tag of ["2023.1", "2023.2", "2024.1", "2024.2", "latest"]) await pushImage(reg.url, name, tag);
    const list = watch({ image: `${front.host}/${name}:2024.1` });
    const state = new OciState(redis, prefix);
    front.pageSize = 2;
    const first = await poll(state, list);
    expect(first.results[0]).toMatchObject({ tagCount: 5, relevant: ["2024.2"] });
    const pushed = await pushImage(reg.url, name, "2025.1");
    front.requests = [];
    const second = await poll(state, list);
    expect(second.events.map((e) => e.id)).toEqual([`oci:${front.host}/${name}:2025.1@${pushed.digest}`]);
    const pages = front.requests.filter((r) => r.includes("/tags/list"));
    expect(pages).toHaveLength(3);
    expect(pages[1]).toContain("last=");
    // One HEAD per pinned or newer tag of the family; the older releases and `latest` cost nothing.
    const heads = front.requests
      .filter((r) => r.startsWith("HEAD"))
      .map((r) => r.slice(r.lastIndexOf("/") + 1));
    expect(heads.sort()).toEqual(["2024.1", "2024.2", "2025.1"]);
  });
});

describe("the synthetic monorepo: oci check and oci bump", () => {
  let repo: SyntheticRepo;
  const git = (args: string[], input?: string) =>
    execFileSync("git", args, { cwd: repo.dir, encoding: "utf8", ...(input !== undefined ? { input } : {}) });

  beforeAll(async () => {
    repo = await createSyntheticMonorepo();
    const read = (p: string) => readFileSync(join(repo.dir, p), "utf8");
    const local = (text: string, host: string) => text.replaceAll("ghcr.io/canonical/", `${host}/canonical/`);
    await repo.commit(
      {
        "charms/keystone-k8s/charmcraft.yaml": [
          "# keystone charm",
          "name: keystone-k8s",
          "type: charm",
          "containers:",
          "  keystone:",
          "    resource: keystone-image",
          "resources:",
          "  keystone-image:",
          "    type: oci-image",
          "    description: OCI image",
          "    # the rock",
          `    upstream-source: "${reg.host}/canonical/keystone:2024.1" # pinned`,
          "config:",
          "  options:",
          "    debug: {default: false, type: boolean}",
          "",
        ].join("\n"),
        "charms/glance-k8s/metadata.yaml": local(read("charms/glance-k8s/metadata.yaml"), reg.host),
        "charms/nova-k8s/charmcraft.yaml": local(read("charms/nova-k8s/charmcraft.yaml"), reg.host),
        // As the real tree: a bind charm and a busybox init container on Docker Hub, outside the registries.
        "charms/bind9-k8s/.sunbeam-build.yaml": "external-libraries: []\n",
        "charms/bind9-k8s/charmcraft.yaml": [
          "name: bind9-k8s",
          "type: charm",
          "resources:",
          "  bind9-image:",
          "    type: oci-image",
          "    upstream-source: ubuntu/bind9:9.18-22.04_beta",
          "  busybox-image:",
          "    type: oci-image",
          "    upstream-source: busybox",
          "",
        ].join("\n"),
        "charms/placement-k8s/charmcraft.yaml": local(
          read("charms/placement-k8s/charmcraft.yaml"),
          front.host,
        ),
      },
      "pin the local registry",
    );
    await pushImage(reg.url, "canonical/keystone", "2024.1");
    await pushImage(reg.url, "canonical/keystone", "2025.1");
    const g = await pushImage(reg.url, "canonical/glance-api", "amd64");
    await pushIndex(reg.url, "canonical/glance-api", "2024.1-24.04_edge", [g]);
    await pushIndex(reg.url, "canonical/glance-api", "2025.1-24.04_edge", [g]);
    const n = await pushImage(reg.url, "canonical/nova-consolidated", "amd64");
    await pushIndex(reg.url, "canonical/nova-consolidated", "2024.1-24.04_edge", [n]);
    await pushImage(reg.url, "canonical/placement-api", "2024.1");
    await pushImage(reg.url, "canonical/placement-api", "2024.2");
  });

  afterAll(() => repo?.cleanup());

  const settings = () => ({
    registries: [reg.host, front.host],
    plainHttp: [reg.host, front.host],
    monorepo: { dir: repo.dir },
  });

  it("oci check --json lists each image with tags, digests and charms; a second run reports nothing new", async () => {
    const check = () => ociCheck({ ...settings(), redisUrl: redisUrl(), prefix, json: true });
    const first = await check();
    expect(first.exitCode).toBe(0);
    const report = JSON.parse(first.output) as OciCheckReport;
    // Docker Hub pins are problems (named with their charm), never polled and never a failure.
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^busybox: registry registry-1\.docker\.io is not in oci\.registries .*bind9-k8s \(busybox-image\)$/,
      ),
      expect.stringMatching(/^ubuntu\/bind9: registry registry-1\.docker\.io .*bind9-k8s \(bind9-image\)$/),
    ]);
    const text = await ociCheck({ ...settings(), redisUrl: redisUrl(), prefix, namespace: "oci-text" });
    expect(text.exitCode).toBe(0);
    expect(text.output).toContain(
      "problem: ubuntu/bind9: registry registry-1.docker.io is not in oci.registries",
    );
    const byImage = Object.fromEntries(
      report.images.map((i) => [i.image.slice(i.image.indexOf("/") + 1), i]),
    );
    expect(Object.keys(byImage).sort()).toEqual([
      "canonical/glance-api",
      "canonical/keystone",
      "canonical/nova-consolidated",
      "canonical/placement-api",
    ]);
    expect(byImage["canonical/keystone"]).toMatchObject({
      firstRun: true,
      relevant: ["2025.1"],
      charms: [{ charm: "keystone-k8s", resources: ["keystone-image"], status: "behind", newest: "2025.1" }],
    });
    expect(Object.keys(byImage["canonical/keystone"]?.tags ?? {})).toEqual(["2024.1", "2025.1"]);
    expect(byImage["canonical/nova-consolidated"]?.charms).toEqual([
      expect.objectContaining({
        charm: "nova-k8s",
        resources: ["nova-api-image", "nova-scheduler-image"],
        status: "current",
      }),
    ]);
    await pushImage(reg.url, "canonical/keystone", "2023.1");
    // An older release and `latest` are recorded, never listed as new: no pin can move to them.
    await pushImage(reg.url, "canonical/keystone", "latest");
    await pushImage(reg.url, "canonical/keystone", "2025.2-24.04_edge");
    const second = JSON.parse((await check()).output) as OciCheckReport;
    const keystone = second.images.find((i) => i.image.endsWith("/keystone"));
    expect(keystone).toMatchObject({ firstRun: false, newTags: [], tagCount: 5 });
    const third = JSON.parse((await check()).output) as OciCheckReport;
    expect(third.images.flatMap((i) => [...i.newTags, ...i.movedDigests])).toEqual([]);
    expect(third.images.every((i) => !i.firstRun)).toBe(true);

    // !images reads the same kind of state (here the check's namespace) against the watch list.
    const images: ImagesService = imagesService({
      watchList: async () => (await loadWatchList(settings())).watchList,
      state: new OciState(redis, prefix, "oci-check"),
    });
    const reply = renderImages(await images("keystone"), "keystone");
    expect(reply).toContain(`**${reg.host}/canonical/keystone** (last polled `);
    expect(reply).toContain("- keystone-k8s `keystone-image`");
    expect(reply).toContain("**behind** (newest `2025.1`)");
    expect(renderImages(await images())).toMatch(/^\*\*4 images watched\*\*, 3 with charms behind/);
    // An image never polled is "unknown", never "current".
    const fresh = imagesService({
      watchList: async () => (await loadWatchList(settings())).watchList,
      state: new OciState(redis, prefix, "never-polled"),
    });
    const nova = await fresh("nova-consolidated");
    expect(nova[0]?.pins.map((p) => p.status)).toEqual(["unknown"]);
  });

  it("writes a diff that git applies cleanly and that changes only upstream-source lines", async () => {
    const { diff, skipped } = await ociBump({ ...settings(), repoDir: repo.dir });
    // The whole repository: Docker Hub pins are skipped and said so, the rest is bumped.
    expect(skipped).toEqual([
      {
        charm: "bind9-k8s",
        resource: "busybox-image",
        reason: expect.stringContaining("busybox: registry not in"),
      },
      {
        charm: "bind9-k8s",
        resource: "bind9-image",
        reason: expect.stringContaining("ubuntu/bind9: registry not in"),
      },
    ]);
    expect(diff).toContain(`diff --git a/charms/glance-k8s/metadata.yaml b/charms/glance-k8s/metadata.yaml`);
    git(["apply", "--check", "-"], diff);
    git(["apply", "-"], diff);
    const changed = git(["diff", "-U0"])
      .split("\n")
      .filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
    expect(changed).toEqual([
      "-    upstream-source: " + `${reg.host}/canonical/glance-api:2024.1-24.04_edge`,
      "+    upstream-source: " + `${reg.host}/canonical/glance-api:2025.1-24.04_edge`,
      `-    upstream-source: "${reg.host}/canonical/keystone:2024.1" # pinned`,
      `+    upstream-source: "${reg.host}/canonical/keystone:2025.1" # pinned`,
      `-    upstream-source: ${front.host}/canonical/placement-api:2024.1`,
      `+    upstream-source: ${front.host}/canonical/placement-api:2024.2`,
    ]);
    git(["apply", "-R", "-"], diff);
    expect(git(["status", "--porcelain"])).toBe("");
  });

  it("with --digest pins tag@sha256 for one image and still applies cleanly", async () => {
    const { diff } = await ociBump({
      ...settings(),
      repoDir: repo.dir,
      image: "nova-consolidated",
      digest: true,
    });
    const digest = await client().digest(`${reg.host}/canonical/nova-consolidated`, "2024.1-24.04_edge");
    git(["apply", "--check", "-"], diff);
    git(["apply", "-"], diff);
    const added = git(["diff", "-U0"])
      .split("\n")
      .filter((l) => l.startsWith("+") && !l.startsWith("+++"));
    expect(added).toEqual([
      `+    upstream-source: ${reg.host}/canonical/nova-consolidated:2024.1-24.04_edge@${digest}`,
      `+    upstream-source: ${reg.host}/canonical/nova-consolidated:2024.1-24.04_edge@${digest}`,
    ]);
    git(["apply", "-R", "-"], diff);
    expect((await ociBump({ ...settings(), repoDir: repo.dir, image: "nova-consolidated" })).diff).toBe("");
  });
});
