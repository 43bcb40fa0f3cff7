// `npm run soak`: 100,000 Gerrit events through the whole pipeline (coalescing on); memory, lag and loss as JSON.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { ChatAdapter, ChatMessage, SentMessage } from "../src/chat/adapter.js";
import { validateConfig } from "../src/app/config-load.js";
import { createLogger } from "../src/core/log.js";
import { Bot } from "../src/app/bot.js";
import { connectRedis, type Redis } from "../src/core/redis.js";
import { startRedisServer } from "../src/core/redis-server.js";
import { parseGerritLine } from "../src/integrations/gerrit/parse.js";

const FIRST = 1_000_000;
/** The lag histogram samples a timer of this period; its values include the period, which is subtracted. */
const LAG_RESOLUTION_MS = 10;
/** RSS may grow by at most this share from the half-way point to the end. */
const MAX_RSS_GROWTH = 0.1;

/**
 * The chat network: counts each event's line in the digests it is sent, in fixed-size memory (so the sink
 * itself does not grow). A digest shows at most 60 lines and says how many more it had; those are counted
 * in `hiddenLines`, by number only.
 */
class CountingSink implements ChatAdapter {
  readonly network = "console";
  readonly perEvent: Uint8Array;
  messages = 0;
  lines = 0;
  hiddenLines = 0;
  repeatedSendIds = 0;
  malformed = 0;
  private readonly sendIds = new Set<string>();

  constructor(readonly events: number) {
    this.perEvent = new Uint8Array(events);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isConnected(): boolean {
    return true;
  }
  async sendDirect(user: string, m: ChatMessage, opts?: { sendId?: string }): Promise<SentMessage> {
    return this.send(user, m, opts);
  }

  async send(_room: string, m: ChatMessage, opts: { sendId?: string } = {}): Promise<SentMessage> {
    this.messages += 1;
    if (opts.sendId) {
      // A send id seen twice is a message posted twice; the set holds one id per digest, not per event.
      if (this.sendIds.has(opts.sendId)) this.repeatedSendIds += 1;
      this.sendIds.add(opts.sendId);
    }
    const header = /^\*\*(\d+) (?:Gerrit updates|updates on \S+)\*\*/.exec(m.text);
    const declared = header ? Number(header[1]) : 1;
    let shown = 0;
    for (const hit of m.text.matchAll(/proposed (\d+),1/g)) {
      const i = Number(hit[1]) - FIRST;
      if (i >= 0 && i < this.events) this.perEvent[i] = Math.min(255, (this.perEvent[i] ?? 0) + 1);
      else this.malformed += 1;
      shown += 1;
    }
    const more = Number(/…and (\d+) more/.exec(m.text)?.[1] ?? 0);
    if (shown + more !== declared) this.malformed += 1;
    this.lines += declared;
    this.hiddenLines += more;
    return { id: `m${this.messages}` };
  }

  /** Events seen twice or more among the lines shown. */
  doubledShown(): number {
    let n = 0;
    for (const c of this.perEvent) if (c > 1) n += 1;
    return n;
  }
}

function line(i: number): string {
  return JSON.stringify({
    type: "patchset-created",
    change: {
      project: "openstack/sunbeam-charms",
      branch: "main",
      number: FIRST + i,
      subject: `Soak change ${i}`,
      url: `https://review.opendev.org/c/openstack/sunbeam-charms/+/${FIRST + i}`,
    },
    patchSet: { number: 1, revision: "a".repeat(40) },
    uploader: { name: "Alice", username: "alice" },
    eventCreatedOn: 1765000000 + i,
  });
}

/** A real gc() when node runs with --expose-gc; otherwise the flag is turned on now (V8 allows it at run time). */
function gcFunction(): { gc: () => void; how: string } {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return { gc: g, how: "--expose-gc" };
  setFlagsFromString("--expose-gc");
  const fromVm = runInNewContext("gc") as (() => void) | undefined;
  if (typeof fromVm === "function") return { gc: fromVm, how: "v8.setFlagsFromString" };
  return { gc: () => undefined, how: "none (min of samples)" };
}

interface Checkpoint {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  redisUsedMemoryMB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** The lowest RSS over a few collections: what the process keeps, not what it has not yet returned. */
async function settledRss(gc: () => void): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(100);
    min = Math.min(min, process.memoryUsage().rss);
  }
  return min;
}

