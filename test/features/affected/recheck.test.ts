// !affected and !recheck-affected against a fake Gerrit REST (over HTTP, via GerritClient), a real Redis and
// a synthetic monorepo cloned by MonorepoSync; merge suggestions through their handler.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AffectedService, AUTO_REQUESTER, type GerritLike } from "../../../src/features/affected/service.js";
import { MonorepoConfigSchema, RecheckConfigSchema } from "../../../src/features/affected/config.js";
import { clearModelCache } from "../../../src/integrations/monorepo/monorepo.js";
import { MonorepoSync } from "../../../src/integrations/monorepo/sync.js";
import type { ChatTarget } from "../../../src/chat/outbox.js";
import { GerritClient, type ChangeInfo } from "../../../src/integrations/gerrit/client.js";
import { CommandRouter, type CommandServices } from "../../../src/core/commands.js";
import { UserError } from "../../../src/core/errors.js";
import type { GerritEvent } from "../../../src/core/events.js";
import { suggestRechecks } from "../../../src/features/affected/suggest-rechecks.js";
import { RedisRateLimiter } from "../../../src/core/rate-limit.js";
import { connectRedis } from "../../../src/core/redis.js";
import affectedCommand from "../../../src/features/affected/commands.js";
import recheckCommand from "../../../src/features/affected/command-recheck.js";
import { COMMANDS } from "../../../src/app/commands/index.js";
import { FakeGerritRest, verifiedLabels } from "../../fakes/gerrit-rest.js";
import { monorepoChange } from "../../helpers/monorepo-changes.js";
import { quietLogger } from "../../helpers/bot.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../../helpers/synthetic-monorepo.js";

const PROJECT = "openstack/sunbeam-charms";
const IDENTITY_LIB = "charms/keystone-k8s/lib/charms/keystone_k8s/v0/identity_service.py";

/** Adds a patch set to a seeded change (its Verified votes are gone, as on a real new patch set). */
function newPatchSet(c: ChangeInfo, zuul: number): void {
  const sha = `${c._number.toString(16)}`.padStart(40, "b");
  const old = c.revisions?.[c.current_revision ?? ""];
  c.revisions = { ...c.revisions, [sha]: { ...structuredClone(old), _number: (old?._number ?? 1) + 1 } };
  c.current_revision = sha;
  Object.assign(c, verifiedLabels([{ username: "zuul", value: zuul }]));
}

let repo: SyntheticRepo;
let fake: FakeGerritRest;
let gerrit: GerritClient;
let clonePath: string;
let sync: MonorepoSync;
const redis = connectRedis(redisUrl());
const prefixes: string[] = [];
const log = quietLogger();

beforeAll(async () => {
  clearModelCache();
  repo = await createSyntheticMonorepo();
  clonePath = join(mkdtempSync(join(tmpdir(), "recheck-clone-")), "sunbeam-charms.git");
  sync = new MonorepoSync({ path: clonePath, remote: repo.dir });
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
  repo?.cleanup();
  rmSync(join(clonePath, ".."), { recursive: true, force: true });
  for (const p of prefixes) await dropPrefix(p);
  await redis.quit();
});

beforeEach(() => {
  fake.changes.splice(
    0,
    fake.changes.length,
    // Trigger: an internal lib of keystone, used by glance and placement.
    monorepoChange(100, [IDENTITY_LIB], { status: "MERGED", minute: 1 }),
    monorepoChange(201, ["charms/glance-k8s/src/charm.py"], { zuul: -1, minute: 2 }),
    monorepoChange(202, ["charms/nova-k8s/src/charm.py"], { zuul: -1, minute: 3 }),
    monorepoChange(203, ["charms/placement-k8s/src/charm.py"], { zuul: 1, minute: 4 }),
    monorepoChange(204, ["charms/keystone-k8s/src/charm.py"], { zuul: -2, minute: 5 }),
    monorepoChange(205, ["charms/keystone-k8s/src/charm.py"], {
      zuul: -1,
      branch: "stable/2024.1",
      minute: 6,
    }),
    monorepoChange(206, ["charms/glance-k8s/src/charm.py"], { zuul: -1, status: "ABANDONED", minute: 7 }),
    monorepoChange(101, ["ops-sunbeam/ops_sunbeam/core.py"], { status: "MERGED", minute: 8 }),
    monorepoChange(102, ["charms/nova-k8s/src/charm.py"], { status: "MERGED", minute: 9 }),
    monorepoChange(300, ["README"], { project: "openstack/other", minute: 10 }),
  );
  fake.reviews.splice(0);
});

