// Fault suite, Gerrit side: SSH killed at random while events flow, REST failing during backfill, dropped-output
// bursts. Every event is counted where it lands (the chat adapter) and must arrive exactly once.
import { patchsetCreated } from "../helpers/gerrit-events.js";
import { writeFileSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChatAdapter, ChatMessage, SentMessage } from "../../src/chat/adapter.js";
import { validateConfig } from "../../src/app/config-load.js";
import { Bot } from "../../src/app/bot.js";
import type { GerritSource } from "../../src/integrations/gerrit/source.js";
import { rng } from "../../bench/rng.js";
import { ALICE, FakeGerritRest, makeChange } from "../fakes/gerrit-rest.js";
import { FakeGerritSsh, generateKeyPair, type KeyPair } from "../fakes/gerrit-ssh.js";
import { quietLogger } from "../helpers/bot.js";
import { until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";
import { FaultProxy } from "./fault-proxy.js";

/**
 * A chat network that counts every send it is handed, by the change numbers in the text. Unlike the
 * MemoryAdapter it does not collapse repeated send ids: a message delivered twice is counted twice.
 */
class CountingChat implements ChatAdapter {
  readonly network = "console";
  readonly counts = new Map<number, number>();
  messages = 0;
  async start(): Promise<void> {}
  async send(_room: string, m: ChatMessage): Promise<SentMessage> {
    this.messages += 1;
    for (const hit of m.text.matchAll(/proposed (\d+),1/g)) {
      const n = Number(hit[1]);
      this.counts.set(n, (this.counts.get(n) ?? 0) + 1);
    }
    return { id: `c${this.messages}` };
  }
  async sendDirect(user: string, m: ChatMessage): Promise<SentMessage> {
    return this.send(user, m);
  }
  async stop(): Promise<void> {}
  isConnected(): boolean {
    return true;
  }
}

/** Lost: expected but never delivered. Doubled: delivered more than once. Unexpected: never published. */
function tally(counts: Map<number, number>, expected: number[]) {
  const want = new Set(expected);
  return {
    lost: expected.filter((n) => !counts.has(n)),
    doubled: [...counts].filter(([, c]) => c > 1).map(([n]) => n),
    unexpected: [...counts.keys()].filter((n) => !want.has(n)),
  };
}

let key: KeyPair;
beforeAll(() => {
  key = generateKeyPair();
});

interface Rig {
  ssh: FakeGerritSsh;
  rest: FakeGerritRest;
  proxy?: FaultProxy;
  bot: Bot;
  chat: CountingChat;
  prefix: string;
  logs: string[];
  /** Event times start here, in the future: the first connection (cursor = now) has nothing to backfill. */
  t0: number;
}
let rig: Rig | undefined;
afterEach(async (ctx) => {
  if (!rig) return;
  if (ctx.task.result?.state === "fail" && process.env.FAULT_LOGS)
    writeFileSync(process.env.FAULT_LOGS, rig.logs.join(""));
  await rig.bot.stop();
  await rig.ssh.close();
  await rig.proxy?.close();
  await rig.rest.close();
  await dropPrefix(rig.prefix);
  rig = undefined;
});

async function setup(opts: { restProxy?: boolean } = {}): Promise<Rig> {
  const ssh = await FakeGerritSsh.start({ clientPublicKey: key.public });
  const rest = await FakeGerritRest.start({ user: "sunbeam-bot", password: "rest-pw-123456" });
  const proxy = opts.restProxy
    ? await FaultProxy.start(rest.url, { match: (m, p) => m === "GET" && p.startsWith("/a/changes") })
    : undefined;
  const prefix = randomPrefix();
  const loaded = validateConfig(
    {
      redis: { url: redisUrl(), prefix },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team" }],
      bot: { coalesceSeconds: 0 },
      http: { enabled: false },
      jobs: { backoffMs: 20 },
      gerrit: {
        url: proxy?.url ?? rest.url,
        settleSeconds: 0,
        projects: ["openstack/sunbeam-charms"],
        ssh: {
          host: "127.0.0.1",
          port: ssh.port,
          user: "sunbeam-bot",
          privateKeyFile: "(in memory)",
          hostKeyFingerprint: ssh.hostFingerprint,
        },
        http: { user: "sunbeam-bot" },
      },
    },
    { GERRIT_HTTP_PASSWORD: "rest-pw-123456" },
    "faults",
  );
  const chat = new CountingChat();
  const logs: string[] = [];
  const bot = new Bot({
    loaded,
    log: quietLogger(logs),
    adapters: [chat],
    gerritKey: Buffer.from(key.private),
    gerritBackoffMs: { base: 20, max: 100 },
  });
  await bot.start();
  const t0 = Math.floor(Date.now() / 1000) + 10;
  return { ssh, rest, ...(proxy ? { proxy } : {}), bot, chat, prefix, logs, t0 };
}

const gerritTime = (s: number) => new Date(s * 1000).toISOString().replace("T", " ").replace("Z", "000000");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A new change at `at`: always in REST; on the stream only when `live` and someone is connected. */
function publish(r: Rig, n: number, at: number, live = true): void {
  const sha = n.toString(16).padStart(40, "b");
  const created = gerritTime(at);
  r.rest.changes.push(
    makeChange(n, {
      created,
      updated: created,
      current_revision: sha,
      revisions: {
        [sha]: { _number: 1, created, uploader: ALICE, ref: `refs/changes/00/${n}/1`, kind: "REWORK" },
      },
    }),
  );
  if (!live) return;
  r.ssh.emitEvent(patchsetCreated(n, sha, at));
}

async function statusNumber(r: Rig, label: string): Promise<number> {
  const lines = (await (r.bot.sources[0] as GerritSource).status()).lines.join("; ");
  return Number(new RegExp(`${label} (\\d+)`).exec(lines)?.[1] ?? NaN);
}

/** Waits for every expected change, then for a live sentinel (so no backfill is still on its way). */
async function settle(r: Rig, expected: number[], sentinel: number, at: number): Promise<void> {
  const missing = () => expected.filter((n) => !r.chat.counts.has(n));
  await until(() => missing().length === 0, 30_000, "every event relayed").catch((e: unknown) => {
    const m = missing();
    throw new Error(`${String(e)}: ${m.length} of ${expected.length} missing: ${m.slice(0, 20).join(" ")}`);
  });
  await r.ssh.waitForStreams(1);
  publish(r, sentinel, at);
  await until(() => r.chat.counts.has(sentinel), 20_000, "the sentinel");
  expect(await r.bot.idle()).toBe(true);
}

describe("Gerrit SSH and REST faults", () => {
  it("SSH killed at random intervals over 600 events: every event relayed exactly once (live or backfilled)", async () => {
    rig = await setup();
    const r = rig;
    await r.ssh.waitForStreams(1);
    const rnd = rng(0x5eed);
    const N = 600;
    const base = 10_000;
    let killsOnLiveStream = 0;
    for (let i = 0; i < N; i++) {
      publish(r, base + i, r.t0 + i);
      // About one kill per 14 events, wherever the client is: streaming, mid-handshake, or backfilling.
      if (rnd() < 0.07) {
        if (r.ssh.streamCount > 0) killsOnLiveStream += 1;
        r.ssh.dropAll();
      }
      await sleep(rnd() * 6);
    }
    const expected = Array.from({ length: N }, (_, i) => base + i);
    await settle(r, expected, base + N, r.t0 + N);
    expect(tally(r.chat.counts, [...expected, base + N])).toEqual({ lost: [], doubled: [], unexpected: [] });
    // The test did what it says: the stream was cut many times and REST filled the gaps.
    expect(killsOnLiveStream).toBeGreaterThanOrEqual(10);
    expect(await statusNumber(r, "reconnects")).toBeGreaterThanOrEqual(10);
    expect(await statusNumber(r, "events backfilled")).toBeGreaterThan(0);
  });

  it("REST answers 503, 429, resets, stalls and lost answers during backfill: the gaps are still filled once", async () => {
    rig = await setup({ restProxy: true });
    const r = rig;
    const proxy = r.proxy as FaultProxy;
    await r.ssh.waitForStreams(1);
    const base = 20_000;
    let n = 0;
    const rounds = [
      () => proxy.inject(2, { kind: "status", status: 503 }),
      () => proxy.inject(1, { kind: "status", status: 429, retryAfter: "1" }),
      () => proxy.inject(2, { kind: "reset" }),
      () => proxy.inject(1, { kind: "stall", ms: 300 }),
      () => proxy.inject(2, { kind: "lose", status: 502 }),
      // More failures in a row than the client retries in-process: the source retries the backfill itself.
      () => proxy.inject(6, { kind: "status", status: 500 }),
    ];
    for (const [round, fail] of rounds.entries()) {
      for (let i = 0; i < 8; i++, n++) publish(r, base + n, r.t0 + n);
      await sleep(20);
      r.ssh.dropAll();
      // Made while the stream is down: only a backfill can find these, and it meets the faults first.
      for (let i = 0; i < 8; i++, n++) publish(r, base + n, r.t0 + n, false);
      fail();
      await r.ssh.waitForStreams(1);
      if (round % 2 === 1) {
        // A dropped-output on a live stream asks for a backfill too.
        for (let i = 0; i < 4; i++, n++) publish(r, base + n, r.t0 + n, false);
        fail();
        r.ssh.sendDroppedOutput(r.t0 + n);
      }
      await until(() => r.chat.counts.has(base + n - 1), 30_000, `round ${round} backfilled`);
    }
    const expected = Array.from({ length: n }, (_, i) => base + i);
    await settle(r, expected, base + n, r.t0 + n);
    expect(tally(r.chat.counts, [...expected, base + n])).toEqual({ lost: [], doubled: [], unexpected: [] });
    for (const kind of ["status", "reset", "stall", "lose"] as const)
      expect(proxy.applied[kind]).toBeGreaterThan(0);
  });

  it("dropped-output bursts (the server dropped events for a slow consumer): the dropped events are backfilled once", async () => {
    rig = await setup();
    const r = rig;
    await r.ssh.waitForStreams(1);
    const base = 30_000;
    let n = 0;
    for (let burst = 0; burst < 6; burst++) {
      // Delivered, then dropped by the server (REST only), then the marker, then newer events at once:
      // Gerrit writes dropped-output when its queue drains and keeps streaming right after it.
      for (let i = 0; i < 10; i++, n++) publish(r, base + n, r.t0 + n);
      for (let i = 0; i < 15; i++, n++) publish(r, base + n, r.t0 + n, false);
      r.ssh.sendDroppedOutput(r.t0 + n);
      for (let i = 0; i < 10; i++, n++) publish(r, base + n, r.t0 + n);
      await until(() => r.chat.counts.has(base + n - 1), 20_000, `burst ${burst} live events`);
    }
    const expected = Array.from({ length: n }, (_, i) => base + i);
    await settle(r, expected, base + n, r.t0 + n);
    expect(tally(r.chat.counts, [...expected, base + n])).toEqual({ lost: [], doubled: [], unexpected: [] });
    expect(await statusNumber(r, "dropped-output seen")).toBe(6);
    expect(await statusNumber(r, "reconnects")).toBe(0);
  });
});
