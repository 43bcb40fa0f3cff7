// Composition root: config -> Redis, queues, chat adapters, workers, sources; clean shutdown.
import type { LoadedConfig } from "./config-load.js";
import type { ChatAdapter, IncomingMessage } from "../chat/adapter.js";
import { ChatConnections } from "./chat-connections.js";
import { wireGerrit } from "./gerrit-intake.js";
import type { GerritClient } from "../integrations/gerrit/client.js";
import type { Outbox } from "../chat/outbox.js";
import { CommandRouter, type AnyCommand, type CommandServices, type StatusReport } from "../core/commands.js";
import type { BotEvent } from "../core/events.js";
import { commandEvent } from "../chat/intake.js";
import { runCommand } from "./run-command.js";
import { rateLimitedLog, type Logger } from "../core/log.js";
import { Queues, type QueueName } from "../core/queues.js";
import { RedisRateLimiter } from "../core/rate-limit.js";
import { connectRedis, type Redis } from "../core/redis.js";
import { Stats } from "../core/stats.js";
import { Workers, settlesWithin, type HandlerTable } from "../core/worker.js";
import type { FeatureParts } from "../core/feature.js";
import { FEATURES, ROUTES } from "../features.js";
import { CORE_ROUTES, routesFor, type Route } from "../core/routes.js";
import { UserError, errorMessage } from "../core/errors.js";
import { startHttp, type HttpServer } from "../core/http-server.js";
import { botRoutes, dashboardRoutes } from "./http-routes.js";
import { dashboardSettings } from "./dashboard.js";
import { httpListenMessage } from "./config-host.js";
import { QueueOutbox } from "../chat/queue-outbox.js";
import { Metrics } from "../core/metrics.js";
import type { Source } from "../core/source.js";
import { COMMANDS } from "./commands/index.js";
import { ROLES, type Role } from "../core/roles.js";
import type { Lease } from "../core/lease.js";

export interface BotOptions {
  loaded: LoadedConfig;
  log: Logger;
  /** The chat networks; a function gets the bot's Redis connection (Matrix keeps its sync position there). */
  adapters: ChatAdapter[] | ((redis: Redis) => ChatAdapter[]);
  commands?: AnyCommand[];
  /** The Gerrit SSH private key (read by the caller from gerrit.ssh.privateKeyFile). */
  gerritKey?: Buffer;
  /** Test-only: a faster reconnect backoff for the Gerrit stream. */
  gerritBackoffMs?: { base: number; max: number };
  /** The roles this process plays (default: all of them). */
  roles?: readonly Role[];
}

export class Bot {
  readonly redis: Redis;
  readonly queues: Queues;
  readonly stats: Stats;
  readonly outbox: Outbox;
  readonly router: CommandRouter;
  readonly metrics = new Metrics();
  readonly gerrit: GerritClient | undefined;
  readonly sources: Source[];
  private readonly features: FeatureParts[];
  /** Per feature: its routes and what it wants of them (intake asks before queueing). */
  private readonly intake: { routes: readonly Route[]; wants: FeatureParts["wants"] }[];
  private readonly serviceTable: CommandServices;
  private readonly workers: Workers;
  /** The networks and the chat-out sender, run by the holder of the chat lease. */
  private readonly chat: ChatConnections;
  private readonly roles: ReadonlySet<Role>;
  /** Leases for the connections only one replica may hold: the Gerrit stream and the chat networks. */
  private readonly leases: Lease[] = [];
  private readonly sourcesLease: Lease | undefined;
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | undefined;
  http: HttpServer | undefined;
  /** The queue dashboard's own listener, when http.dashboard.port sets one. */
  dashboardHttp: HttpServer | undefined;