function service(recheck: Record<string, unknown> = {}, client: GerritLike = gerrit): AffectedService {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  return new AffectedService({
    gerrit: client,
    gerritUrl: fake.url,
    redis,
    prefix,
    monorepo: MonorepoConfigSchema.parse({ path: clonePath, remote: repo.dir }),
    recheck: RecheckConfigSchema.parse({ ciAccounts: ["zuul"], ...recheck }),
    sync,
    log,
  });
}

const posted = () => fake.reviews.map((r) => Number(r.changeId)).sort();
const url = (n: number) => `${fake.url}/c/${PROJECT}/+/${n}`;

describe("explain", () => {
  it("answers from the clone it made, on the branch head when the change's commit is unknown", async () => {
    const r = await service().explain(url(100));
    expect(r.charms).toEqual(["glance-k8s", "keystone-k8s", "placement-k8s"]);
    // The lib's consumers are affected, but Zuul's file matchers build only its owner.
    expect(r.untested).toEqual(["glance-k8s", "placement-k8s"]);
    expect(r.modelSource).toBe("branch");
    expect(r.modelRev).toBe(repo.sha);
    expect(r.change).toMatchObject({ number: 100, project: PROJECT, url: url(100) });
    expect(r.totalCharms).toBe(8);
  });

  it("refuses links to another Gerrit host and changes of other projects", async () => {
    const s = service();
    await expect(s.explain("https://evil.example.org/c/openstack/sunbeam-charms/+/100")).rejects.toThrow(
      /only links to 127\.0\.0\.1/,
    );
    await expect(s.explain("300")).rejects.toThrow(
      /openstack\/other; only changes of openstack\/sunbeam-charms/,
    );
    const before = fake.requests.length;
    await expect(s.explain("openstack%2Fother~300")).rejects.toBeInstanceOf(UserError);
    expect(fake.requests.length).toBe(before); // refused before asking Gerrit
  });
});

