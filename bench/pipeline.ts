// Bench: Gerrit events through parse → enqueue → worker → chat, against bare BullMQ on the same Redis.
import { Queue, Worker } from "bullmq";
import { MemoryAdapter } from "../src/chat/memory.js";
import { validateConfig } from "../src/app/config-load.js";
import { createLogger } from "../src/core/log.js";
import { Bot } from "../src/app/bot.js";
import { connectRedis } from "../src/core/redis.js";
import { parseGerritLine } from "../src/integrations/gerrit/parse.js";

export function sampleLines(n: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      type: "patchset-created",
      change: {
        project: "openstack/sunbeam-charms",
        branch: "main",
        number: 900000 + offset + i,
        subject: `Change ${i}`,
        url: `https://review.opendev.org/c/x/+/${i}`,
      },
      patchSet: { number: 1, revision: "a".repeat(40) },
      uploader: { name: "Alice", username: "alice" },
      eventCreatedOn: 1764000000 + offset + i,
    }),
  );
}

/** Waits until the i-th event's slot when pacing at rateHz (0: as fast as possible). */
export async function pace(t0: number, i: number, rateHz: number): Promise<void> {
  if (rateHz <= 0) return;
  const due = t0 + (i * 1000) / rateHz;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export interface Throughput {
  events: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

/** Bare BullMQ: add N jobs and process them with one worker; the floor our pipeline is compared with. */
export async function bareBullmq(url: string, n: number, prefix: string, rateHz = 0): Promise<Throughput> {
  const conn = connectRedis(url);
  const q = new Queue("bare", { connection: conn, prefix });
  const added = new Map<string, number>();
  const lat: number[] = [];
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const w = new Worker(
    "bare",
    async (job) => {
      lat.push(performance.now() - (added.get(job.id ?? "") ?? 0));
      if (++done === n) finish();
    },
    { connection: conn, prefix, concurrency: 8 },
  );
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await pace(t0, i, rateHz);
    const id = `j${i}`;
    added.set(id, performance.now());
    await q.add("x", { i }, { jobId: id, removeOnComplete: true });
  }
  await all;
  const seconds = (performance.now() - t0) / 1000;
  await w.close();
  await q.obliterate({ force: true });
  await q.close();
  await conn.quit();
  lat.sort((a, b) => a - b);
  return {
    events: n,
    seconds,
    perSecond: n / seconds,
    p50ms: percentile(lat, 50),
    p99ms: percentile(lat, 99),
  };
}

/** Events a relayed message accounts for: a digest's headline count, else one. */
function eventsIn(text: string): number {
  return Number(/^\*\*(\d+) Gerrit updates/.exec(text)?.[1] ?? 1);
}

/**
 * The bot's own path: parse each line, ingest (stats + routed enqueue), relay handler, then either one
 * chat-out job per event (coalesceSeconds 0) or the room's coalescing buffer, flushed once per window as one
 * digest (the default). With coalescing, `perSecond` counts events taken into the room buffers (the
 * pipeline's work per event); `deliveredSeconds` is until the last digest reached the chat.
 */
export async function botPipeline(
  url: string,
  n: number,
  prefix: string,
  rateHz = 0,
  coalesceSeconds = 0,
): Promise<Throughput & { deliveredSeconds: number; messages: number }> {
  const loaded = validateConfig(
    {
      redis: { url, prefix },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team" }],
      gerrit: { url: "https://review.opendev.org", settleSeconds: 0 },
      http: { enabled: false },
      bot: { coalesceSeconds },
    },
    {},
    "bench",
  );
  const chat = new MemoryAdapter("console");
  const bot = new Bot({ loaded, log: createLogger({ level: "error" }), adapters: [chat] });
  await bot.start();
  const lines = sampleLines(n);
  const readAt = new Map<string, number>();
  const t0 = performance.now();
  for (const [i, line] of lines.entries()) {
    await pace(t0, i, rateHz);
    const start = performance.now();
    const r = parseGerritLine(line);
    if (!r.ok) continue;
    readAt.set(String(r.event.change?.number), start);
    await bot.ingest(r.event);
  }
  let seconds: number;
  if (coalesceSeconds > 0) {
    // Every event taken in by the relay handler (in its room's buffer): the pipeline's share of the work.
    const relay = bot.queues.get("relay");
    for (;;) {
      const c = await relay.getJobCounts("completed", "failed");
      if ((c.completed ?? 0) + (c.failed ?? 0) >= n) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    seconds = (performance.now() - t0) / 1000;
    const deadline = Date.now() + 120_000;
    while (chat.sent.reduce((k, m) => k + eventsIn(m.text), 0) < n && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
  } else {
    await chat.waitForSent(n, 120_000);
    seconds = (performance.now() - t0) / 1000;
  }
  const deliveredSeconds = (performance.now() - t0) / 1000;
  const lat = chat.sent
    .map((m) => m.at - performance.timeOrigin - (readAt.get(/proposed (\d+)/.exec(m.text)?.[1] ?? "") ?? 0))
    .sort((a, b) => a - b);
  const messages = chat.sent.length;
  await bot.stop();
  return {
    events: n,
    seconds,
    perSecond: n / seconds,
    p50ms: percentile(lat, 50),
    p99ms: percentile(lat, 99),
    deliveredSeconds,
    messages,
  };
}
