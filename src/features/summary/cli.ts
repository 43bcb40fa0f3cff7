// `sunbeam-bot summary [--since DATE] [--json] [--actions FILE] [--check]`: the summary printed, never sent.
import { GerritClient } from "../../integrations/gerrit/client.js";
import { LaunchpadClient } from "../../integrations/launchpad/client.js";
import { UserError, errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { connectRedis, type Redis } from "../../core/redis.js";
import { loadActions } from "./actions.js";
import { SummaryConfigSchema, evidenceProjects, type SummaryConfig } from "./config.js";
import { isStale, weeksSince, type SummaryData } from "./render.js";
import { SummaryService } from "./service.js";

export interface SummaryCliOptions {
  /** The config's `summary` section (defaults when absent). */
  summary?: SummaryConfig | undefined;
  /** Overrides `summary.actionsFile`. */
  actionsFile?: string | undefined;
  /** YYYY-MM-DD (UTC midnight) or an ISO date-time. */
  since?: string | undefined;
  json?: boolean | undefined;
  /** Validate the actions file only (no network). */
  check?: boolean | undefined;
  redis?: { url: string; prefix: string } | undefined;
  gerrit?:
    | {
        url: string;
        user?: string | undefined;
        password?: string | undefined;
        projects?: string[] | undefined;
      }
    | undefined;
  launchpad?:
    | { apiRoot?: string | undefined; projects?: string[] | undefined; consumerKey?: string | undefined }
    | undefined;
  /** Per-source time limit (the CLI should answer within a minute even with every API down). */
  timeoutSeconds?: number;
  now?: Date;
  log?: Logger;
}

export function parseSince(s: string): Date {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(s) ? Date.parse(`${s}T00:00:00Z`) : Date.parse(s);
  if (Number.isNaN(t))
    throw new UserError(`--since: not a date: "${s}" (use YYYY-MM-DD or an ISO date-time)`);
  return new Date(t);
}

/**
 * The `--json` document (fields may be added, never renamed). `unavailable` names the sources that could
 * not be read ("gerrit", "launchpad", "redis"); `numbers[].value` is null where a figure is unknown.
 */
export function summaryJson(d: SummaryData): Record<string, unknown> {
  return {
    cycle: d.cycle,
    since: d.since,
    until: d.until,
    unavailable: d.unavailable,
    unavailableReasons: d.unavailableReasons,
    actions: d.actions.map((r) => ({
      id: r.action.id,
      title: r.action.title,
      owner: r.action.owner,
      area: r.action.area,
      status: r.status,
      statusSetBy: r.statusSetBy ?? null,
      stale: isStale(r, d.until, d.staleAfterWeeks),
      lastActivity: r.lastActivity ?? null,
      weeksSinceActivity: weeksSince(r.lastActivity, d.until) ?? null,
      evidenceCount: r.evidence.length,
      evidence: r.evidence,
      notes: r.notes,
    })),
    numbers: d.numbers.map((f) => ({ name: f.name, value: f.value, previous: f.previous ?? null })),
    countersSince: d.countersSince ?? null,
  };
}

/** Redis for the CLI: fail fast instead of waiting forever for a server that is not there. */
async function tryRedis(url: string): Promise<{ redis?: Redis; problem?: string }> {
  const redis = connectRedis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  // The error event carries the cause (ECONNREFUSED …); connect() only says the connection closed.
  let cause: string | undefined;
  redis.on("error", (err: Error) => (cause ??= err.message));
  try {
    await redis.connect();
    return { redis };
  } catch (err) {
    redis.disconnect();
    return { problem: cause ?? (errorMessage(err) || "cannot connect") };
  }
}

export async function summaryCli(o: SummaryCliOptions): Promise<{ output: string; exitCode: number }> {
  const base = o.summary ?? SummaryConfigSchema.parse({});
  const config: SummaryConfig = {
    ...base,
    ...(o.actionsFile ? { actionsFile: o.actionsFile } : {}),
    sourceTimeoutSeconds: o.timeoutSeconds ?? Math.min(base.sourceTimeoutSeconds, 60),
  };
  if (o.check) {
    const file = loadActions(config.actionsFile);
    const out = { ok: true, file: config.actionsFile, actions: file.actions.length };
    return {
      output: o.json ? JSON.stringify(out) : `${config.actionsFile}: ${file.actions.length} actions, OK`,
      exitCode: 0,
    };
  }
  // Read the file before any network: a broken file is the one error that stops the summary.
  loadActions(config.actionsFile);
  const since = o.since ? parseSince(o.since) : undefined;
  const projects = evidenceProjects(config, o.gerrit?.projects, o.launchpad?.projects);
  const retry = { retries: 1, baseDelayMs: 200, maxDelayMs: 1000 };
  const timeoutMs = 15_000;
  const { redis, problem } = o.redis ? await tryRedis(o.redis.url) : { problem: "not configured" };
  try {
    const service = new SummaryService({
      config,
      prefix: o.redis?.prefix ?? "sunbeam",
      ...(redis ? { redis } : {}),
      ...(problem ? { redisProblem: problem } : {}),
      ...(o.gerrit
        ? {
            gerrit: {
              client: new GerritClient({
                url: o.gerrit.url,
                ...(o.gerrit.user && o.gerrit.password
                  ? { user: o.gerrit.user, password: o.gerrit.password }
                  : {}),
                retry,
                timeoutMs,
                ...(o.log ? { log: o.log } : {}),
              }),
              webUrl: o.gerrit.url,
              projects: projects.gerrit,
            },
          }
        : {}),
      launchpad: {
        client: new LaunchpadClient({
          ...(o.launchpad?.apiRoot ? { apiRoot: o.launchpad.apiRoot } : {}),
          ...(o.launchpad?.consumerKey ? { consumerKey: o.launchpad.consumerKey } : {}),
          retry,
          timeoutMs,
          ...(o.log ? { log: o.log } : {}),
        }),
        projects: projects.launchpad,
      },
      ...(o.now ? { now: () => o.now as Date } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    const { data } = await service.build(since ? { since } : {});
    return {
      output: o.json ? JSON.stringify(summaryJson(data), null, 2) : service.render(data),
      exitCode: 0,
    };
  } finally {
    redis?.disconnect();
  }
}
