// Composition root: config -> Redis, queues, chat adapters, workers, sources; clean shutdown.
import type { LoadedConfig } from "./config-load.js";
import type { ChatAdapter, IncomingMessage } from "./chat/adapter.js";
import type { ChatTarget, Outbox } from "./chat/outbox.js";
import { Sender } from "./chat/outbox.js";
import { CommandRouter, type AnyCommand, type CommandServices, type StatusReport } from "./commands.js";
import type { BotEvent, ChatCommandEvent } from "./events.js";
import { runCommand } from "./handlers/run-command.js";
import { scrubSecrets, type Logger } from "./log.js";
import { Queues, type QueueName } from "./queues.js";
import { RedisRateLimiter } from "./rate-limit.js";
import { connectRedis, type Redis } from "./redis.js";
import { Stats } from "./stats.js";
import { Workers, settlesWithin, type Handler } from "./worker.js";
import { errorMessage } from "./errors.js";
import { startHttp, type HttpServer } from "./http.js";
import { botRoutes } from "./bot-routes.js";
import { wireRelay, type RelayWiring } from "./bot-relay.js";
import { wireOci, type OciWiring } from "./bot-oci.js";
import { wireTriage, type TriageWiring } from "./bot-triage.js";
import { LaunchpadClient } from "./clients/launchpad.js";
import { weeklySummary } from "./handlers/weekly-summary.js";
import { evidenceProjects } from "./summary/config.js";
import { scheduleWeeklySummary } from "./summary/schedule.js";
import { SummaryService } from "./summary/service.js";
import { Metrics } from "./metrics.js";
import { GerritClient } from "./clients/gerrit.js";
import { gerritSourceFromConfig } from "./sources/gerrit-source.js";
import type { Source } from "./sources/source.js";
import { COMMANDS } from "../commands/index.js";
import { Lease } from "./lease.js";
import { AffectedService } from "./charms/affected-service.js";
import { MonorepoSync } from "./charms/sync.js";
import { suggestRechecks } from "./handlers/suggest-rechecks.js";

/** What one process does; `run --only` picks some, so replicas can be split by job (ARCHITECTURE §9). */
export const ROLES = ["sources", "workers", "chat", "scheduler"] as const;
export type Role = (typeof ROLES)[number];

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

/** Posts to the chat-out queue; the send id becomes the job id, so a retried job never posts twice. */
class QueueOutbox implements Outbox {
  constructor(private readonly queues: Queues) {}
  async post(target: ChatTarget, message: { text: string }, sendId: string): Promise<void> {
    // Last line of defence: a reply quoting a server's error must never carry a credential to a room.
    await this.queues.add(
      "chat-out",
      "send",
      { ...target, text: scrubSecrets(message.text), sendId },
      `send:${sendId}`,
    );
  }
}

export class Bot {
  readonly redis: Redis;
  readonly queues: Queues;
  readonly stats: Stats;
  readonly outbox: Outbox;
  readonly router: CommandRouter;
  readonly metrics = new Metrics();
  readonly gerrit: GerritClient | undefined;
  readonly sources: Source[] = [];
  private readonly relay: RelayWiring;
  private readonly oci: OciWiring;
  private readonly triage: TriageWiring;
  readonly summary: SummaryService | undefined;
  private readonly workers: Workers;
  /** chat-out runs only where the chat connections are: on the holder of the chat lease. */
  private readonly chatWorkers: Workers;
  private readonly roles: ReadonlySet<Role>;
  /** Leases for the connections only one replica may hold: the Gerrit stream and the chat networks. */
  private readonly leases: Lease[] = [];
  private readonly chatLease: Lease;
  private sourcesLease: Lease | undefined;
  private readonly affected: AffectedService | undefined;
  private readonly monorepoSync: MonorepoSync | undefined;
  private fetchTimer: NodeJS.Timeout | undefined;
  private readonly adapters: Map<string, ChatAdapter>;
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | undefined;
  http: HttpServer | undefined;

