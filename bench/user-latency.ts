// Bench: what an operator feels: an isolated Gerrit event from stream line to chat send, shipped defaults.
import { MemoryAdapter } from "../src/chat/memory.js";
import { validateConfig } from "../src/app/config-load.js";
import { createLogger } from "../src/core/log.js";
import { Bot } from "../src/app/bot.js";
import { parseGerritLine } from "../src/integrations/gerrit/parse.js";
import { pace, percentile } from "./pipeline.js";

export interface IsolatedLatency {
  events: number;
  p50ms: number;
  p99ms: number;
}

/**
 * Every event is the only one in its room's window (one room per project, events spread over rooms), so
 * each meets the shipped defaults as an isolated event does: settleSeconds 5 and coalesceSeconds 3 unset
 * here, i.e. at their defaults. Timed from the line's arrival (before parsing) to the chat adapter's send.
 */
export async function isolatedLatency(
  url: string,
  prefix: string,
  n = 100,
  rateHz = 20,
): Promise<IsolatedLatency> {
  const rooms = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`r${i}`, { network: "console", id: `#r${i}` }]),
  );
  const relay = Array.from({ length: n }, (_, i) => ({ room: `r${i}`, projects: [`openstack/p${i}`] }));
  const loaded = validateConfig(
    {
      redis: { url, prefix },
      chat: { console: { enabled: true } },
      rooms,
      relay,
      gerrit: { url: "https://review.opendev.org" },
      http: { enabled: false },
    },
    {},
    "bench",
  );
  const chat = new MemoryAdapter("console");
  const bot = new Bot({ loaded, log: createLogger({ level: "error" }), adapters: [chat] });
  await bot.start();
  const readAt = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await pace(t0, i, rateHz);
    const line = JSON.stringify({
      type: "patchset-created",
      change: {
        project: `openstack/p${i}`,
        branch: "master",
        number: 970000 + i,
        subject: `Isolated ${i}`,
        url: `https://review.opendev.org/c/openstack/p${i}/+/${970000 + i}`,
      },
      patchSet: { number: 1, revision: "b".repeat(40) },
      uploader: { name: "Alice", username: "alice" },
      eventCreatedOn: 1764200000 + i,
    });
    const start = performance.now();
    const r = parseGerritLine(line);
    if (!r.ok) throw new Error(r.error);
    readAt.set(`#r${i}`, start);
    await bot.ingest(r.event);
  }
  await chat.waitForSent(n, 60_000);
  const lat = chat.sent
    .map((m) => m.at - performance.timeOrigin - (readAt.get(m.room) ?? Number.NaN))
    .sort((a, b) => a - b);
  await bot.stop();
  return { events: n, p50ms: percentile(lat, 50), p99ms: percentile(lat, 99) };
}
