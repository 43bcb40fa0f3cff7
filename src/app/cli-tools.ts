// The tool subcommands (affected, triage, launchpad login, summary, oci, matrix login): each runs one
// feature's function once and prints its answer; the bot itself (run, demo) is in cli.ts.
import type { Command } from "commander";
import type { LoadedConfig } from "./config-load.js";
import { UserError } from "../core/errors.js";

// Each action imports its feature's CLI module when it runs (import()): `affected --rev` loads git and the
// model, not the bot, the chat SDKs or the other features.
const logger = async (level: string) => (await import("../core/log.js")).createLogger({ level });

export function addToolCommands(
  program: Command,
  load: (opt: string | undefined) => Promise<LoadedConfig>,
): void {
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
        const loaded = o.config || process.env.SUNBEAM_BOT_CONFIG ? await load(o.config) : undefined;
        const g = loaded?.config.gerrit;
        const gerrit =
          o.change !== undefined && loaded && g
            ? new (await import("../integrations/gerrit/client.js")).GerritClient({
                url: g.url,
                ...(await import("./gerrit-intake.js")).gerritCredentials(loaded.config, loaded.secrets),
              })
            : undefined;
        const { affectedCli } = await import("../features/affected/cli.js");
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
    .command("recheck")
    .description("recheck tools")
    .command("plan")
    .description(
      "which open changes a merge would recheck, and why the others are skipped (offline; never writes)",
    )
    .requiredOption("--repo <dir>", "the monorepo: a working tree or a bare git dir")
    .requiredOption("--trigger <rev>", "the merged (or triggering) commit in --repo")
    .requiredOption("--changes <file>", "a JSON array of Gerrit ChangeInfo (o=CURRENT_REVISION, MESSAGES, …)")
    .option("--at <iso-time>", "the time the plan is made for (default now); freshness is measured from it")
    .option("--all", "every open change that shares a charm, not only failing ones")
    .option("--max-failure-age-hours <h>", "the freshness window (default: recheck.maxFailureAgeHours, 24)")
    .option("-c, --config <file>", "recheck settings and monorepo layout (default: $SUNBEAM_BOT_CONFIG)")
    .option("--json", "print one JSON document")
    .action(
      async (o: {
        repo: string;
        trigger: string;
        changes: string;
        at?: string;
        all?: boolean;
        maxFailureAgeHours?: string;
        config?: string;
        json?: boolean;
      }) => {
        const cfg = o.config || process.env.SUNBEAM_BOT_CONFIG ? (await load(o.config)).config : undefined;
        const hours = o.maxFailureAgeHours !== undefined ? Number(o.maxFailureAgeHours) : undefined;
        if (hours !== undefined && !(hours > 0)) {
          throw new UserError(`--max-failure-age-hours wants a positive number, got ${o.maxFailureAgeHours}`);
        }
        const maxAge = hours ?? cfg?.recheck.maxFailureAgeHours;
        const ci = cfg?.recheck.ciAccounts;
        const { recheckPlanCli } = await import("../features/affected/recheck-cli.js");
        const r = await recheckPlanCli({
          repo: o.repo,
          trigger: o.trigger,
          changes: o.changes,
          all: Boolean(o.all),
          json: Boolean(o.json),
          ...(o.at !== undefined ? { at: o.at } : {}),
          ...(maxAge !== undefined ? { maxFailureAgeHours: maxAge } : {}),
          ...(ci && ci.length > 0 ? { ciAccounts: ci } : {}),
          ...(cfg?.monorepo?.layout ? { layout: cfg.monorepo.layout } : {}),
        });
        console.log(r.output);
      },
    );

  program
    .command("triage")
    .description("debug-info checklist verdict for one Launchpad bug (never writes to Launchpad)")
    .option(
      "--file <bug.json>",
      "a bug as JSON: a Launchpad bug entry with its messages and attachments (docs/launchpad.md), or {title, description, tags, attachments, comments?}",
    )
    .option("--bug <n>", "a Launchpad bug number or link (read anonymously)")
    .option("--checklist <file>", "a checklist of one's own instead of the bundled one")
    .option("-c, --config <file>", "use this config's launchpad section")
    .option("--json", "print one JSON document")
    .option("--ignore-skip", "evaluate a bug the skip rules exclude as if they did not")
    .action(
      async (o: {
        file?: string;
        bug?: string;
        checklist?: string;
        config?: string;
        json?: boolean;
        ignoreSkip?: boolean;
      }) => {
        const lp =
          o.config || process.env.SUNBEAM_BOT_CONFIG ? (await load(o.config)).config.launchpad : undefined;
        const { triageCli } = await import("../features/triage/cli.js");
        const checklist = o.checklist ?? lp?.checklistFile;
        const r = await triageCli({
          json: Boolean(o.json),
          ignoreSkip: Boolean(o.ignoreSkip),
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
      const { launchpadLogin } = await import("../features/triage/login.js");
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
        const { config, secrets } = await load(o.config);
        const g = config.gerrit;
        const { summaryCli } = await import("../features/summary/cli.js");
        const { gerritCredentials } = await import("./gerrit-intake.js");
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
          log: await logger(process.env.LOG_LEVEL ?? "warn"),
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
      const { config } = await load(o.config);
      if (!config.oci)
        throw new UserError("the config has no oci section (registries, monorepo or images to watch)");
      const { ociCheck } = await import("../features/oci/cli.js");
      const { ociSettings } = await import("../features/oci/config.js");
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
      const c = o.config || process.env.SUNBEAM_BOT_CONFIG ? (await load(o.config)).config.oci : undefined;
      const { ociBump, skippedText } = await import("../features/oci/cli.js");
      const r = await ociBump({
        repoDir: o.repo,
        rev: o.rev,
        registries: c?.registries ?? ["ghcr.io", "docker.io"],
        plainHttp: c?.plainHttp ?? [],
        mirrors: c?.mirrors ?? {},
        ...(o.image ? { image: o.image } : {}),
        ...(o.digest ? { digest: true } : {}),
      });
      process.stdout.write(r.diff);
      // What was left alone goes to stderr, so stdout stays a diff for git apply.
      process.stderr.write(skippedText(r.skipped));
    });

  oci
    .command("propose")
    .description("one Gerrit change per image family with a newer release (dry-run: prints the commits)")
    .option("--dry-run", "print the commits it would push (the default)")
    .option("--push", "push them for review (refs/for/<branch>, topic oci.propose.topic)")
    .option("-c, --config <file>", "config file (default: $SUNBEAM_BOT_CONFIG)")
    .option("--json", "print one JSON document")
    .action(async (o: { dryRun?: boolean; push?: boolean; config?: string; json?: boolean }) => {
      if (o.push && o.dryRun) throw new UserError("--push and --dry-run exclude each other");
      const { config, secrets } = await load(o.config);
      if (!config.oci) throw new UserError("the config has no oci section");
      const g = config.gerrit;
      const { ociPropose } = await import("../features/oci/cli.js");
      const { gerritCredentials } = await import("./gerrit-intake.js");
      const r = await ociPropose({
        oci: config.oci,
        ...(g ? { gerrit: { url: g.url, ...gerritCredentials(config, secrets) } } : {}),
        dryRun: !o.push,
        json: Boolean(o.json),
        log: await logger("warn"),
      });
      console.log(r.output);
      process.exitCode = r.exitCode;
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
      const { passwordLogin } = await import("../chat/matrix.js");
      const r = await passwordLogin(o.homeserver, o.user, password, await logger("warn"));
      console.log(JSON.stringify({ userId: r.userId, deviceId: r.deviceId, accessToken: r.accessToken }));
    });
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let data = "";
  for await (const chunk of stream) {
    data += String(chunk);
    if (data.includes("\n")) break;
  }
  return data.split(/\r?\n/)[0] ?? "";
}
