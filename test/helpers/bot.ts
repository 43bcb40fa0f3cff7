// Builds a real Bot (real Redis, real BullMQ) with an in-memory chat network for integration tests.
import { Writable } from "node:stream";
import { MemoryAdapter } from "../../src/chat/memory.js";
import { validateConfig } from "../../src/app/config-load.js";
import { createLogger, type Logger } from "../../src/core/log.js";
import { Bot } from "../../src/app/bot.js";
import type { AnyCommand } from "../../src/core/commands.js";
import { randomPrefix, redisUrl } from "./redis.js";

export function quietLogger(lines?: string[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines?.push(chunk.toString());
      cb();
    },
  });
  return createLogger({ level: "debug", destination: sink });
}

export interface TestBot {
  bot: Bot;
  chat: MemoryAdapter;
  prefix: string;
  logs: string[];
}

export function testConfig(prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    redis: { url: redisUrl(), prefix },
    chat: { console: { enabled: true } },
    rooms: { team: { network: "console", id: "!team" } },
    roles: { core: { console: ["local"] } },
    relay: [{ room: "team" }],
    gerrit: { url: "https://review.example.org", settleSeconds: 0 },
    jobs: { backoffMs: 20, attempts: 4 },
    http: { port: 0 },
    bot: { coalesceSeconds: 0 },
    ...extra,
  };
}

/** The in-memory adapter stands in for the console network, so the config is the one users write. */
export async function startTestBot(
  opts: {
    prefix?: string;
    extra?: Record<string, unknown>;
    commands?: AnyCommand[];
    threads?: boolean;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<TestBot> {
  const prefix = opts.prefix ?? randomPrefix();
  const raw = testConfig(prefix, opts.extra);
  const loaded = validateConfig(raw, opts.env ?? {}, "test");
  const logs: string[] = [];
  const chat = new MemoryAdapter("console", opts.threads ?? false);
  const bot = new Bot({
    loaded,
    log: quietLogger(logs),
    adapters: [chat],
    ...(opts.commands ? { commands: opts.commands } : {}),
  });
  await bot.start();
  return { bot, chat, prefix, logs };
}