describe("recheck", () => {
  it("dry run: lists what it would recheck and posts nothing", async () => {
    const r = await service().recheck("100", { dryRun: true, all: false, requester: "@alice:x" });
    expect(fake.reviews).toEqual([]);
    expect(r.reply).toContain("Would recheck 2:");
    expect(r.reply).toContain(`[204](${url(204)})`);
    expect(r.reply).toContain(`- no charm in common: [202](${url(202)})`);
    expect(r.reply).toContain(`use --all to include them): [203](${url(203)})`);
    expect(r.reply).toContain("Nothing was posted (dry run).");
    expect(r.reply).not.toContain("205"); // another branch
    expect(r.reply).not.toContain("206"); // abandoned
  });

  it("posts a tagged recheck on the failing changes that share a charm, once per patch set", async () => {
    const s = service();
    const first = await s.recheck(url(100), { dryRun: false, all: false, requester: "@alice:x" });
    expect(posted()).toEqual([201, 204]);
    for (const review of fake.reviews) {
      const c = fake.changes.find((x) => String(x._number) === review.changeId);
      expect(review.revision).toBe(c?.current_revision);
      expect(review.body.tag).toBe("autogenerated:sunbeam-bot");
      expect(review.body.notify).toBe("NONE");
      expect(String(review.body.message)).toMatch(/^recheck\n/);
      expect(String(review.body.message)).toContain("@alice:x");
      expect(String(review.body.message)).toContain(url(100));
    }
    expect(first.reply).toContain(`Rechecked 2:`);
    expect(first.reply).toContain(`- [201](${url(201)}) (patch set 1) Change 201 — shares \`glance-k8s\``);

    const second = await s.recheck("100", { dryRun: false, all: false, requester: "@bob:x" });
    expect(fake.reviews).toHaveLength(2);
    expect(second.reply).toContain("Rechecked nothing.");
    const again = second.reply
      .split("\n")
      .find((l) => l.startsWith("- already rechecked or suggested at this"));
    expect(again).toContain(`[201](${url(201)})`);
    expect(again).toContain(`[204](${url(204)})`);

    // A new patch set that fails again is a new failing patch set.
    newPatchSet(fake.changes.find((c) => c._number === 201) as ChangeInfo, -1);
    await s.recheck("100", { dryRun: false, all: false, requester: "@bob:x" });
    expect(posted()).toEqual([201, 201, 204]);
    expect(fake.reviews[2]?.revision).toBe("c9".padStart(40, "b"));
  });

  it("--all rechecks passing changes that share a charm too", async () => {
    await service().recheck("100", { dryRun: false, all: true, requester: "@alice:x" });
    expect(posted()).toEqual([201, 203, 204]);
  });

  it("caps one command and says so", async () => {
    const r = await service({ maxPerCommand: 1 }).recheck("100", {
      dryRun: false,
      all: false,
      requester: "a",
    });
    expect(posted()).toEqual([204]); // most recently updated first
    expect(r.reply).toContain(
      `over the cap of 1 rechecks per command: run it again later for the rest: [201](${url(201)})`,
    );
  });

  it("limits commands per requester per hour; dry runs do not count", async () => {
    const s = service({ perUserPerHour: 1 });
    await s.recheck("100", { dryRun: true, all: false, requester: "carol" });
    await s.recheck("100", { dryRun: false, all: false, requester: "carol" });
    newPatchSet(fake.changes.find((c) => c._number === 201) as ChangeInfo, -1);
    await expect(s.recheck("100", { dryRun: false, all: false, requester: "carol" })).rejects.toThrow(
      /carol has run 1 recheck command\(s\) this hour, the limit; try again in about \d+ min/,
    );
    expect(posted()).toEqual([201, 204]);
    await s.recheck("100", { dryRun: false, all: false, requester: "dave" });
    expect(posted()).toEqual([201, 201, 204]);
  });

  it("keeps a global hourly budget of recheck comments", async () => {
    const r = await service({ globalPerHour: 1 }).recheck("100", {
      dryRun: false,
      all: false,
      requester: "a",
    });
    expect(posted()).toEqual([204]);
    expect(r.reply).toContain(`hourly recheck limit is reached: try again later: [201](${url(201)})`);
  });

  // Changed with issue 15: the same failing patch set is never rechecked for a second trigger (204), so the
  // cooldown now matters for a new failing patch set (201) only.
  it("with a cooldown, a change rechecked for one trigger is not rechecked for another", async () => {
    const s = service({ cooldownHours: 1 });
    await s.recheck("100", { dryRun: false, all: false, requester: "a" });
    newPatchSet(fake.changes.find((c) => c._number === 201) as ChangeInfo, -1);
    const r = await s.recheck("101", { dryRun: false, all: false, requester: "a" });
    expect(posted()).toEqual([201, 202, 204]);
    // (A posted comment makes a change the most recently updated, so the order is Gerrit's to choose.)
    const line = r.reply.split("\n").find((l) => l.startsWith("- rechecked recently (cooldown): "));
    expect(line).toContain(`[201](${url(201)})`);
    expect(r.reply).toContain(
      `- already rechecked or suggested at this patch set (once per failing patch set): [204](${url(204)})`,
    );
  });

  it("releases the dedup mark when the post fails, so the next run tries again", async () => {
    // The first POST gets a 409 over the wire, as Gerrit answers for a closed change.
    let failed = false;
    const flaky: GerritLike = {
      getChange: (id) => gerrit.getChange(id),
      getFiles: (id, rev) => gerrit.getFiles(id, rev),
      queryChanges: (q, o) => gerrit.queryChanges(q, o),
      postReview: (id, rev, r) => {
        if (!failed) fake.failNext(1, { status: 409, body: "change is closed" });
        failed = true;
        return gerrit.postReview(id, rev, r);
      },
    };
    const s2 = service({ maxPerCommand: 1 }, flaky);
    const r = await s2.recheck("100", { dryRun: false, all: false, requester: "a" });
    expect(fake.reviews).toEqual([]);
    expect(r.reply).toMatch(/posting the recheck failed: \[204\]\([^)]*\) \(.*409/);
    await s2.recheck("100", { dryRun: false, all: false, requester: "a" });
    expect(posted()).toEqual([204]);
  });
});

