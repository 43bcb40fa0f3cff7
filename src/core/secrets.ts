// Secrets come only from env vars or files named by `<VAR>_FILE`; never from the config file.
import { readFileSync } from "node:fs";
import { registerSecret } from "./log.js";

/** Every secret the bot can use, by the env var that carries it. */
export const SECRET_VARS = {
  gerritHttpPassword: "GERRIT_HTTP_PASSWORD",
  gerritWebhookSecret: "GERRIT_WEBHOOK_SECRET",
  matrixAccessToken: "MATRIX_ACCESS_TOKEN",
  slackBotToken: "SLACK_BOT_TOKEN",
  slackAppToken: "SLACK_APP_TOKEN",
  slackSigningSecret: "SLACK_SIGNING_SECRET",
  launchpadToken: "LAUNCHPAD_OAUTH_TOKEN",
  launchpadTokenSecret: "LAUNCHPAD_OAUTH_TOKEN_SECRET",
  dashboardPassword: "DASHBOARD_PASSWORD",
} as const;

export type SecretName = keyof typeof SECRET_VARS;
export type Secrets = Partial<Record<SecretName, string>>;

export interface SecretProblem {
  path: string;
  message: string;
  value: unknown;
}

/** Reads every secret that is set; a `_FILE` that cannot be read is a problem (its path is not secret). */
export function readSecrets(env: NodeJS.ProcessEnv): { secrets: Secrets; problems: SecretProblem[] } {
  const secrets: Secrets = {};
  const problems: SecretProblem[] = [];
  for (const [key, envName] of Object.entries(SECRET_VARS) as [SecretName, string][]) {
    const direct = env[envName];
    const file = env[`${envName}_FILE`];
    if (direct !== undefined && direct !== "") {
      secrets[key] = direct;
    } else if (file) {
      try {
        secrets[key] = readFileSync(file, "utf8").replace(/\r?\n$/, "");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
        problems.push({
          path: `env.${envName}_FILE`,
          message: `cannot read the file (${code})`,
          value: file,
        });
      }
    }
    registerSecret(secrets[key]);
  }
  return { secrets, problems };
}

/** A key in the YAML that looks like a secret gets a pointer to the env var instead of "unknown key". */
export function secretHintFor(key: string): string | undefined {
  if (!/(password|token|secret)/i.test(key)) return undefined;
  const vars = Object.values(SECRET_VARS).join(", ");
  return `secrets are never read from the config file; set one of ${vars} (or <VAR>_FILE) instead`;
}
