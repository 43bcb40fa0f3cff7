// Bench: Gerrit events from the fake SSH server through the real ssh2 client, queues and relay to chat.
import { MemoryAdapter } from "../src/chat/memory.js";
import { validateConfig } from "../src/app/config-load.js";
import { createLogger } from "../src/core/log.js";
import { Bot } from "../src/app/bot.js";
import { FakeGerritSsh, generateKeyPair } from "../test/fakes/gerrit-ssh.js";
import { pace, percentile, sampleLines, type Throughput } from "./pipeline.js";

export interface SshBot {
  bot: Bot;
  chat: MemoryAdapter;
  ssh: FakeGerritSsh;
  close(): Promise<void>;
}

/** A bot whose Gerrit stream is the fake SSH server, connected and streaming. */
export async function startSshBot(
  url: string,
  prefix: string,
  extra: Record<string, unknown> = {},
): Promise<SshBot> {
  const key = generateKeyPair();
  const ssh = await FakeGerritSsh.start({ clientPublicKey: key.public });
  const loaded = validateConfig(
    {
      redis: { url, prefix },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team" }],
      http: { enabled: false },
      ...extra,
      gerrit: {
        url: "https://review.example.org",
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
  return {
    bot,
    chat,
    ssh,
    close: async () => {
      await bot.stop();
      await ssh.close();
    },
  };
}

/**
 * Emits n lines at the fake server at a steady rate (a queue fed in one burst measures its own backlog,
 * not the path) and times each from emit to chat send. One message per event: coalesceSeconds 0.
 */
export async function gerritSshPipeline(
  url: string,
  n: number,
  prefix: string,
  rateHz: number,
): Promise<Throughput> {
  const s = await startSshBot(url, prefix, { bot: { coalesceSeconds: 0 } });
  // Start from "now" so that these events are newer than the stored cursor.
  const lines = sampleLines(n, Math.floor(Date.now() / 1000) - 1764000000 + 10);
  const emittedAt = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i++) {
    await pace(t0, i, rateHz);
    const line = lines[i] as string;
    emittedAt.set(/"number":(\d+)/.exec(line)?.[1] ?? "", performance.now());
    s.ssh.emit(line);
  }
  await s.chat.waitForSent(n, 120_000);
  const seconds = (performance.now() - t0) / 1000;
  const lat = s.chat.sent
    .map(
      (m) => m.at - performance.timeOrigin - (emittedAt.get(/proposed (\d+)/.exec(m.text)?.[1] ?? "") ?? 0),
    )
    .sort((a, b) => a - b);
  await s.close();
  return {
    events: n,
    seconds,
    perSecond: n / seconds,
    p50ms: percentile(lat, 50),
    p99ms: percentile(lat, 99),
  };
}
