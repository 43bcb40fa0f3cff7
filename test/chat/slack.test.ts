// The Slack adapter driven through real Bolt (Socket Mode and HTTP) against the fake Slack over sockets.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import type { IncomingMessage } from "../../src/chat/adapter.js";
import { SlackAdapter } from "../../src/chat/slack.js";
import { RetryLaterError } from "../../src/core/errors.js";
import { validateConfig } from "../../src/app/config-load.js";
import { Bot } from "../../src/app/bot.js";
import { FakeSlack, signSlack } from "../fakes/slack-api.js";
import { quietLogger, testConfig } from "../helpers/bot.js";
import { dropPrefix, randomPrefix } from "../helpers/redis.js";

const log = pino({ level: "silent" });

/** Collects delivered messages; waitFor resolves once a message matching the predicate has arrived. */
function inbox() {
  const got: IncomingMessage[] = [];
  let waiters: { pred: (m: IncomingMessage) => boolean; resolve: (m: IncomingMessage) => void }[] = [];
  return {
    got,
    onMessage: (m: IncomingMessage) => {
      got.push(m);
      waiters = waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    },
    waitFor(pred: (m: IncomingMessage) => boolean): Promise<IncomingMessage> {
      const found = got.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

let seq = 100;
// Current times, as Slack sends them: the bot ignores commands from before it started (history).
const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String((seq += 1)).padStart(6, "0")}`;

describe("slack adapter, Socket Mode", () => {
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let box: ReturnType<typeof inbox>;

  beforeEach(async () => {
    fake = await FakeSlack.start();
    adapter = new SlackAdapter({
      botToken: fake.botToken,
      appToken: fake.appToken,
      slackApiUrl: fake.apiUrl,
      ignoreUsers: ["UOTHERBOT"],
      log,
    });
    box = inbox();
    await adapter.start(box.onMessage);
    await fake.waitUntil(() => fake.connections === 1, 10_000, "a socket connection");
  });

  afterEach(async () => {
    await adapter.stop();
    await fake.close();
  });

  it("delivers a channel command, acks it, and replies in the command's thread", async () => {
    expect(adapter.isConnected()).toBe(true);
    const root = nextTs();
    const ts = nextTs();
    const env = fake.sendEvent({
      type: "message",
      channel: "C1",
      user: "U1",
      text: "!help",
      ts,
      thread_ts: root,
    });
    const m = await box.waitFor((x) => x.id === ts);
    expect(m).toMatchObject({ network: "slack", room: "C1", user: "U1", text: "!help", thread: root });
    await fake.waitForAck(env);

    const sent = await adapter.send(
      m.room,
      { text: "**Help**: see [docs](https://example.org/a?b=1&c=2)\n- `!affected <change>`" },
      { thread: m.thread, sendId: "reply-1" },
    );
    expect(fake.posted).toHaveLength(1);
    const post = fake.posted[0]!;
    expect(post).toMatchObject({ channel: "C1", thread_ts: root });
    expect(post.text).toBe(
      "*Help*: see <https://example.org/a?b=1&amp;c=2|docs>\n• `!affected &lt;change&gt;`",
    );
    expect(sent.id).toBe(post.ts);
    expect(post.args.unfurl_links).toBe("false");
  });

  it("turns a mention into a command once, and unwraps Slack's links", async () => {
    const ts = nextTs();
    const text = "<@UBOT> affected <https://review.opendev.org/c/123|review.opendev.org/c/123>";
    const envs = [
      fake.sendEvent({ type: "message", channel: "C2", user: "U1", text, ts }),
      fake.sendEvent({ type: "app_mention", channel: "C2", user: "U1", text, ts }),
    ];
    const marker = nextTs();
    envs.push(fake.sendEvent({ type: "message", channel: "C2", user: "U1", text: "!marker", ts: marker }));
    await box.waitFor((x) => x.id === marker);
    // Every envelope is acked, the duplicate mention included (otherwise Slack would redeliver it).
    await Promise.all(envs.map((e) => fake.waitForAck(e)));
    const hits = box.got.filter((x) => x.id === ts);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.text).toBe("!affected https://review.opendev.org/c/123");
    expect(fake.unacked()).toEqual([]);
  });

  it("never delivers its own messages and marks other bots and ignored users fromBot", async () => {
    const own = nextTs();
    const ownBot = nextTs();
    const other = nextTs();
    const ignored = nextTs();
    const edit = nextTs();
    fake.sendEvent({ type: "message", channel: "C3", user: "UBOT", text: "!help", ts: own });
    fake.sendEvent({
      type: "message",
      subtype: "bot_message",
      channel: "C3",
      bot_id: "BBOT",
      text: "!x",
      ts: ownBot,
    });
    fake.sendEvent({
      type: "message",
      subtype: "bot_message",
      channel: "C3",
      bot_id: "B2",
      text: "!help",
      ts: other,
    });
    fake.sendEvent({ type: "message", channel: "C3", user: "UOTHERBOT", text: "!help", ts: ignored });
    fake.sendEvent({ type: "message", subtype: "message_changed", channel: "C3", ts: edit });
    const marker = nextTs();
    fake.sendEvent({ type: "message", channel: "C3", user: "U1", text: "!marker", ts: marker });
    await box.waitFor((x) => x.id === marker);
    const ids = box.got.map((x) => x.id);
    expect(ids).not.toContain(own);
    expect(ids).not.toContain(ownBot);
    expect(ids).not.toContain(edit);
    expect(box.got.find((x) => x.id === other)?.fromBot).toBe(true);
    expect(box.got.find((x) => x.id === ignored)?.fromBot).toBe(true);
    expect(box.got.find((x) => x.id === marker)?.fromBot).toBeUndefined();
  });

  it("acks /sunbeam at once and delivers it as a !command", async () => {
    const env = fake.sendSlashCommand({ text: "affected 123", user_id: "U7", channel_id: "C9" });
    await fake.waitForAck(env);
    const m = await box.waitFor((x) => x.user === "U7");
    expect(m).toMatchObject({ room: "C9", text: "!affected 123" });
    expect(m.id).toMatch(/^slash-trig\./);
    const bare = fake.sendSlashCommand({ text: "", user_id: "U8", channel_id: "C9" });
    await fake.waitForAck(bare);
    expect((await box.waitFor((x) => x.user === "U8")).text).toBe("!help");
  });

  it("turns a 429 into RetryLaterError(Retry-After) and posts a retried send id exactly once", async () => {
    fake.rateLimitPosts(1, 2);
    const err = await adapter.send("C1", { text: "hello" }, { sendId: "job-42" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryLaterError);
    expect((err as RetryLaterError).retryAfterMs).toBe(2000);
    expect(fake.posted).toHaveLength(0);
    const first = await adapter.send("C1", { text: "hello" }, { sendId: "job-42" });
    const again = await adapter.send("C1", { text: "hello" }, { sendId: "job-42" });
    expect(again.id).toBe(first.id);
    expect(fake.posted).toHaveLength(1);
  });

  it("sends DMs through conversations.open, once per user", async () => {
    await adapter.sendDirect("U5", { text: "weekly summary" });
    await adapter.sendDirect("U5", { text: "second" });
    expect(fake.calls.filter((c) => c.method === "conversations.open")).toHaveLength(1);
    expect(fake.posted.map((p) => p.channel)).toEqual(["DU5", "DU5"]);
  });

  it("trims a long reply under Slack's limit at a line boundary", async () => {
    const text = Array.from({ length: 400 }, (_, i) => `- line ${i} & more`).join("\n");
    await adapter.send("C1", { text });
    const post = fake.posted[0]!;
    expect(post.text.length).toBeLessThanOrEqual(3900);
    expect(post.text).toMatch(/…\(\d+ more lines\)$/);
  });
});

describe("slack adapter, HTTP mode", () => {
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  let fake: FakeSlack;
  let adapter: SlackAdapter;
  let box: ReturnType<typeof inbox>;
  let url: string;

  beforeEach(async () => {
    fake = await FakeSlack.start();
    adapter = new SlackAdapter({
      botToken: fake.botToken,
      signingSecret: secret,
      mode: "http",
      port: 0,
      slackApiUrl: fake.apiUrl,
      log,
    });
    box = inbox();
    await adapter.start(box.onMessage);
    url = `http://127.0.0.1:${adapter.httpPort}/slack/events`;
  });

  afterEach(async () => {
    await adapter.stop();
    await fake.close();
  });

  const post = (body: string, opts: { ts?: number; sig?: string; type?: string } = {}) => {
    const ts = opts.ts ?? Math.floor(Date.now() / 1000);
    return fetch(url, {
      method: "POST",
      headers: {
        "content-type": opts.type ?? "application/json",
        "x-slack-request-timestamp": String(ts),
        "x-slack-signature": opts.sig ?? signSlack(secret, ts, body),
      },
      body,
    });
  };

  const eventBody = (ts: string) =>
    JSON.stringify({
      type: "event_callback",
      team_id: fake.teamId,
      api_app_id: "A1",
      event_id: `Ev${ts}`,
      authorizations: [{ team_id: fake.teamId, user_id: "UBOT", is_bot: true }],
      event: { type: "message", channel: "C1", user: "U1", text: "!status", ts, event_ts: ts },
    });

  it("rejects a bad signature, a stale and a future timestamp with 401, and accepts a good one", async () => {
    const body = eventBody(nextTs());
    const now = Math.floor(Date.now() / 1000);
    expect((await post(body, { sig: signSlack("wrong-secret", now, body) })).status).toBe(401);
    expect((await post(body, { sig: "v0=" + "0".repeat(64) })).status).toBe(401);
    // 310, not 301: the requests take time, and a slow run must not drift back inside the window.
    expect((await post(body, { ts: now - 310 })).status).toBe(401);
    expect((await post(body, { ts: now + 310 })).status).toBe(401);
    expect(box.got).toHaveLength(0);
    const ok = await post(body);
    expect(ok.status).toBe(200);
    const m = await box.waitFor(() => true);
    expect(m).toMatchObject({ room: "C1", user: "U1", text: "!status" });
    expect(adapter.isConnected()).toBe(true);
  });

  it("rejects a body changed after signing", async () => {
    const body = eventBody(nextTs());
    const ts = Math.floor(Date.now() / 1000);
    const res = await post(body.replace("!status", "!recheck"), { sig: signSlack(secret, ts, body), ts });
    expect(res.status).toBe(401);
  });

  it("answers url_verification and takes form-encoded slash commands", async () => {
    const challenge = await post(JSON.stringify({ type: "url_verification", challenge: "abc" }));
    expect(await challenge.json()).toEqual({ challenge: "abc" });
    const form = new URLSearchParams({
      command: "/sunbeam",
      text: "triage 2081234",
      user_id: "U3",
      channel_id: "C4",
      team_id: fake.teamId,
      trigger_id: "t.1",
      response_url: "http://127.0.0.1:1/unused",
    }).toString();
    const res = await post(form, { type: "application/x-www-form-urlencoded" });
    expect(res.status).toBe(200);
    const m = await box.waitFor((x) => x.user === "U3");
    expect(m).toMatchObject({ room: "C4", text: "!triage 2081234", id: "slash-t.1" });
  });
});

