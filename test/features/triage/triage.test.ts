// Launchpad triage end to end: poller + handler + client against the fake Launchpad over HTTP, with real Redis.
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../../src/chat/adapter.js";
import type { ChatTarget, Outbox } from "../../../src/chat/outbox.js";
import { LaunchpadClient } from "../../../src/integrations/launchpad/client.js";
import { RetryLaterError } from "../../../src/core/errors.js";
import { triageBug, triageFlow } from "../../../src/features/triage/handler.js";
import { createLogger } from "../../../src/core/log.js";
import { connectRedis, keyFor, type Redis } from "../../../src/core/redis.js";
import { launchpadPollJob, pollLaunchpad } from "../../../src/features/triage/poller.js";
import { launchpadConfig, type LaunchpadConfig } from "../../../src/features/triage/config.js";
import type { LaunchpadBugNewEvent, LaunchpadEvent } from "../../../src/core/events.js";
import { MARKER } from "../../../src/features/triage/prompt.js";
import { triageCli, triageService } from "../../../src/features/triage/cli.js";
import { loadChecklist } from "../../../src/features/triage/checklist.js";
import { launchpadLogin } from "../../../src/features/triage/login.js";
import { TriageStore } from "../../../src/features/triage/state.js";
import type { JobContext } from "../../../src/core/worker.js";
import { FakeLaunchpad, WITH_RESPONSE, WITHOUT_RESPONSE, type FakeBug } from "../../fakes/launchpad.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";

const TOKEN = "bot-token-key";
const SECRET = "bot-token-secret";
const PROJECT = "snap-openstack";
const ROOM: ChatTarget = { network: "console", room: "triage" };

const SCANTY = "The bootstrap gets stuck and after a long time it fails with an error. Screenshot attached.";
const FULL_REPLY = `Sorry! Ubuntu 24.04.1 LTS, single node, local provider.
openstack  2024.1  599  2024.1/stable  canonical✓  -
Steps to reproduce:
1. sudo snap install openstack --channel 2024.1/stable
2. sunbeam cluster bootstrap --accept-defaults
Error: Timed out while waiting for model 'openstack' to be ready
The sosreport is attached.`;

/** What reached the triage room, with the Launchpad writes made before each post (to check the order). */
class RecordingOutbox implements Outbox {
  readonly posts: { target: ChatTarget; text: string; sendId: string; lpWritesBefore: string[] }[] = [];
  constructor(private readonly fake: () => FakeLaunchpad) {}
  async post(target: ChatTarget, message: ChatMessage, sendId: string): Promise<void> {
    // Every call is kept (no dedup by send id here): the handler itself must never repeat a note.
    this.posts.push({
      target,
      text: message.text,
      sendId,
      lpWritesBefore: this.fake().writes.map((w) => w.kind),
    });
  }
}

let redis: Redis;
let prefix: string;
let fake: FakeLaunchpad;
let outbox: RecordingOutbox;
let logLines: string[];

beforeAll(() => {
  redis = connectRedis(redisUrl());
});
afterAll(async () => {
  await redis.quit();
});
beforeEach(async () => {
  prefix = randomPrefix();
  fake = await FakeLaunchpad.start({ token: TOKEN, tokenSecret: SECRET, pageSize: 3 });
  outbox = new RecordingOutbox(() => fake);
  logLines = [];
});
afterEach(async () => {
  await fake.close();
  await dropPrefix(prefix);
});

const logger = () =>
  createLogger({
    level: "info",
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  });

const botClient = () =>
  new LaunchpadClient({
    apiRoot: fake.apiRoot,
    token: TOKEN,
    tokenSecret: SECRET,
    retry: { baseDelayMs: 1 },
    sleep: async () => undefined,
  });
const anonClient = () => new LaunchpadClient({ apiRoot: fake.apiRoot });

/** A fresh handler instance (as after a restart): its own client and store, the same Redis data. */
function handler(over: Partial<LaunchpadConfig> = {}, client: LaunchpadClient = botClient()) {
  const config = launchpadConfig({ writes: true, triageRoom: "triage", ...over });
  return triageFlow({
    client,
    store: new TriageStore(redis, prefix),
    outbox,
    room: ROOM,
    config,
    log: logger(),
  });
}

