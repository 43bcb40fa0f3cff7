// The Bull Board queue dashboard: off by default; when on, mounted under http.dashboard.path on the bot's
// own HTTP server, behind basic auth (user from config, password from DASHBOARD_PASSWORD).
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Queue } from "bullmq";
import { z } from "zod";
import { errorMessage } from "../core/errors.js";
import { parseRequestTarget, type Route } from "../core/http-server.js";
import type { Logger } from "../core/log.js";

export const DashboardConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** The basic-auth user name; the password is the DASHBOARD_PASSWORD secret. */
  user: z.string().min(1, "must not be empty").default("admin"),
  path: z
    .string()
    .regex(/^(\/[A-Za-z0-9_-]+)+$/, "must be a URL path like /admin/queues")
    .default("/admin/queues"),
  /**
   * Hide retry, clean, pause, add and delete: a dashboard to look with, not to act with. On by default:
   * an added or retried job runs as whatever chat user its data names, so writing is an explicit choice.
   */
  readOnly: z.boolean().default(true),
  /**
   * A port of its own (with `host`), so the dashboard can listen apart from the webhook receiver, e.g.
   * on an internal interface only. Unset: mounted on the bot's HTTP server.
   */
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  /** Wrong logins per client address per minute before it is refused (429) for the rest of the minute. */
  maxFailuresPerMinute: z.number().int().min(1).max(1000).default(5),
});
export type DashboardConfig = z.infer<typeof DashboardConfigSchema>;

/**
 * The http.dashboard section. Read loosely so that this module does not depend on how config.ts spells the
 * section; once config.ts carries `dashboard: DashboardConfigSchema.prefault({})` this re-parse is a no-op.
 */
export function dashboardSettings(http: object): DashboardConfig {
  return DashboardConfigSchema.parse((http as { dashboard?: unknown }).dashboard ?? {});
}

/** Shortest DASHBOARD_PASSWORD accepted (config check refuses shorter ones; the route stays off). */
export const MIN_DASHBOARD_PASSWORD_LENGTH = 12;

export function dashboardPasswordProblem(password: string): string | undefined {
  return password.length >= MIN_DASHBOARD_PASSWORD_LENGTH
    ? undefined
    : `is ${password.length} characters; needs at least ${MIN_DASHBOARD_PASSWORD_LENGTH}`;
}

/**
 * Failed logins per client address in fixed one-minute windows: guessing costs a minute per few tries.
 * In memory: the dashboard is served by one process, and a restart forgetting counts is harmless.
 */
export class LoginThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {}

  private current(ip: string): { start: number; failures: number } {
    const t = this.now();
    let w = this.windows.get(ip);
    if (!w || t - w.start >= this.windowMs) {
      w = { start: t, failures: 0 };
      this.windows.set(ip, w);
      // Bounded: old windows are dropped whenever the map grows.
      if (this.windows.size > 10_000)
        for (const [k, v] of this.windows) if (t - v.start >= this.windowMs) this.windows.delete(k);
    }
    return w;
  }

  /** Seconds until this address may try again, or 0 when it may try now. */
  blockedFor(ip: string): number {
    const w = this.current(ip);
    return w.failures >= this.maxFailures ? Math.ceil((w.start + this.windowMs - this.now()) / 1000) : 0;
  }

  fail(ip: string): void {
    this.current(ip).failures++;
  }
}

/** Equal-time comparison of two strings of any length: both are hashed to 32 bytes first. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The user name a Basic `Authorization` header carries, and whether it and its password match. */
export function checkBasicAuth(
  header: string | undefined,
  user: string,
  password: string,
): { ok: boolean; user?: string } {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? "");
  if (!m) return { ok: false };
  const decoded = Buffer.from(m[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return { ok: false };
  const given = decoded.slice(0, colon);
  // Both comparisons always run: which part was wrong must not show in the timing.
  const userOk = sameSecret(given, user);
  const passwordOk = sameSecret(decoded.slice(colon + 1), password);
  return { ok: userOk && passwordOk, user: given };
}

export interface DashboardOptions {
  /** Where it is mounted, e.g. /admin/queues (no trailing slash). */
  path: string;
  user: string;
  password: string;
  queues: readonly Queue[];
  readOnly: boolean;
  log: Logger;
  /** Wrong logins per address per minute (default 5). */
  maxFailuresPerMinute?: number;
  now?: () => number;
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Bull Board has no adapter for plain node:http; its Express adapter builds an Express app, which is itself
 * a node:http handler. Loaded on demand, so the bot (and `config check`) never loads Express for nothing.
 */
async function loadBoard(o: DashboardOptions): Promise<NodeHandler> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import("@bull-board/api"),
    import("@bull-board/api/bullMQAdapter"),
    import("@bull-board/express"),
  ]);
  const server = new ExpressAdapter();
  server.setBasePath(o.path);
  createBullBoard({
    queues: o.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: o.readOnly })),
    serverAdapter: server,
    options: { uiConfig: { boardTitle: "sunbeam-bot queues" } },
  });
  const app = server.getRouter() as NodeHandler & { disable(setting: string): void };
  app.disable("x-powered-by");
  return app;
}

