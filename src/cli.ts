// `sunbeam-bot` subcommands (commander). User errors print one clear message and exit 2, never a stack.
import { Command, CommanderError } from "commander";
import type { LoadedConfig } from "./app/config-load.js";
import { UserError, errorMessage } from "./core/errors.js";
import { ROLES, parseRoles } from "./core/roles.js";
import { addToolCommands } from "./app/cli-tools.js";

/** Throws the files' problems (a missing key, an unwritable clone path) as one ConfigError. */
async function checkFiles(loaded: LoadedConfig): Promise<void> {
  const problems = (await import("./app/config-host.js")).fileProblems(loaded.config);
  if (problems.length > 0)
    throw new (await import("./core/config-load.js")).ConfigError(loaded.source, problems);
}

// Every action imports what it runs when it runs (import()): a one-shot tool never loads the bot, the chat
// SDKs or the config's every feature, and `run` loads only what the config uses.
const logger = async (level: string) => (await import("./core/log.js")).createLogger({ level });
const configLoader = () => import("./app/config-load.js");

function configPath(opt: string | undefined, required: boolean): string | undefined {
  const file = opt ?? process.env.SUNBEAM_BOT_CONFIG;
  if (!file && required) throw new UserError("no config file: pass --config FILE or set SUNBEAM_BOT_CONFIG");
  return file;
}

async function load(opt: string | undefined): Promise<LoadedConfig> {
  const file = configPath(opt, false);
  const { loadConfigFile, validateConfig } = await configLoader();
  return file ? loadConfigFile(file) : validateConfig({}, process.env, "defaults + environment");
}

export function buildProgram(): Command {
  const program = new Command()
    .name("sunbeam-bot")
    .description(
      "Chat-ops bot for the Sunbeam team: Gerrit relay, affected-charm rechecks, bug triage, image announcements",
    )
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("run")
    .description("run the bot with every role enabled in the config")
    .option("-c, --config <file>", "config file (default: $SUNBEAM_BOT_CONFIG)")
    .option("--only <roles>", `run only these roles, comma-separated: ${ROLES.join(", ")} (default: all)`)
    .action(async (o: { config?: string; only?: string }) => {
      const roles = o.only === undefined ? undefined : parseRoles(o.only);
      const loaded = (await configLoader()).loadConfigFile(configPath(o.config, true) as string);
      await checkFiles(loaded);
      const { runBot } = await import("./app/run.js");
      await runBot(loaded, await logger(loaded.config.log.level), roles);
    });

  program
    .command("demo")
    .description(
      "embedded default: console chat, a private redis-server (unless REDIS_URL is set), bundled sample events",
    )
    .action(async () => {
      const { runDemo } = await import("./app/demo.js");
      await runDemo({ log: await logger(process.env.LOG_LEVEL ?? "warn") });
    });

  const config = program.command("config").description("configuration tools");
  config
    .command("check")
    .description(
      "validate the config file and environment, the files it names and the HTTP port; list every problem",
    )
    .option("-c, --config <file>", "config file (default: $SUNBEAM_BOT_CONFIG)")
    .option("--json", "print one JSON document")
    .option("--no-port-check", "skip checking that http.port is free (e.g. while the bot is running)")
    .action(async (o: { config?: string; json?: boolean; portCheck: boolean }) => {
      try {
        const loaded = await load(o.config);
        const { fileProblems, portProblems } = await import("./app/config-host.js");
        const problems = [
          ...fileProblems(loaded.config),
          ...(o.portCheck ? await portProblems(loaded.config) : []),
        ];
        if (problems.length > 0)
          throw new (await import("./core/config-load.js")).ConfigError(loaded.source, problems);
        if (o.json) console.log(JSON.stringify({ ok: true, source: loaded.source, problems: [] }));
        else console.log(`config OK: ${loaded.source}`);
      } catch (err) {
        const { ConfigError } = await import("./core/config-load.js");
        if (o.json && err instanceof ConfigError) {
          console.log(JSON.stringify({ ok: false, source: err.source, problems: err.problems }));
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });

  program
    .command("replay")
    .description("parse Gerrit stream-events lines and print what each would announce")
    .argument("<file>", "a JSONL file of stream-events lines")
    .option("-c, --config <file>", "use this config's Gerrit bot accounts and URL")
    .option("--json", "print one JSON object per input line")
    .action(async (file: string, o: { config?: string; json?: boolean }) => {
      const gerrit = o.config ? (await configLoader()).loadConfigFile(o.config).config.gerrit : undefined;
      const { formatReplayLine, readLines, replayLines } = await import("./app/replay.js");
      const results = replayLines(readLines(file), {
        botUser: gerrit?.botUser ?? "sunbeam-bot",
        botAccounts: gerrit?.botAccounts ?? ["zuul"],
        ...(gerrit ? { gerritUrl: gerrit.url } : {}),
      });
      for (const r of results) console.log(o.json ? JSON.stringify(r) : formatReplayLine(r));
    });

  addToolCommands(program, load);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    // Loaded only now: config-load brings ioredis (URL checks), which a CLI tool need not load.
    const { ConfigError, formatProblems } = await import("./core/config-load.js");
    if (err instanceof ConfigError) {
      console.error(
        `config: ${err.source}: ${err.problems.length} problem(s)\n${formatProblems(err.problems)}`,
      );
      return 2;
    }
    if (err instanceof UserError) {
      console.error(`error: ${err.message}`);
      return err.exitCode;
    }
    console.error(`error: ${errorMessage(err)}${process.env.DEBUG ? `\n${(err as Error).stack ?? ""}` : ""}`);
    return 1;
  }
}
