// The Gerrit source: SSH stream-events, typed and taken in, with a REST backfill after every gap.
import type { Redis } from "ioredis";
import type { GerritClient } from "./client.js";
import type { GerritEvent } from "../../core/events.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import { keyFor } from "../../core/redis.js";
import { errorMessage } from "../../core/errors.js";
import { fetchMissedEvents } from "./backfill.js";
import { parseGerritLine } from "./parse.js";
import { SeenEvents } from "./seen.js";
import { GerritStream, type GerritStreamOptions } from "./stream.js";
import type { Source, SourceStatus } from "../../core/source.js";
import type { GerritConfig } from "./config.js";

export interface GerritSourceOptions {
  stream: Omit<GerritStreamOptions, "onLine" | "onConnected" | "onDisconnected" | "log">;
  /** REST client for backfill; without one, gaps are logged but cannot be filled. */
  client?: Pick<GerritClient, "queryChanges">;
  /** Restricts the backfill query, e.g. ["openstack/sunbeam-charms"]; empty: everything visible. */
  projects: string[];
  webUrl: string;
  ingest(event: GerritEvent): Promise<unknown>;
  redis: Redis;
  prefix: string;
  log: Logger;
  metrics?: Metrics;
  /** The bot's counters (src/stats.ts): reconnects and connected time, for the weekly summary. */
  stats?: { incr(counter: string, by?: number): Promise<void> };
  /** Lines waiting to be taken in; past this (Redis far behind), lines are dropped and backfilled later. */
  maxPending?: number;
  /** Delay before retrying a failed backfill or a failed write. */
  retryMs?: number;
}

interface Counters {
  reconnects: number;
  backfilled: number;
  droppedOutput: number;
  malformed: number;
  unknown: number;
  dropped: number;
}

export class GerritSource implements Source {
  readonly name = "gerrit";
  private readonly stream: GerritStream;
  private readonly seen: SeenEvents;
  private readonly pending: string[] = [];
  private draining: Promise<void> | undefined;
  private backfilling: Promise<void> | undefined;
  private backfillAgain = false;
  private hadConnection = false;
  private stopped = false;
  /** When the stream connected (ms), moved forward as connected seconds are credited; 0 when down. */
  private connectedSince = 0;
  private uptimeTimer: NodeJS.Timeout | undefined;
  private cursor = 0;
  /**
   * Where the oldest gap not yet backfilled starts (the cursor when it opened), until a backfill covering
   * it succeeds. Live lines keep moving the cursor meanwhile (they arrive right after a reconnect or a
   * dropped-output), so the backfill starts here, and the stored cursor never passes it: a process that
   * dies before the backfill ends leaves the gap to the next one.
   */
  private gapFrom: number | undefined;
  /** Bumped at every gap: a backfill closes the gaps only if none opened while it ran. */
  private gaps = 0;
  private readonly counters: Counters = {
    reconnects: 0,
    backfilled: 0,
    droppedOutput: 0,
    malformed: 0,
    unknown: 0,
    dropped: 0,
  };

  constructor(private readonly o: GerritSourceOptions) {
    this.seen = new SeenEvents(o.redis, o.prefix);
    this.stream = new GerritStream({
      ...o.stream,
      log: o.log,
      // Only buffer here: the reader must never wait for Redis, or Gerrit drops events (dropped-output).
      onLine: (line) => this.onLine(line),
      onConnected: () => this.onConnected(),
      onDisconnected: (err, wasConnected) => this.onDisconnected(err, wasConnected),
    });
  }

  private get cursorKey(): string {
    return keyFor(this.o.prefix, "gerrit", "cursor");
  }

