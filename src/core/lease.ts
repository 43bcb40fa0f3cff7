// A Redis lease: at most one replica holds a named connection (the Gerrit stream, the chat networks) at a
// time; when the holder dies its lease expires and a standby takes over within the TTL.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import { keyFor, type Redis } from "./redis.js";

// Renew and release only what we still hold: another replica may own the key after an expiry.
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  redis: Redis;
  prefix: string;
  /** The resource, e.g. "gerrit-stream" or "chat". */
  name: string;
  ttlMs: number;
  log: Logger;
  /** Called once the lease is ours: connect. A throw releases the lease so another replica may try. */
  onAcquired(): Promise<void>;
  /** Called when the lease is lost or given up: disconnect. */
  onLost(): Promise<void>;
}

export class Lease {
  readonly key: string;
  readonly token = `${hostname()}:${process.pid}:${randomBytes(6).toString("hex")}`;
  private held_ = false;
  private lastRenewed = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** One tick at a time: a slow Redis must not make two ticks race on acquire/lose. */
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaseOptions) {
    this.key = keyFor(o.prefix, "lease", o.name);
  }

  get held(): boolean {
    return this.held_;
  }

  get name(): string {
    return this.o.name;
  }

  /** Who holds the lease now (a token naming host and pid), or null. */
  holder(): Promise<string | null> {
    return this.o.redis.get(this.key);
  }

  /** Starts trying to acquire (and then renewing) every third of the TTL. Resolves after the first try. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.ticking = this.ticking.then(() => this.tick()).finally(() => this.schedule());
      },
      Math.max(50, Math.floor(this.o.ttlMs / 3)),
    );
    this.timer.unref();
  }

  /**
   * Redis commands wait for a reconnect rather than fail (connectRedis): bound each one by a third of the TTL
   * so that a lease check always ends and an unreachable Redis counts as a failed renewal.
   */
  private bounded<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error("Redis did not answer")), Math.max(100, this.o.ttlMs / 3));
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.held_) {
        const ok = await this.bounded(
          this.o.redis.eval(RENEW, 1, this.key, this.token, String(this.o.ttlMs)),
        );
        if (ok === 1) this.lastRenewed = Date.now();
        else await this.lose("taken by another replica");
      } else {
        const ok = await this.bounded(this.o.redis.set(this.key, this.token, "PX", this.o.ttlMs, "NX"));
        if (ok === "OK") await this.acquire();
      }
    } catch (err) {
      // Redis unreachable: we cannot renew. Past the TTL another replica may hold it, so let go.
      if (this.held_ && Date.now() - this.lastRenewed >= this.o.ttlMs) {
        await this.lose(`could not renew: ${errorMessage(err)}`);
      } else this.o.log.warn({ lease: this.o.name, err: errorMessage(err) }, "lease check failed");
    }
  }

  private async acquire(): Promise<void> {
    this.held_ = true;
    this.lastRenewed = Date.now();
    this.o.log.info({ lease: this.o.name, token: this.token }, "lease acquired: this replica takes over");
    try {
      await this.o.onAcquired();
    } catch (err) {
      this.o.log.error({ lease: this.o.name, err: errorMessage(err) }, "could not start after acquiring");
      await this.lose("start failed");
    }
  }

  private async lose(why: string): Promise<void> {
    if (!this.held_) return;
    this.held_ = false;
    this.o.log.warn({ lease: this.o.name, why }, "lease lost: this replica stands by");
    await this.o
      .onLost()
      .catch((err: unknown) =>
        this.o.log.error({ lease: this.o.name, err: errorMessage(err) }, "stopping after lease loss failed"),
      );
    await this.bounded(this.o.redis.eval(RELEASE, 1, this.key, this.token)).catch(() => undefined);
  }

  /** Stops trying; if held, disconnects and releases at once so a standby need not wait for the TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    if (!this.held_) return;
    this.held_ = false;
    await this.o.onLost().catch(() => undefined);
    await this.bounded(this.o.redis.eval(RELEASE, 1, this.key, this.token)).catch(() => undefined);
  }
}