async function poll(pageSize = 50): Promise<LaunchpadEvent[]> {
  const r = await pollLaunchpad({
    client: anonClient(),
    project: PROJECT,
    cursorStore: new TriageStore(redis, prefix),
    pageSize,
  });
  return r.events;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

function fileBug(over: Partial<Parameters<FakeLaunchpad["addBug"]>[0]> = {}): FakeBug {
  return fake.addBug({
    title: "sunbeam cluster bootstrap stuck at Deploying OpenStack Control Plane",
    description: SCANTY,
    owner: "reporter",
    created: minutesAgo(30),
    ...over,
  });
}

function newEvent(bug: FakeBug, createdAt = bug.created.toISOString()): LaunchpadBugNewEvent {
  return {
    source: "launchpad",
    kind: "launchpad.bug-new",
    id: `lp:${bug.id}:new`,
    project: PROJECT,
    bug: bug.id,
    title: bug.title,
    createdAt,
    detectedAt: Date.now(),
  };
}

const botComments = (b: FakeBug) => b.messages.filter((m) => m.owner === "sunbeam-bot");
const lpWrites = () => fake.requests.filter((r) => r.method !== "GET");

/** A bug that the bot has prompted (comment, Incomplete, tag, note). */
async function promptedBug(): Promise<FakeBug> {
  const bug = fileBug();
  const [e] = await poll();
  if (!e) throw new Error("no event");
  expect(await handler()(e)).toMatchObject({ action: "prompted" });
  return bug;
}

describe("a new bug missing debug info", () => {
  it("gets exactly one comment, then Incomplete, then the tag, then a triage-room note", async () => {
    const bug = fileBug();
    const events = await poll();
    expect(events).toEqual([expect.objectContaining({ kind: "launchpad.bug-new", bug: bug.id })]);
    const h = handler();
    const out = await h(events[0] as LaunchpadEvent);
    expect(out).toMatchObject({ action: "prompted", dryRun: false });

    expect(fake.writes.map((w) => w.kind)).toEqual(["comment", "status", "tags"]);
    const [comment, status, tags] = fake.writes;
    expect(comment).toMatchObject({ kind: "comment", owner: "sunbeam-bot" });
    const text = comment?.kind === "comment" ? comment.content : "";
    expect(text).toMatch(/^Thanks for the report/);
    expect(text).toContain("sudo sos report -k sunbeam.juju-allow-login=True");
    expect(text).not.toMatch(/sunbeam\s+inspect/);
    expect(text.trimEnd().split("\n").at(-1)).toMatch(
      new RegExp(`^${MARKER} missing=snap_version,os_release,`),
    );
    expect(status).toEqual({ kind: "status", bugId: bug.id, from: "New", to: "Incomplete" });
    expect(tags).toMatchObject({ kind: "tags", after: ["needs-debug-info"] });
    // Comment before status: the bug waits "without response", so expiry and reply detection work.
    expect(fake.bug(bug.id).status).toBe(WITHOUT_RESPONSE);

    expect(outbox.posts).toHaveLength(1);
    const note = outbox.posts[0];
    expect(note?.lpWritesBefore).toEqual(["comment", "status", "tags"]);
    expect(note?.target).toEqual(ROOM);
    expect(note?.text).toContain(`Bug #${bug.id} "sunbeam cluster bootstrap stuck`);
    expect(note?.text).toContain(`https://bugs.launchpad.test/bugs/${bug.id}`);
    expect(note?.text).toMatch(/missing snap_version, os_release, deployment, error_output/);
    expect(note?.text).toMatch(/asked the reporter and set it Incomplete/);

    // The same event again (a replay, a second replica): nothing more anywhere.
    expect(await handler()(events[0] as LaunchpadEvent)).toMatchObject({ action: "ignored" });
    expect(fake.writes).toHaveLength(3);
    expect(outbox.posts).toHaveLength(1);
    // The bot's own writes are not a reply.
    expect(await poll()).toEqual([]);
  });

  it("waits for the grace period before reading anything", async () => {
    const created = new Date("2025-03-01T10:00:00Z");
    const bug = fileBug({ created });
    const h = triageFlow({
      client: botClient(),
      store: new TriageStore(redis, prefix),
      outbox,
      room: ROOM,
      config: launchpadConfig({ writes: true, graceMinutes: 10 }),
      log: logger(),
      now: () => created.getTime() + 2 * 60_000,
    });
    const err = await h(newEvent(bug)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).retryAfterMs).toBe(8 * 60_000);
    expect(fake.requests).toHaveLength(0);
  });

  it("runs as the triage queue's handler; without a triage room the note goes to the log", async () => {
    const bug = fileBug();
    const asHandler: (data: LaunchpadEvent, ctx: JobContext) => Promise<void> = triageBug({
      client: botClient(),
      store: new TriageStore(redis, prefix),
      outbox,
      config: launchpadConfig(),
      log: logger(),
    });
    await asHandler(newEvent(bug), { log: logger(), jobId: "j1", attempt: 1 });
    expect(outbox.posts).toEqual([]);
    expect(fake.writes).toEqual([]); // dry-run by default
    const noted = logLines.map((l) => JSON.parse(l) as { msg: string; note?: string });
    expect(noted.find((l) => l.msg.startsWith("triage note"))?.note).toMatch(/^\[dry-run\] Bug #/);
  });

  it("a complete report gets no comment, only a 'ready for triage' note (messages read over pages)", async () => {
    const bug = fileBug({ description: "It fails." });
    // The information comes in the reporter's later comments: the last one is on the second page.
    for (const c of ["more soon", "still collecting", "here it is", FULL_REPLY]) {
      fake.addMessage(bug.id, { owner: "reporter", content: c, created: minutesAgo(25) });
    }
    fake.addAttachment(bug.id, { title: "node1 sos", filename: "sosreport-node1-2025-01-01-abc.tar.xz" });
    const [e] = await poll();
    expect(await handler()(e as LaunchpadEvent)).toEqual({ bug: bug.id, action: "complete" });
    expect(lpWrites()).toEqual([]);
    expect(outbox.posts.map((p) => p.text)).toEqual([
      expect.stringMatching(/debug info complete: ready for triage/),
    ]);
    const pages = fake.requests.filter((r) => r.path.endsWith("/messages"));
    expect(pages.map((r) => r.query.get("ws.start"))).toEqual([null, "3"]);
    // The attachment's title is not a file name: its name came from the 303, the file was never fetched.
    expect(fake.requests.some((r) => r.path.endsWith("/data") && r.status === 303)).toBe(true);
    expect(fake.librarianDownloads).toBe(0);
  });

  it("leaves alone bugs a human handled, and bugs the skip rules exclude", async () => {
    const triaged = fileBug({ status: "Triaged" });
    const important = fileBug({ importance: "High" });
    const assigned = fileBug({ assignee: "a-triager" });
    const discussed = fileBug();
    fake.addMessage(discussed.id, { owner: "a-triager", content: "Looking.", created: minutesAgo(20) });
    const optedOut = fileBug({ tags: ["triage-bot-skip"] });
    const rfe = fileBug({ title: "[RFE] support IPv6 only deployments" });
    const h = handler({ reporterAllowList: ["team-member"] });
    const member = fileBug({ owner: "team-member" });
    const reasons: string[] = [];
    for (const b of [triaged, important, assigned, discussed, optedOut, rfe, member]) {
      const out = await h(newEvent(b));
      expect(out.action).toBe("ignored");
      if (out.action === "ignored") reasons.push(out.reason);
    }
    expect(reasons).toEqual([
      "status is Triaged",
      "importance is High",
      "assigned to a-triager",
      "a-triager commented",
      "tagged triage-bot-skip",
      "title starts with [RFE]",
      "reporter team-member is on the allow-list",
    ]);
    expect(lpWrites()).toEqual([]);
    expect(outbox.posts).toEqual([]);
  });

  it("polls every page of new bugs", async () => {
    const bugs = Array.from({ length: 7 }, (_, i) => fileBug({ created: minutesAgo(40 - i) }));
    const events = await poll(2);
    expect(events.map((e) => e.bug)).toEqual(bugs.map((b) => b.id));
    const searches = fake.requests.filter(
      (r) => r.query.get("ws.op") === "searchTasks" && r.query.getAll("status").includes("New"),
    );
    expect(searches.slice(0, 4).map((r) => r.query.get("ws.start"))).toEqual([null, "2", "4", "6"]);
    // The cursor moved past them: the next poll emits nothing new.
    expect((await poll(2)).filter((e) => e.kind === "launchpad.bug-new")).toEqual([]);
  });
});

describe("restarts and retries", () => {
  it("a crash after the comment: a second instance sets Incomplete and the tag, and comments nothing", async () => {
    const bug = fileBug();
    const [e] = await poll();
    fake.failNextWrite("status", 500);
    const first = await handler()(e as LaunchpadEvent).catch((err: unknown) => err);
    expect(first).toBeInstanceOf(RetryLaterError); // Launchpad OOPS: the queue retries the job
    expect(fake.writes.map((w) => w.kind)).toEqual(["comment"]);
    expect(outbox.posts).toEqual([]);

    await handler()(e as LaunchpadEvent); // the retried job, on another instance
    expect(fake.writes.map((w) => w.kind)).toEqual(["comment", "status", "tags"]);
    expect(botComments(fake.bug(bug.id))).toHaveLength(1);
    expect(outbox.posts).toHaveLength(1);
    expect(outbox.posts[0]?.lpWritesBefore).toEqual(["comment", "status", "tags"]);
  });

  it("a crash before the comment was recorded: the marker on the bug prevents a second comment", async () => {
    const bug = fileBug();
    const [e] = await poll();
    fake.failNextWrite("status", 500);
    await handler()(e as LaunchpadEvent).catch(() => undefined);
    // Lose the record of the comment, as if the process died between the POST and the Redis write.
    await redis.del(keyFor(prefix, "triage", "bug", bug.id));
    await handler()(e as LaunchpadEvent);
    expect(fake.writes.map((w) => w.kind)).toEqual(["comment", "status", "tags"]);
    expect(botComments(fake.bug(bug.id))).toHaveLength(1);
    expect(outbox.posts).toHaveLength(1);
  });

  it("re-reads and retries a tag edit that raced another edit (412)", async () => {
    const bug = fileBug({ tags: ["sunbeam"] });
    fake.raceNextTagWrite(bug.id, (b) => b.tags.push("regression"));
    await handler()(newEvent(bug));
    const patches = fake.requests.filter((r) => r.method === "PATCH" && r.path === `/devel/bugs/${bug.id}`);
    expect(patches.map((r) => r.status)).toEqual([412, 209]);
    expect(fake.bug(bug.id).tags).toEqual(["needs-debug-info", "regression", "sunbeam"]);
    expect(botComments(fake.bug(bug.id))).toHaveLength(1);
  });

  it("caps Launchpad writes per poll interval: the next bug waits in the queue", async () => {
    const a = fileBug();
    const b = fileBug();
    const h = handler({ maxWritesPerRun: 3 });
    await h(newEvent(a));
    const err = await h(newEvent(b)).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).message).toMatch(/write budget/);
    expect(fake.writes.every((w) => w.bugId === a.id)).toBe(true);
    expect(fake.writes).toHaveLength(3);
  });

  it("a human's status change between our steps is never overridden", async () => {
    const bug = fileBug();
    fake.failNextWrite("status", 500);
    await handler()(newEvent(bug)).catch(() => undefined);
    fake.store.setStatus(fake.bug(bug.id), "Triaged"); // a triager, meanwhile
    expect(await handler()(newEvent(bug))).toMatchObject({ action: "ignored" });
    expect(fake.writes.map((w) => w.kind)).toEqual(["comment"]);
    expect(fake.bug(bug.id).status).toBe("Triaged");
  });
});

