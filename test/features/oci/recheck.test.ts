// Auto-recheck on image moves, end to end: the real docker-registry, a synthetic monorepo whose charms pin
// images on it, the fake Gerrit REST with open failing changes, real Redis, and the wired oci-poll job.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { autoRecheck, imageMoves, wireOci } from "../../../src/features/oci/index.js";
import { AffectedService, AUTO_REQUESTER, charmRechecker } from "../../../src/features/affected/service.js";
import { MonorepoConfigSchema, RecheckConfigSchema } from "../../../src/features/affected/config.js";
import { clearModelCache } from "../../../src/integrations/monorepo/monorepo.js";
import { GerritClient } from "../../../src/integrations/gerrit/client.js";
import { validateConfig } from "../../../src/app/config-load.js";
import { Metrics } from "../../../src/core/metrics.js";
import { loadWatchList } from "../../../src/features/oci/cli.js";
import type { OciEvent } from "../../../src/features/oci/events.js";
import { buildWatchList } from "../../../src/features/oci/watch-list.js";
import { Queues } from "../../../src/core/queues.js";
import { connectRedis } from "../../../src/core/redis.js";
import { Stats } from "../../../src/core/stats.js";
import { FakeGerritRest } from "../../fakes/gerrit-rest.js";
import { monorepoChange } from "../../helpers/monorepo-changes.js";
import { MemoryOutbox } from "../../helpers/memory-outbox.js";
import { quietLogger, testConfig } from "../../helpers/bot.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";
import { pushImage, startRegistry, type TestRegistry } from "../../helpers/registry.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../../helpers/synthetic-monorepo.js";

const PROJECT = "openstack/sunbeam-charms";
const KEYSTONE = "canonical/keystone";

let reg: TestRegistry;
let repo: SyntheticRepo;
let fake: FakeGerritRest;
let gerrit: GerritClient;
let pinnedDigest: string;
let pushes = 0;
const redis = connectRedis(redisUrl());
const prefixes: string[] = [];
const log = quietLogger();
const ctx = { log, jobId: "j", attempt: 1 };

/** Re-points keystone:2024.1 at a new manifest: the pinned tag moves to a new digest. */
const moveTag = async () =>
  (await pushImage(reg.url, KEYSTONE, "2024.1", { content: `build ${++pushes}\n` })).digest;

beforeAll(async () => {
  clearModelCache();
  reg = await startRegistry();
  repo = await createSyntheticMonorepo();
  pinnedDigest = await moveTag();
  const local = (s: string) => s.replaceAll("ghcr.io/canonical/", `${reg.host}/canonical/`);
  const read = (p: string) => readFileSync(join(repo.dir, p), "utf8");
  await repo.commit(
    {
      // keystone pins the tag: a move changes its build. placement pins the same tag at a digest: it does not.
      "charms/keystone-k8s/charmcraft.yaml": local(read("charms/keystone-k8s/charmcraft.yaml")),
      "charms/placement-k8s/charmcraft.yaml": read("charms/placement-k8s/charmcraft.yaml").replace(
        "ghcr.io/canonical/placement-api:2024.1",
        `${reg.host}/${KEYSTONE}:2024.1@${pinnedDigest}`,
      ),
      "charms/glance-k8s/metadata.yaml": local(read("charms/glance-k8s/metadata.yaml")),
      "charms/nova-k8s/charmcraft.yaml": local(read("charms/nova-k8s/charmcraft.yaml")),
    },
    "pin the local registry",
  );
  fake = await FakeGerritRest.start({ user: "sunbeam-bot", password: "pw-123456" });
  gerrit = new GerritClient({
    url: fake.url,
    user: "sunbeam-bot",
    password: "pw-123456",
    retry: { retries: 0, baseDelayMs: 1 },
  });
});

afterAll(async () => {
  await fake?.close();
  await reg?.stop();
  repo?.cleanup();
  for (const p of prefixes) await dropPrefix(p);
  await redis.quit();
});

