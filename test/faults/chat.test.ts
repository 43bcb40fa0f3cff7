// Fault suite, chat side: Slack and Matrix (real SDKs, wire-level fakes) answering 429, 5xx, resets, stalls and
// lost answers while a burst of Gerrit events is relayed. Each event must reach its room exactly once.
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
import { FaultProxy, type Fault } from "./fault-proxy.js";

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROJECTS = ["openstack/p0", "openstack/p1", "openstack/p2", "openstack/p3"];
const BASE = 200_000;

/**
 * More attempts than the faults a test injects in all: however the faults fall, no job can run out of
 * attempts, so "nothing lost" does not depend on luck. (A real outage longer than the retry budget does
 * lose the message: the job fails and is counted in sunbeam_job_failures_total.)
 */
const ATTEMPTS = 50;

async function startBot(
  chat: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  extra: Record<string, unknown>,
) {
  const prefix = randomPrefix();
  const loaded = validateConfig(
    {
      redis: { url: redisUrl(), prefix },
      http: { enabled: false },
      chat,
      gerrit: { url: "https://review.example.org", settleSeconds: 0 },
      jobs: { backoffMs: 20, attempts: ATTEMPTS },
      ...extra,
    },
    env,
    "faults",
  );
  const logs: string[] = [];
  const log = quietLogger(logs);
  const modules = await chatModules(loaded);
  const bot = new Bot({ loaded, log, adapters: (redis) => adaptersFor(loaded, redis, log, modules) });
  await bot.start();
  cleanup.push(
    () => dropPrefix(prefix),
    () => bot.stop(),
  );
  return bot;
}

/** Ingests n patchset-created events (change BASE+i, project i mod 4) a few milliseconds apart. */
async function burst(bot: Bot, n: number, gapMs: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = parseGerritLine(
      JSON.stringify({
        type: "patchset-created",
        change: {
          project: PROJECTS[i % PROJECTS.length],
          branch: "main",
          number: BASE + i,
          subject: `Burst ${i}`,
        },
        patchSet: { number: 1 },
        uploader: { username: "alice" },
        eventCreatedOn: 1764200000 + i,
      }),
    );
    if (!r.ok) throw new Error(r.error);
    await bot.ingest(r.event);
    if (gapMs > 0) await sleep(gapMs);
  }
}

/** Per-event deliveries in the texts the fake received; a digest that hid lines would make counting blind. */
function tally(texts: string[], n: number) {
  const c = new Map<number, number>();
  for (const t of texts) {
    if (t.includes("…and")) throw new Error(`a digest hid lines: ${t}`);
    for (const m of t.matchAll(/proposed (\d+),1/g))
      c.set(Number(m[1]) - BASE, (c.get(Number(m[1]) - BASE) ?? 0) + 1);
  }
  return {
    delivered: c.size,
    lost: Array.from({ length: n }, (_, i) => i).filter((i) => !c.has(i)),
    doubled: [...c].filter(([, k]) => k > 1).map(([i]) => i),
  };
}

async function expectExactlyOnce(bot: Bot, texts: () => string[], n: number): Promise<void> {
  await until(() => tally(texts(), n).delivered >= n, 60_000, `${n} events delivered`).catch((e: unknown) => {
    throw new Error(`${String(e)}: lost ${tally(texts(), n).lost.join(" ")}`);
  });
  expect(await bot.idle(30_000)).toBe(true);
  expect(tally(texts(), n)).toMatchObject({ lost: [], doubled: [] });
}