describe("replies", () => {
  it("a reply completing the info: tag off, back to New, one thanks, a 'ready for triage' note", async () => {
    const bug = await promptedBug();
    fake.addMessage(bug.id, { owner: "reporter", content: FULL_REPLY });
    fake.addAttachment(bug.id, {
      title: "sosreport-node1-2025-01-01-abc.tar.xz",
      filename: "sosreport-node1-2025-01-01-abc.tar.xz",
    });
    expect(fake.bug(bug.id).status).toBe(WITH_RESPONSE);
    const events = await poll();
    expect(events).toEqual([
      expect.objectContaining({ kind: "launchpad.bug-replied", bug: bug.id, reason: "with-response" }),
    ]);
    const before = fake.writes.length;
    expect(await handler()(events[0] as LaunchpadEvent)).toMatchObject({ action: "reply-complete" });
    const after = fake.writes.slice(before);
    expect(after.map((w) => w.kind)).toEqual(["tags", "status", "comment"]);
    expect(after[1]).toMatchObject({ from: WITH_RESPONSE, to: "New" }); // the fake records the stored status
    expect(fake.bug(bug.id)).toMatchObject({ status: "New", tags: [] });
    const thanks = botComments(fake.bug(bug.id));
    expect(thanks).toHaveLength(2); // the prompt and the thanks: never a second prompt
    expect(thanks[1]?.content).toMatch(/^Thank you, the debug information is now complete/);
    expect(thanks[1]?.content.trimEnd().endsWith(`${MARKER} complete`)).toBe(true);
    const note = outbox.posts.at(-1);
    expect(note?.lpWritesBefore.slice(before)).toEqual(["tags", "status", "comment"]);
    expect(note?.text).toMatch(/supplied the missing debug info; set back to New: ready for triage/);

    // Done for good: a replay and later polls change nothing.
    expect(await handler()(events[0] as LaunchpadEvent)).toMatchObject({ action: "ignored" });
    expect(await poll()).toEqual([]);
    expect(fake.writes).toHaveLength(before + 3);
  });

  it("a partial reply tells the triagers only; the reporter is never prompted twice", async () => {
    const bug = await promptedBug();
    const writes = fake.writes.length;
    fake.addMessage(bug.id, { owner: "reporter", content: "It is Ubuntu 24.04 on a single node." });
    const [first] = await poll();
    expect(await handler()(first as LaunchpadEvent)).toMatchObject({
      action: "reply-partial",
      // steps: the title names the failing `sunbeam cluster bootstrap` (issue 14: a single command counts)
      missing: ["snap_version", "error_output", "juju_status", "sunbeam_logs", "diag_bundle"],
    });
    expect(fake.writes).toHaveLength(writes);
    expect(outbox.posts.at(-1)?.text).toMatch(
      /the reporter replied but is still missing snap_version.*not prompting again/,
    );
    expect(await handler()(first as LaunchpadEvent)).toMatchObject({ action: "ignored" });
    expect(outbox.posts).toHaveLength(2);

    // A second partial answer: another note, still no comment.
    fake.addMessage(bug.id, { owner: "reporter", content: "openstack 2024.1 599 2024.1/stable canonical -" });
    const [second] = await poll();
    expect(await handler()(second as LaunchpadEvent)).toMatchObject({ action: "reply-partial" });
    expect(outbox.posts).toHaveLength(3);
    expect(fake.writes).toHaveLength(writes);
    expect(fake.bug(bug.id)).toMatchObject({ status: WITH_RESPONSE, tags: ["needs-debug-info"] });

    // The rest arrives: flipped back.
    fake.addMessage(bug.id, { owner: "reporter", content: FULL_REPLY });
    fake.addAttachment(bug.id, { title: "sosreport-n1-x.tar.xz", filename: "sosreport-n1-x.tar.xz" });
    const [third] = await poll();
    expect(await handler()(third as LaunchpadEvent)).toMatchObject({ action: "reply-complete" });
    expect(botComments(fake.bug(bug.id))).toHaveLength(2);
  });

  it("a human's status change after the prompt is left alone", async () => {
    const bug = await promptedBug();
    fake.addMessage(bug.id, { owner: "reporter", content: FULL_REPLY });
    const [e] = await poll();
    fake.store.setStatus(fake.bug(bug.id), "Confirmed"); // a triager, before the job runs
    const writes = fake.writes.length;
    expect(await handler()(e as LaunchpadEvent)).toEqual({
      bug: bug.id,
      action: "ignored",
      reason: "status is Confirmed",
    });
    expect(fake.writes).toHaveLength(writes);
    expect(fake.bug(bug.id).status).toBe("Confirmed");
    expect(outbox.posts).toHaveLength(1); // the first note only
  });

  it("a reply that came before our Incomplete is found by the reporter-comment search", async () => {
    const bug = fileBug();
    const [e] = await poll();
    fake.failNextWrite("status", 500);
    await handler()(e as LaunchpadEvent).catch(() => undefined);
    fake.addMessage(bug.id, { owner: "reporter", content: FULL_REPLY });
    fake.addAttachment(bug.id, { title: "sosreport-n1-x.tar.xz", filename: "sosreport-n1-x.tar.xz" });
    const replies = await poll();
    expect(replies).toEqual([
      expect.objectContaining({ kind: "launchpad.bug-replied", bug: bug.id, reason: "reporter-comment" }),
    ]);
    expect(await handler()(replies[0] as LaunchpadEvent)).toMatchObject({ action: "reply-complete" });
    // Never set Incomplete over the answer; thanked once; the new-bug job then has nothing left to do.
    expect(fake.writes.map((w) => w.kind)).toEqual(["comment", "comment"]);
    expect(fake.bug(bug.id).status).toBe("New");
    expect(await handler()(e as LaunchpadEvent)).toMatchObject({ action: "ignored" });
    expect(fake.writes).toHaveLength(2);
  });
});

