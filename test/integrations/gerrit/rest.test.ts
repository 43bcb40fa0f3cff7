// GerritClient (axios) against the fake Gerrit REST server: XSSI, auth, paging, retries, errors, reviews.
import { afterEach, describe, expect, it } from "vitest";
import { GerritClient } from "../../../src/integrations/gerrit/client.js";
import { HttpPermanentError } from "../../../src/integrations/http.js";
import { RetryLaterError } from "../../../src/core/errors.js";
import { freePort } from "../../../src/core/redis-server.js";
import {
  backfillQuery,
  fetchMissedEvents,
  gerritTimeToSeconds,
} from "../../../src/integrations/gerrit/backfill.js";
import { FakeGerritRest, makeChange } from "../../fakes/gerrit-rest.js";

const PASSWORD = "s3cret-http-password";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(changes = [makeChange(912345)]) {
  const server = await FakeGerritRest.start({ user: "sunbeam-bot", password: PASSWORD, changes });
  cleanups.push(() => server.close());
  const sleeps: number[] = [];
  const client = new GerritClient({
    url: server.url,
    user: "sunbeam-bot",
    password: PASSWORD,
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { server, client, sleeps };
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("GerritClient", () => {
  it("uses /a/ with basic auth, strips the XSSI prefix and returns files without magic paths", async () => {
    const sha = "b".repeat(40);
    const change = makeChange(912345, {
      current_revision: sha,
      revisions: {
        [sha]: {
          _number: 2,
          files: {
            "charms/keystone-k8s/src/charm.py": { lines_inserted: 3, lines_deleted: 1 },
            "charms/nova-k8s/new.py": { status: "R", old_path: "charms/nova-k8s/old.py" },
            "/MERGE_LIST": { status: "A" },
          },
        },
      },
    });
    const { server, client } = await setup([change]);
    const got = await client.getChange(912345);
    expect(got.revision).toBe(sha);
    expect(got.patchSet).toBe(2);
    expect(got.files.map((f) => f.path)).toEqual([
      "charms/keystone-k8s/src/charm.py",
      "charms/nova-k8s/new.py",
    ]);
    expect(got.files[1]).toMatchObject({ status: "R", oldPath: "charms/nova-k8s/old.py" });
    expect(got.paths).toEqual([
      "charms/keystone-k8s/src/charm.py",
      "charms/nova-k8s/new.py",
      "charms/nova-k8s/old.py",
    ]);
    expect(server.requests[0]?.path).toBe("/a/changes/912345");
    expect(server.requests[0]?.query.getAll("o")).toEqual(["CURRENT_REVISION", "CURRENT_FILES"]);
    const files = await client.getFiles("openstack/sunbeam-charms~912345", "current");
    expect(files.map((f) => f.path)).not.toContain("/COMMIT_MSG");
    expect(server.requests[1]?.path).toBe(
      "/a/changes/openstack%2Fsunbeam-charms~912345/revisions/current/files/",
    );
  });

  it("goes anonymous (no /a/) without credentials", async () => {
    const { server } = await setup();
    const anon = new GerritClient({ url: `${server.url}/` });
    const got = await anon.getChangeWithMessages(912345);
    expect(got._number).toBe(912345);
    expect(server.requests[0]).toMatchObject({ path: "/changes/912345", authenticated: false });
  });

  it("a wrong password is a permanent 401 that never shows the password", async () => {
    const { server } = await setup();
    const bad = new GerritClient({ url: server.url, user: "sunbeam-bot", password: "wrong-password-123" });
    const err = await caught(bad.getChange(912345));
    expect(err).toBeInstanceOf(HttpPermanentError);
    expect((err as HttpPermanentError).status).toBe(401);
    expect(err.message).toBe("Gerrit GET /a/changes/912345: HTTP 401: Unauthorized");
    expect(JSON.stringify(err)).not.toContain("wrong-password-123");
    expect(server.requests).toHaveLength(1);
  });

  it("follows _more_changes pages with S= offsets up to the limit", async () => {
    const changes = Array.from({ length: 7 }, (_, i) =>
      makeChange(100 + i, { updated: `2025-01-0${i + 1} 10:00:00.000000000` }),
    );
    const { server, client } = await setup(changes);
    const all = await client.queryChanges("project:openstack/sunbeam-charms", {
      pageSize: 3,
      options: ["MESSAGES"],
    });
    expect(all.map((c) => c._number)).toEqual([106, 105, 104, 103, 102, 101, 100]);
    expect(server.requests.map((r) => r.query.get("S"))).toEqual([null, "3", "6"]);
    expect(server.requests[0]?.query.getAll("o")).toEqual(["MESSAGES"]);
    const five = await client.queryChanges("project:openstack/sunbeam-charms", { pageSize: 3, limit: 5 });
    expect(five).toHaveLength(5);
  });

  it("filters with after: and the backfill query finds only recently updated changes", async () => {
    const old = makeChange(1, { updated: "2025-01-01 10:00:00.000000000" });
    const recent = makeChange(2, {
      updated: "2025-01-02 10:00:05.000000000",
      messages: [
        {
          id: "m1",
          author: { username: "bob" },
          date: "2025-01-02 10:00:05.000000000",
          message: "Patch Set 1: Code-Review+2\n\nLGTM",
          _revision_number: 1,
        },
      ],
    });
    const { server, client } = await setup([old, recent]);
    const since = gerritTimeToSeconds("2025-01-02 10:00:00") ?? 0;
    expect(backfillQuery(since, "project:openstack/sunbeam-charms")).toBe(
      'project:openstack/sunbeam-charms after:"2025-01-02 10:00:00"',
    );
    const r = await fetchMissedEvents(client, {
      sinceSeconds: since,
      query: "project:openstack/sunbeam-charms",
    });
    expect(r.changes).toBe(1);
    expect(r.events.map((e) => e.id)).toEqual([`gerrit:comment-added:2:1:${since + 5}:bob:d6b05643`]);
    expect(server.requests[0]?.query.getAll("o")).toEqual([
      "CURRENT_REVISION",
      "ALL_REVISIONS",
      "MESSAGES",
      "DETAILED_ACCOUNTS",
    ]);
  });

  it("retries 429 after the Retry-After seconds and HTTP-date, then succeeds", async () => {
    const { server, client, sleeps } = await setup();
    server.failNext(1, { status: 429, retryAfter: "7" });
    server.failNext(1, { status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() });
    const got = await client.getChange(912345);
    expect(got.change._number).toBe(912345);
    expect(sleeps[0]).toBe(7000);
    expect(sleeps[1]).toBeGreaterThan(20_000);
    expect(sleeps[1]).toBeLessThanOrEqual(30_000);
    expect(server.requests).toHaveLength(3);
  });

  it("retries 5xx with backoff and gives up with a RetryLaterError carrying a delay", async () => {
    const { server, client, sleeps } = await setup();
    server.failNext(2, { status: 502, body: "Bad gateway" });
    await client.getChange(912345);
    expect(sleeps).toHaveLength(2);
    server.failNext(10, { status: 500, body: "Internal server error" });
    const err = await caught(client.getChange(912345));
    expect(err).toBeInstanceOf(RetryLaterError);
    expect(err.message).toBe("Gerrit GET /a/changes/912345: HTTP 500: Internal server error");
    expect((err as RetryLaterError).retryAfterMs).toBeGreaterThan(0);
  });

  it("a Retry-After too long to sleep on is handed to the caller", async () => {
    const { server, client, sleeps } = await setup();
    server.failNext(1, { status: 429, retryAfter: "3600" });
    const err = await caught(client.getChange(912345));
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).retryAfterMs).toBe(3_600_000);
    expect(sleeps).toEqual([]);
  });

  it("other 4xx are permanent, with the server's message, and not retried", async () => {
    const { server, client } = await setup();
    const err = await caught(client.queryChanges("ownerin:core"));
    expect(err).toBeInstanceOf(HttpPermanentError);
    expect(err.message).toBe("Gerrit GET /a/changes/: HTTP 400: Unsupported operator: ownerin");
    const missing = await caught(client.getChange(1));
    expect((missing as HttpPermanentError).status).toBe(404);
    expect(server.requests).toHaveLength(2);
  });

  it("connection failures are transient and never mention the credentials", async () => {
    const port = await freePort();
    const sleeps: number[] = [];
    const c = new GerritClient({
      url: `http://127.0.0.1:${port}`,
      user: "sunbeam-bot",
      password: PASSWORD,
      retry: { retries: 2 },
      sleep: async (ms) => void sleeps.push(ms),
    });
    const err = await caught(c.getChange(1));
    expect(err).toBeInstanceOf(RetryLaterError);
    expect(err.message).toBe("Gerrit GET /a/changes/1: ECONNREFUSED");
    expect(JSON.stringify(err) + String(err.stack)).not.toContain(PASSWORD);
    expect(sleeps).toHaveLength(2);
  });

  it("rejects a response of the wrong shape as permanent", async () => {
    const broken = { ...makeChange(5), _number: "five" } as unknown as ReturnType<typeof makeChange>;
    const { client } = await setup([makeChange(4), broken]);
    const err = await caught(client.queryChanges("status:open"));
    expect(err).toBeInstanceOf(HttpPermanentError);
    expect(err.message).toMatch(/unexpected response shape at 1\._number/);
  });

  it("posts a review with the message, the bot's tag by default, and notify", async () => {
    const { server, client } = await setup();
    await client.postReview(912345, "current", { message: "recheck (requested by @alice)", notify: "NONE" });
    await client.postReview("openstack/sunbeam-charms~912345", 1, {
      message: "hi",
      tag: "autogenerated:sunbeam-bot:x",
    });
    expect(server.reviews).toEqual([
      {
        changeId: "912345",
        revision: makeChange(912345).current_revision,
        user: "sunbeam-bot",
        body: { message: "recheck (requested by @alice)", tag: "autogenerated:sunbeam-bot", notify: "NONE" },
      },
      expect.objectContaining({ body: { message: "hi", tag: "autogenerated:sunbeam-bot:x" } }),
    ]);
    expect(server.requests[0]).toMatchObject({
      method: "POST",
      path: "/a/changes/912345/revisions/current/review",
    });
  });

  it("a POST is repeated on 429 but not on 500 (the review may have been applied)", async () => {
    const { server, client, sleeps } = await setup();
    server.failNext(1, { status: 429, retryAfter: "1" });
    await client.postReview(912345, "current", { message: "recheck" });
    expect(server.reviews).toHaveLength(1);
    expect(sleeps).toEqual([1000]);
    server.failNext(1, { status: 500 });
    const err = await caught(client.postReview(912345, "current", { message: "recheck" }));
    expect(err).toBeInstanceOf(RetryLaterError);
    expect(server.requests.filter((r) => r.method === "POST")).toHaveLength(3);
  });
});
