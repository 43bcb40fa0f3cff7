// `sunbeam-bot` subcommands (commander). User errors print one clear message and exit 2, never a stack.
import { Command, CommanderError } from "commander";
import {
  ConfigError,
  formatProblems,
  loadConfigFile,
  validateConfig,
  type LoadedConfig,
} from "./config-load.js";
import { UserError, errorMessage } from "./errors.js";
import { createLogger } from "./log.js";
import { formatReplayLine, readLines, replayLines } from "./replay.js";
import { runDemo } from "./demo.js";
import { runBot } from "./run.js";
import { ROLES, parseRoles } from "./roles.js";
import { ociBump, ociCheck } from "./oci/cli.js";
import { affectedCli } from "./charms/affected-cli.js";
import { triageCli } from "./triage/cli.js";
import { launchpadLogin } from "./triage/login.js";
import { summaryCli } from "./summary/cli.js";
import { GerritClient } from "./clients/gerrit.js";
import { gerritCredentials } from "./bot-gerrit.js";
import { ociSettings } from "./oci/config.js";
import { passwordLogin } from "./chat/matrix.js";

function configPath(opt: string | undefined, required: boolean): string | undefined {
  const file = opt ?? process.env.SUNBEAM_BOT_CONFIG;
  if (!file && required) throw new UserError("no config file: pass --config FILE or set SUNBEAM_BOT_CONFIG");
  return file;
}

