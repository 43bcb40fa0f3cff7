// `run`'s wiring with Matrix and Slack configured: one command set on both, the relay posts to both.
import { afterEach, describe, expect, it } from "vitest";
import { validateConfig } from "../../src/app/config-load.js";
import { Bot } from "../../src/app/bot.js";
import { adaptersFor, chatModules } from "../../src/app/run.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import { FakeHomeserver } from "../fakes/matrix-hs.js";
import { FakeSlack } from "../fakes/slack-api.js";
import { quietLogger } from "../helpers/bot.js";
import { until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

const MROOM = "!team:fake.local";
const SCHAN = "C0TEAM";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(extra: Record<string, unknown> = {}, before?: (hs: FakeHomeserver) => void) {
  const hs = await FakeHomeserver.start();
  hs.addRoom(MROOM);
  before?.(hs);
  const slack = await FakeSlack.start();
  const prefix = randomPrefix();
  const loaded = validateConfig(
    {
      redis: { url: redisUrl(), prefix },
      http: { enabled: false },
      // 1 s: a loaded machine may take most of a second to ingest the burst; it spans at most two windows.
      bot: { coalesceSeconds: 1 },
      chat: {
        matrix: { homeserver: hs.url, userId: hs.userId, minIntervalMs: 0 },
        slack: { apiUrl: slack.apiUrl, minIntervalMs: 1000 },
      },
      rooms: { mx: { network: "matrix", id: MROOM }, sl: { network: "slack", id: SCHAN } },
      roles: { core: { matrix: ["@alice:fake.local"], slack: ["UALICE"] } },
      relay: [{ room: "mx" }, { room: "sl" }],
      gerrit: { url: "https://review.example.org", settleSeconds: 0 },
      jobs: { backoffMs: 20 },
      ...extra,
    },
    { MATRIX_ACCESS_TOKEN: hs.accessToken, SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken },
    "test",
  );
  const log = quietLogger();
  const modules = await chatModules(loaded);
  const bot = new Bot({ loaded, log, adapters: (redis) => adaptersFor(loaded, redis, log, modules) });
  await bot.start();
  await slack.waitUntil(() => slack.connections === 1, 10_000, "socket mode connection");
  cleanup = async () => {
    await bot.stop();
    await hs.close();
    await slack.close();
    await dropPrefix(prefix);
  };
  return { hs, slack, bot };
}

const noticeBodies = (hs: FakeHomeserver) =>
  hs.sent.filter((s) => s.content.msgtype === "m.notice").map((s) => String(s.content.body));

describe("Matrix and Slack together", () => {
  it("runs no command from a room's history on first start (a 30-minute-old one), answers a new one", async () => {
    const OLD = "!ops:fake.local";
    const { hs, bot } = await setup(
      {
        rooms: {
          mx: { network: "matrix", id: MROOM },
          ops: { network: "matrix", id: OLD },
          sl: { network: "slack", id: SCHAN },
        },
      },
      (h) => {
        // The bot is not in the room yet: joining at start serves the room's timeline, this old command in it.
        h.addRoom(OLD, false);
        h.inject(OLD, "@alice:fake.local", { msgtype: "m.text", body: "!help status" }, "m.room.message", {
          originServerTs: Date.now() - 30 * 60_000,
        });
      },
    );
    const inRoom = () =>
      hs.sent
        .filter((s) => s.roomId === OLD && s.content.msgtype === "m.notice")
        .map((s) => String(s.content.body));
    await until(() => hs.isJoined(OLD), 15_000, "joined the room");
    // The history went into the sync stream before this (the fake serves events in order), so it is seen first.
    hs.inject(OLD, "@alice:fake.local", { msgtype: "m.text", body: "!help subscribe" });
    await until(() => inRoom().length >= 1, 15_000, "the new command answered");
    expect(await bot.idle()).toBe(true);
    expect(inRoom()).toHaveLength(1);
    expect(inRoom()[0]).toContain("!subscribe");
    expect(inRoom()[0]).not.toContain("!status");
  });

  it("serves the same commands on both networks, refusing unauthorised users", async () => {
    const { hs, slack } = await setup();
    hs.inject(MROOM, "@bob:fake.local", { msgtype: "m.text", body: "!help status" });
    slack.sendEvent({
      type: "message",
      channel: SCHAN,
      user: "UBOB",
      text: "!help status",
      ts: (Date.now() / 1000).toFixed(6),
    });
    hs.inject(MROOM, "@mallory:fake.local", { msgtype: "m.text", body: "!subscribe openstack/x" });
    await until(
      () => noticeBodies(hs).length >= 2 && slack.posted.length >= 1,
      15_000,
      "answers on both networks",
    );
    expect(noticeBodies(hs)).toContain("!status — queues, last event seen, uptime");
    expect(noticeBodies(hs)).toContain("Sorry, !subscribe needs the core role.");
    expect(slack.posted[0]).toMatchObject({
      channel: SCHAN,
      text: "`!status` — queues, last event seen, uptime",
    });
  });

  it("relays Gerrit events to rooms on both networks, a burst coalesced, with no 429 from Slack", async () => {
    const { hs, slack, bot } = await setup();
    slack.channelIntervalMs = 1000;
    for (let i = 0; i < 100; i++) {
      const r = parseGerritLine(
        JSON.stringify({
          type: "patchset-created",
          change: { project: "openstack/sunbeam-charms", branch: "main", number: 8000 + i, subject: `S${i}` },
          patchSet: { number: 1 },
          uploader: { username: "alice" },
          eventCreatedOn: 1764000000 + i,
        }),
      );
      if (r.ok) await bot.ingest(r.event);
    }
    await until(
      async () => (await bot.idle(100)) && slack.posted.length > 0 && noticeBodies(hs).length > 0,
      20_000,
      "relays",
    );
    // Each network got the burst as at most three messages, whose headlines account for all 100 events.
    const total = (texts: string[]) =>
      texts.reduce(
        (n, t) => n + Number(/\*?(\d+) Gerrit updates/.exec(t)?.[1] ?? (/proposed/.test(t) ? 1 : 0)),
        0,
      );
    expect(slack.posted.length).toBeLessThanOrEqual(3);
    expect(hs.sent.length).toBeLessThanOrEqual(3);
    expect(total(slack.posted.map((p) => p.text))).toBe(100);
    expect(total(noticeBodies(hs))).toBe(100);
    expect(slack.rateLimited).toBe(0);
  });
});
