// Bench: Gerrit events from the fake SSH server through the real ssh2 client, queues and relay to chat.
import { MemoryAdapter } from "../src/chat/memory.js";
import { validateConfig } from "../src/app/config-load.js";
import { createLogger } from "../src/core/log.js";
import { Bot } from "../src/main.js";
import { FakeGerritSsh, generateKeyPair } from "../test/fakes/gerrit-ssh.js";
import { percentile, sampleLines, type Throughput } from "./pipeline.js";

/** Emits n lines at the fake server, paced in small bursts, and times each from emit to chat send. */
export async function gerritSshPipeline(url: string, n: number, prefix: string): Promise<Throughput> {
  const key = generateKeyPair();
  const ssh = await FakeGerritSsh.start({ clientPublicKey: key.public });
  const loaded = validateConfig(
    {
      redis: { url, prefix },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team" }],
      bot: { coalesceSeconds: 0 },
      http: { enabled: false },
      gerrit: {
        url: "https://review.example.org",
        settleSeconds: 0,
        ssh: {
          host: "127.0.0.1",
          port: ssh.port,
          user: "sunbeam-bot",
          privateKeyFile: "-",
          hostKeyFingerprint: ssh.hostFingerprint,
        },
      },
    },
    {},
    "bench",
  );
  const chat = new MemoryAdapter("console");
  const bot = new Bot({
    loaded,
    log: createLogger({ level: "error" }),
    adapters: [chat],
    gerritKey: Buffer.from(key.private),
  });
  await bot.start();
  await ssh.waitForStreams(1);
  // Start from "now" so that these events are newer than the stored cursor.
  const lines = sampleLines(n, Math.floor(Date.now() / 1000) - 1764000000 + 10);
  const emittedAt = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    emittedAt.set(/"number":(\d+)/.exec(line)?.[1] ?? "", performance.now());
    ssh.emit(line);
    // Bursts of 50, then yield: a busy but not pathological stream.
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await chat.waitForSent(n, 120_000);
  const seconds = (performance.now() - t0) / 1000;
  const lat = chat.sent
    .map(
      (m) => m.at - performance.timeOrigin - (emittedAt.get(/proposed (\d+)/.exec(m.text)?.[1] ?? "") ?? 0),
    )
    .sort((a, b) => a - b);
  await bot.stop();
  await ssh.close();
  return {
    events: n,
    seconds,
    perSecond: n / seconds,
    p50ms: percentile(lat, 50),
    p99ms: percentile(lat, 99),
  };
}
