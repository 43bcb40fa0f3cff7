// The bot's HTTP routes: /healthz, /readyz, /metrics, the Gerrit webhook receiver and the queue dashboard.
import type { LoadedConfig } from "./config-load.js";
import type { BotEvent } from "../core/events.js";
import type { Route } from "../core/http-server.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import { QUEUE_NAMES, type Queues } from "../core/queues.js";
import { dashboardSettings, queueDashboard } from "./dashboard.js";
import { scrapeMetrics } from "./scrape.js";
import { gerritWebhook } from "../integrations/gerrit/webhook.js";

export interface RoutedBot {
  readonly metrics: Metrics;
  readonly queues: Queues;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  chatConnected?(): Record<string, boolean>;
  ingest(event: BotEvent): Promise<unknown>;
}

function json(res: Parameters<Route>[1], status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export function botRoutes(bot: RoutedBot, loaded: LoadedConfig, log: Logger): Record<string, Route> {
  const { config, secrets } = loaded;
  const routes: Record<string, Route> = {
    "/healthz": (_req, res) => json(res, 200, { ok: true }),
    "/readyz": async (_req, res) => {
      const r = await bot.readiness();
      // Components report their own health (the monorepo sync) through Metrics.setCheck.
      const checks = { ...r.checks, ...bot.metrics.checks() };
      const ready = r.ready && Object.values(checks).every(Boolean);
      json(res, ready ? 200 : 503, { ready, checks });
    },
    "/metrics": async (_req, res) => {
      // Within a second whatever Redis does: with Redis down the gauges keep their last values.
      const text = await scrapeMetrics(bot);
      res.writeHead(200, { "content-type": bot.metrics.registry.contentType });
      res.end(text);
    },
  };
  const hook = config.gerrit?.webhook;
  if (hook?.enabled && secrets.gerritWebhookSecret) {
    routes[hook.path] = gerritWebhook({
      secret: secrets.gerritWebhookSecret,
      maxBytes: hook.maxBytes,
      ingest: (e) => bot.ingest(e),
      log,
    });
  }
  // A dashboard with a port of its own is served by its own listener (dashboardRoutes), not here.
  if (dashboardSettings(config.http).port === undefined)
    Object.assign(routes, dashboardRoutes(bot, loaded, log));
  return routes;
}

/** The dashboard's route, or none: off by default; when off there is no route at all (404), not a login prompt. */
export function dashboardRoutes(bot: RoutedBot, loaded: LoadedConfig, log: Logger): Record<string, Route> {
  const dash = dashboardSettings(loaded.config.http);
  if (!dash.enabled) return {};
  const password = loaded.secrets.dashboardPassword;
  if (!password) {
    // config check refuses this (requiredSecrets); never serve the queues without a password.
    log.error("http.dashboard is enabled without DASHBOARD_PASSWORD: the dashboard stays off");
    return {};
  }
  return {
    [`${dash.path}/*`]: queueDashboard({
      path: dash.path,
      user: dash.user,
      password,
      queues: QUEUE_NAMES.map((n) => bot.queues.get(n)),
      readOnly: dash.readOnly,
      maxFailuresPerMinute: dash.maxFailuresPerMinute,
      log: log.child({ component: "dashboard" }),
    }),
  };
}
