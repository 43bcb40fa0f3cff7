// The triage wired into the real Bot: poll job → launchpad.* event → triage queue → handler → chat-out; !triage.
import { afterEach, describe, expect, it } from "vitest";
import { dropPrefix } from "../../helpers/redis.js";
import { startTestBot, type TestBot } from "../../helpers/bot.js";
import { FakeLaunchpad } from "../../fakes/launchpad.js";
import { until } from "../../helpers/cli.js";

let t: TestBot | undefined;
let fake: FakeLaunchpad | undefined;
afterEach(async () => {
  await t?.bot.stop();
  await fake?.close();
  if (t) await dropPrefix(t.prefix);
  t = undefined;
});

describe("triage in the bot", () => {
  it("a polled bug is prompted on Launchpad and noted in the triage room; !triage answers", async () => {
    fake = await FakeLaunchpad.start({ token: "tok-123456", tokenSecret: "sec-123456" });
    const bug = fake.addBug({
      title: "bootstrap fails",
      description: "It fails with an error.",
      owner: "reporter",
      created: new Date(Date.now() - 30 * 60_000),
    });
    t = await startTestBot({
      extra: {
        rooms: { team: { network: "console", id: "!team" }, triage: { network: "console", id: "!triage" } },
        launchpad: { apiRoot: fake.apiRoot, triageRoom: "triage", writes: true },
      },
      env: { LAUNCHPAD_OAUTH_TOKEN: "tok-123456", LAUNCHPAD_OAUTH_TOKEN_SECRET: "sec-123456" },
    });
    await t.bot.queues.add("launchpad-poll", "poll", { project: "snap-openstack" }, "manual-poll");
    await t.chat.waitForSent(1);
    expect(t.chat.sent[0]).toMatchObject({ room: "!triage" });
    expect(t.chat.sent[0]?.text).toContain(`Bug #${bug.id} "bootstrap fails": missing snap_version`);
    expect(fake.writes.map((w) => w.kind)).toEqual(["comment", "status", "tags"]);
    // Counted for the weekly summary's numbers.
    const stats = t.bot.stats;
    await until(async () => (await stats.counters())["triage:prompted"] === 1, 5000, "the counter");

    await t.chat.inject({ text: `!triage ${bug.id}`, room: "!team" });
    await t.chat.waitForSent(2);
    expect(t.chat.sent[1]?.text).toMatch(new RegExp(`^\\*\\*Bug #${bug.id} "bootstrap fails"\\*\\*`));
  });

  it("config check: writes without the token, and an unknown triage room, are problems", async () => {
    const { validateConfig } = await import("../../../src/app/config-load.js");
    expect(() =>
      validateConfig({ rooms: {}, launchpad: { writes: true, triageRoom: "nope" } }, {}, "t"),
    ).toThrow(
      /launchpad\.triageRoom: unknown room[\s\S]*launchpad\.writes: writes need LAUNCHPAD_OAUTH_TOKEN/,
    );
  });
});
