// The weekly cycle-action summary end to end: fake Gerrit REST and Launchpad over HTTP, real Redis and BullMQ.
import { writeFileSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatAdapter, ChatMessage, SendOptions, SentMessage } from "../../../src/chat/adapter.js";
import { Sender, type ChatTarget, type Outbox } from "../../../src/chat/outbox.js";
import { GerritClient, type ChangeInfo } from "../../../src/integrations/gerrit/client.js";
import { LaunchpadClient } from "../../../src/integrations/launchpad/client.js";
import { CommandRouter, type CommandServices } from "../../../src/core/commands.js";
import { PermanentError } from "../../../src/core/errors.js";
import { weeklySummary } from "../../../src/features/summary/handler.js";
import { Queues, jobIdFor } from "../../../src/core/queues.js";
import { connectRedis, keyFor, type Redis } from "../../../src/core/redis.js";
import { Stats } from "../../../src/core/stats.js";
import { summaryCli } from "../../../src/features/summary/cli.js";
import { SummaryConfigSchema } from "../../../src/features/summary/config.js";
import { TriageCompletions } from "../../../src/core/counters.js";
import { SUMMARY_SCHEDULER_ID, scheduleWeeklySummary } from "../../../src/features/summary/schedule.js";
import {
  SummaryService,
  weeklySendId,
  type SummaryServiceOptions,
} from "../../../src/features/summary/service.js";
import { Workers } from "../../../src/core/worker.js";
import actionsCommand from "../../../src/features/summary/command-actions.js";
import summaryCommand from "../../../src/features/summary/commands.js";
import { FakeGerritRest, makeChange } from "../../fakes/gerrit-rest.js";
import { FakeLaunchpad } from "../../fakes/launchpad.js";
import { quietLogger } from "../../helpers/bot.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";

/** Monday 09:00 in London (GMT in November): when the weekly job fires. */
const NOW = new Date("2026-11-23T09:00:00Z");
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const gt = (d: Date) => `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}.000000000`;
const PROJECTS = ["openstack/sunbeam-charms", "openstack/snap-openstack"];
const log = quietLogger();

function change(n: number, o: { at: Date; files: string[] } & Partial<ChangeInfo>): ChangeInfo {
  const { at, files, ...rest } = o;
  const c = makeChange(n, { updated: gt(at), ...rest });
  if (c.status === "MERGED") c.submitted = gt(at);
  const rev = c.revisions?.[c.current_revision ?? ""];
  if (rev) rev.files = Object.fromEntries(files.map((f) => [f, { lines_inserted: 1 }]));
  return c;
}

/** Evidence for the shipped actions file: each change is meant for exactly one action. */
const CHANGES = [
  change(201, {
    status: "MERGED",
    at: ago(3),
    topic: "monorepo",
    subject: "Build every charm from one repository",
    files: ["repository.py", "charms/keystone-k8s/src/charm.py"],
  }),
  change(202, {
    status: "NEW",
    at: ago(2),
    project: "openstack/snap-openstack",
    topic: "plugin-tests",
    subject: "Add observability plugin checks",
    files: ["sunbeam-python/sunbeam/plugins/observability/plugin.py"],
  }),
  change(203, {
    status: "MERGED",
    at: ago(1),
    subject: "Run nova services in one container",
    files: ["charms/nova-k8s/src/charm.py"],
  }),
  change(204, {
    status: "ABANDONED",
    at: ago(2),
    topic: "multinode",
    subject: "Try multinode",
    files: ["zuul.d/nodesets.yaml"],
  }),
  // Release docs merged five weeks ago: the release action's last activity, so it is flagged.
  change(205, {
    status: "MERGED",
    at: ago(35),
    project: "openstack/snap-openstack",
    subject: "Describe the release steps",
    files: ["doc/source/contributor/release/index.rst"],
  }),
];

