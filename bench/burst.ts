// Bench: a burst of 100 Gerrit events for one Slack channel: messages posted and 429s from the fake Slack.
import { validateConfig } from "../src/app/config-load.js";
import { createLogger } from "../src/core/log.js";
import { Bot } from "../src/app/bot.js";
import { adaptersFor, chatModules } from "../src/app/run.js";
import { parseGerritLine } from "../src/integrations/gerrit/parse.js";
import { FakeSlack } from "../test/fakes/slack-api.js";

export interface BurstResult {
  events: number;
  messages: number;
  rateLimited: number;
  seconds: number;
}

export async function burstToSlack(url: string, prefix: string, events = 100): Promise<BurstResult> {
  const slack = await FakeSlack.start();
  slack.channelIntervalMs = 1000; // what Slack enforces: about one message per second per channel
  const loaded = validateConfig(
    {
      redis: { url, prefix },
      http: { enabled: false },
      chat: { slack: { apiUrl: slack.apiUrl } },
      rooms: { team: { network: "slack", id: "C0BENCH" } },
      relay: [{ room: "team" }],
      // The shipped defaults: coalesceSeconds 3, settleSeconds 5 (no longer applied to the relay).
      gerrit: { url: "https://review.example.org" },
    },
    { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken },
    "bench",
  );
  const log = createLogger({ level: "error" });
  const modules = await chatModules(loaded);
  const bot = new Bot({ loaded, log, adapters: (redis) => adaptersFor(loaded, redis, log, modules) });
  await bot.start();
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const r = parseGerritLine(
      JSON.stringify({
        type: i % 3 === 0 ? "change-merged" : "patchset-created",
        change: {
          project: "openstack/sunbeam-charms",
          branch: "main",
          number: 950000 + i,
          subject: `Burst ${i}`,
        },
        patchSet: { number: 1 },
        uploader: { username: "alice" },
        submitter: { username: "zuul" },
        eventCreatedOn: 1764100000 + i,
      }),
    );
    if (r.ok) await bot.ingest(r.event);
  }
  while (!(await bot.idle(100))) await new Promise((r) => setTimeout(r, 50));
  const seconds = (performance.now() - t0) / 1000;
  await bot.stop();
  await slack.close();
  return { events, messages: slack.posted.length, rateLimited: slack.rateLimited, seconds };
}
