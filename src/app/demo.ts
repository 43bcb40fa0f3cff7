// `sunbeam-bot demo`: the embedded default — console chat, a private redis-server, the bundled sample stream.
import type { Readable, Writable } from "node:stream";
import { ConsoleAdapter } from "../chat/console.js";
import { validateConfig } from "./config-load.js";
import type { Logger } from "../core/log.js";
import { Bot } from "../main.js";
import { packageFile } from "../core/paths.js";
import { startRedisServer, type PrivateRedis } from "../core/redis-server.js";
import { readLines } from "./replay.js";
import { parseGerritLine } from "../integrations/gerrit/parse.js";

/** The demo's config: one console room that gets every default relay kind; the local user is core. */
export const DEMO_CONFIG = {
  chat: { console: { enabled: true, user: "local" } },
  rooms: { team: { network: "console", id: "#sunbeam" } },
  roles: { core: { console: ["local"] }, ptl: { console: ["local"] } },
  relay: [{ room: "team", projects: ["openstack/*"] }],
  gerrit: {
    url: "https://review.opendev.org",
    botUser: "sunbeam-bot",
    botAccounts: ["zuul"],
    settleSeconds: 0,
  },
  jobs: { backoffMs: 200 },
  http: { enabled: false },
  bot: { coalesceSeconds: 1 },
};

export interface DemoOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  input?: Readable;
  output?: Writable;
  samples?: string;
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const env = { ...(opts.env ?? process.env) };
  const out = opts.output ?? process.stdout;
  let redis: PrivateRedis | undefined;
  if (!env.REDIS_URL) {
    redis = await startRedisServer();
    env.REDIS_URL = redis.url;
    out.write(`demo: started a private redis-server on ${redis.url} (removed on exit)\n`);
  }
  let bot: Bot | undefined;
  try {
    const loaded = validateConfig(DEMO_CONFIG, env, "demo config");
    let closed!: () => void;
    const inputClosed = new Promise<void>((r) => (closed = r));
    const adapter = new ConsoleAdapter({
      user: "local",
      room: "#sunbeam",
      ...(opts.input ? { input: opts.input } : {}),
      output: out,
      onClose: () => closed(),
    });
    bot = new Bot({ loaded, log: opts.log, adapters: [adapter] });
    // Chat starts after the replay so that typed commands do not interleave with the sample announcements.
    await bot.start({ deferChat: true });
    const file = opts.samples ?? packageFile("samples", "gerrit-events.jsonl");
    let queued = 0;
    for (const [i, line] of readLines(file).entries()) {
      if (!line.trim()) continue;
      const parsed = parseGerritLine(line);
      if (!parsed.ok) {
        out.write(`demo: sample line ${i + 1} skipped: ${parsed.error}\n`);
        continue;
      }
      await bot.ingest(parsed.event);
      queued += 1;
    }
    await bot.idle();
    out.write(`demo: replayed ${queued} sample Gerrit events through Redis. Type !help (Ctrl-D to quit).\n`);
    await bot.startChat();
    await inputClosed;
    // Let the commands typed so far get their answers before shutting down.
    await bot.idle();
  } finally {
    await bot?.stop();
    await redis?.stop();
  }
}