async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const n = Number(process.env.SOAK_EVENTS ?? 100_000);
  const deadline = Date.now() + Number(process.env.SOAK_TIMEOUT_SECONDS ?? 600) * 1000;
  const half = Math.floor(n / 2);
  const { gc, how } = gcFunction();
  const server = await startRedisServer();
  const probe = connectRedis(server.url);
  const sink = new CountingSink(n);
  const loaded = validateConfig(
    {
      redis: { url: server.url, prefix: "soak" },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team" }],
      // Coalescing as configured by default (bot.coalesceSeconds); no settle delay, so "done" is prompt.
      gerrit: { url: "https://review.opendev.org", settleSeconds: 0 },
      http: { enabled: false },
    },
    {},
    "soak",
  );
  const bot = new Bot({ loaded, log: createLogger({ level: "error" }), adapters: [sink] });
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const report: Record<string, unknown> = {
    node: process.version,
    events: n,
    coalesceSeconds: loaded.config.bot.coalesceSeconds,
    gc: how,
    at: new Date().toISOString(),
  };
  const failures: string[] = [];
  try {
    await bot.start();
    const t0 = performance.now();
    lag.enable();
    const checkpoints: Checkpoint[] = [];
    for (const [from, to] of [
      [0, half],
      [half, n],
    ] as const) {
      for (let i = from; i < to; i++) {
        const r = parseGerritLine(line(i));
        if (!r.ok) throw new Error(r.error);
        await bot.ingest(r.event);
      }
      // Everything handed over so far reaches the chat before the figures are taken.
      while (sink.lines < to) {
        if (Date.now() > deadline) throw new Error(`timed out with ${sink.lines} of ${to} lines delivered`);
        await sleep(100);
      }
      if (!(await bot.idle(60_000))) failures.push(`queues not idle after ${to} events`);
      const seconds = (performance.now() - t0) / 1000;
      checkpoints.push({
        events: to,
        seconds: Math.round(seconds * 10) / 10,
        eventsPerSecond: Math.round(to / seconds),
        rssMB: mb(await settledRss(gc)),
        heapUsedMB: mb(process.memoryUsage().heapUsed),
        heapTotalMB: mb(process.memoryUsage().heapTotal),
        externalMB: mb(process.memoryUsage().external),
        redisUsedMemoryMB: mb(await redisUsedMemory(probe)),
      });
    }
    lag.disable();
    const [mid, end] = checkpoints as [Checkpoint, Checkpoint];
    const growth = (end.rssMB - mid.rssMB) / mid.rssMB;
    const counts = await bot.queues.counts();
    const shownOnce = sink.perEvent.reduce((a, c) => a + (c === 1 ? 1 : 0), 0);
    report.checkpoints = checkpoints;
    report.eventsPerSecond = end.eventsPerSecond;
    report.rssGrowth = Math.round(growth * 1000) / 1000;
    report.redisBytesPerEvent = Math.round(
      ((end.redisUsedMemoryMB - mid.redisUsedMemoryMB) * 1048576) / (n - half),
    );
    const lagMs = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LAG_RESOLUTION_MS) * 100) / 100);
    report.eventLoopLagMs = {
      p50: lagMs(lag.percentile(50)),
      p99: lagMs(lag.percentile(99)),
      max: lagMs(lag.max),
    };
    report.delivery = {
      messages: sink.messages,
      lines: sink.lines,
      linesShownOnce: shownOnce,
      hiddenLines: sink.hiddenLines,
      doubledShown: sink.doubledShown(),
      repeatedSendIds: sink.repeatedSendIds,
      malformed: sink.malformed,
      relayJobs: counts.relay,
      chatOutJobs: counts["chat-out"],
    };
    report.note =
      "one process, private redis-server, in-memory chat sink; RSS after GC (min of 5 samples) once each half " +
      "is delivered; a digest shows 60 lines and counts the rest, so per-event counts cover the shown lines and " +
      "totals cover all; Redis grows by design: finished jobs are kept jobs.keepDays for replay dedupe";
    if (growth > MAX_RSS_GROWTH)
      failures.push(`RSS grew ${(growth * 100).toFixed(1)}% from ${half} to ${n} events`);
    if (sink.lines !== n) failures.push(`${sink.lines} lines delivered for ${n} events`);
    if (shownOnce + sink.hiddenLines !== n) failures.push("per-event counts do not add up");
    if (sink.doubledShown() > 0 || sink.repeatedSendIds > 0)
      failures.push("an event or a message was doubled");
    if (sink.malformed > 0) failures.push(`${sink.malformed} messages could not be counted`);
    if ((counts.relay?.completed ?? 0) !== n || (counts.relay?.failed ?? 0) > 0)
      failures.push(`relay jobs: ${JSON.stringify(counts.relay)}`);
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
  } finally {
    await bot.stop();
    probe.disconnect();
    await server.stop();
  }
  report.ok = failures.length === 0;
  report.failures = failures;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