beforeEach(() => {
  fake.changes.splice(
    0,
    fake.changes.length,
    monorepoChange(201, ["charms/keystone-k8s/src/charm.py"], { zuul: -1, minute: 21 }),
    monorepoChange(202, ["charms/nova-k8s/src/charm.py"], { zuul: -1, minute: 22 }),
    monorepoChange(203, ["charms/keystone-k8s/src/charm.py"], { zuul: 1, minute: 23 }),
    monorepoChange(204, ["charms/placement-k8s/src/charm.py"], { zuul: -1, minute: 24 }),
    monorepoChange(205, ["ops-sunbeam/ops_sunbeam/core.py"], { zuul: -2, minute: 25 }),
    monorepoChange(206, ["charms/keystone-k8s/src/charm.py"], {
      zuul: -1,
      minute: 26,
      branch: "stable/2024.1",
    }),
  );
  fake.reviews.splice(0);
});

const posted = () => fake.reviews.map((r) => Number(r.changeId)).sort();
const url = (n: number) => `${fake.url}/c/${PROJECT}/+/${n}`;

function setup(autoRecheck: Record<string, unknown>) {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  const { config } = validateConfig(
    testConfig(prefix, {
      rooms: { team: { network: "console", id: "!team" }, charms: { network: "console", id: "!charms" } },
      oci: {
        registries: [reg.host],
        plainHttp: [reg.host],
        monorepo: { path: repo.dir },
        announce: [{ room: "team" }],
        autoRecheck,
      },
      monorepo: { path: repo.dir, remote: repo.dir },
      roles: { core: { console: ["local"] } },
    }),
    {},
    "test",
  );
  const affected = new AffectedService({
    gerrit,
    gerritUrl: fake.url,
    redis,
    prefix,
    monorepo: MonorepoConfigSchema.parse({ path: repo.dir, remote: repo.dir }),
    recheck: RecheckConfigSchema.parse({ ciAccounts: ["zuul"] }),
    log,
  });
  const outbox = new MemoryOutbox();
  const wiring = wireOci(config, {
    redis,
    queues: new Queues(redis, prefix, config.jobs),
    outbox,
    metrics: new Metrics(),
    stats: new Stats(redis, prefix),
    log,
    affected: charmRechecker(affected),
  });
  const poll = wiring.handlers["oci-poll"];
  if (!poll) throw new Error("oci-poll handler not wired");
  return { outbox, affected, poll: () => poll({}, ctx) };
}

describe("auto-recheck on image moves", () => {
  it("rechecks the failing changes affecting the charms that pin the moved tag, once", async () => {
    const { outbox, poll } = setup({ enabled: true });
    await poll(); // the first poll records the registry's state
    expect(outbox.posts).toEqual([]);

    const digest = await moveTag();
    await poll();
    // 201 (keystone's own dir) and 205 (ops-sunbeam: every charm). Not 202 (nova), 203 (passing),
    // 204 (placement pins a digest), 206 (stable branch).
    expect(posted()).toEqual([201, 205]);
    const label = `${reg.host}/${KEYSTONE}:2024.1 moved to sha256:${digest.slice(7, 19)}…`;
    for (const review of fake.reviews) {
      const c = fake.changes.find((x) => String(x._number) === review.changeId);
      expect(review.revision).toBe(c?.current_revision);
      expect(review.body.tag).toBe("autogenerated:sunbeam-bot");
      expect(review.body.notify).toBe("NONE");
      expect(String(review.body.message)).toMatch(/^recheck\n/);
      expect(String(review.body.message)).toContain(label);
      expect(String(review.body.message)).toContain(AUTO_REQUESTER);
    }
    expect(outbox.posts.map((p) => p.target.room)).toEqual(["!team", "!team"]);
    expect(outbox.posts[0]?.text).toContain(`**${reg.host}/${KEYSTONE}**: \`2024.1\` moved`);
    const reply = outbox.posts[1]?.text ?? "";
    expect(reply).toContain(`**Recheck after ${label}** (${PROJECT} main; charms: \`keystone-k8s\``);
    expect(reply).toContain("Rechecked 2:");
    expect(reply).toContain(`- [201](${url(201)}) (patch set 1)`);
    expect(reply).toContain(`- [205](${url(205)}) (patch set 1)`);
    expect(reply).not.toContain(url(204));

    await poll();
    expect(fake.reviews).toHaveLength(2);
    expect(outbox.posts).toHaveLength(2);
  });

  // Changed with issue 15: one recheck per failing patch set whatever the trigger, so a later move does not
  // recheck the same failing patch sets again (it used to: the mark named the move).
  it("never rechecks twice for the same move (a replayed poll), nor the same failing patch set for a later one", async () => {
    const { outbox, affected, poll } = setup({ enabled: true });
    await poll();
    const digest = await moveTag();
    await poll();
    expect(posted()).toEqual([201, 205]);
    // The same events again, as a poll job retried after its state failed to save would emit them.
    const { watchList } = await loadWatchList({ monorepo: { dir: repo.dir } });
    const events: OciEvent[] = [
      {
        source: "oci",
        kind: "oci.digest-changed",
        id: `oci:${reg.host}/${KEYSTONE}:2024.1@${digest}`,
        image: `${reg.host}/${KEYSTONE}`,
        tag: "2024.1",
        digest,
        previous: pinnedDigest,
        detectedAt: 1,
      },
    ];
    const deps = {
      service: charmRechecker(affected),
      targets: [{ target: { network: "console", room: "!team" } }],
      outbox,
      dryRun: false,
    };
    expect(await autoRecheck(deps, events, watchList, log)).toBe(0); // nothing done: nothing to say
    expect(fake.reviews).toHaveLength(2);

    await moveTag();
    await poll();
    expect(posted()).toEqual([201, 205]);
  });

  it("disabled (the default): announces the move and posts nothing on Gerrit", async () => {
    const { outbox, poll } = setup({});
    await poll();
    await moveTag();
    await poll();
    expect(fake.reviews).toEqual([]);
    expect(outbox.posts).toHaveLength(1);
    expect(outbox.posts[0]?.text).toContain("moved");
    expect(outbox.posts[0]?.text).not.toContain("Recheck");
  });

  it("dry run in its own room: says what would be rechecked, posts nothing on Gerrit", async () => {
    const { outbox, poll } = setup({ enabled: true, dryRun: true, room: "charms" });
    await poll();
    await moveTag();
    await poll();
    expect(fake.reviews).toEqual([]);
    const reply = outbox.posts.find((p) => p.target.room === "!charms")?.text ?? "";
    expect(reply).toMatch(/^\*\*Dry run: Recheck after /);
    expect(reply).toContain("Would recheck 2:");
    expect(reply).toContain("Nothing was posted (dry run).");
    expect(outbox.posts.filter((p) => p.target.room === "!team")).toHaveLength(1); // the announcement
  });
});

