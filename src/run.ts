// `sunbeam-bot run`: starts the bot from a loaded config and stops it cleanly on SIGINT/SIGTERM.
import type { ChatAdapter } from "./chat/adapter.js";
import { ConsoleAdapter } from "./chat/console.js";
import type { LoadedConfig } from "./config-load.js";
import type { Logger } from "./log.js";
import { Bot } from "./main.js";

export function adaptersFor(loaded: LoadedConfig): ChatAdapter[] {
  const { config } = loaded;
  const adapters: ChatAdapter[] = [];
  if (config.chat.console.enabled) {
    const room = Object.values(config.rooms).find((r) => r.network === "console")?.id ?? "console";
    adapters.push(new ConsoleAdapter({ user: config.chat.console.user, room }));
  }
  return adapters;
}

export async function runBot(loaded: LoadedConfig, log: Logger): Promise<void> {
  const bot = new Bot({ loaded, log, adapters: adaptersFor(loaded) });
  await bot.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "shutting down");
      bot.stop().then(resolve, resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