const REALM = 'Basic realm="sunbeam-bot queues", charset="UTF-8"';

function refuse(res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ error }));
}

/**
 * A page on another site must not make an operator's browser (which resends basic-auth credentials by
 * itself) retry or delete jobs: state-changing requests must come from the dashboard's own pages.
 */
function crossSite(req: IncomingMessage): boolean {
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return true;
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/**
 * Every dashboard answer: never framed (clickjacking a retry or delete button), nothing loaded from other
 * sites (Bull Board's page links Google Fonts; blocked, the system font is used and no visit leaks out).
 */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The route to mount at `${path}/*`: checks the credentials, then hands the request to Bull Board. */
export function queueDashboard(o: DashboardOptions): Route {
  const board = loadBoard(o);
  // Load at start, so a missing package shows in the log at once rather than at the first visit.
  board.catch((err: unknown) =>
    o.log.error(
      { err: errorMessage(err) },
      "queue dashboard could not be loaded (is @bull-board installed?)",
    ),
  );
  const weak = dashboardPasswordProblem(o.password);
  if (weak) o.log.error(`DASHBOARD_PASSWORD ${weak}: the dashboard refuses every login`);
  const throttle = new LoginThrottle(o.maxFailuresPerMinute ?? 5, o.now);
  return async (req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const ip = req.socket.remoteAddress ?? "-";
    const wait = throttle.blockedFor(ip);
    if (wait > 0) {
      refuse(res, 429, "too many failed logins; try again later", { "retry-after": String(wait) });
      return;
    }
    const auth = checkBasicAuth(req.headers.authorization, o.user, o.password);
    if (weak) auth.ok = false;
    if (!auth.ok) {
      if (req.headers.authorization) throttle.fail(ip);
      // A browser's first request carries no credentials: only a wrong pair is worth a warning.
      if (req.headers.authorization)
        o.log.warn(
          { user: auth.user?.slice(0, 64), ip: req.socket.remoteAddress },
          "queue dashboard: wrong credentials",
        );
      refuse(res, 401, "unauthorized", { "www-authenticate": REALM });
      return;
    }
    const method = req.method ?? "GET";
    const readOnlyMethod = method === "GET" || method === "HEAD";
    if (!readOnlyMethod && crossSite(req)) {
      refuse(res, 403, "cross-site request refused");
      return;
    }
    const target = parseRequestTarget(req.url);
    if (!target) {
      refuse(res, 400, "bad request target");
      return;
    }
    const search = target.query.size ? `?${target.query.toString()}` : "";
    const rest = target.path.slice(o.path.length);
    if (!readOnlyMethod)
      o.log.info(
        { audit: true, source: "dashboard", user: auth.user, method, path: rest },
        "dashboard action",
      );
    let handler: NodeHandler;
    try {
      handler = await board;
    } catch {
      refuse(res, 503, "queue dashboard unavailable");
      return;
    }
    // Bull Board routes are relative to its mount point; the normalised path keeps `..` from escaping it.
    req.url = `${rest.startsWith("/") ? rest : `/${rest}`}${search}`;
    await new Promise<void>((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
      handler(req, res, (err?: unknown) => {
        if (err) o.log.error({ err: errorMessage(err) }, "queue dashboard error");
        if (!res.headersSent) refuse(res, err ? 500 : 404, err ? "internal error" : "not found");
        else res.end();
        resolve();
      });
    });
  };
}