describe("imageMoves", () => {
  const img = "ghcr.io/canonical/keystone";
  const moved = (tag: string, digest: string): OciEvent => ({
    source: "oci",
    kind: "oci.digest-changed",
    id: `oci:${img}:${tag}@${digest}`,
    image: img,
    tag,
    digest,
    previous: "sha256:0",
    detectedAt: 1,
  });
  const d1 = `sha256:${"1".repeat(64)}`;
  const list = buildWatchList(
    {
      charms: [
        {
          name: "keystone-k8s",
          resources: [{ resource: "keystone-image", upstreamSource: `${img}:2024.1` }],
        },
        {
          name: "keystone-edge-k8s",
          resources: [{ resource: "keystone-image", upstreamSource: `${img}:2024.1_edge` }],
        },
        {
          name: "pinned-k8s",
          resources: [{ resource: "keystone-image", upstreamSource: `${img}:2024.1@${d1}` }],
        },
      ],
    } as unknown as Parameters<typeof buildWatchList>[0],
    [{ image: `${img}:2025.1`, charms: ["outside-k8s"] }],
  );

  it("takes pinned tags without a digest pin, grouped per image and digest", () => {
    const d2 = `sha256:${"2".repeat(64)}`;
    const moves = imageMoves(
      [
        moved("2024.1", d2),
        moved("2024.1_edge", d2),
        moved("2025.1", d2), // only a config image follows it
        { ...moved("2024.1", d1), kind: "oci.tag-published", upgrades: [] } as unknown as OciEvent,
      ],
      list,
    );
    expect(moves).toEqual([
      {
        image: img,
        digest: d2,
        tags: ["2024.1", "2024.1_edge"],
        charms: ["keystone-edge-k8s", "keystone-k8s"],
        trigger: {
          id: `oci:${img}@${d2}`,
          label: `${img} (tags 2024.1, 2024.1_edge) moved to sha256:222222222222…`,
        },
      },
    ]);
    expect(imageMoves([moved("2024.1", d1)], list)[0]?.trigger.label).toBe(
      `${img}:2024.1 moved to sha256:111111111111…`,
    );
  });
});
