// Child of bench/idle.ts: starts the bot as `sunbeam-bot run` does (shipped defaults, console network, one
// relay rule) or a bare BullMQ worker; prints {readyMs}; idles; prints its memory and CPU over the window.
import { setTimeout as sleep } from "node:timers/promises";

async function start(kind: string, url: string): Promise<() => Promise<void>> {
  if (kind === "bare") {
    const { Queue, Worker } = await import("bullmq");
    const { Redis } = await import("ioredis");
    const conn = new Redis(url, { maxRetriesPerRequest: null });
    const q = new Queue("bare", { connection: conn, prefix: "idle-bare" });
    const w = new Worker("bare", async () => undefined, { connection: conn, prefix: "idle-bare" });
    await w.waitUntilReady();
    return async () => {
      await w.close();
      await q.close();
      await conn.quit();
    };
  }
  const { validateConfig } = await import("../src/app/config-load.js");
  const { createLogger } = await import("../src/core/log.js");
  const { adaptersFor, chatModules } = await import("../src/app/run.js");
  const { Bot } = await import("../src/app/bot.js");
  const loaded = validateConfig(
    {
      redis: { url, prefix: "idle-bot" },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team", projects: ["openstack/sunbeam-charms"] }],
      gerrit: { url: "https://review.opendev.org" },
      http: { enabled: false },
    },
    {},
    "bench",
  );
  const log = createLogger({ level: "error" });
  // What runBot does (src/app/run.ts), minus the signal wait: the same lazy loading and defaults.
  const modules = await chatModules(loaded);
  const bot = new Bot({ loaded, log, adapters: (redis) => adaptersFor(loaded, redis, log, modules) });
  await bot.start();
  while (!(await bot.readiness()).ready) await sleep(10);
  return () => bot.stop();
}

async function main(): Promise<void> {
  const [kind = "bot", url = "", secondsArg = "10"] = process.argv.slice(2);
  const stop = await start(kind, url);
  // performance.now() counts from process start: start to ready includes loading the code.
  process.stdout.write(`${JSON.stringify({ readyMs: performance.now() })}\n`);
  await sleep(2000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(Number(secondsArg) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ rss: mem.rss, heap: mem.heapUsed, cpuMs: (cpu.user + cpu.system) / 1000, seconds })}\n`,
  );
  process.once("SIGTERM", () => void stop().finally(() => process.exit(0)));
}

void main();
