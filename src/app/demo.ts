// `sunbeam-bot demo`: every capability on bundled sample data, through the same code paths as `run` — a
// private redis-server, console chat, and in-process sample Gerrit, Launchpad, monorepo and registry on
// 127.0.0.1, wired by a generated config.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { ConsoleAdapter } from "../chat/console.js";
import { validateConfig } from "./config-load.js";
import type { Logger } from "../core/log.js";
import { Bot } from "./bot.js";
import { packageFile } from "../core/paths.js";
import { startRedisServer, type PrivateRedis } from "../core/redis-server.js";
import { readLines } from "./replay.js";
import { parseGerritLine } from "../integrations/gerrit/parse.js";
import { DEMO_BOT, DEMO_USER, demoConfig } from "./demo/config.js";
import { startSampleGerrit } from "./demo/sample-gerrit.js";
import { startSampleLaunchpad } from "./demo/sample-launchpad.js";
import { createSampleMonorepo } from "./demo/sample-monorepo.js";
import { NO_REGISTRY_NOTE, startSampleRegistry, type SampleRegistry } from "./demo/sample-registry.js";
import { tourText } from "./demo/tour.js";
import { QUEUE_NAMES } from "../core/queue-names.js";

export interface DemoOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  input?: Readable;
  output?: Writable;
  samples?: string;
  /** docker-registry's path (default /usr/bin/docker-registry; a missing file turns the OCI part off). */
  registryBin?: string;
  /** Called with the milliseconds from Redis being ready to the prompt (the bench's demo.firstPromptMs). */
  onPrompt?: (msSinceRedisReady: number) => void;
}

/** Stops the cleanups in reverse order; one failing does not keep the others from running. */
async function unwind(cleanups: (() => unknown)[]): Promise<void> {
  for (const c of cleanups.reverse())
    await Promise.resolve()
      .then(c)
      .catch(() => undefined);
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const env = { ...(opts.env ?? process.env) };
  const out = opts.output ?? process.stdout;
  const cleanups: (() => unknown)[] = [];
  let bot: Bot | undefined;
  try {
    if (!env.REDIS_URL) {
      const redis: PrivateRedis = await startRedisServer();
      cleanups.push(() => redis.stop());
      env.REDIS_URL = redis.url;
      out.write(`demo: started a private redis-server on ${redis.url} (removed on exit)\n`);
    }
    const redisReady = Date.now();
    // The bot's Gerrit password on the sample Gerrit: its rechecks are real review posts, to 127.0.0.1 only.
    env.GERRIT_HTTP_PASSWORD = randomBytes(12).toString("hex");
    for (const k of ["LAUNCHPAD_OAUTH_TOKEN", "LAUNCHPAD_OAUTH_TOKEN_SECRET", "DASHBOARD_PASSWORD"])
      delete env[k];
    let registryFailed = false;
    const [gerrit, launchpad, registry] = await Promise.all([
      startSampleGerrit({ user: DEMO_BOT, password: env.GERRIT_HTTP_PASSWORD }),
      startSampleLaunchpad({ botName: DEMO_BOT }),
      startSampleRegistry(opts.registryBin).catch((err: Error): SampleRegistry | undefined => {
        out.write(`demo: OCI images are off: the private docker-registry did not start (${err.message})\n`);
        registryFailed = true;
        return undefined;
      }),
    ]);
    cleanups.push(
      () => gerrit.close(),
      () => launchpad.server.close(),
    );
    if (registry) cleanups.push(() => registry.stop());
    else if (!registryFailed) out.write(`${NO_REGISTRY_NOTE}\n`);
    const repo = await createSampleMonorepo(registry ? { registry: registry.registry.host } : {});
    cleanups.push(() => repo.remove());
    const work = mkdtempSync(join(tmpdir(), "sunbeam-demo-"));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));

    const config = demoConfig({
      gerritUrl: gerrit.url,
      launchpadApiRoot: launchpad.server.apiRoot,
      monorepoDir: repo.dir,
      clonePath: join(work, "sunbeam-charms.git"),
      registryHost: registry?.registry.host,
    });
    const loaded = validateConfig(config, env, "demo config");
    let closed!: () => void;
    const inputClosed = new Promise<void>((r) => (closed = r));
    // Typed lines reach the bot only after the tour and the prompt are printed.
    const gate = new PassThrough();
    const adapter = new ConsoleAdapter({
      user: DEMO_USER,
      room: "#sunbeam",
      input: gate,
      output: out,
      onClose: () => closed(),
    });
    bot = new Bot({ loaded, log: opts.log, adapters: [adapter] });
    await bot.start();
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
    const [complete, thin, replied] = launchpad.ids;
    out.write(
      `demo: queued ${queued} sample Gerrit events; ${launchpad.ids.length} sample bugs are on the sample Launchpad.\n`,
    );
    out.write(
      `${tourText({ bugs: { complete: complete ?? 0, thin: thin ?? 0, replied: replied ?? 0 }, oci: !!registry })}\n`,
    );
    out.write("demo: type a command (Ctrl-D to quit).\n");
    opts.onPrompt?.(Date.now() - redisReady);
    (opts.input ?? process.stdin).pipe(gate);
    const later = registry ? announceLater(bot, registry, opts.log) : Promise.resolve();
    await inputClosed;
    // The sample bugs and images are looked at once however soon the input ends.
    await firstRun(bot, "launchpad-poll");
    await later;
    // The weekly and per-minute schedules would keep the queues busy for ever: the demo ends, they go.
    await dropSchedulers(bot);
    // Let the commands typed so far get their answers before shutting down.
    await bot.idle(30_000);
  } finally {
    await bot?.stop();
    await unwind(cleanups);
  }
}

/** After the first image poll (which only records), publish a newer tag and poll again: an announcement. */
async function announceLater(bot: Bot, registry: SampleRegistry, log: Logger): Promise<void> {
  try {
    await firstRun(bot, "oci-poll");
    await registry.publishUpdates();
    await bot.queues.add("oci-poll", "poll", {}, `demo-oci-poll-${Date.now()}`);
  } catch (err) {
    log.warn({ err: (err as Error).message }, "demo: the sample image update failed");
  }
}

/** Waits (10 s at most) until a scheduled queue has finished its first job. */
async function firstRun(bot: Bot, name: "oci-poll" | "launchpad-poll"): Promise<void> {
  const q = bot.queues.get(name);
  for (let i = 0; i < 200 && (await q.getJobCounts("completed")).completed === 0; i++)
    await new Promise((r) => setTimeout(r, 50));
}

async function dropSchedulers(bot: Bot): Promise<void> {
  for (const name of QUEUE_NAMES) {
    const q = bot.queues.get(name);
    for (const s of await q.getJobSchedulers()) await q.removeJobScheduler(s.key);
  }
}