describe("recheck after an ambiguous failure", () => {
  it("a 504 after Gerrit stored the review: the bot finds its own tagged comment and never posts again", async () => {
    const s2 = service({ maxPerCommand: 1 });
    fake.failNext(1, { status: 504, body: "Gateway Timeout", afterDoing: true, method: "POST" });
    const first = await s2.recheck("100", { dryRun: false, all: false, requester: "a" });
    expect(posted()).toEqual([204]);
    expect(first.reply).not.toMatch(/posting the recheck failed/);
    // The next runs move on to the next candidates; 204 is never rechecked a second time.
    await s2.recheck("100", { dryRun: false, all: false, requester: "a" });
    await s2.recheck("100", { dryRun: false, all: false, requester: "b" });
    expect(posted().filter((n) => n === 204)).toEqual([204]);
    expect(posted().length).toBeGreaterThan(1);
  });

  it("a 504 that did not store it: the next run looks, finds nothing, and posts once", async () => {
    // The POST and the look after it both fail: whether it was stored is unknown.
    fake.failNext(1, { status: 504, body: "Gateway Timeout", method: "POST" });
    const postReview = gerrit.postReview.bind(gerrit);
    const lookFails: GerritLike = {
      getChange: (id) => gerrit.getChange(id),
      getFiles: (id, rev) => gerrit.getFiles(id, rev),
      queryChanges: (q, o) => gerrit.queryChanges(q, o),
      postReview,
      hasTaggedMessage: async (...a) => {
        if (!looked) {
          looked = true;
          fake.failNext(1, { status: 504, body: "Gateway Timeout" });
        }
        return gerrit.hasTaggedMessage(...a);
      },
    };
    let looked = false;
    const s3 = service({ maxPerCommand: 1 }, lookFails);
    const first = await s3.recheck("100", { dryRun: false, all: false, requester: "a" });
    expect(first.reply).toMatch(/posting the recheck failed/);
    expect(posted()).toEqual([]);
    await s3.recheck("100", { dryRun: false, all: false, requester: "a" });
    expect(posted()).toEqual([204]);
    await s3.recheck("100", { dryRun: false, all: false, requester: "a" });
    expect(posted().filter((n) => n === 204)).toEqual([204]);
  });
});

