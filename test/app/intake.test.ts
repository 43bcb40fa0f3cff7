// Intake asks the features: an event nobody follows is counted but never queued (no job, no kept copy).
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import type { GerritEvent } from "../../src/core/events.js";
import { startTestBot, type TestBot } from "../helpers/bot.js";
import { dropPrefix } from "../helpers/redis.js";

function gerrit(type: string, project: string, change: number): GerritEvent {
  const r = parseGerritLine(
    JSON.stringify({
      type,
      change: { project, branch: "main", number: change, subject: `C ${change}` },
      patchSet: { number: 1 },
      uploader: { name: "Alice", username: "alice" },
      submitter: { name: "Zuul", username: "zuul" },
      eventCreatedOn: 1764000000 + change,
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

const followed = { relay: [{ room: "team", projects: ["openstack/sunbeam-charms"] }] };

describe("filter at intake", () => {
  it("queues a followed project's event for the relay and nothing for another project's", async () => {
    t = await startTestBot({ extra: followed });
    expect(await t.bot.ingest(gerrit("patchset-created", "openstack/sunbeam-charms", 1))).toEqual(["relay"]);
    expect(await t.bot.ingest(gerrit("patchset-created", "openstack/nova", 2))).toEqual([]);
    expect(await t.bot.ingest(gerrit("change-merged", "openstack/nova", 3))).toEqual([]);
    await t.chat.waitForSent(1);
    const relay = await t.bot.queues.get("relay").getJobCounts("completed", "waiting", "active", "delayed");
    expect(Object.values(relay).reduce((a, b) => a + b, 0)).toBe(1);
    // Still counted: the summary's event counters see every event, followed or not.
    await t.bot.stats.flush();
    expect((await t.bot.stats.counters())["events:gerrit.patchset-created"]).toBe(2);
  });

  it("takes in an event a run-time subscription follows, and drops it again after !unsubscribe", async () => {
    t = await startTestBot({ extra: { ...followed, roles: { core: { console: ["@core"] } } } });
    const nova = (n: number) => gerrit("patchset-created", "openstack/nova", n);
    expect(await t.bot.ingest(nova(10))).toEqual([]);
    await t.chat.inject({ room: "!team", user: "@core", text: "!subscribe openstack/nova", id: "s1" });
    await t.chat.waitForSent(1);
    expect(await t.bot.ingest(nova(11))).toEqual(["relay"]);
    await t.chat.inject({ room: "!team", user: "@core", text: "!unsubscribe openstack/nova", id: "s2" });
    await t.chat.waitForSent(3);
    expect(await t.bot.ingest(nova(12))).toEqual([]);
  });

  it("queues the monorepo's merges for the affected feature, even where no room relays them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "intake-"));
    t = await startTestBot({
      extra: {
        relay: [{ room: "team", projects: ["openstack/other"] }],
        monorepo: { path: join(dir, "clone.git"), remote: join(dir, "missing"), fetchMinutes: 0 },
      },
    });
    expect(await t.bot.ingest(gerrit("change-merged", "openstack/sunbeam-charms", 20))).toEqual(["merges"]);
    expect(await t.bot.ingest(gerrit("change-merged", "openstack/nova", 21))).toEqual([]);
    expect(await t.bot.ingest(gerrit("patchset-created", "openstack/sunbeam-charms", 22))).toEqual([]);
  });
});
