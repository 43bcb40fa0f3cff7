// `npm run bench`: every figure as one JSON document, each against a baseline measured in the same run.
import { startRedisServer } from "../src/core/redis-server.js";
import { bareBullmq, botPipeline } from "./pipeline.js";
import { gerritSshPipeline } from "./gerrit-ssh.js";
import { burstToSlack } from "./burst.js";
import { benchAffected } from "./affected.js";
import { triageEvaluatorBench } from "./triage.js";
import { benchDemoFirstPrompt } from "./demo.js";
import { redosBench } from "./redos.js";

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_EVENTS ?? 3000);
  const redis = await startRedisServer();
  const report: Record<string, unknown> = { node: process.version, events: n, at: new Date().toISOString() };
  try {
    // Warm-up so that neither side pays for JIT and Redis script loading.
    await bareBullmq(redis.url, 300, "warm-bare");
    await botPipeline(redis.url, 300, "warm-bot");
    // Throughput: as fast as the producer can go.
    const bare = await bareBullmq(redis.url, n, "bare");
    const bot = await botPipeline(redis.url, n, "bot");
    // Latency: at a steady rate well below saturation (a queue at saturation has unbounded latency).
    const rate = Number(process.env.BENCH_RATE ?? 200);
    const m = Math.min(n, rate * 5);
    const bareLat = await bareBullmq(redis.url, m, "bare-lat", rate);
    const botLat = await botPipeline(redis.url, m, "bot-lat", rate);
    report.pipeline = {
      botEventsPerSecond: round(bot.perSecond, 0),
      bareBullmqJobsPerSecond: round(bare.perSecond, 0),
      ratio: round(bot.perSecond / bare.perSecond),
      latencyAtEventsPerSecond: rate,
      botLatencyMs: { p50: round(botLat.p50ms), p99: round(botLat.p99ms) },
      bareLatencyMs: { p50: round(bareLat.p50ms), p99: round(bareLat.p99ms) },
      p99Ratio: round(botLat.p99ms / bareLat.p99ms),
      saturatedBotLatencyMs: { p50: round(bot.p50ms), p99: round(bot.p99ms) },
    };
    // As deployed: the room's events coalesced (bot.coalesceSeconds, here 1 s) into one digest per window.
    const coalesced = await botPipeline(redis.url, n, "bot-coalesced", 0, 1);
    report.pipelineCoalesced = {
      botEventsPerSecond: round(coalesced.perSecond, 0),
      bareBullmqJobsPerSecond: round(bare.perSecond, 0),
      ratio: round(coalesced.perSecond / bare.perSecond),
      messages: coalesced.messages,
      deliveredSeconds: round(coalesced.deliveredSeconds),
      note: "events/s parse → enqueue → relay → the room's buffer; digests posted once per 1 s window (deliveredSeconds: until the last digest was sent)",
    };
    const ssh = await gerritSshPipeline(redis.url, n, "ssh");
    report.gerritSsh = {
      eventsPerSecond: round(ssh.perSecond, 0),
      ratioToBareBullmq: round(ssh.perSecond / bare.perSecond),
      latencyMs: { p50: round(ssh.p50ms), p99: round(ssh.p99ms) },
      note: "emit at the fake SSH server → ssh2 client → parse → Redis queues → relay → chat-out → chat, bursts of 50",
    };
    const burst = await burstToSlack(redis.url, "burst");
    report.burst = {
      ...burst,
      seconds: round(burst.seconds),
      note: "100 events to one Slack channel; the fake answers 429 to posts closer than 1 s",
    };
    report.triage = {
      ...triageEvaluatorBench(),
      note: "pure checklist evaluator over a seeded mix of 2000 generated bugs (60% prose, 25% pasted tables, 12% pasted logs, 3% huge pastes); baseline: one regex scan of the same texts",
    };
    // Pure computation, no Redis: the affected-charm model and queries against the naive baseline.
    report.affected = await benchAffected({ charms: Number(process.env.BENCH_CHARMS ?? 1000) });
    if ((report.affected as { sameAnswers: boolean }).sameAnswers !== true) process.exitCode = 1;
    const demo = await benchDemoFirstPrompt(redis.url);
    report.demo = {
      ...demo,
      limitMs: 3000,
      note: "sunbeam-bot demo: Redis ready → prompt printed (sample Gerrit, Launchpad, monorepo, registry, bot start, sample events queued); slowest of 3",
    };
    if (demo.firstPromptMs > 3000) process.exitCode = 1;
    report.redos = redosBench();
    if ((report.redos as { withinBound: boolean }).withinBound !== true) process.exitCode = 1;
  } finally {
    await redis.stop();
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