function load(opt: string | undefined): LoadedConfig {
  const file = configPath(opt, false);
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
      const loaded = loadConfigFile(configPath(o.config, true) as string);
      await runBot(loaded, createLogger({ level: loaded.config.log.level }), roles);
    });

  program
    .command("demo")
    .description(
      "embedded default: console chat, a private redis-server (unless REDIS_URL is set), bundled sample events",
    )
    .action(async () => {
      await runDemo({ log: createLogger({ level: process.env.LOG_LEVEL ?? "warn" }) });
    });

  const config = program.command("config").description("configuration tools");
  config
    .command("check")
    .description("validate the config file and environment; list every problem")
    .option("-c, --config <file>", "config file (default: $SUNBEAM_BOT_CONFIG)")
    .option("--json", "print one JSON document")
    .action((o: { config?: string; json?: boolean }) => {
      try {
        const loaded = load(o.config);
        if (o.json) console.log(JSON.stringify({ ok: true, source: loaded.source, problems: [] }));
        else console.log(`config OK: ${loaded.source}`);
      } catch (err) {
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
    .action((file: string, o: { config?: string; json?: boolean }) => {
      const gerrit = o.config ? loadConfigFile(o.config).config.gerrit : undefined;
      const results = replayLines(readLines(file), {
        botUser: gerrit?.botUser ?? "sunbeam-bot",
        botAccounts: gerrit?.botAccounts ?? ["zuul"],
        ...(gerrit ? { gerritUrl: gerrit.url } : {}),
      });
      for (const r of results) console.log(o.json ? JSON.stringify(r) : formatReplayLine(r));
    });

  program
    .command("affected")
    .description(
      "the charms a change affects, the Zuul jobs that will run, and the affected charms left untested",
    )
    .requiredOption("--repo <dir>", "the monorepo: a working tree or a bare git dir")
    .option("--files <path...>", "changed files (the model at --at, default HEAD)")
    .option("--rev <A..B>", "the files of git diff A B, the model at B")
    .option("--change <n|url>", "a Gerrit change: files from Gerrit REST (needs a config with gerrit.url)")
    .option("--at <rev>", "with --files: the revision of the model", "HEAD")
    .option(
      "-c, --config <file>",
      "Gerrit URL, credentials and monorepo layout (default: $SUNBEAM_BOT_CONFIG)",
    )
    .option("--json", "print one JSON document")
    .action(
      async (o: {
        repo: string;
        files?: string[];
        rev?: string;
        change?: string;
        at: string;
        config?: string;
        json?: boolean;
      }) => {
        const loaded = o.config || process.env.SUNBEAM_BOT_CONFIG ? load(o.config) : undefined;
        const g = loaded?.config.gerrit;
        const gerrit =
          o.change !== undefined && loaded && g
            ? new GerritClient({ url: g.url, ...gerritCredentials(loaded.config, loaded.secrets) })
            : undefined;
        const layout = loaded?.config.monorepo?.layout;
        const r = await affectedCli({
          repo: o.repo,
          json: Boolean(o.json),
          at: o.at,
          ...(o.files ? { files: o.files } : {}),
          ...(o.rev !== undefined ? { rev: o.rev } : {}),
          ...(o.change !== undefined ? { change: o.change } : {}),
          ...(gerrit && g ? { gerrit, gerritUrl: g.url } : {}),
          ...(layout ? { layout } : {}),
        });
        console.log(r.output);
        process.exitCode = r.exitCode;
      },
    );

  program
    .command("triage")
    .description("debug-info checklist verdict for one Launchpad bug (never writes to Launchpad)")
    .option("--file <bug.json>", "a bug as JSON: {title, description, tags, attachments, comments?}")
    .option("--bug <n>", "a Launchpad bug number or link (read anonymously)")
    .option("--checklist <file>", "a checklist of one's own instead of the bundled one")
    .option("-c, --config <file>", "use this config's launchpad section")
    .option("--json", "print one JSON document")
    .action(
      async (o: { file?: string; bug?: string; checklist?: string; config?: string; json?: boolean }) => {
        const lp = o.config || process.env.SUNBEAM_BOT_CONFIG ? load(o.config).config.launchpad : undefined;
        const checklist = o.checklist ?? lp?.checklistFile;
        const r = await triageCli({
          json: Boolean(o.json),
          ...(o.file !== undefined ? { file: o.file } : {}),
          ...(o.bug !== undefined ? { bug: o.bug } : {}),
          ...(checklist ? { checklist } : {}),
          ...(lp?.apiRoot ? { apiRoot: lp.apiRoot } : {}),
          ...(lp ? { reporterAllowList: lp.reporterAllowList, skipTags: [lp.skipTag] } : {}),
        });
        console.log(r.output);
        process.exitCode = r.exitCode;
      },
    );
  program
    .command("launchpad")
    .description("Launchpad tools")
    .command("login")
    .description("the OAuth token dance: prints LAUNCHPAD_OAUTH_TOKEN and LAUNCHPAD_OAUTH_TOKEN_SECRET")
    .option(
      "--web-root <url>",
      "https://launchpad.net or https://staging.launchpad.net",
      "https://launchpad.net",
    )
    .option("--consumer-key <name>", "must equal launchpad.consumerKey", "sunbeam-bot")
    .action(async (o: { webRoot: string; consumerKey: string }) => {
      const r = await launchpadLogin({
        webRoot: o.webRoot,
        consumerKey: o.consumerKey,
        authorize: async (url) => {
          console.error(
            `Logged in as the bot's account, open:\n  ${url}\ngrant "Change Non-Private Data" (WRITE_PUBLIC), then press Enter.`,
          );
          await firstLine(process.stdin);
        },
      });
      console.log(r.env);
    });

  program
    .command("summary")
    .description("the weekly cycle-action summary, printed (nothing is sent or stored)")
    .option("-c, --config <file>", "config file (default: $SUNBEAM_BOT_CONFIG)")
    .option("--since <date>", "start of the period, YYYY-MM-DD or ISO (default: the last weekly summary)")
    .option("--actions <file>", "the cycle-actions file (default: summary.actionsFile, else the shipped one)")
    .option("--check", "only validate the actions file (every problem listed)")
    .option("--json", "print one JSON document")
    .action(
      async (o: { config?: string; since?: string; actions?: string; check?: boolean; json?: boolean }) => {
        const { config, secrets } = load(o.config);
        const g = config.gerrit;
        const r = await summaryCli({
          summary: config.summary,
          actionsFile: o.actions,
          since: o.since,
          json: o.json,
          check: o.check,
          redis: { url: config.redis.url, prefix: config.redis.prefix },
          ...(g
            ? {
                gerrit: { url: g.url, projects: g.projects, ...gerritCredentials(config, secrets) },
              }
            : {}),
          launchpad: { apiRoot: config.launchpad?.apiRoot, projects: config.launchpad?.projects },
          log: createLogger({ level: process.env.LOG_LEVEL ?? "warn" }),
        });
        console.log(r.output);
        process.exitCode = r.exitCode;
      },
    );

  const oci = program.command("oci").description("OCI image watching");
  oci
    .command("check")
    .description("tags and digests now vs the last check, and the charms that use each image")
    .option("-c, --config <file>", "config file (default: $SUNBEAM_BOT_CONFIG)")
    .option("--json", "print one JSON document")
    .action(async (o: { config?: string; json?: boolean }) => {
      const { config } = load(o.config);
      if (!config.oci)
        throw new UserError("the config has no oci section (registries, monorepo or images to watch)");
      const r = await ociCheck({
        ...ociSettings(config.oci),
        redisUrl: config.redis.url,
        prefix: config.redis.prefix,
        json: Boolean(o.json),
      });
      console.log(r.output);
      process.exitCode = r.exitCode;
    });
  oci
    .command("bump")
    .description("print a unified diff that moves the charms' image pins (for git apply)")
    .requiredOption("--repo <dir>", "the monorepo checkout (working tree or bare)")
    .option("--image <name>", "only this image (full name, repository or last component)")
    .option("--digest", "pin tag@sha256:… instead of the tag alone")
    .option("--rev <rev>", "read the charms at this revision", "HEAD")
    .option("-c, --config <file>", "registries allowed (default: ghcr.io and Docker Hub)")
    .action(async (o: { repo: string; image?: string; digest?: boolean; rev: string; config?: string }) => {
      const c = o.config || process.env.SUNBEAM_BOT_CONFIG ? load(o.config).config.oci : undefined;
      const diff = await ociBump({
        repoDir: o.repo,
        rev: o.rev,
        registries: c?.registries ?? ["ghcr.io", "docker.io"],
        plainHttp: c?.plainHttp ?? [],
        ...(o.image ? { image: o.image } : {}),
        ...(o.digest ? { digest: true } : {}),
      });
      process.stdout.write(diff);
    });

  const matrix = program.command("matrix").description("Matrix tools");
  matrix
    .command("login")
    .description("log in once with a password and print an access token to store as MATRIX_ACCESS_TOKEN")
    .requiredOption("--homeserver <url>", "homeserver base URL")
    .requiredOption("--user <name>", "the bot's user name or id")
    .action(async (o: { homeserver: string; user: string }) => {
      // The password comes from MATRIX_PASSWORD or the first line of stdin, never from the command line.
      const password = process.env.MATRIX_PASSWORD ?? (await firstLine(process.stdin));
      if (!password) throw new UserError("no password: set MATRIX_PASSWORD or pipe it on stdin");
      const r = await passwordLogin(o.homeserver, o.user, password, createLogger({ level: "warn" }));
      console.log(JSON.stringify({ userId: r.userId, deviceId: r.deviceId, accessToken: r.accessToken }));
    });

  return program;
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let data = "";
  for await (const chunk of stream) {
    data += String(chunk);
    if (data.includes("\n")) break;
  }
  return data.split(/\r?\n/)[0] ?? "";
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
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
