// `sunbeam-bot run`: starts the bot from a loaded config and stops it cleanly on SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import type { ChatAdapter } from "./chat/adapter.js";
import { UserError } from "./errors.js";
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

export async function runBot(loaded: LoadedConfig, log: Logger): Promise<void> {
  const bot = new Bot({ loaded, log, adapters: adaptersFor(loaded), ...gerritKey(loaded) });
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
