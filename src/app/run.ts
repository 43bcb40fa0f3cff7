// `sunbeam-bot run`: starts the bot from a loaded config and stops it cleanly on SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import type { ChatAdapter } from "../chat/adapter.js";
import { UserError } from "../core/errors.js";
import type * as MatrixModule from "../chat/matrix.js";
import type * as SlackModule from "../chat/slack.js";
import { RedisSyncStore } from "../chat/sync-store.js";
import { keyFor, type Redis } from "../core/redis.js";
import { ConsoleAdapter } from "../chat/console.js";
import type { LoadedConfig } from "./config-load.js";
import type { Logger } from "../core/log.js";
import { Bot } from "./bot.js";
import type { Role } from "../core/roles.js";

/** The chat SDK modules the config enables: each network's SDK is loaded only when it is configured. */
export interface ChatModules {
  matrix?: typeof MatrixModule;
  slack?: typeof SlackModule;
}

export async function chatModules(loaded: LoadedConfig): Promise<ChatModules> {
  const { config, secrets } = loaded;
  const [matrix, slack] = await Promise.all([
    config.chat.matrix?.enabled && secrets.matrixAccessToken ? import("../chat/matrix.js") : undefined,
    config.chat.slack?.enabled && secrets.slackBotToken ? import("../chat/slack.js") : undefined,
  ]);
  return { ...(matrix ? { matrix } : {}), ...(slack ? { slack } : {}) };
}

/** Builds the chat adapters the config enables (from chatModules); Redis holds the Matrix sync position. */
export function adaptersFor(
  loaded: LoadedConfig,
  redis: Redis,
  log: Logger,
  modules: ChatModules,
): ChatAdapter[] {
  const { config, secrets } = loaded;
  const { matrix: MatrixSdk, slack: SlackSdk } = modules;
  const adapters: ChatAdapter[] = [];
  const roomsOn = (network: string) =>
    Object.values(config.rooms)
      .filter((r) => r.network === network)
      .map((r) => r.id);
  const m = config.chat.matrix;
  if (m?.enabled && secrets.matrixAccessToken && MatrixSdk) {
    adapters.push(
      new MatrixSdk.MatrixAdapter({
        homeserver: m.homeserver,
        userId: m.userId,
        accessToken: secrets.matrixAccessToken,
        ...(m.deviceId ? { deviceId: m.deviceId } : {}),
        rooms: roomsOn("matrix"),
        inviteAllowList: m.inviteAllowList,
        ignoreUsers: config.bot.ignoreUsers,
        syncStore: new RedisSyncStore(redis, keyFor(config.redis.prefix, "matrix", "since")),
        log: log.child({ network: "matrix" }),
      }),
    );
  }
  const sl = config.chat.slack;
  if (sl?.enabled && secrets.slackBotToken && SlackSdk) {
    adapters.push(
      new SlackSdk.SlackAdapter({
        botToken: secrets.slackBotToken,
        ...(secrets.slackAppToken ? { appToken: secrets.slackAppToken } : {}),
        ...(secrets.slackSigningSecret ? { signingSecret: secrets.slackSigningSecret } : {}),
        mode: sl.mode,
        host: sl.http.host,
        port: sl.http.port,
        path: sl.http.path,
        slashCommand: sl.slashCommand,
        ...(sl.apiUrl ? { slackApiUrl: sl.apiUrl } : {}),
        ignoreUsers: config.bot.ignoreUsers,
        commandPrefix: config.bot.commandPrefix,
        log: log.child({ network: "slack" }),
      }),
    );
  }
  if (config.chat.console.enabled) {
    const room = Object.values(config.rooms).find((r) => r.network === "console")?.id ?? "console";
    adapters.push(new ConsoleAdapter({ user: config.chat.console.user, room }));
  }
  return adapters;
}

function gerritKey(loaded: LoadedConfig): { gerritKey?: Buffer } {
  const file = loaded.config.gerrit?.ssh?.privateKeyFile;
  if (!file) return {};
  try {
    return { gerritKey: readFileSync(file) };
  } catch (err) {
    throw new UserError(
      `cannot read gerrit.ssh.privateKeyFile ${file} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`,
    );
  }
}

export async function runBot(loaded: LoadedConfig, log: Logger, roles?: readonly Role[]): Promise<void> {
  const modules = await chatModules(loaded);
  const bot = new Bot({
    loaded,
    log,
    ...(roles ? { roles } : {}),
    adapters: (redis) => adaptersFor(loaded, redis, log, modules),
    ...gerritKey(loaded),
  });
  // Listen before starting: /readyz may answer while start() still runs, and a SIGTERM then (a rolling
  // update) must still stop cleanly rather than kill the process mid-start.
  const signalled = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  // Node's default for SIGHUP (a closed terminal, `kill -HUP`, a reload habit) is to die without a drain.
  // The config is read once, at start: say so and keep running.
  const onHup = () =>
    log.warn("SIGHUP: the config is read at start only; restart the bot to apply a changed config");
  process.on("SIGHUP", onHup);
  await bot.start();
  const signal = await signalled;
  log.info({ signal }, "shutting down");
  process.off("SIGHUP", onHup);
  await bot.stop().catch(() => undefined);
}