describe("dry-run (the default)", () => {
  it("writes nothing to Launchpad, logs the intended writes and shows them in the triage room", async () => {
    const bug = fileBug();
    const [e] = await poll();
    // Anonymous client: dry-run needs no token at all.
    const h = handler({ writes: undefined }, anonClient());
    expect(await h(e as LaunchpadEvent)).toMatchObject({ action: "prompted", dryRun: true });
    expect(lpWrites()).toEqual([]);
    expect(fake.writes).toEqual([]);
    expect(fake.bug(bug.id)).toMatchObject({ status: "New", tags: [] });
    expect(outbox.posts).toHaveLength(1);
    const text = outbox.posts[0]?.text ?? "";
    expect(text).toMatch(/^\[dry-run\] Bug #\d+/);
    expect(text).toContain("would ask the reporter");
    expect(text).toContain(
      "Would write to Launchpad: comment asking for the missing items; status → Incomplete; add tag needs-debug-info.",
    );
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; writes?: string[] });
    expect(logged.find((l) => l.msg.startsWith("dry-run"))?.writes).toHaveLength(3);
    expect(await h(e as LaunchpadEvent)).toMatchObject({ action: "ignored" });
    expect(outbox.posts).toHaveLength(1);
  });
});

describe("the poll job", () => {
  it("polls the project its scheduler names and hands the events on", async () => {
    const bug = fileBug();
    const got: LaunchpadEvent[] = [];
    const job = launchpadPollJob({
      client: anonClient(),
      store: new TriageStore(redis, prefix),
      tag: "needs-debug-info",
      emit: async (events) => void got.push(...events),
    });
    await job({ project: PROJECT }, { log: logger() });
    expect(got.map((e) => [e.kind, e.bug])).toEqual([["launchpad.bug-new", bug.id]]);
    expect(got[0]?.id).toBe(`lp:${bug.id}:new`);
  });
});

