// Loads the bot's config: YAML file + env overrides + secrets, assembled schema, every problem listed at once.
import { readFileSync } from "node:fs";
import { ConfigError, parseYaml, zodProblems, type ConfigProblem } from "../core/config-load.js";
import { readSecrets, type Secrets } from "../core/secrets.js";
import { ConfigSchema, crossCheck, type Config } from "./config.js";
import { dashboardPasswordProblem } from "./dashboard.js";
import { webhookSecretProblem } from "../integrations/gerrit/webhook.js";
import { cronProblems } from "./config-host.js";

export interface LoadedConfig {
  config: Config;
  secrets: Secrets;
  source: string;
}

/** Env overrides for non-secret settings, applied before validation so they are checked too. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const section = (k: string): Record<string, unknown> => {
    const cur = raw[k];
    if (typeof cur === "object" && cur !== null && !Array.isArray(cur)) return cur as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    raw[k] = fresh;
    return fresh;
  };
  if (env.REDIS_URL) section("redis").url = env.REDIS_URL;
  if (env.REDIS_PREFIX) section("redis").prefix = env.REDIS_PREFIX;
  if (env.LOG_LEVEL) section("log").level = env.LOG_LEVEL;
}

/** Validates a parsed document. Throws ConfigError listing every problem. */
export function validateConfig(input: unknown, env: NodeJS.ProcessEnv, source: string): LoadedConfig {
  const problems: ConfigProblem[] = [];
  let raw: Record<string, unknown> = {};
  if (input === null || input === undefined) raw = {};
  else if (typeof input === "object" && !Array.isArray(input))
    raw = structuredClone(input) as Record<string, unknown>;
  else problems.push({ path: "", message: "the config must be a mapping of sections", value: input });
  applyEnv(raw, env);
  const { secrets, problems: secretProblems } = readSecrets(env);
  problems.push(...secretProblems);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(raw, parsed.error.issues));
    throw new ConfigError(source, problems);
  }
  const config = parsed.data;
  problems.push(...crossCheck(config), ...requiredSecrets(config, secrets), ...cronProblems(config));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { config, secrets, source };
}

/** A feature that is switched on without its secret is a config problem, found before start. */
function requiredSecrets(cfg: Config, secrets: Secrets): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (cfg.gerrit?.http && !secrets.gerritHttpPassword) {
    out.push({
      path: "gerrit.http",
      message: "needs GERRIT_HTTP_PASSWORD or GERRIT_HTTP_PASSWORD_FILE in the environment",
    });
  }
  if (cfg.chat.matrix?.enabled && !secrets.matrixAccessToken) {
    out.push({
      path: "chat.matrix",
      message:
        "needs MATRIX_ACCESS_TOKEN or MATRIX_ACCESS_TOKEN_FILE in the environment (sunbeam-bot matrix login prints one)",
    });
  }
  if (cfg.http.dashboard.enabled && !secrets.dashboardPassword) {
    out.push({
      path: "http.dashboard.enabled",
      value: true,
      message: "needs DASHBOARD_PASSWORD or DASHBOARD_PASSWORD_FILE in the environment",
    });
  }
  const lp = cfg.launchpad;
  if (lp?.enabled && lp.writes && !(secrets.launchpadToken && secrets.launchpadTokenSecret)) {
    out.push({
      path: "launchpad.writes",
      value: true,
      message:
        "writes need LAUNCHPAD_OAUTH_TOKEN and LAUNCHPAD_OAUTH_TOKEN_SECRET (or their _FILE) in the environment (sunbeam-bot launchpad login prints them)",
    });
  }
  const slack = cfg.chat.slack;
  if (slack?.enabled) {
    if (!secrets.slackBotToken)
      out.push({
        path: "chat.slack",
        message: "needs SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_FILE in the environment",
      });
    if (slack.mode === "socket" && !secrets.slackAppToken) {
      out.push({
        path: "chat.slack.mode",
        message:
          "socket mode needs SLACK_APP_TOKEN or SLACK_APP_TOKEN_FILE (an app-level token with connections:write)",
        value: "socket",
      });
    }
    if (slack.mode === "http" && !secrets.slackSigningSecret) {
      out.push({
        path: "chat.slack.mode",
        message: "http mode needs SLACK_SIGNING_SECRET or SLACK_SIGNING_SECRET_FILE",
        value: "http",
      });
    }
  }
  if (cfg.gerrit?.webhook.enabled && !secrets.gerritWebhookSecret) {
    out.push({
      path: "gerrit.webhook.enabled",
      message: "needs GERRIT_WEBHOOK_SECRET or GERRIT_WEBHOOK_SECRET_FILE in the environment",
    });
  }
  const weakHook = secrets.gerritWebhookSecret && webhookSecretProblem(secrets.gerritWebhookSecret);
  if (cfg.gerrit?.webhook.enabled && weakHook) {
    out.push({ path: "gerrit.webhook.enabled", message: `GERRIT_WEBHOOK_SECRET ${weakHook}` });
  }
  const weakDash = secrets.dashboardPassword && dashboardPasswordProblem(secrets.dashboardPassword);
  if (cfg.http.dashboard.enabled && weakDash) {
    out.push({ path: "http.dashboard.enabled", message: `DASHBOARD_PASSWORD ${weakDash}` });
  }
  return out;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(file, [
      { path: "", message: `cannot read the config file (${code})`, value: file },
    ]);
  }
  return validateConfig(parseYaml(text, file), env, file);
}