  constructor(private readonly opts: BotOptions) {
    const { config } = opts.loaded;
    this.roles = new Set(opts.roles ?? ROLES);
    this.redis = connectRedis(config.redis.url);
    this.redis.on("error", (err) => opts.log.warn({ err: errorMessage(err) }, "redis connection error"));
    const settleMs = (config.gerrit?.settleSeconds ?? 0) * 1000;
    this.queues = new Queues(this.redis, config.redis.prefix, config.jobs, settleMs);
    this.stats = new Stats(this.redis, config.redis.prefix);
    this.outbox = new QueueOutbox(this.queues);
    const adapters = typeof opts.adapters === "function" ? opts.adapters(this.redis) : opts.adapters;
    this.adapters = new Map(adapters.map((a) => [a.network, a]));
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
    const g = config.gerrit;
    if (g) {
      const creds =
        g.http && opts.loaded.secrets.gerritHttpPassword
          ? { user: g.http.user, password: opts.loaded.secrets.gerritHttpPassword }
          : {};
      this.gerrit = new GerritClient({ url: g.url, log: opts.log, ...creds });
    }
    if (config.monorepo && g && this.gerrit) {
      this.monorepoSync = new MonorepoSync({
        path: config.monorepo.path,
        remote: config.monorepo.remote,
        redis: this.redis,
        prefix: config.redis.prefix,
        log: opts.log.child({ component: "monorepo" }),
      });
      this.affected = new AffectedService({
        gerrit: this.gerrit,
        gerritUrl: g.url,
        redis: this.redis,
        prefix: config.redis.prefix,
        monorepo: config.monorepo,
        recheck: config.recheck,
        sync: this.monorepoSync,
        stats: this.stats,
        log: opts.log.child({ component: "affected" }),
      });
    }
    if (g?.ssh && opts.gerritKey) {
      this.sources.push(
        gerritSourceFromConfig(g, g.ssh, {
          privateKey: opts.gerritKey,
          ...(this.gerrit ? { client: this.gerrit } : {}),
          ingest: (e) => this.ingest(e),
          redis: this.redis,
          prefix: config.redis.prefix,
          log: opts.log.child({ source: "gerrit" }),
          metrics: this.metrics,
          stats: this.stats,
          ...(opts.gerritBackoffMs ? { backoffMs: opts.gerritBackoffMs } : {}),
        }),
      );
    }
    if (config.summary) {
      const projects = evidenceProjects(config.summary, g?.projects, config.launchpad?.projects);
      const lpRoot = config.launchpad?.apiRoot;
      this.summary = new SummaryService({
        config: config.summary,
        prefix: config.redis.prefix,
        redis: this.redis,
        rooms: config.rooms,
        outbox: this.outbox,
        counters: this.stats,
        ...(this.gerrit && g
          ? { gerrit: { client: this.gerrit, webUrl: g.url, projects: projects.gerrit } }
          : {}),
        launchpad: {
          client: new LaunchpadClient({ ...(lpRoot ? { apiRoot: lpRoot } : {}), log: opts.log }),
          projects: projects.launchpad,
        },
        log: opts.log.child({ feature: "summary" }),
      });
    }
    this.relay = wireRelay(config, this.redis, this.queues, this.outbox);
    this.oci = wireOci(config, {
      redis: this.redis,
      queues: this.queues,
      outbox: this.outbox,
      metrics: this.metrics,
      stats: this.stats,
      log: opts.log,
      ...(this.affected ? { affected: this.affected } : {}),
    });
    this.triage = wireTriage(config, opts.loaded.secrets, {
      redis: this.redis,
      queues: this.queues,
      outbox: this.outbox,
      log: opts.log,
      ingest: (e) => this.ingest(e),
      stats: this.stats,
      metrics: this.metrics,
    });
    const sender = new Sender(this.adapters, this.redis, config.redis.prefix, this.metrics, {
      console: config.chat.console.minIntervalMs,
      matrix: config.chat.matrix?.minIntervalMs ?? 0,
      slack: config.chat.slack?.minIntervalMs ?? 0,
    });
    const workerOpts = {
      connection: this.redis,
      prefix: config.redis.prefix,
      concurrency: config.jobs.concurrency,
      log: opts.log,
      // One sender keeps each room's messages in the order they were queued.
      concurrencyFor: { "chat-out": 1, "oci-poll": 1, "launchpad-poll": 1 },
      metrics: this.metrics,
      lockMs: config.jobs.lockSeconds * 1000,
    } as const;
    this.workers = new Workers(
      {
        ...this.relay.handlers,
        commands: runCommand(this.router, this.services(), this.outbox, this.metrics),
        ...this.oci.handlers,
        ...this.triage.handlers,
        merges: this.mergeHandler(),
        ...(this.summary ? { summary: weeklySummary(this.summary) } : {}),
      },
      workerOpts,
    );
    this.chatWorkers = new Workers({ "chat-out": (job) => sender.deliver(job) }, workerOpts);
    const ttlMs = config.scaleOut.leaseSeconds * 1000;
    const leaseOpts = { redis: this.redis, prefix: config.redis.prefix, ttlMs, log: opts.log };
    this.chatLease = new Lease({
      ...leaseOpts,
      name: "chat",
      onAcquired: async () => {
        for (const a of this.adapters.values()) await a.start((m) => this.onChatMessage(m));
        this.chatWorkers.start();
      },
      onLost: async () => {
        // The sender goes first: a reply being sent finishes, the rest waits in Redis for the new holder.
        await this.chatWorkers.close(config.jobs.shutdownGraceSeconds * 1000);
        for (const a of this.adapters.values()) await a.stop().catch(() => undefined);
      },
    });
    if (this.sources.length > 0) {
      this.sourcesLease = new Lease({
        ...leaseOpts,
        name: "gerrit-stream",
        onAcquired: async () => {
          for (const src of this.sources) await src.start();
        },
        onLost: async () => {
          for (const src of this.sources) await src.stop().catch(() => undefined);
        },
      });
    }
  }