/** Like the Bot's outbox: the send id is the chat-out job id, so a second post of one id adds nothing. */
class QueueOutbox implements Outbox {
  constructor(private readonly queues: Queues) {}
  async post(target: ChatTarget, message: ChatMessage, sendId: string): Promise<void> {
    await this.queues.add("chat-out", "send", { ...target, text: message.text, sendId }, `send:${sendId}`);
  }
}

/** Counts every delivery, with no dedup of its own: what it records is what the PTL would see. */
class CountingAdapter implements ChatAdapter {
  readonly threads = false;
  readonly delivered: { to: string; text: string; direct: boolean }[] = [];
  constructor(readonly network: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isConnected(): boolean {
    return true;
  }
  async send(room: string, m: ChatMessage, _o?: SendOptions): Promise<SentMessage> {
    this.delivered.push({ to: room, text: m.text, direct: false });
    return {};
  }
  async sendDirect(user: string, m: ChatMessage, _o?: SendOptions): Promise<SentMessage> {
    this.delivered.push({ to: user, text: m.text, direct: true });
    return {};
  }
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const addr = srv.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let gerrit: FakeGerritRest;
let lp: FakeLaunchpad;
let redis: Redis;
let prefix: string;
let queues: Queues;
const extraRedis: Redis[] = [];

const summaryConfig = (extra: Record<string, unknown> = {}) =>
  SummaryConfigSchema.parse({ ptl: { matrix: "@ptl:example.org" }, room: "team", ...extra });

function service(over: Partial<SummaryServiceOptions> = {}, r: Redis = redis): SummaryService {
  return new SummaryService({
    config: summaryConfig(),
    prefix,
    redis: r,
    rooms: { team: { network: "matrix", id: "!team:example.org" } },
    outbox: new QueueOutbox(queues),
    gerrit: {
      client: new GerritClient({ url: gerrit.url, retry: { retries: 0 } }),
      webUrl: "https://review.opendev.org",
      projects: PROJECTS,
    },
    launchpad: {
      client: new LaunchpadClient({ apiRoot: lp.apiRoot, retry: { retries: 0 } }),
      projects: ["snap-openstack"],
    },
    now: () => NOW,
    log,
    ...over,
  });
}

async function chatJobs(): Promise<{ id: string; room: string; text: string }[]> {
  const jobs = await queues.get("chat-out").getJobs(["waiting", "active", "completed", "delayed", "failed"]);
  return jobs.map((j) => ({ id: j.id ?? "", room: String(j.data.room), text: String(j.data.text) }));
}

beforeAll(async () => {
  gerrit = await FakeGerritRest.start({ changes: CHANGES });
  lp = await FakeLaunchpad.start({ projects: ["snap-openstack"], pageSize: 50 });
  lp.addBug({
    title: "Deploy fails on three nodes",
    description: "no logs",
    owner: "reporter",
    tags: ["needs-debug-info"],
    created: ago(3),
  });
  lp.addBug({ title: "Typo in the dashboard", description: "x", owner: "someone", created: ago(2) });
  lp.addBug({
    title: "Old one",
    description: "x",
    owner: "someone",
    tags: ["needs-debug-info"],
    created: ago(30),
  });
  redis = connectRedis(redisUrl());
});

afterAll(async () => {
  await redis?.quit();
  await gerrit?.close();
  await lp?.close();
});

beforeEach(() => {
  prefix = randomPrefix();
  queues = new Queues(redis, prefix, { attempts: 2, backoffMs: 10, keepDays: 7 });
});

afterEach(async () => {
  await queues.close();
  for (const r of extraRedis.splice(0)) await r.quit();
  await dropPrefix(prefix);
});

describe("building the summary", () => {
  it("puts the right changes and bugs under the right actions, flags the stale ones, counts the week", async () => {
    const stats = new Stats(redis, prefix);
    await stats.incr("oci:announced", 2);
    await stats.incr("triage:prompted", 3);
    await new TriageCompletions(redis, prefix).record(42, ago(3), new Date(ago(3).getTime() + 5 * 3600_000));

    const { data } = await service().build();
    const get = (id: string) => data.actions.find((a) => a.action.id === id);
    const urls = (id: string) => get(id)?.evidence.map((e) => e.url);
    const c = (n: number, p = "openstack/sunbeam-charms") => `https://review.opendev.org/c/${p}/+/${n}`;

    expect(data.unavailable).toEqual([]);
    expect(data.actions).toHaveLength(9);
    expect(urls("charms-monorepo")).toEqual([c(201)]);
    expect(urls("plugin-functional-tests")).toEqual([c(202, "openstack/snap-openstack")]);
    expect(urls("single-container-poc")).toEqual([c(203)]);
    expect(urls("multinode-gating")).toEqual([]);
    expect(get("bug-reporting-guidance")?.evidence.map((e) => e.title)).toEqual([
      "#2100001 Deploy fails on three nodes",
    ]);
    expect(get("release-process")?.lastActivity).toBe(ago(35).toISOString());

    const text = service().render(data);
    expect(text).toContain(
      "- **The charms monorepo** (Liam) — in-progress — 1 item: merged [Build every charm from one repository](https://review.opendev.org/c/openstack/sunbeam-charms/+/201)",
    );
    expect(text).toContain(
      "**Document and automate the release process** (unassigned) — open — ⚠ no activity for 5 weeks",
    );
    expect(text).toMatch(/\*\*No activity:\*\* .*release-process \(5 wk\)/);
    expect(text).toMatch(/\*\*No activity:\*\* .*multinode-gating \(8\+ wk\)/);
    expect(text).not.toMatch(/No activity:.*(charms-monorepo|single-container-poc|bug-reporting-guidance)/);
    expect(text).toContain("- new bugs: 2\n");
    expect(text).toContain("- changes merged: 2\n");
    expect(text).toContain("- merged per charm: keystone-k8s 1, nova-k8s 1\n");
    expect(text).toContain("- images announced: 2\n");
    expect(text).toContain("- bugs completed after a prompt: 1\n");
    expect(text).toContain("- median hours to completion: 5\n");
    // Nothing writes the stream counters or rechecks here: named once, not shown as zero.
    expect(text).toContain(
      "- not known this time: rechecks triggered, Gerrit stream reconnects, Gerrit stream uptime %",
    );
  });

  it("still produces the summary when a source fails, and says which one", async () => {
    // One search for tagged bugs, one for new bugs: both get Launchpad's 500 (no retry: the queue's job).
    lp.failNext(2, 500);
    const { data } = await service().build();
    // Launchpad answered nothing; Gerrit's evidence is all there.
    expect(data.unavailable).toEqual(["launchpad"]);
    expect(data.actions.find((a) => a.action.id === "charms-monorepo")?.evidence).toHaveLength(1);
    expect(data.numbers.find((f) => f.name === "new bugs")?.value).toBeNull();
    const text = service().render(data);
    expect(text).toContain("⚠ Could not reach: launchpad");
    // Its tag matcher could not be read and nothing older is known: unknown, not "no activity".
    expect(text).toMatch(
      /Bug-reporting guidance for the Launchpad projects\*\* \(unassigned\) — open — activity unknown/,
    );

    const down = service({
      gerrit: {
        client: new GerritClient({ url: `http://127.0.0.1:${await closedPort()}`, retry: { retries: 0 } }),
        webUrl: "https://review.opendev.org",
        projects: PROJECTS,
      },
      launchpad: {
        client: new LaunchpadClient({
          apiRoot: `http://127.0.0.1:${await closedPort()}/devel`,
          retry: { retries: 0 },
        }),
        projects: ["snap-openstack"],
      },
    });
    const both = await down.build();
    expect(both.data.unavailable).toEqual(["gerrit", "launchpad"]);
    expect(both.data.unavailableReasons.gerrit).toMatch(/ECONNREFUSED|connect/i);
    expect(both.data.actions.map((a) => a.action.owner)).toContain("Liam");
    expect(down.render(both.data)).toContain("⚠ Could not reach: gerrit, launchpad");
    // And it is still sent.
    const r = await down.sendWeekly(NOW);
    expect(r.sent).toEqual(["matrix", "room:team"]);
    expect(r.unavailable).toEqual(["gerrit", "launchpad"]);
  });
});

describe("weekly sends", () => {
  it("shows each number with its change from the previous week", async () => {
    const stats = new Stats(redis, prefix);
    await stats.incr("oci:announced", 2);
    const first = await service().sendWeekly(ago(7));
    expect(first).toMatchObject({ week: "2026-W47", sent: ["matrix", "room:team"] });
    await stats.incr("oci:announced", 3);
    await stats.incr("recheck:posted", 4);
    const second = await service().sendWeekly(NOW);
    expect(second.week).toBe("2026-W48");

    const jobs = await chatJobs();
    expect(jobs.map((j) => j.id).sort()).toEqual(
      [
        weeklySendId("2026-W47", "matrix"),
        weeklySendId("2026-W47", "room:team"),
        weeklySendId("2026-W48", "matrix"),
        weeklySendId("2026-W48", "room:team"),
      ]
        .map((id) => jobIdFor(`send:${id}`))
        .sort(),
    );
    const text =
      jobs.find((j) => j.id === jobIdFor(`send:${weeklySendId("2026-W48", "matrix")}`))?.text ?? "";
    expect(text).toContain("**Numbers** (change from the previous summary):");
    expect(text).toContain("- images announced: 3 (+1)");
    // Nothing merged or filed in the week before: the deltas are the whole figure.
    expect(text).toContain("- new bugs: 2 (+2)");
    expect(text).toContain("- changes merged: 2 (+2)");
    // The counter appeared this week: no previous figure, no delta.
    expect(text).toContain("- rechecks triggered: 4\n");
    // The period starts where the previous summary ended.
    expect(text).toContain("· 2026-11-16 → 2026-11-23");
  });

  it("delivers one summary per week and target with two workers racing and after a restart", async () => {
    const a = connectRedis(redisUrl());
    const b = connectRedis(redisUrl());
    extraRedis.push(a, b);
    const [ra, rb] = await Promise.all([service({}, a).sendWeekly(NOW), service({}, b).sendWeekly(NOW)]);
    expect([...ra.sent, ...ra.skipped].sort()).toEqual(["matrix", "room:team"]);
    expect([...rb.sent, ...rb.skipped].sort()).toEqual(["matrix", "room:team"]);

    // Deliver what was queued through the real sender.
    const matrix = new CountingAdapter("matrix");
    const sender = new Sender(new Map([["matrix", matrix]]), redis, prefix);
    const workers = new Workers(
      { "chat-out": (job) => sender.deliver(job) },
      { connection: redis, prefix, concurrency: 1, log },
    );
    workers.start();
    try {
      for (let i = 0; i < 200; i++) {
        const c = await queues.get("chat-out").getJobCounts("waiting", "active", "delayed", "completed");
        if (c.completed === 2 && !c.waiting && !c.active && !c.delayed) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await workers.close();
    }
    expect(matrix.delivered.map((d) => [d.to, d.direct]).sort()).toEqual([
      ["!team:example.org", false],
      ["@ptl:example.org", true],
    ]);

    // A restart (new process, new connection) in the same week sends nothing.
    const c = connectRedis(redisUrl());
    extraRedis.push(c);
    const again = await service({}, c).sendWeekly(new Date(NOW.getTime() + 3 * 3600_000));
    expect(again).toMatchObject({ week: "2026-W48", sent: [], skipped: ["matrix", "room:team"] });
    expect(await chatJobs()).toHaveLength(2);
  });

  it("a run that died between mark and send is completed by the retry, once", async () => {
    const week = "2026-W48";
    const mark = (t: string) => keyFor(prefix, "summary", "sent", week, t);
    // Died after claiming both targets; it had already queued the DM but not the room message.
    await redis.set(mark("matrix"), "pending");
    await redis.set(mark("room:team"), "pending");
    await new QueueOutbox(queues).post(
      { network: "matrix", room: "@ptl:example.org", direct: true },
      { text: "from the run that died" },
      weeklySendId(week, "matrix"),
    );
    const r = await service().sendWeekly(NOW);
    expect(r.sent).toEqual(["matrix", "room:team"]);
    const jobs = await chatJobs();
    expect(jobs).toHaveLength(2);
    // The DM queued before the crash is the one that stays: no second DM.
    expect(jobs.find((j) => j.room === "@ptl:example.org")?.text).toBe("from the run that died");
    expect(await redis.get(mark("matrix"))).toBe("sent");
    expect((await service().sendWeekly(NOW)).sent).toEqual([]);
  });

  it("the job handler sends, and fails at once on a broken actions file", async () => {
    const handler = weeklySummary(service());
    await handler({}, { log, jobId: "j1", attempt: 1 });
    expect(await chatJobs()).toHaveLength(2);

    const dir = mkdtempSync(join(tmpdir(), "actions-"));
    const bad = join(dir, "actions.yaml");
    writeFileSync(bad, "cycle: x\nactions:\n  - id: Bad Id\n");
    // Next week (this week is already sent, so nothing would be read).
    const broken = weeklySummary(
      service({ config: summaryConfig({ actionsFile: bad }), now: () => new Date(NOW.getTime() + 7 * DAY) }),
    );
    await expect(broken({}, { log, jobId: "j2", attempt: 1 })).rejects.toBeInstanceOf(PermanentError);
  });

  it("keeps one job scheduler with the configured cron and time zone however many replicas upsert it", async () => {
    const q = new Queue("summary", { connection: redis, prefix });
    try {
      const cfg = summaryConfig({ cron: "30 8 * * 1", timezone: "Europe/Paris" });
      await Promise.all([scheduleWeeklySummary(q, cfg), scheduleWeeklySummary(q, cfg)]);
      await scheduleWeeklySummary(q, cfg);
      const s = await q.getJobSchedulers();
      expect(s).toHaveLength(1);
      expect(s[0]).toMatchObject({ key: SUMMARY_SCHEDULER_ID, pattern: "30 8 * * 1", tz: "Europe/Paris" });
      await scheduleWeeklySummary(q, { ...cfg, enabled: false });
      expect(await q.getJobSchedulers()).toHaveLength(0);
    } finally {
      await q.close();
    }
  });
});

describe("chat commands", () => {
  function router() {
    return new CommandRouter(
      [actionsCommand, summaryCommand],
      {
        prefix: "!",
        unauthorized: "refuse",
        roles: { core: { matrix: ["@core:example.org"] }, ptl: { matrix: ["@ptl:example.org"] } },
        overrides: {},
      },
      { hit: async () => true, describe: () => "no limit" },
    );
  }

  it("!actions done and note show in the next summary, with who and when; others may only read", async () => {
    const svc = service();
    const services = { ...svc.commandServices() } as CommandServices;
    const say = async (user: string, text: string) =>
      (await router().handle({ network: "matrix", room: "!team:example.org", user, text }, services, log))
        .reply ?? "";

    expect(await say("@core:example.org", "!actions done multinode-gating")).toBe(
      "Marked `multinode-gating` done.",
    );
    expect(
      await say("@ptl:example.org", "!actions note charms-monorepo zuul jobs moved to the monorepo"),
    ).toBe("Noted on `charms-monorepo`.");
    expect(await say("@ptl:example.org", "!actions status release-process in-progress")).toBe(
      "`release-process` is now in-progress.",
    );
    expect(await say("@someone:example.org", "!actions done release-process")).toBe(
      "Sorry, changing an action needs the core or ptl role.",
    );
    expect(await say("@core:example.org", "!actions done no-such-action")).toMatch(
      /^No action "no-such-action"\./,
    );
    expect(await say("@core:example.org", "!actions status release-process finished")).toMatch(
      /^Status must be one of open, in-progress, done, dropped/,
    );

    const list = await say("@someone:example.org", "!actions");
    expect(list).toContain(
      "- `multinode-gating` **Multi-node testing in gating (LXD on a big instance, or third-party CI)** (unassigned) — done (set by @core:example.org 2026-11-23)",
    );
    expect(list).toContain("— note (@ptl:example.org): zuul jobs moved to the monorepo");

    const summary = await say("@someone:example.org", "!summary");
    expect(summary).toContain(
      "- **Multi-node testing in gating (LXD on a big instance, or third-party CI)** (unassigned) — done (set by @core:example.org 2026-11-23)",
    );
    expect(summary).toContain("— note (@ptl:example.org, 2026-11-23): zuul jobs moved to the monorepo");
    expect(summary).toContain(
      "Document and automate the release process** (unassigned) — in-progress (set by @ptl:example.org",
    );
    // A done action is never "no activity".
    expect(summary).not.toMatch(/No activity:.*multinode-gating/);
    // Asking is not sending: nothing went to the PTL.
    expect(await chatJobs()).toHaveLength(0);
  });
});

describe("sunbeam-bot summary (the CLI's function)", () => {
  it("lists all nine shipped actions with owner and status when nothing can be reached", async () => {
    const r = await summaryCli({
      json: true,
      redis: { url: `redis://127.0.0.1:${await closedPort()}`, prefix },
      gerrit: { url: `http://127.0.0.1:${await closedPort()}` },
      launchpad: { apiRoot: `http://127.0.0.1:${await closedPort()}/devel` },
      now: NOW,
      log,
    });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.output) as {
      unavailable: string[];
      unavailableReasons: Record<string, string>;
      actions: { id: string; owner: string; status: string }[];
      numbers: { name: string; value: unknown }[];
    };
    expect(doc.unavailable).toEqual(["gerrit", "launchpad", "redis"]);
    expect(doc.unavailableReasons.redis).toMatch(/ECONNREFUSED/);
    expect(doc.actions).toHaveLength(9);
    expect(doc.actions.find((a) => a.id === "charms-monorepo")).toMatchObject({
      owner: "Liam",
      status: "in-progress",
    });
    expect(doc.actions.every((a) => a.owner && a.status)).toBe(true);
  });

  it("reads chat updates from Redis and evidence from the APIs; --since sets the period", async () => {
    await service().actions.setStatus("oci-image-tracking", "dropped", "@ptl:example.org");
    const r = await summaryCli({
      json: true,
      since: "2026-11-21",
      redis: { url: redisUrl(), prefix },
      gerrit: { url: gerrit.url, projects: PROJECTS },
      launchpad: { apiRoot: lp.apiRoot },
      now: NOW,
      log,
    });
    const doc = JSON.parse(r.output) as {
      since: string;
      unavailable: string[];
      actions: { id: string; status: string; evidenceCount: number; statusSetBy: { by: string } | null }[];
    };
    expect(doc.since).toBe("2026-11-21T00:00:00.000Z");
    expect(doc.unavailable).toEqual([]);
    const a = (id: string) => doc.actions.find((x) => x.id === id);
    expect(a("oci-image-tracking")).toMatchObject({
      status: "dropped",
      statusSetBy: { by: "@ptl:example.org" },
    });
    // 203 (a day ago) is in the period, 201 (three days ago) is not.
    expect(a("single-container-poc")?.evidenceCount).toBe(1);
    expect(a("charms-monorepo")?.evidenceCount).toBe(0);

    const text = await summaryCli({
      redis: { url: redisUrl(), prefix },
      launchpad: { apiRoot: lp.apiRoot },
      now: NOW,
      log,
    });
    expect(text.output.split("\n").filter((l) => l.startsWith("- **"))).toHaveLength(9);
    expect(text.output).toContain("⚠ Could not reach: gerrit");

    const check = await summaryCli({ check: true, json: true });
    expect(JSON.parse(check.output)).toMatchObject({ ok: true, actions: 9 });
  });
});