  constructor(private readonly opts: BotOptions) {
    const { config } = opts.loaded;
    this.roles = new Set(opts.roles ?? ROLES);
    this.redis = connectRedis(config.redis.url);
    const logRedis = rateLimitedLog(opts.log);
    this.redis.on("error", (err) =>
      logRedis("warn", err.message, { err: errorMessage(err) }, "redis connection error"),
    );
    const settleMs = (config.gerrit?.settleSeconds ?? 0) * 1000;
    this.queues = new Queues(this.redis, config.redis.prefix, config.jobs, settleMs, ROUTES, opts.log);
    this.stats = new Stats(this.redis, config.redis.prefix);
    this.outbox = new QueueOutbox(this.queues);
    const adapters = typeof opts.adapters === "function" ? opts.adapters(this.redis) : opts.adapters;
    this.router = new CommandRouter(
      opts.commands ?? COMMANDS,
      {
        prefix: config.bot.commandPrefix,
        unauthorized: config.bot.unauthorized,
        roles: config.roles,
        // recheck.role names who may recheck; an explicit commands entry still wins.
        overrides: { "recheck-affected": { role: config.recheck.role }, ...config.commands },
      },
      new RedisRateLimiter(
        this.redis,
        config.redis.prefix,
        config.bot.rateLimit.commands,
        config.bot.rateLimit.perSeconds,
      ),
    );
    const gerrit = wireGerrit(config, opts.loaded.secrets, {
      redis: this.redis,
      metrics: this.metrics,
      stats: this.stats,
      log: opts.log,
      ingest: (e) => this.ingest(e),
      privateKey: opts.gerritKey,
      backoffMs: opts.gerritBackoffMs,
    });
    this.gerrit = gerrit.client;
    this.sources = gerrit.sources;
    this.sourcesLease = gerrit.lease;
    // Each feature is built with the shared context; its services join `services` at once, so a feature
    // listed later (OCI's auto-recheck) can use one listed earlier (the affected feature's rechecker).
    this.serviceTable = { status: () => this.status() };
    const ctx = {
      config,
      secrets: opts.loaded.secrets,
      redis: this.redis,
      queues: this.queues,
      outbox: this.outbox,
      stats: this.stats,
      metrics: this.metrics,
      log: opts.log,
      ingest: (e: BotEvent) => this.ingest(e),
      services: this.serviceTable,
      gerrit: this.gerrit,
    };
    this.features = FEATURES.map((f) => {
      const parts = f.create(ctx);
      Object.assign(this.serviceTable, parts.services ?? {});
      return parts;
    });
    this.intake = FEATURES.map((f, i) => ({
      routes: f.routes,
      wants: this.features[i]?.wants?.bind(this.features[i]),
    }));
    const workerOpts = {
      connection: this.redis,
      prefix: config.redis.prefix,
      concurrency: config.jobs.concurrency,
      log: opts.log,
      // One sender keeps each room's messages in the order they were queued.
      concurrencyFor: { "chat-out": 1, "oci-poll": 1, "launchpad-poll": 1 },
      metrics: this.metrics,
      lockMs: config.jobs.lockSeconds * 1000,
    };
    this.workers = new Workers(
      Object.assign(
        { commands: runCommand(this.router, this.serviceTable, this.outbox, this.metrics) },
        ...this.features.map((f) => f.handlers ?? {}),
      ) as HandlerTable,
      workerOpts,
    );
    this.chat = new ChatConnections(adapters, {
      config,
      redis: this.redis,
      metrics: this.metrics,
      workerOpts,
      log: opts.log,
      onMessage: (m) => this.onChatMessage(m),
    });
  }

  /** What the commands see: every feature's services and the bot's status. */
  services(): CommandServices {
    return this.serviceTable;
  }

  /** Job schedulers: BullMQ runs each tick once however many replicas upsert the same scheduler. */
  private async startSchedulers(): Promise<void> {
    for (const f of this.features) await f.schedule?.();
  }

  async status(): Promise<StatusReport> {
    return {
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
      queues: await this.queues.counts(),
      lastEvents: await this.stats.lastEvents(["gerrit", "chat", "launchpad"]),
      networks: this.chat.networks(),
      sections: await Promise.all(this.sources.map((src) => src.status())),
    };
  }

  /** Starts this process's roles: workers, the leased chat connections and stream, the schedulers. */
  async start(opts: { deferChat?: boolean } = {}): Promise<void> {
    if (this.roles.has("workers")) this.workers.start();
    await this.startHttp();
    if (!opts.deferChat) await this.startChat();
    if (this.roles.has("sources") && this.sourcesLease) {
      this.leases.push(this.sourcesLease);
      await this.sourcesLease.start();
    }
    if (this.roles.has("scheduler")) await this.startSchedulers();
    if (this.roles.has("workers")) for (const f of this.features) f.start?.();
    this.opts.log.info(
      { networks: [...this.chat.adapters.keys()], roles: [...this.roles] },
      "sunbeam-bot started",
    );
  }