describe("recheckCharms (an event such as an image move)", () => {
  const move = (digest: string) => ({
    id: `oci:ghcr.io/canonical/glance-api@sha256:${digest}`,
    label: `ghcr.io/canonical/glance-api:2024.1-24.04_edge moved to sha256:${digest}…`,
  });

  it("rechecks the failing changes on the default branch that affect the charms, once per move", async () => {
    const s = service();
    const first = await s.recheckCharms(["glance-k8s"], move("aaaa"));
    // 206 is abandoned, 203 is about placement; 205 (keystone, stable branch) shares no charm anyway.
    expect(posted()).toEqual([201]);
    const review = fake.reviews[0];
    expect(review?.body.tag).toBe("autogenerated:sunbeam-bot");
    expect(review?.body.notify).toBe("NONE");
    expect(String(review?.body.message)).toMatch(/^recheck\n/);
    expect(String(review?.body.message)).toContain(move("aaaa").label);
    expect(String(review?.body.message)).toContain(AUTO_REQUESTER);
    expect(first.reply).toContain(
      `**Recheck after ${move("aaaa").label}** (${PROJECT} main; charms: \`glance-k8s\``,
    );
    expect(first.reply).toContain(`Rechecked 1:\n- [201](${url(201)}) (patch set 1) Change 201`);
    expect(first.reply).not.toContain(url(202)); // unrelated changes are only counted

    const again = await s.recheckCharms(["glance-k8s"], move("aaaa"));
    expect(posted()).toEqual([201]);
    expect(again.reply).toContain(
      `- already rechecked or suggested at this patch set (once per failing patch set): [201](${url(201)})`,
    );
    // Changed with issue 15: a later move of the same tag does not recheck the same failing patch set again.
    await s.recheckCharms(["glance-k8s"], move("bbbb"));
    expect(posted()).toEqual([201]);
  });

  it("only the default branch: a failing stable-branch change of a pinning charm is left alone", async () => {
    await service().recheckCharms(["keystone-k8s"], move("cccc"));
    expect(posted()).toEqual([204]);
  });

  it("skips changes of the run's batch, and a dry run posts nothing", async () => {
    const s = service();
    const dry = await s.recheckCharms(["glance-k8s", "keystone-k8s"], move("dddd"), { dryRun: true });
    expect(fake.reviews).toEqual([]);
    expect(dry.reply).toContain("Would recheck 2:");
    const r = await s.recheckCharms(["glance-k8s", "keystone-k8s"], move("dddd"), { batch: new Set([204]) });
    expect(posted()).toEqual([201]);
    expect(r.reply).toContain(`- just rechecked for another trigger of this run: [204](${url(204)})`);
  });

  it("counts against the auto requester's hourly limit like a command", async () => {
    const s = service({ perUserPerHour: 1 });
    await s.recheckCharms(["glance-k8s"], move("eeee"));
    await expect(s.recheckCharms(["keystone-k8s"], move("ffff"))).rejects.toThrow(
      /sunbeam-bot \(auto\) has run 1 recheck command\(s\) this hour/,
    );
    expect(posted()).toEqual([201]);
  });
});

describe("commands", () => {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  const router = () =>
    new CommandRouter(
      [
        ...COMMANDS.filter((c) => c.name !== "affected" && c.name !== "recheck-affected"),
        affectedCommand,
        recheckCommand,
      ],
      { prefix: "!", unauthorized: "refuse", roles: { core: { console: ["alice"] } }, overrides: {} },
      new RedisRateLimiter(redis, prefix, 100, 60),
    );
  // The service goes in through the widened view the commands read, as the Bot passes it.
  const ask = (user: string, text: string, services: object = { affected: service() }) =>
    router().handle({ network: "console", room: "#team", user, text }, services as CommandServices, log);

  it("!recheck-affected needs the core role", async () => {
    const r = await ask("bob", "!recheck-affected 100");
    expect(r).toMatchObject({ outcome: "denied", reply: "Sorry, !recheck-affected needs the core role." });
    expect(fake.reviews).toEqual([]);
  });

  it("!recheck-affected --dry-run answers a core user and posts nothing", async () => {
    const r = await ask("alice", `!recheck-affected ${url(100)} --dry-run`);
    expect(r.outcome).toBe("ok");
    expect(r.reply).toContain("Would recheck 2:");
    expect(fake.reviews).toEqual([]);
    const real = await ask("alice", "!recheck-affected 100");
    expect(real.reply).toContain("Rechecked 2:");
    expect(posted()).toEqual([201, 204]);
  });

  it("!affected answers anyone, with the change and model lines", async () => {
    const r = await ask("bob", "!affected 100");
    expect(r.outcome).toBe("ok");
    expect(r.reply).toContain(`**Change [100](${url(100)})** (patch set 1, ${PROJECT} main)`);
    expect(r.reply).toContain("Model: `");
    expect(r.reply).toContain("**Affected charms (3):**");
    expect(r.reply).toContain("internal lib charms.keystone_k8s.v0.identity_service from keystone-k8s");
  });

  it("says when the service is not configured, and refuses foreign links", async () => {
    expect((await ask("bob", "!affected 100", {})).reply).toMatch(/not enabled/);
    expect((await ask("alice", "!recheck-affected https://evil.example.org/c/x/+/100")).reply).toMatch(
      /only links to/,
    );
  });
});