describe("slack through the bot (real Redis and queues)", () => {
  it("answers a channel command in its thread", async () => {
    const prefix = randomPrefix();
    const fake = await FakeSlack.start();
    const adapter = new SlackAdapter({
      botToken: fake.botToken,
      appToken: fake.appToken,
      slackApiUrl: fake.apiUrl,
      log,
    });
    const extra = {
      chat: { slack: { apiUrl: fake.apiUrl, minIntervalMs: 0 } },
      rooms: { ops: { network: "slack", id: "C1" } },
      roles: {},
      relay: [],
    };
    const bot = new Bot({
      loaded: validateConfig(
        testConfig(prefix, extra),
        { SLACK_BOT_TOKEN: fake.botToken, SLACK_APP_TOKEN: fake.appToken },
        "test",
      ),
      log: quietLogger(),
      adapters: [adapter],
    });
    try {
      await bot.start();
      await fake.waitUntil(() => fake.connections === 1);
      const root = nextTs();
      fake.sendEvent({
        type: "message",
        channel: "C1",
        user: "U1",
        text: "!help",
        ts: nextTs(),
        thread_ts: root,
      });
      await fake.waitForPosts(1);
      expect(await bot.idle()).toBe(true);
      expect(fake.posted).toHaveLength(1);
      expect(fake.posted[0]).toMatchObject({ channel: "C1", thread_ts: root });
      expect(fake.posted[0]!.text).toContain("*Commands*");
    } finally {
      await bot.stop();
      await fake.close();
      await dropPrefix(prefix);
    }
  });
});
