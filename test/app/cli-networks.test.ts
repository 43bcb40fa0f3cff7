// `sunbeam-bot run` as deployed, with Matrix and Slack configured from a file and tokens from env: the same
// commands answered on both networks, and the Gerrit relay posting to rooms on both.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROUTES } from "../../src/features.js";
import { Queues } from "../../src/core/queues.js";
import { connectRedis } from "../../src/core/redis.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import { FakeHomeserver } from "../fakes/matrix-hs.js";
import { FakeSlack } from "../fakes/slack-api.js";
import { startCli, until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

const MROOM = "!team:fake.local";
const SCHAN = "C0TEAM";
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe("sunbeam-bot run with Matrix and Slack", () => {
  it("answers commands on both networks and relays Gerrit events to both", async () => {
    const hs = await FakeHomeserver.start();
    hs.addRoom(MROOM);
    const slack = await FakeSlack.start();
    const prefix = randomPrefix();
    cleanup.push(
      () => hs.close(),
      () => slack.close(),
      () => dropPrefix(prefix),
    );
    const dir = mkdtempSync(join(tmpdir(), "run-net-"));
    const cfg = join(dir, "config.yaml");
    writeFileSync(
      cfg,
      [
        `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
        "http: { enabled: false }",
        "bot: { coalesceSeconds: 0 }",
        "chat:",
        `  matrix: { homeserver: "${hs.url}", userId: "${hs.userId}", minIntervalMs: 0 }`,
        `  slack: { apiUrl: "${slack.apiUrl}", minIntervalMs: 0 }`,
        `rooms: { mx: { network: matrix, id: "${MROOM}" }, sl: { network: slack, id: ${SCHAN} } }`,
        "relay: [{ room: mx }, { room: sl }]",
        "gerrit: { url: https://review.example.org, settleSeconds: 0 }",
      ].join("\n"),
    );
    const tokenFile = join(dir, "matrix-token");
    writeFileSync(tokenFile, hs.accessToken);
    const bot = startCli(["run", "--config", cfg], {
      MATRIX_ACCESS_TOKEN_FILE: tokenFile,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
    });
    cleanup.push(async () => {
      if (bot.child.exitCode === null) {
        bot.child.kill("SIGTERM");
        await new Promise((r) => bot.child.on("close", r));
      }
    });
    await slack.waitUntil(() => slack.connections === 1, 20_000, "socket mode connection");
    const notices = () =>
      hs.sent.filter((s) => s.content.msgtype === "m.notice").map((s) => String(s.content.body));
    // Matrix: the bot's first sync must be done before an injected message counts as new.
    await until(() => hs.requests.filter((r) => r.includes("/sync")).length > 1, 20_000, "matrix sync");
    hs.inject(MROOM, "@bob:fake.local", { msgtype: "m.text", body: "!help status" });
    slack.sendEvent({
      type: "message",
      channel: SCHAN,
      user: "UBOB",
      text: "!help status",
      ts: (Date.now() / 1000).toFixed(6),
    });
    await until(() => notices().length >= 1 && slack.posted.length >= 1, 20_000, "answers on both networks");
    expect(notices()[0]).toContain("!status");
    expect(slack.posted[0]?.channel).toBe(SCHAN);
    expect(slack.posted[0]?.text).toContain("!status");

    const redis = connectRedis(redisUrl());
    const queues = new Queues(redis, prefix, { attempts: 5, backoffMs: 50, keepDays: 1 }, 0, ROUTES);
    cleanup.push(async () => {
      await queues.close();
      await redis.quit();
    });
    const r = parseGerritLine(
      JSON.stringify({
        type: "change-merged",
        change: { project: "openstack/sunbeam-charms", branch: "main", number: 912345, subject: "Fix gate" },
        patchSet: { number: 3 },
        submitter: { username: "alice" },
        eventCreatedOn: 1764000100,
      }),
    );
    if (!r.ok) throw new Error(r.error);
    await queues.enqueueEvent(r.event);
    await until(
      () =>
        notices().some((n) => n.includes("912345")) && slack.posted.some((p) => p.text.includes("912345")),
      20_000,
      "the merge relayed to both networks",
    );
    expect(bot.err()).not.toContain(hs.accessToken);
    expect(bot.err()).not.toContain(slack.botToken);
    bot.child.kill("SIGTERM");
    expect(await new Promise((res) => bot.child.on("close", res))).toBe(0);
  });
});