describe("suggestions on merge", () => {
  const merged = (n: number): GerritEvent => ({
    source: "gerrit",
    kind: "gerrit.change-merged",
    id: `gerrit:change-merged:${n}:1:1700000000`,
    type: "change-merged",
    createdOn: 1700000000,
    project: PROJECT,
    branch: "main",
    change: { number: n },
    patchSet: { number: 1 },
  });
  const sent: { target: ChatTarget; text: string; sendId: string }[] = [];
  const outbox = {
    post: async (target: ChatTarget, m: { text: string }, sendId: string) =>
      void sent.push({ target, text: m.text, sendId }),
  };
  const target = { network: "console", room: "#team" };
  const ctx = { log, jobId: "j", attempt: 1 };
  beforeEach(() => void sent.splice(0));

  it("suggests the recheck command for the failing changes a shared-input change affects", async () => {
    const s = service({ suggestOnMerge: { enabled: true, room: "team" } });
    const handler = suggestRechecks({ service: s, outbox, target, commandPrefix: "!" });
    await handler(merged(101), ctx);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.sendId).toBe("suggest-rechecks:gerrit:change-merged:101:1:1700000000");
    expect(sent[0]?.text).toContain(
      "touches shared inputs: ops-sunbeam/ops_sunbeam/core.py (shared: ops-sunbeam)",
    );
    expect(sent[0]?.text).toContain(
      `3 open changes on main affected by it have a failing Verified vote: [204](${url(204)}), [202](${url(202)}), [201](${url(201)})`,
    );
    expect(sent[0]?.text).toContain("`!recheck-affected 101`");
    expect(fake.reviews).toEqual([]);
  });

  it("stays quiet for a change inside one charm, for other projects, and when disabled", async () => {
    const s = service({ suggestOnMerge: { enabled: true, room: "team" } });
    const handler = suggestRechecks({ service: s, outbox, target, commandPrefix: "!" });
    await handler(merged(102), ctx);
    await handler({ ...merged(300), project: "openstack/other" }, ctx);
    expect(await service().suggestOnMerge(merged(101))).toBeNull();
    expect(sent).toEqual([]);
  });

  it("suggests one failing patch set once over merges; the suggested command still rechecks it", async () => {
    fake.changes.push(
      monorepoChange(103, ["ops-sunbeam/ops_sunbeam/job.py"], { status: "MERGED", minute: 11 }),
    );
    const s = service({ suggestOnMerge: { enabled: true, room: "team" } });
    expect(await s.suggestOnMerge(merged(101))).toContain("3 open changes on main");
    // The same merge replayed names them again (its send id dedups the message); another merge does not.
    expect(await s.suggestOnMerge(merged(101))).toContain("3 open changes on main");
    expect(await s.suggestOnMerge(merged(103))).toBeNull();
    const r = await s.recheck("101", { dryRun: false, all: false, requester: "@alice:x" });
    expect(posted()).toEqual([201, 202, 204]);
    expect(r.reply).toContain("Rechecked 3:");
  });

  it("after a merge inside one charm, suggests its failing dependents only (parent commit, Depends-On)", async () => {
    const parent = fake.changes.find((c) => c._number === 102) as ChangeInfo;
    const child = monorepoChange(207, ["charms/keystone-k8s/src/charm.py"], { zuul: -1, minute: 12 });
    const rev = child.revisions?.[child.current_revision ?? ""] as Record<string, unknown>;
    rev.commit = {
      parents: [{ commit: parent.current_revision, subject: "Nova fix" }],
      subject: "On top of the nova fix",
      message: "On top of the nova fix\n\nChange-Id: I207\n",
    };
    const footer = monorepoChange(208, ["charms/glance-k8s/src/charm.py"], { zuul: -1, minute: 13 });
    const rev2 = footer.revisions?.[footer.current_revision ?? ""] as Record<string, unknown>;
    rev2.commit = {
      parents: [{ commit: "a".repeat(40), subject: "main" }],
      subject: "Needs the nova fix",
      message: `Needs the nova fix\n\nDepends-On: ${url(102)}\nChange-Id: I208\n`,
    };
    fake.changes.push(child, footer);
    const s = service({ suggestOnMerge: { enabled: true, room: "team" } });
    const text = await s.suggestOnMerge(merged(102));
    expect(text).toContain("and open changes depend on it.");
    expect(text).toContain(
      `Depending on it (Depends-On or parent commit): [208](${url(208)}), [207](${url(207)})`,
    );
    // 202 shares nova-k8s but the merge touched no shared input: not suggested.
    expect(text).not.toContain(url(202));
  });

  it("rechecks by itself when autoRecheck is on", async () => {
    const s = service({ suggestOnMerge: { enabled: true, room: "team", autoRecheck: true } });
    const text = await s.suggestOnMerge(merged(101));
    expect(posted()).toEqual([201, 202, 204]);
    expect(String(fake.reviews[0]?.body.message)).toContain(AUTO_REQUESTER);
    expect(text).toContain("Rechecked 3:");
    // A replayed event finds everything done: nothing to say, nothing posted.
    expect(await s.suggestOnMerge(merged(101))).toBeNull();
    expect(fake.reviews).toHaveLength(3);
  });
});