  services(): CommandServices {
    return {
      status: () => this.status(),
      subscriptions: this.relay.subscriptions,
      ...(this.affected ? { affected: this.affected } : {}),
      ...this.oci.services,
      ...this.triage.services,
      ...(this.summary?.commandServices() ?? {}),
    };
  }

  /** change-merged: keep the clone current and (when configured) suggest or run rechecks. */
  private mergeHandler(): Handler<"merges"> {
    const { config } = this.opts.loaded;
    if (!this.affected) return async () => undefined;
    const room = config.recheck.suggestOnMerge.room;
    const target = room ? config.rooms[room] : undefined;
    return suggestRechecks({
      service: this.affected,
      outbox: this.outbox,
      commandPrefix: config.bot.commandPrefix,
      ...(target ? { target: { network: target.network, room: target.id } } : {}),
    });
  }

  /**
   * Every replica keeps its own clone, so each fetches on its own timer (a BullMQ scheduler would run on
   * one replica only); the Redis lock in MonorepoSync keeps the remote from being hammered.
   */
  private startMonorepoFetch(): void {
    const sync = this.monorepoSync;
    if (!sync) return;
    const fetch = () =>
      void sync
        .fetch()
        .catch((err: unknown) => this.opts.log.warn({ err: errorMessage(err) }, "monorepo fetch failed"));
    fetch();
    const every = this.opts.loaded.config.monorepo?.fetchMinutes ?? 0;
    if (every > 0) (this.fetchTimer = setInterval(fetch, every * 60_000)).unref();
  }

  /** Job schedulers: BullMQ runs each tick once however many replicas upsert the same scheduler. */
  private async startSchedulers(): Promise<void> {
    await this.oci.schedule();
    await this.triage.schedule();
    await scheduleWeeklySummary(this.queues.get("summary"), this.opts.loaded.config.summary);
  }

  async status(): Promise<StatusReport> {
    return {
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
      queues: await this.queues.counts(),
      lastEvents: await this.stats.lastEvents(["gerrit", "chat", "launchpad"]),
      networks: Object.fromEntries([...this.adapters.values()].map((a) => [a.network, a.isConnected()])),
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
    if (this.roles.has("workers")) this.startMonorepoFetch();
    this.opts.log.info(
      { networks: [...this.adapters.keys()], roles: [...this.roles] },
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
    );
    this.opts.log.info({ host: config.http.host, port: this.http.port }, "http listening");
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
    const chatHere = this.chatLease.held;
    for (const a of this.adapters.values()) checks[`chat:${a.network}`] = !chatHere || a.isConnected();
    const streamHere = this.sourcesLease?.held ?? false;
    for (const src of this.sources) checks[`source:${src.name}`] = !streamHere || src.connected();
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  /** Competes for the chat lease: the holder connects every network and sends; others stand by. */
  async startChat(): Promise<void> {
    if (!this.roles.has("chat") || this.leases.includes(this.chatLease)) return;
    this.leases.push(this.chatLease);
    await this.chatLease.start();
  }

  /** The leases this process competes for, and whether it holds each. */
  leaseState(): Record<string, boolean> {
    return Object.fromEntries(this.leases.map((l) => [l.name, l.held]));
  }

  /** Records an event and puts it on the queues its routes name. Sources call only this. */
  async ingest(event: BotEvent): Promise<QueueName[]> {
    this.metrics.events.inc({ source: event.source, kind: event.kind });
    // Bookkeeping is batched in memory (Stats); only the enqueue is a round trip on the hot path.
    this.stats.recordEvent(event);
    return this.queues.enqueueEvent(event);
  }

  private async onChatMessage(m: IncomingMessage): Promise<void> {
    const { config } = this.opts.loaded;
    if (m.fromBot || config.bot.ignoreUsers.includes(m.user)) return;
    if (!m.text.trimStart().startsWith(config.bot.commandPrefix)) return;
    const event: ChatCommandEvent = {
      source: "chat",
      kind: "chat.command",
      id: `chat:${m.network}:${m.room}:${m.id}`,
      network: m.network,
      room: m.room,
      user: m.user,
      text: m.text,
      createdOn: Math.floor(m.ts / 1000),
      ...(m.thread ? { thread: m.thread } : {}),
    };
    try {
      await this.ingest(event);
    } catch (err) {
      this.opts.log.error({ err: errorMessage(err), eventId: event.id }, "could not queue a chat command");
    }
  }

  /** Resolves when nothing is waiting, active or delayed (the demo waits for this before exiting). */
  async idle(timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const counts = await this.queues.counts();
      const busy = Object.values(counts).some(
        (c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) > 0,
      );
      if (!busy) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  /** Stops intake first, lets running jobs finish, then closes Redis. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.fetchTimer) clearInterval(this.fetchTimer);
      await this.sourcesLease?.stop();
      await this.http?.close();
      // Running jobs finish first (their replies still reach the adapters); new messages wait in Redis.
      await this.workers.close(this.opts.loaded.config.jobs.shutdownGraceSeconds * 1000);
      // Then the sender and the chat connections, releasing the lease so a standby takes over at once.
      await this.chatLease.stop();
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
