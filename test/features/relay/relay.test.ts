import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { parseGerritLine } from "../../../src/integrations/gerrit/parse.js";
import type { GerritEvent } from "../../../src/core/events.js";
import { startTestBot, type TestBot } from "../../helpers/bot.js";
import { dropPrefix } from "../../helpers/redis.js";

function ps(change: number, n: number, t: number, project = "openstack/sunbeam-charms"): GerritEvent {
  const r = parseGerritLine(
    JSON.stringify({
      type: "patchset-created",
      change: { project, branch: "main", number: change, subject: `Change ${change}` },
      patchSet: { number: n },
      uploader: { name: "Alice", username: "alice" },
      eventCreatedOn: t,
    }),
  );
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

let t: TestBot | undefined;
afterEach(async () => {
  await t?.bot.stop();
  if (t) await dropPrefix(t.prefix);
  t = undefined;
});

describe("relay coalescing", () => {
  it("posts a burst's first event at once and gathers the rest into one digest, every line once, in order", async () => {
    t = await startTestBot({ extra: { bot: { coalesceSeconds: 0.3 } } });
    const events = Array.from({ length: 50 }, (_, i) => ps(1000 + i, 1, 1764000000 + (49 - i)));
    await t.bot.ingest(events[0] as GerritEvent);
    await Promise.all(events.slice(1).map((e) => t?.bot.ingest(e)));
    await t.bot.ingest(events[0] as GerritEvent); // a duplicate in the same burst
    await t.chat.waitForSent(2);
    expect(await t.bot.idle()).toBe(true);
    expect(t.chat.sent).toHaveLength(2);
    // The leading event is a plain line of its own; the followers are one digest, oldest first.
    expect(t.chat.sent[0]?.text).toMatch(/proposed 1000,1/);
    expect(t.chat.sent[0]?.text).not.toMatch(/Gerrit updates/);
    const lines = (t.chat.sent[1]?.text ?? "").split("\n").filter((l) => l.startsWith("- "));
    expect(lines).toHaveLength(49);
    expect(new Set(lines).size).toBe(49);
    expect(t.chat.sent[1]?.text).toMatch(/^\*\*49 Gerrit updates\*\*\n- .*proposed 1049,1/);
    expect(t.chat.sent[1]?.text).not.toMatch(/proposed 1000,1/);
  });

  it("threads the updates of one change under its first message where the network has threads", async () => {
    t = await startTestBot({ threads: true, extra: { bot: { coalesceSeconds: 0.1 } } });
    await t.bot.ingest(ps(2000, 1, 1764000000));
    await t.chat.waitForSent(1);
    await new Promise((r) => setTimeout(r, 250));
    await t.bot.ingest(ps(2000, 2, 1764000100));
    await t.chat.waitForSent(2);
    expect(t.chat.sent[0]?.thread).toBeUndefined();
    expect(t.chat.sent[1]?.thread).toBe(t.chat.sent[0]?.id);
  });
});

describe("!subscribe and !unsubscribe", () => {
  it("relays a project to the room that asked, shows it in !status, and stops on !unsubscribe", async () => {
    t = await startTestBot({ extra: { relay: [], roles: { core: { console: ["@core"] } } } });
    await t.chat.inject({
      room: "!dev",
      user: "@core",
      text: "!subscribe openstack/other patchset-created",
      id: "c1",
    });
    await t.chat.waitForSent(1);
    expect(t.chat.sent[0]?.text).toBe("This room now gets patchset-created for openstack/other.");
    await t.bot.ingest(ps(3000, 1, 1764000000, "openstack/other"));
    await t.bot.ingest(ps(3001, 1, 1764000001, "openstack/unrelated"));
    await t.chat.waitForSent(2);
    expect(t.chat.sent[1]).toMatchObject({ room: "!dev", text: expect.stringContaining("proposed 3000,1") });
    await t.chat.inject({ room: "!dev", user: "@someone", text: "!status", id: "c2" });
    await t.chat.waitForSent(3);
    expect(t.chat.sent[2]?.text).toContain("Relay here: openstack/other (patchset-created) [by @core]");
    await t.chat.inject({ room: "!dev", user: "@someone", text: "!unsubscribe", id: "c3" });
    await t.chat.waitForSent(4);
    expect(t.chat.sent[3]?.text).toBe("Sorry, !unsubscribe needs the core role.");
    await t.chat.inject({ room: "!dev", user: "@core", text: "!unsubscribe openstack/other", id: "c4" });
    await t.chat.waitForSent(5);
    expect(t.chat.sent[4]?.text).toBe("Removed 1 subscription.");
    await t.bot.ingest(ps(3002, 1, 1764000002, "openstack/other"));
    expect(await t.bot.idle()).toBe(true);
    expect(t.chat.sent).toHaveLength(5);
  });

  it("rejects an unknown event kind, naming it", async () => {
    t = await startTestBot({ extra: { roles: { core: { console: ["@core"] } } } });
    await t.chat.inject({ user: "@core", text: "!subscribe openstack/x coffee-made", id: "k1" });
    await t.chat.waitForSent(1);
    expect(t.chat.sent[0]?.text).toMatch(/^unknown event kind "coffee-made"; kinds: patchset-created/);
  });
});

function post(
  port: number,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        let b = "";
        res.on("data", (c: Buffer) => (b += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: b }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("Gerrit webhook", () => {
  const secret = "webhook-secret-for-tests";
  const line = JSON.stringify({
    type: "change-merged",
    change: { project: "openstack/sunbeam-charms", branch: "main", number: 4000, subject: "Merged thing" },
    patchSet: { number: 2 },
    submitter: { username: "zuul" },
    eventCreatedOn: 1764000000,
  });

  it("refuses a request without the secret (401) and queues nothing", async () => {
    t = await startTestBot({
      env: { GERRIT_WEBHOOK_SECRET: secret },
      extra: { gerrit: { url: "https://review.example.org", settleSeconds: 0, webhook: { enabled: true } } },
    });
    const port = t.bot.http?.port ?? 0;
    expect((await post(port, "/gerrit/events", line)).status).toBe(401);
    expect((await post(port, "/gerrit/events?secret=wrong", line)).status).toBe(401);
    const counts = await t.bot.queues.counts();
    expect(counts.relay).toMatchObject({ waiting: 0, active: 0, completed: 0, delayed: 0 });
  });

  it("stores the event before answering 202, then relays it; bounds the body (413)", async () => {
    t = await startTestBot({
      env: { GERRIT_WEBHOOK_SECRET: secret },
      extra: {
        gerrit: {
          url: "https://review.example.org",
          settleSeconds: 0,
          webhook: { enabled: true, maxBytes: 2048 },
        },
      },
    });
    const port = t.bot.http?.port ?? 0;
    const ok = await post(port, "/gerrit/events", line, { "x-webhook-secret": secret });
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.body)).toMatchObject({ kind: "gerrit.change-merged" });
    await t.chat.waitForSent(1);
    expect(t.chat.sent[0]?.text).toContain("4000,2 merged on main: Merged thing");
    expect(
      (await post(port, "/gerrit/events", "x".repeat(4096), { authorization: `Bearer ${secret}` })).status,
    ).toBe(413);
    expect((await post(port, "/gerrit/events", "{oops", { authorization: `Bearer ${secret}` })).status).toBe(
      400,
    );
  });
});