describe("jobs from Zuul's check reports", () => {
  const report = (i: number, change: number, actor = "zuul", pipeline = "check"): GerritEvent => ({
    source: "gerrit",
    kind: "gerrit.comment-added",
    id: `zuul-${change}-${i}-${pipeline}`,
    type: "comment-added",
    createdOn: Math.floor(Date.now() / 1000) - 60 * i,
    project: PROJECT,
    branch: "main",
    change: { number: change },
    patchSet: { number: 1 },
    actor: { username: actor, name: actor === "zuul" ? "Zuul" : actor },
    comment:
      `Patch Set 1: Verified+1\n\nBuild succeeded (${pipeline} pipeline).\nhttps://zuul.opendev.org/t/openstack/buildset/0a1b\n\n` +
      "- openstack-tox-cover https://zuul.opendev.org/t/openstack/build/c0 : SUCCESS in 11m 42s\n" +
      "- charm-build-nova-k8s https://zuul.opendev.org/t/openstack/build/c1 : SUCCESS in 20m 02s\n",
  });

  it("without reports the answer is zuul.d's and says so; with them, Zuul's extra jobs are offered as observed", async () => {
    const s = service();
    const before = await s.explain("202");
    expect(before.zuulJobsBasis).toEqual({ source: "repo", reports: 0 });
    expect(before.zuulJobs).not.toContain("openstack-tox-cover");
    expect(Object.values(before.zuulJobSources).every((v) => v === "repo")).toBe(true);
    // Not Zuul, or not check: not recorded.
    expect(await s.observeReport(report(0, 201, "alice"))).toBe(false);
    expect(await s.observeReport(report(0, 201, "zuul", "gate"))).toBe(false);
    for (let i = 0; i < 5; i++) expect(await s.observeReport(report(i, i % 2 ? 201 : 204))).toBe(true);
    const after = await s.explain("202");
    expect(after.zuulJobsBasis).toEqual({ source: "repo+observed", reports: 5 });
    expect(after.zuulJobs).toContain("openstack-tox-cover");
    expect(after.zuulJobSources["openstack-tox-cover"]).toBe("observed");
    for (const j of before.zuulJobs) expect(after.zuulJobSources[j]).toBe("repo");
    // A job zuul.d knows is never taken from the reports.
    expect(after.zuulJobs.filter((j) => j === "charm-build-nova-k8s").length).toBeLessThanOrEqual(1);
  });
});
