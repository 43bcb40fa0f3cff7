// `npm run bench`: every figure as one JSON document, each against a baseline measured in the same run.
import { startRedisServer } from "../src/core/redis-server.js";
import { bareBullmq, botPipeline } from "./pipeline.js";
import { gerritSshPipeline } from "./gerrit-ssh.js";
import { burstToSlack } from "./burst.js";
import { benchAffected } from "./affected.js";
import { triageEvaluatorBench } from "./triage.js";
import { benchDemoFirstPrompt } from "./demo.js";
import { redosBench } from "./redos.js";
import { isolatedLatency } from "./user-latency.js";
import { redisBytesPerEvent } from "./redis-bytes.js";
import { idleProcess } from "./idle.js";
import { benchCli } from "./cli.js";

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const roundAll = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "number" ? round(v) : v])) as T;

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
    // What operators feel: one event alone in its room's window, with the shipped defaults.
    const iso = await isolatedLatency(redis.url, "iso", Number(process.env.BENCH_ISOLATED ?? 100));
    const isoBare = await bareBullmq(redis.url, Number(process.env.BENCH_ISOLATED ?? 100), "iso-bare", 20);
    report.userLatency = {
      isolatedP50Ms: round(iso.p50ms),
      isolatedP99Ms: round(iso.p99ms),
      bareBullmqP50Ms: round(isoBare.p50ms),
      bareBullmqP99Ms: round(isoBare.p99ms),
      p50Ratio: round(iso.p50ms / isoBare.p50ms),
      events: iso.events,
      note: "stream line (before parse) → chat send, shipped defaults (coalesceSeconds 3, settleSeconds 5), each event the first in its room's window, 20 events/s; baseline: a bare BullMQ add → worker round trip at the same rate",
    };
    const sshRate = Number(process.env.BENCH_SSH_RATE ?? 100);
    const ssh = await gerritSshPipeline(redis.url, sshRate * 10, "ssh", sshRate);
    const sshBare = await bareBullmq(redis.url, sshRate * 10, "ssh-bare", sshRate);
    report.gerritSsh = {
      eventsPerSecond: round(ssh.perSecond, 0),
      offeredEventsPerSecond: sshRate,
      latencyMs: { p50: round(ssh.p50ms), p99: round(ssh.p99ms) },
      bareLatencyMs: { p50: round(sshBare.p50ms), p99: round(sshBare.p99ms) },
      p50Ratio: round(ssh.p50ms / sshBare.p50ms),
      note: "emit at the fake SSH server → ssh2 client → parse → seen-keys → Redis queues → relay → chat-out → chat, at a steady rate (coalesceSeconds 0: one message per event); baseline: bare BullMQ at the same rate",
    };
    const burst = await burstToSlack(redis.url, "burst");
    report.burst = {
      ...burst,
      seconds: round(burst.seconds),
      note: "100 events to one Slack channel with the shipped defaults (coalesceSeconds 3: the first at once, the rest in one digest); seconds: until the last message; the fake answers 429 to posts closer than 1 s",
    };
    const bytes = await redisBytesPerEvent(
      redis.url,
      "bytes",
      Number(process.env.BENCH_BYTES_EVENTS ?? 1000),
    );
    report.redis = {
      bytesPerUnfollowedEvent: round(bytes.bytesPerUnfollowedEvent, 0),
      bytesPerFollowedEvent: round(bytes.bytesPerFollowedEvent, 0),
      events: bytes.events,
      note: "used_memory growth per comment-added event through the SSH intake with the shipped defaults, once every job is done (kept keepDays); unfollowed: a project no rule or subscription names",
    };
    const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
    // A Redis of their own: the phases above leave hundreds of thousands of kept jobs and expiring keys in the
    // shared one, and an idle figure should not measure what an earlier bench phase left behind.
    const idleRedis = await startRedisServer();
    const [bareIdle, botIdle] = await (async () => {
      try {
        const bare = await idleProcess(idleRedis.url, "bare", idleSeconds);
        return [bare, await idleProcess(idleRedis.url, "bot", idleSeconds)] as const;
      } finally {
        await idleRedis.stop();
      }
    })();
    report.idle = {
      rssRatio: round(botIdle.rssMb / bareIdle.rssMb),
      cpuRatio: round(botIdle.cpuMsPerSecond / bareIdle.cpuMsPerSecond),
      connections: botIdle.connections,
      bot: roundAll(botIdle),
      bareWorker: roundAll(bareIdle),
      note: `each in its own process, ${idleSeconds} s idle after start; bot: as \`sunbeam-bot run\` with the console network and one relay rule; bare: one ioredis connection, one BullMQ Queue and Worker`,
    };
    report.cli = {
      ...roundAll(await benchCli(Number(process.env.BENCH_CHARMS ?? 1000))),
      note: "`sunbeam-bot affected --repo CLONE --rev HEAD^..HEAD --json` as a process, median of 5; cold: empty model cache, warm: the commit's model on disk; baseline: `git diff --name-only HEAD^ HEAD`; nodeBareMs: `node -e 0` on the same machine at the same time",
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
