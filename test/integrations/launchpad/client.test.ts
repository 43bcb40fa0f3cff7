// LaunchpadClient (axios) against the fake Launchpad: paging, OAuth, writes, 412/503 retries, attachments, flips.
import { afterEach, describe, expect, it } from "vitest";
import { HttpPermanentError } from "../../../src/integrations/http.js";
import {
  LaunchpadClient,
  filenameFromLocation,
  parseBugId,
  searchTasksParams,
  titleLooksLikeFilename,
  type LaunchpadClientOptions,
} from "../../../src/integrations/launchpad/client.js";
import {
  accessToken,
  authorizeUrl,
  oauthHeader,
  requestToken,
  rfc3986,
} from "../../../src/integrations/launchpad/oauth.js";
import { PermanentError, RetryLaterError } from "../../../src/core/errors.js";
import { FakeLaunchpad, WITH_RESPONSE, WITHOUT_RESPONSE, parseOAuthHeader } from "../../fakes/launchpad.js";

const TOKEN = "bot-token-key";
const SECRET = "bot-token-secret";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(fakeOpts: Parameters<typeof FakeLaunchpad.start>[0] = {}) {
  const fake = await FakeLaunchpad.start({ token: TOKEN, tokenSecret: SECRET, ...fakeOpts });
  cleanups.push(() => fake.close());
  const sleeps: number[] = [];
  const make = (o: Partial<LaunchpadClientOptions> = {}) =>
    new LaunchpadClient({
      apiRoot: fake.apiRoot,
      userAgent: "sunbeam-bot-tests",
      retry: { baseDelayMs: 10 },
      sleep: async (ms) => void sleeps.push(ms),
      ...o,
    });
  const bot = make({ token: TOKEN, tokenSecret: SECRET });
  const anon = make();
  return { fake, bot, anon, make, sleeps };
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

const at = (min: number) => new Date(Date.UTC(2025, 0, 1, 10, min));
function seed(fake: FakeLaunchpad, n: number, over: { status?: string; tags?: string[] } = {}) {
  return Array.from({ length: n }, (_, i) =>
    fake.addBug({ title: `bug ${i}`, description: `desc ${i}`, owner: "reporter", created: at(i), ...over }),
  );
}

describe("LaunchpadClient reads", () => {
  it("pages through searchTasks by following next_collection_link", async () => {
    const { fake, anon } = await setup({ pageSize: 3 });
    const bugs = seed(fake, 8);
    const tasks = await anon.searchTasks("snap-openstack", { createdSince: at(0), orderBy: ["datecreated"] });
    // created_since is exclusive: bug 0 was created exactly at the cursor
    expect(tasks.map((t) => t.bug_link)).toEqual(bugs.slice(1).map((b) => `${fake.apiRoot}/bugs/${b.id}`));
    const searches = fake.requests.filter((r) => r.query.get("ws.op") === "searchTasks");
    expect(searches).toHaveLength(3);
    expect(searches.map((r) => r.query.get("ws.start"))).toEqual([null, "3", "6"]);
    for (const r of searches) expect(r.query.get("created_since")).toBe("2025-01-01T10:00:00.000Z");
  });

  it("stops at the page cap", async () => {
    const { fake, anon } = await setup({ pageSize: 2 });
    seed(fake, 7);
    const tasks = await anon.searchTasks("snap-openstack", { maxPages: 2 });
    expect(tasks).toHaveLength(4);
    const big = await caught(anon.searchTasks("snap-openstack", { pageSize: 301 }));
    expect(big.message).toMatch(/HTTP 400: Invalid batch size 301/);
  });

  it("repeats list parameters and accepts the search-only Incomplete statuses", async () => {
    const { fake, anon } = await setup();
    const [a, b] = seed(fake, 2);
    fake.addBug({ title: "c", description: "", owner: "r", status: "Confirmed", created: at(5) });
    fake.addBug({ title: "d", description: "", owner: "r", status: "Triaged", created: at(6) });
    const got = await anon.searchTasks("snap-openstack", {
      status: ["New", "Confirmed"],
      orderBy: ["-datecreated"],
    });
    expect(got.map((t) => t.status)).toEqual(["Confirmed", "New", "New"]);
    const q = fake.requests.at(-1)?.query;
    expect(q?.getAll("status")).toEqual(["New", "Confirmed"]);
    expect(q?.getAll("order_by")).toEqual(["-datecreated"]);
    expect(searchTasksParams({ tags: ["x", "y"], tagsCombinator: "Any" }).toString()).toBe(
      "ws.op=searchTasks&tags=x&tags=y&tags_combinator=Any",
    );

    expect(a && b).toBeTruthy();
    const none = await anon.searchTasks("snap-openstack", { status: [WITH_RESPONSE, WITHOUT_RESPONSE] });
    expect(none).toEqual([]);
    const err = await caught(anon.searchTasks("snap-openstack", { status: ["Bogus"] }));
    expect(err).toBeInstanceOf(HttpPermanentError);
    expect(err.message).toMatch(/HTTP 400: status: Invalid value "Bogus"/);
  });

  it("filters by tags and modified_since; date_last_updated moves on writes", async () => {
    const { fake, bot, anon } = await setup();
    const [a, b] = seed(fake, 2, { tags: ["sunbeam"] });
    if (!a || !b) throw new Error("seed");
    const before = (await anon.getBug(a.id)).date_last_updated ?? "";
    const cursor = (await anon.getBug(b.id)).date_last_updated ?? "";
    await bot.addTags(a.id, ["needs-debug-info"]);
    const after = (await anon.getBug(a.id)).date_last_updated ?? "";
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    const tagged = await anon.searchTasks("snap-openstack", { tags: ["needs-debug-info", "sunbeam"] });
    expect(tagged.map((t) => t.bug_link)).toEqual([`${fake.apiRoot}/bugs/${a.id}`]);
    const modified = await anon.searchTasks("snap-openstack", { modifiedSince: cursor });
    expect(modified.map((t) => t.bug_link)).toEqual([`${fake.apiRoot}/bugs/${a.id}`]);
  });

  it("sends no Authorization header on anonymous reads, and a User-Agent", async () => {
    const { fake, anon } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    fake.addMessage(bug.id, { owner: "reporter", content: "more" });
    await anon.getBug(bug.id);
    await anon.getMessages(bug.id);
    await anon.getTask("snap-openstack", bug.id);
    expect(fake.requests.length).toBe(3);
    for (const r of fake.requests) {
      expect(r.authorization).toBeUndefined();
      expect(r.userAgent).toBe("sunbeam-bot-tests");
    }
  });

  it("returns messages oldest first even when served newest first", async () => {
    const { fake, anon } = await setup({ messagesNewestFirst: true, pageSize: 2 });
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    for (let i = 1; i <= 4; i++)
      fake.addMessage(bug.id, { owner: "reporter", content: `reply ${i}`, created: at(10 + i) });
    const bugRead = await anon.getBug(`https://bugs.launchpad.net/snap-openstack/+bug/${bug.id}`);
    const msgs = await anon.getMessages(bugRead);
    expect(msgs.map((m) => m.content)).toEqual(["desc 0", "reply 1", "reply 2", "reply 3", "reply 4"]);
  });

  it("names attachments from the title, or from the data_link redirect without following it", async () => {
    const { fake, anon } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    fake.addAttachment(bug.id, {
      title: "sosreport-node1-2025-01-01.tar.xz",
      filename: "sosreport-node1-2025-01-01.tar.xz",
    });
    fake.addAttachment(bug.id, { title: "juju status output", filename: "juju status.txt" });
    fake.addAttachment(bug.id, { title: "logs", filename: "sunbeam-20250101-101010.123456.log" });
    const atts = await anon.getAttachments(bug.id);
    expect(atts.map((a) => [a.filename, a.filenameFrom])).toEqual([
      ["sosreport-node1-2025-01-01.tar.xz", "title"],
      ["juju status.txt", "location"],
      ["sunbeam-20250101-101010.123456.log", "location"],
    ]);
    const dataGets = fake.requests.filter((r) => r.path.endsWith("/data"));
    expect(dataGets.map((r) => r.status)).toEqual([303, 303]);
    expect(fake.requests.some((r) => r.path.startsWith("/librarian"))).toBe(false);
    expect(fake.librarianDownloads).toBe(0);
    const always = await anon.getAttachments(bug.id, { resolveFilenames: "always" });
    expect(always.every((a) => a.filenameFrom === "location")).toBe(true);
    expect(fake.librarianDownloads).toBe(0);
  });
});

describe("LaunchpadClient writes", () => {
  it("signs with an OAuth PLAINTEXT header of the documented shape and a fresh nonce each time", async () => {
    const { fake, bot } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    const first = await bot.newMessage(bug.id, "Thanks for the report.");
    await bot.getBug(bug.id);
    const signed = fake.requests.filter((r) => r.authorization !== undefined);
    expect(signed).toHaveLength(2);
    for (const r of signed) {
      expect(r.authorization).toMatch(
        /^OAuth realm="https:\/\/api\.launchpad\.net\/", oauth_nonce="\d+", oauth_timestamp="\d+", oauth_version="1\.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="sunbeam-bot", oauth_token="bot-token-key", oauth_signature="%26bot-token-secret"$/,
      );
      expect(r.oauth).toMatchObject({
        realm: "https://api.launchpad.net/",
        oauth_version: "1.0",
        oauth_signature_method: "PLAINTEXT",
        oauth_consumer_key: "sunbeam-bot",
        oauth_token: TOKEN,
        oauth_signature: `&${SECRET}`,
      });
      expect(Math.abs(Number(r.oauth?.oauth_timestamp) - Date.now() / 1000)).toBeLessThan(600);
    }
    expect(signed[0]?.oauth?.oauth_nonce).not.toBe(signed[1]?.oauth?.oauth_nonce);
    expect(first.selfLink).toBe(`${fake.apiRoot}/snap-openstack/+bug/${bug.id}/comments/1`);
    expect(fake.requests[0]?.status).toBe(201);
    expect(fake.writes).toEqual([
      expect.objectContaining({
        kind: "comment",
        bugId: bug.id,
        owner: "sunbeam-bot",
        content: "Thanks for the report.",
      }),
    ]);
  });

  it("encodes per RFC 3986, including !'()*", () => {
    expect(rfc3986("a b!'()*&=~")).toBe("a%20b%21%27%28%29%2A%26%3D~");
    const h = oauthHeader({ consumerKey: "c k", token: "t", tokenSecret: "s(1)", nonce: "1", timestamp: 2 });
    expect(parseOAuthHeader(h)).toMatchObject({ oauth_consumer_key: "c k", oauth_signature: "&s%281%29" });
  });

  it("refuses writes without a token before sending anything, and rejects a bad secret with 401", async () => {
    const { fake, anon, make } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    const err = await caught(anon.newMessage(bug.id, "hello"));
    expect(err).toBeInstanceOf(PermanentError);
    expect(await caught(anon.addTags(bug.id, ["x1"]))).toBeInstanceOf(PermanentError);
    expect(fake.requests).toHaveLength(0);
    const wrong = make({ token: TOKEN, tokenSecret: "wrong-secret-value" });
    const e401 = await caught(wrong.newMessage(bug.id, "hello"));
    expect(e401.message).toMatch(/HTTP 401: Invalid signature/);
    expect(e401.message).not.toContain("wrong-secret-value");
    expect(fake.writes).toEqual([]);
  });

  it("sets status (209) and surfaces a 400's text", async () => {
    const { fake, bot, anon } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    const task = await anon.getTask("snap-openstack", bug.id);
    const updated = await bot.setStatus(task, "Incomplete");
    expect(updated.status).toBe("Incomplete");
    expect(fake.requests.at(-1)).toMatchObject({ method: "PATCH", status: 209 });
    const err = await caught(bot.setStatus(task.self_link, "Bogus"));
    expect(err).toBeInstanceOf(HttpPermanentError);
    expect((err as HttpPermanentError).status).toBe(400);
    expect(err.message).toContain('status: Invalid value "Bogus"');
    expect(fake.writes).toEqual([{ kind: "status", bugId: bug.id, from: "New", to: "Incomplete" }]);
  });

  it("sets status under If-Match: a human's change meanwhile is never overwritten, a repeat writes nothing", async () => {
    const { fake, bot, anon } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    const stale = await anon.getTask("snap-openstack", bug.id);
    // A human triages the bug between the bot's read and its write.
    await anon.getTask("snap-openstack", bug.id).then((t) => bot.setStatus(t, "Confirmed"));
    const after = await bot.setStatus(stale, "Incomplete");
    expect(after.status).toBe("Confirmed");
    expect(fake.bug(bug.id).status).toBe("Confirmed");
    expect(fake.requests.filter((r) => r.method === "PATCH").at(-1)).toMatchObject({ status: 412 });
    // Our own write repeated with the old etag (a retried job): 412, re-read, already there, no write.
    const fresh = await anon.getTask("snap-openstack", bug.id);
    await bot.setStatus(fresh, "Incomplete");
    const writes = fake.writes.length;
    expect((await bot.setStatus(fresh, "Incomplete")).status).toBe("Incomplete");
    expect(fake.writes.length).toBe(writes);
  });

  it("edits tags under If-Match and re-reads after a 412", async () => {
    const { fake, bot } = await setup();
    const [bug] = seed(fake, 1, { tags: ["sunbeam"] });
    if (!bug) throw new Error("seed");
    fake.raceNextTagWrite(bug.id, (b) => b.tags.push("regression"));
    const after = await bot.addTags(bug.id, ["needs-debug-info"]);
    expect(after.tags).toEqual(["needs-debug-info", "regression", "sunbeam"]);
    const patches = fake.requests.filter((r) => r.method === "PATCH");
    expect(patches.map((r) => r.status)).toEqual([412, 209]);
    expect(patches.every((r) => r.ifMatch?.startsWith('"'))).toBe(true);

    const removed = await bot.removeTags(bug.id, ["needs-debug-info"]);
    expect(removed.tags).toEqual(["regression", "sunbeam"]);
    const writesBefore = fake.writes.length;
    await bot.removeTags(bug.id, ["needs-debug-info"]); // already gone: no write
    expect(fake.writes.length).toBe(writesBefore);

    await expect(bot.addTags(bug.id, ["Needs Info"])).rejects.toThrow(/Invalid Launchpad tag/);
    const stubborn = new LaunchpadClient({
      apiRoot: fake.apiRoot,
      token: TOKEN,
      tokenSecret: SECRET,
      maxConflictRetries: 0,
    });
    fake.raceNextTagWrite(bug.id, (b) => b.tags.push("other"));
    const e412 = await caught(stubborn.addTags(bug.id, ["needs-debug-info"]));
    expect((e412 as HttpPermanentError).status).toBe(412);
  });

  it("retries 503 with backoff (GET and POST), but does not repeat a POST after a 502", async () => {
    const { fake, bot, sleeps } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    fake.failNext(2, 503);
    expect((await bot.getBug(bug.id)).id).toBe(bug.id);
    expect(sleeps).toEqual([10, 20]);
    fake.failNext(1, 503);
    await bot.newMessage(bug.id, "once");
    fake.failNext(1, 502, "502 Bad Gateway");
    const err = await caught(bot.newMessage(bug.id, "maybe twice"));
    expect(err).toBeInstanceOf(RetryLaterError);
    expect(err.message).toContain("HTTP 502: 502 Bad Gateway");
    expect(fake.writes.filter((w) => w.kind === "comment")).toHaveLength(1);
    fake.failNext(9, 503);
    expect(await caught(bot.getBug(bug.id))).toBeInstanceOf(RetryLaterError);
    fake.failNext(1, 404, "Object: <Bug>, name: 'x'");
    const e404 = await caught(bot.getBug(bug.id));
    expect(e404).toBeInstanceOf(PermanentError);
    expect(e404.message).toContain("HTTP 404: Object: <Bug>, name: 'x'");
  });

  it("retries a read that timed out", async () => {
    const { fake, make } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    const impatient = make({ timeoutMs: 300 });
    fake.stallNext(1);
    expect((await impatient.getBug(bug.id)).id).toBe(bug.id);
    expect(fake.requests).toHaveLength(2);
  });

  it("flips Incomplete to 'with response' on any new message, the bot's own included", async () => {
    const { fake, bot, anon } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    const search = async (status: string) =>
      (await anon.searchTasks("snap-openstack", { status: [status], tags: ["needs-debug-info"] })).length;
    // The documented order: comment first, then Incomplete, then the tag.
    await bot.newMessage(bug.id, "Please attach a sosreport.");
    const task = await bot.setStatus(`${fake.apiRoot}/snap-openstack/+bug/${bug.id}`, "Incomplete");
    await bot.addTags(bug.id, ["needs-debug-info"]);
    expect(fake.writes.map((w) => w.kind)).toEqual(["comment", "status", "tags"]);
    expect(task.status).toBe("Incomplete");
    expect(await search(WITHOUT_RESPONSE)).toBe(1);
    expect(await search(WITH_RESPONSE)).toBe(0);

    fake.addMessage(bug.id, { owner: "reporter", content: "attached" });
    expect(await search(WITH_RESPONSE)).toBe(1);
    expect(await search("Incomplete")).toBe(1);
    expect((await anon.getTask("snap-openstack", bug.id)).status).toBe("Incomplete");

    // Back to New, then Incomplete again: stored "without response", until the bot's own next comment.
    // Each write from a fresh read: a stale task's If-Match would be refused (412).
    await bot.setStatus(await anon.getTask("snap-openstack", bug.id), "New");
    await bot.setStatus(await anon.getTask("snap-openstack", bug.id), "Incomplete");
    expect(fake.bug(bug.id).status).toBe(WITHOUT_RESPONSE);
    await bot.newMessage(bug.id, "a second bot comment");
    expect(fake.bug(bug.id).status).toBe(WITH_RESPONSE);
  });
});

describe("Launchpad OAuth token dance and pure helpers", () => {
  it("requests, authorises and exchanges a token, which then signs writes", async () => {
    const { fake, make } = await setup();
    const [bug] = seed(fake, 1);
    if (!bug) throw new Error("seed");
    const req = await requestToken({ webRoot: fake.url });
    expect(authorizeUrl(req.token, { webRoot: fake.url, allowPermission: "WRITE_PUBLIC" })).toBe(
      `${fake.url}/+authorize-token?oauth_token=${req.token}&allow_permission=WRITE_PUBLIC`,
    );
    const early = await caught(accessToken(req, { webRoot: fake.url }));
    expect(early.message).toMatch(/HTTP 401: Request token has not yet been reviewed/);
    expect(early.message).not.toContain(req.tokenSecret);
    fake.authorizeRequestToken(req.token);
    const acc = await accessToken(req, { webRoot: fake.url });
    expect(acc.token).not.toBe(req.token);
    await make({ token: acc.token, tokenSecret: acc.tokenSecret }).newMessage(
      bug.id,
      "hello from a new token",
    );
    expect(fake.writes).toHaveLength(1);
  });

  it("parses bug references and file names", () => {
    expect(parseBugId(2081234)).toBe(2081234);
    expect(parseBugId("#2081234")).toBe(2081234);
    expect(parseBugId("LP: #2081234")).toBe(2081234);
    expect(parseBugId("https://bugs.launchpad.net/snap-openstack/+bug/2081234")).toBe(2081234);
    expect(parseBugId("https://api.launchpad.net/devel/bugs/2081234")).toBe(2081234);
    expect(parseBugId("not a bug")).toBeUndefined();
    expect(titleLooksLikeFilename("sosreport-x.tar.xz")).toBe(true);
    expect(titleLooksLikeFilename("juju status")).toBe(false);
    expect(titleLooksLikeFilename("logs")).toBe(false);
    expect(filenameFromLocation("https://launchpadlibrarian.net/123/juju%20status.txt")).toBe(
      "juju status.txt",
    );
  });
});