  async start(): Promise<void> {
    // Restartable: a replica that lost the stream lease and wins it back starts again.
    this.stopped = false;
    const stored = Number(await this.o.redis.get(this.cursorKey));
    // First start ever: begin now rather than backfilling all of history.
    this.cursor = Number.isFinite(stored) && stored > 0 ? stored : Math.floor(Date.now() / 1000);
    if (!(stored > 0)) await this.o.redis.set(this.cursorKey, String(this.cursor));
    this.hadConnection = stored > 0;
    this.gapFrom = undefined;
    this.stream.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.uptimeTimer) clearInterval(this.uptimeTimer);
    this.uptimeTimer = undefined;
    this.creditUptime();
    this.connectedSince = 0;
    await this.stream.stop();
    await this.draining;
    await this.backfilling;
  }

  connected(): boolean {
    return this.stream.state.connected;
  }

  private onLine(line: string): void {
    if (this.pending.length >= (this.o.maxPending ?? 10_000)) {
      this.counters.dropped += 1;
      // A lost line opens a gap; every line still pending is older than it, so today's cursor is safe.
      this.requestBackfill("overflow");
      return;
    }
    this.pending.push(line);
    this.kick();
  }

  /** Starts the drain loop unless it runs; a line that arrives as it finishes restarts it. */
  private kick(): void {
    if (this.draining || this.stopped) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.pending.length > 0) this.kick();
    });
  }

  /** Adds the whole seconds connected since the last credit to the uptime counter (kept across restarts). */
  private creditUptime(): void {
    if (!this.connectedSince || !this.o.stats) return;
    const seconds = Math.floor((Date.now() - this.connectedSince) / 1000);
    if (seconds <= 0) return;
    this.connectedSince += seconds * 1000;
    void this.o.stats.incr("gerrit:connected-seconds", seconds).catch(() => undefined);
  }

  private onConnected(): void {
    this.o.metrics?.gerritConnected.set(1);
    this.connectedSince = Date.now();
    if (!this.uptimeTimer && this.o.stats) {
      this.uptimeTimer = setInterval(() => this.creditUptime(), 60_000);
      this.uptimeTimer.unref();
    }
    // After a drop, or on a restart with a stored cursor: fetch what happened while we were away.
    if (this.hadConnection) this.requestBackfill("reconnected");
    this.hadConnection = true;
  }

  private onDisconnected(err: Error, wasConnected: boolean): void {
    this.o.metrics?.gerritConnected.set(0);
    if (wasConnected) {
      this.counters.reconnects += 1;
      this.o.metrics?.gerritReconnects.inc();
      this.creditUptime();
      this.connectedSince = 0;
      void this.o.stats?.incr("gerrit:reconnects").catch(() => undefined);
    }
    this.o.log.warn({ err: errorMessage(err), wasConnected }, "gerrit stream disconnected; reconnecting");
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.stopped) {
      const line = this.pending[0] as string;
      const parsed = parseGerritLine(line);
      if (!parsed.ok) {
        this.counters.malformed += 1;
        this.o.log.warn({ error: parsed.error, line: line.slice(0, 200) }, "malformed stream line skipped");
      } else if (parsed.event.kind === "gerrit.dropped-output") {
        this.counters.droppedOutput += 1;
        this.o.log.warn("gerrit dropped events for us (dropped-output): backfilling");
        this.requestBackfill("dropped-output");
      } else if (parsed.event.kind === "gerrit.unknown") {
        this.counters.unknown += 1;
        this.o.log.debug({ type: parsed.event.type }, "unknown gerrit event type");
      } else if (!(await this.acceptWithRetry(parsed.event))) {
        return; // stopped while Redis was unreachable: the line stays for backfill on the next start
      }
      this.pending.shift();
    }
  }

  /** Takes one event in; while Redis is unreachable it waits and tries again, so no line is lost. */
  private async acceptWithRetry(e: GerritEvent): Promise<boolean> {
    for (;;) {
      try {
        await this.accept(e);
        return true;
      } catch (err) {
        if (this.stopped) return false;
        this.o.log.warn({ err: errorMessage(err), eventId: e.id }, "could not take in an event; retrying");
        await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1000));
      }
    }
  }

  /** Returns true when the event was new. */
  private async accept(e: GerritEvent): Promise<boolean> {
    if (await this.seen.seen(e)) return false;
    await this.o.ingest(e);
    await this.seen.mark(e);
    if (e.createdOn !== null && e.createdOn > this.cursor && !e.backfilled) {
      this.cursor = e.createdOn;
      await this.storeCursor();
    }
    return true;
  }

  /** The cursor a restart may trust: never past a gap still waiting for its backfill. */
  private async storeCursor(): Promise<void> {
    await this.o.redis.set(this.cursorKey, String(Math.min(this.cursor, this.gapFrom ?? Infinity)));
  }

  private requestBackfill(reason: string): void {
    this.gapFrom = Math.min(this.gapFrom ?? this.cursor, this.cursor);
    this.gaps += 1;
    if (this.backfilling) {
      this.backfillAgain = true;
      return;
    }
    this.backfilling = this.backfill(reason).finally(() => {
      this.backfilling = undefined;
      if (this.backfillAgain && !this.stopped) {
        this.backfillAgain = false;
        this.requestBackfill("again");
      }
    });
  }

  private async backfill(reason: string): Promise<void> {
    if (!this.o.client) {
      this.o.log.warn({ reason }, "gap in the gerrit stream, but no REST client is configured to fill it");
      return;
    }
    // Let the live lines that arrived before the gap be taken in first; their ids dedupe the overlap.
    await this.draining;
    const since = Math.min(this.gapFrom ?? this.cursor, this.cursor);
    const gaps = this.gaps;
    try {
      const query = this.o.projects.length
        ? `(${this.o.projects.map((p) => `project:${p}`).join(" OR ")})`
        : undefined;
      const res = await fetchMissedEvents(this.o.client, {
        sinceSeconds: since,
        webUrl: this.o.webUrl,
        ...(query ? { query } : {}),
      });
      let fresh = 0;
      let newest = since;
      for (const e of res.events) {
        if (await this.accept(e)) fresh += 1;
        if (e.createdOn !== null) newest = Math.max(newest, e.createdOn);
      }
      if (newest > this.cursor) this.cursor = newest;
      // Every gap noted before this query is filled; one noted since keeps gapFrom for the next backfill.
      if (this.gaps === gaps) this.gapFrom = undefined;
      await this.storeCursor();
      this.counters.backfilled += fresh;
      this.o.metrics?.gerritBackfilled.inc(fresh);
      this.o.log.info(
        { reason, since, changes: res.changes, events: res.events.length, fresh, truncated: res.truncated },
        "gerrit backfill done",
      );
    } catch (err) {
      this.o.log.warn({ reason, err: errorMessage(err) }, "gerrit backfill failed; will retry");
      if (!this.stopped) {
        await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1000));
        this.backfillAgain = true;
      }
    }
  }

  async status(): Promise<SourceStatus> {
    const s = this.stream.state;
    const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : "never");
    const c = this.counters;
    return {
      title: "Gerrit stream",
      lines: [
        s.connected
          ? `connected since ${iso(s.connectedSince)}`
          : `DISCONNECTED${s.lastError ? ` (${s.lastError})` : ""}`,
        `last line ${iso(s.lastLineAt)}`,
        `reconnects ${c.reconnects}`,
        `events backfilled ${c.backfilled}`,
        `dropped-output seen ${c.droppedOutput}`,
        ...(c.malformed ? [`malformed lines ${c.malformed}`] : []),
      ],
    };
  }
}

/** Builds the source from the config's gerrit section (the caller reads the key file). */
export function gerritSourceFromConfig(
  g: GerritConfig,
  ssh: NonNullable<GerritConfig["ssh"]>,
  deps: Omit<GerritSourceOptions, "stream" | "projects" | "webUrl"> & {
    privateKey: Buffer;
    backoffMs?: { base: number; max: number };
  },
): GerritSource {
  const { privateKey, backoffMs, ...rest } = deps;
  return new GerritSource({
    ...rest,
    stream: {
      host: ssh.host,
      port: ssh.port,
      user: ssh.user,
      privateKey,
      hostKeyFingerprint: ssh.hostKeyFingerprint,
      keepaliveIntervalMs: ssh.keepaliveSeconds * 1000,
      ...(backoffMs ? { backoffBaseMs: backoffMs.base, backoffMaxMs: backoffMs.max } : {}),
    },
    projects: g.projects,
    webUrl: g.url,
    ...(backoffMs ? { retryMs: backoffMs.base } : {}),
  });
}