  private async startHttp(): Promise<void> {
    const { config } = this.opts.loaded;
    if (!config.http.enabled) return;
    this.http = await startHttp(
      config.http.host,
      config.http.port,
      botRoutes(this, this.opts.loaded, this.opts.log),
    ).catch((err: NodeJS.ErrnoException) => {
      // A start-up failure names its setting: EADDRINUSE alone does not say which port is whose.
      throw new UserError(`http.port: ${httpListenMessage(config.http.host, config.http.port, err)}`);
    });
    this.opts.log.info({ host: config.http.host, port: this.http.port }, "http listening");
    const dash = dashboardSettings(config.http);
    if (dash.enabled && dash.port !== undefined) {
      const host = dash.host ?? config.http.host;
      this.dashboardHttp = await startHttp(
        host,
        dash.port,
        dashboardRoutes(this, this.opts.loaded, this.opts.log),
      );
      this.opts.log.info({ host, port: this.dashboardHttp.port }, "dashboard listening");
    }
  }

  /** Ready when Redis answers and every chat network is connected. */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    checks.redis = await Promise.race([
      this.redis.ping().then(
        (p) => p === "PONG",
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 1000)),
    ]);
    // A standby replica (lease held elsewhere) is ready: it serves HTTP and jobs and waits to take over.
    Object.assign(checks, this.chat.checks());
    const streamHere = this.sourcesLease?.held ?? false;
    for (const src of this.sources) checks[`source:${src.name}`] = !streamHere || src.connected();
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  /** Per network, whether this process holds the connection and it is up (for the chat_connected gauge). */
  chatConnected(): Record<string, boolean> {
    const here = this.chat.lease.held;
    return Object.fromEntries(
      [...this.chat.adapters.values()].map((a) => [a.network, here && a.isConnected()]),
    );
  }

  /** Competes for the chat lease: the holder connects every network and sends; others stand by. */
  async startChat(): Promise<void> {
    if (!this.roles.has("chat") || this.leases.includes(this.chat.lease)) return;
    this.leases.push(this.chat.lease);
    await this.chat.lease.start();
  }

  /** The leases this process competes for, and whether it holds each. */
  leaseState(): Record<string, boolean> {
    return Object.fromEntries(this.leases.map((l) => [l.name, l.held]));
  }

  /**
   * Records an event and puts it on the queues of the features that want it. Sources call only this. An
   * event no feature wants (another project's, ≈98% of OpenDev's stream) is counted and nothing more: no
   * job and no kept copy; the source's small seen-key alone dedupes it.
   */
  async ingest(event: BotEvent): Promise<QueueName[]> {
    this.metrics.recordEvent(event.source, event.kind);
    // Bookkeeping is batched in memory (Stats); only the enqueue is a round trip on the hot path.
    this.stats.recordEvent(event);
    const routes = await this.wantedRoutes(event);
    return routes.length > 0 ? this.queues.enqueueEvent(event, routes) : [];
  }

  /** The routes an event takes: the bot's own, and each feature's when the feature wants the event. */
  private async wantedRoutes(event: BotEvent): Promise<Route[]> {
    const out = routesFor(event, CORE_ROUTES);
    for (const f of this.intake) {
      const rs = routesFor(event, f.routes);
      if (rs.length > 0 && (await (f.wants?.(event) ?? true))) out.push(...rs);
    }
    return out;
  }

  private async onChatMessage(m: IncomingMessage): Promise<void> {
    const bot = this.opts.loaded.config.bot;
    const event = commandEvent(m, bot, this.startedAt - bot.historySeconds * 1000);
    if (!event) return;
    try {
      await this.ingest(event);
    } catch (err) {
      this.opts.log.error({ err: errorMessage(err), eventId: event.id }, "could not queue a chat command");
    }
  }

  /** Resolves when nothing is waiting, active or delayed (the demo waits for this before exiting). */
  idle(timeoutMs = 15_000): Promise<boolean> {
    return this.queues.idle(timeoutMs);
  }

  /** Stops intake first, lets running jobs finish, then closes Redis. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const f of this.features) f.stop?.();
      await this.sourcesLease?.stop();
      await this.http?.close();
      await this.dashboardHttp?.close();
      // Running jobs finish first (their replies still reach the adapters); new messages wait in Redis.
      await this.workers.close(this.opts.loaded.config.jobs.shutdownGraceSeconds * 1000);
      // Then the sender and the chat connections, releasing the lease so a standby takes over at once.
      await this.chat.lease.stop();
      await settlesWithin(
        this.stats.flush().catch(() => undefined),
        2000,
      );
      if (!(await settlesWithin(this.queues.close(), 2000)))
        this.opts.log.warn("queues did not close in time");
      if (!(await settlesWithin(this.redis.quit(), 2000))) this.redis.disconnect();
      this.opts.log.info("sunbeam-bot stopped");
    })();
    return this.stopping;
  }
}
