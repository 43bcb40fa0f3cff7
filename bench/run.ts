// `npm run bench`: every figure as one JSON document, each against a baseline measured in the same run.
import { startRedisServer } from "../src/redis-server.js";
import { bareBullmq, botPipeline } from "./pipeline.js";

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_EVENTS ?? 3000);
  const redis = await startRedisServer();
  const report: Record<string, unknown> = { node: process.version, events: n, at: new Date().toISOString() };
  try {
    // Warm-up so that neither side pays for JIT and Redis script loading.
    await bareBullmq(redis.url, 300, "warm-bare");
    await botPipeline(redis.url, 300, "warm-bot");
    const bare = await bareBullmq(redis.url, n, "bare");
    const bot = await botPipeline(redis.url, n, "bot");
    report.pipeline = {
      botEventsPerSecond: round(bot.perSecond, 0),
      bareBullmqJobsPerSecond: round(bare.perSecond, 0),
      ratio: round(bot.perSecond / bare.perSecond),
      botLatencyMs: { p50: round(bot.p50ms), p99: round(bot.p99ms) },
      bareLatencyMs: { p50: round(bare.p50ms), p99: round(bare.p99ms) },
      p99Ratio: round(bot.p99ms / bare.p99ms),
    };
  } finally {
    await redis.stop();
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