describe("launchpad login (the token dance)", () => {
  it("requests a token, waits for the human to grant WRITE_PUBLIC, and returns a token that writes", async () => {
    const bug = fileBug();
    const shown: string[] = [];
    const r = await launchpadLogin({
      webRoot: fake.url,
      authorize: async (url) => {
        shown.push(url);
        const token = new URL(url).searchParams.get("oauth_token") ?? "";
        fake.authorizeRequestToken(token); // what the human does on launchpad.net
      },
    });
    expect(shown).toEqual([
      expect.stringMatching(/\/\+authorize-token\?oauth_token=\w+&allow_permission=WRITE_PUBLIC$/),
    ]);
    expect(r.env).toBe(`LAUNCHPAD_OAUTH_TOKEN=${r.token}\nLAUNCHPAD_OAUTH_TOKEN_SECRET=${r.tokenSecret}`);
    const client = new LaunchpadClient({ apiRoot: fake.apiRoot, token: r.token, tokenSecret: r.tokenSecret });
    await client.newMessage(bug.id, "hello");
    expect(fake.writes).toHaveLength(1);
  });
});

describe("triage --bug and !triage", () => {
  it("read the bug anonymously and give the verdict, writing nothing", async () => {
    const bug = fileBug({ tags: ["docs"] });
    fake.addMessage(bug.id, { owner: "reporter", content: "Ubuntu 24.04, single node" });
    const r = await triageCli({
      bug: `https://bugs.launchpad.net/snap-openstack/+bug/${bug.id}`,
      json: true,
      apiRoot: fake.apiRoot,
    });
    // the bot's decision: a skipped bug is complete with nothing missing; the checklist anyway under evaluation
    expect(JSON.parse(r.output)).toMatchObject({
      bug: bug.id,
      complete: true,
      missing: [],
      evaluation: { complete: false, present: ["os_release", "deployment", "steps"] },
      skipped: "tagged docs",
      url: `https://bugs.launchpad.test/bugs/${bug.id}`,
    });
    const text = await triageCli({ bug: String(bug.id), json: false, apiRoot: fake.apiRoot });
    expect(text.output).toContain(`Bug #${bug.id} "sunbeam cluster bootstrap stuck`);
    expect(fake.requests.every((q) => q.method === "GET" && q.authorization === undefined)).toBe(true);

    const service = triageService({ client: anonClient(), checklist: loadChecklist() });
    expect((await service(`#${bug.id}`)).evaluation.missing).toContain("snap_version");
    await expect(service("not-a-bug")).rejects.toThrow(/Not a Launchpad bug/);
    await expect(service("99")).rejects.toThrow(/HTTP 404/);
    expect(fake.writes).toEqual([]);
  });
});