describe("chat networks failing", () => {
  it("Slack 429s (per-channel limit and explicit ones), coalescing on: every event once, in few messages", async () => {
    const slack = await FakeSlack.start();
    cleanup.push(() => slack.close());
    // Slack's ~1 message/s per channel, and the bot not pacing itself: every close pair of digests is a 429.
    slack.channelIntervalMs = 1000;
    slack.rateLimitPosts(3, 1);
    const rooms = Object.fromEntries(PROJECTS.map((_, i) => [`c${i}`, { network: "slack", id: `C${i}` }]));
    const bot = await startBot(
      { slack: { apiUrl: slack.apiUrl, minIntervalMs: 0 } },
      { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken },
      {
        rooms,
        relay: PROJECTS.map((p, i) => ({ room: `c${i}`, projects: [p] })),
        bot: { coalesceSeconds: 1 },
      },
    );
    const N = 200; // 50 per channel: a digest never hides lines
    await burst(bot, N, 12);
    await expectExactlyOnce(bot, () => slack.posted.map((p) => p.text), N);
    expect(slack.rateLimited).toBeGreaterThan(3);
    expect(slack.posted.length).toBeLessThan(N / 4);
  });

  it("Slack 5xx, resets and stalled requests (none reached Slack): every event once", async () => {
    const slack = await FakeSlack.start();
    const proxy = await FaultProxy.start(slack.apiUrl.replace(/\/api\/$/, ""), {
      match: (_m, p) => p === "/api/chat.postMessage",
    });
    cleanup.push(
      () => slack.close(),
      () => proxy.close(),
    );
    const faults: Fault[] = [];
    for (let i = 0; i < 8; i++) {
      faults.push({ kind: "status", status: 500 }, { kind: "status", status: 503 }, { kind: "reset" });
      if (i % 2 === 0) faults.push({ kind: "stall", ms: 200 });
    }
    for (const f of faults) proxy.inject(1, f);
    const bot = await startBot(
      { slack: { apiUrl: `${proxy.url}/api/`, minIntervalMs: 0 } },
      { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken },
      {
        rooms: { team: { network: "slack", id: "C9" } },
        relay: [{ room: "team" }],
        bot: { coalesceSeconds: 0 },
      },
    );
    const N = 80;
    await burst(bot, N, 2);
    await expectExactlyOnce(bot, () => slack.posted.map((p) => p.text), N);
    expect(proxy.applied).toMatchObject({ status: 16, reset: 8, stall: 4 });
    expect(faults.length).toBeLessThan(ATTEMPTS);
  });

  it("Matrix 429s, 5xx, resets, stalls and lost answers (sent, answer never came): every event once", async () => {
    const hs = await FakeHomeserver.start();
    const ROOM = "!team:fake.local";
    hs.addRoom(ROOM);
    const proxy = await FaultProxy.start(hs.url, { match: (m, p) => m === "PUT" && p.includes("/send/") });
    cleanup.push(
      () => hs.close(),
      () => proxy.close(),
    );
    hs.rateLimitSends(8, 100);
    const faults: Fault[] = [];
    for (let i = 0; i < 6; i++)
      faults.push(
        { kind: "status", status: 502 },
        { kind: "lose" },
        { kind: "reset" },
        { kind: "lose", status: 504 },
        ...(i % 2 === 0 ? [{ kind: "stall", ms: 200 } as const] : []),
      );
    for (const f of faults) proxy.inject(1, f);
    const bot = await startBot(
      { matrix: { homeserver: proxy.url, userId: hs.userId, minIntervalMs: 0 } },
      { MATRIX_ACCESS_TOKEN: hs.accessToken },
      {
        rooms: { mx: { network: "matrix", id: ROOM } },
        relay: [{ room: "mx" }],
        bot: { coalesceSeconds: 0 },
      },
    );
    const N = 100;
    await burst(bot, N, 2);
    const texts = () => hs.sent.map((s) => String(s.content.body ?? ""));
    await expectExactlyOnce(bot, texts, N);
    expect(proxy.applied).toMatchObject({ status: 6, reset: 6, stall: 3, lose: 12 });
    // 12 sends reached the room but their answers were lost: each retry reused the transaction id.
    expect(hs.sent).toHaveLength(N);
    expect(faults.length + 8).toBeLessThan(ATTEMPTS);
  });
});
