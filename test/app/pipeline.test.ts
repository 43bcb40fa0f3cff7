import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { defineCommand, z } from "../../src/core/commands.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import type { GerritEvent } from "../../src/core/events.js";
import { COMMANDS } from "../../src/app/commands/index.js";
import { startTestBot, type TestBot } from "../helpers/bot.js";
import { dropPrefix } from "../helpers/redis.js";

const sample = readFileSync("test/fixtures/gerrit-all-types.jsonl", "utf8").trim().split("\n");
function event(i: number): GerritEvent {
  const r = parseGerritLine(sample[i] as string);
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

let t: TestBot | undefined;
afterEach(async () => {
  await t?.bot.stop();
  if (t) await dropPrefix(t.prefix);
  t = undefined;
});

describe("event → queue → worker → chat", () => {
  it("relays a Gerrit event to the room through real Redis queues", async () => {
    t = await startTestBot();
    expect(await t.bot.ingest(event(0))).toEqual(["relay"]);
    await t.chat.waitForSent(1);
    expect(t.chat.sent[0]).toMatchObject({
      room: "!team",
      text: "[openstack/sunbeam-charms] Alice Example proposed 912345,3 on main: Fix keystone TLS — https://review.opendev.org/c/openstack/sunbeam-charms/+/912345",
    });
  });

  it("handles the same event twice only once", async () => {
    t = await startTestBot();
    await t.bot.ingest(event(0));
    await t.bot.ingest(event(0));
    await t.bot.ingest(event(2));
    await t.chat.waitForSent(2);
    expect(await t.bot.idle()).toBe(true);
    expect(t.chat.sent.map((m) => m.text.split(" ")[1])).toEqual(
      expect.arrayContaining(["Alice", "912345,3"]),
    );
    expect(t.chat.sent).toHaveLength(2);
  });

  it("does not route dropped-output or unknown events to the relay", async () => {
    t = await startTestBot();
    expect(await t.bot.ingest(event(14))).toEqual([]);
    expect(await t.bot.ingest(event(17))).toEqual([]);
  });

  it("retries a transient send failure, then delivers exactly once", async () => {
    t = await startTestBot();
    t.chat.failNext = 2;
    await t.bot.ingest(event(0));
    await t.chat.waitForSent(1);
    expect(await t.bot.idle()).toBe(true);
    expect(t.chat.sent).toHaveLength(1);
    expect(t.logs.join("")).toContain("simulated send failure");
  });

  it("fails a permanent error at once, without retries", async () => {
    t = await startTestBot();
    await t.bot.outbox.post({ network: "nowhere", room: "x" }, { text: "lost?" }, "perm-1");
    const q = t.bot.queues.get("chat-out");
    let failed = await q.getFailed();
    for (let i = 0; i < 200 && failed.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      failed = await q.getFailed();
    }
    expect(failed).toHaveLength(1);
    expect(failed[0]?.attemptsMade).toBe(1);
    expect(failed[0]?.failedReason).toContain('no chat adapter for network "nowhere"');
  });

  it("answers a command in the room it came from, and !help lists the commands", async () => {
    t = await startTestBot();
    await t.chat.inject({ room: "!ops", user: "@bob:x", text: "!help", id: "$ev1" });
    await t.chat.waitForSent(1);
    expect(t.chat.sent[0]?.room).toBe("!ops");
    expect(t.chat.sent[0]?.text).toContain("!status");
  });

  it("answers !status with the last event and queue counts", async () => {
    t = await startTestBot();
    await t.bot.ingest(event(0));
    await t.chat.waitForSent(1);
    await t.chat.inject({ text: "!status", id: "$ev2" });
    await t.chat.waitForSent(2);
    expect(t.chat.sent[1]?.text).toMatch(/Last Gerrit event: gerrit\.patchset-created/);
    // The command's own job is active while it answers; the idle queues are counted, not listed.
    expect(t.chat.sent[1]?.text).toMatch(
      /Queues: commands 0 waiting, 1 active, 0 delayed, 0 failed; \d+ more idle/,
    );
  });

  it("never answers bots or itself", async () => {
    t = await startTestBot({ extra: { bot: { ignoreUsers: ["@otherbot:x"] } } });
    await t.chat.inject({ user: "@otherbot:x", text: "!help", id: "$b1" });
    await t.chat.inject({ user: "@me:x", text: "!help", id: "$b2", fromBot: true });
    await t.chat.inject({ user: "@human:x", text: "!help", id: "$b3" });
    await t.chat.waitForSent(1);
    expect(await t.bot.idle()).toBe(true);
    expect(t.chat.sent).toHaveLength(1);
  });

  it("lets running jobs finish on stop and keeps the queued ones for the next start", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const slow = defineCommand({
      name: "slow",
      summary: "waits",
      args: z.object({}),
      async run() {
        started += 1;
        await gate;
        return "done";
      },
    });
    t = await startTestBot({
      commands: [...COMMANDS, slow],
      extra: { jobs: { concurrency: 1, backoffMs: 20 } },
    });
    const { prefix } = t;
    await t.chat.inject({ text: "!slow", id: "$s1" });
    await t.chat.inject({ text: "!slow", id: "$s2" });
    while (started === 0) await new Promise((r) => setTimeout(r, 10));
    const stopping = t.bot.stop();
    release();
    await stopping;
    expect(started).toBe(1);
    const first = t.chat.sent.map((m) => m.text);
    // The second command (and any reply not yet sent) waited in Redis: a new bot on the same prefix finishes.
    const next = await startTestBot({ prefix, commands: [...COMMANDS, slow] });
    t = next;
    await next.chat.waitForSent(2 - first.length);
    expect(await next.bot.idle()).toBe(true);
    expect([...first, ...next.chat.sent.map((m) => m.text)]).toEqual(["done", "done"]);
    expect(started).toBe(2);
  });
});
