// Reads raw lines from `gerrit stream-events` over SSH (pinned host key), reconnecting forever with backoff.
import { createHash } from "node:crypto";
import ssh2 from "ssh2";
import type { ClientChannel, ConnectConfig } from "ssh2";
import { errorMessage } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";

const { Client, utils } = ssh2;
type SshClient = InstanceType<typeof Client>;

/** The server's host key did not match the pinned fingerprint: never connect to it. */
export class HostKeyMismatchError extends Error {
  override readonly name = "HostKeyMismatchError";
}

export interface GerritStreamOptions {
  host: string;
  port?: number;
  user: string;
  privateKey: Buffer;
  passphrase?: string;
  /** `SHA256:<base64>` as `ssh-keygen -lf` prints it (trailing `=` accepted). */
  hostKeyFingerprint: string;
  onLine: (line: string) => void;
  onConnected?: () => void;
  /** Called when an attempt ends; `wasConnected` says whether onConnected had been called for it. */
  onDisconnected?: (err: Error, wasConnected: boolean) => void;
  log?: Logger;
  command?: string;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Reconnect when no byte has arrived on the stream for this long (stalled streams answer keepalives). */
  watchdogMs?: number;
  readyTimeoutMs?: number;
  /** A drop of an established connection is retried after this plus jitter; failures to connect back off from it. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Longer lines are discarded and counted: a bounded buffer even if the server misbehaves. */
  maxLineBytes?: number;
  /** Test-only: injected clock (ms) and random source for jitter. */
  now?: () => number;
  random?: () => number;
}

export interface GerritStreamState {
  connected: boolean;
  connectedSince: number | null;
  /** Reconnect attempts scheduled since start (each one after a failure or drop). */
  reconnects: number;
  lastLineAt: number | null;
  lines: number;
  linesTooLong: number;
  hostKeyRejections: number;
  lastError: string | null;
  /** Failures to connect in a row (0 after any attempt that got the stream). */
  connectFailures: number;
  /** The wait before the reconnect scheduled last (ms). */
  retryDelayMs: number | null;
}

/** `SHA256:<base64 without padding>` of a raw SSH public key blob, as OpenSSH prints it. */
export function sshFingerprint(rawKey: Buffer): string {
  return `SHA256:${createHash("sha256").update(rawKey).digest("base64").replace(/=+$/, "")}`;
}

export function normaliseFingerprint(fp: string): string {
  return fp.trim().replace(/=+$/, "");
}

/** Exponential backoff with full jitter (uniform in [0, min(max, base·2^attempt))). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * When to try again after an attempt ended. A connection that had been established and dropped is retried
 * quickly (base plus up to base of jitter), however often that happens: backfill recovers the gap, so a room
 * should not go quiet for a minute. Only failures to connect in a row back off exponentially (full jitter,
 * capped), so a Gerrit that is down is not hammered.
 */
export function reconnectDelay(
  wasConnected: boolean,
  failuresBefore: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): { delayMs: number; failures: number } {
  if (wasConnected) return { delayMs: baseMs + Math.floor(random() * baseMs), failures: 0 };
  return { delayMs: backoffDelay(failuresBefore, baseMs, maxMs, random), failures: failuresBefore + 1 };
}

/**
 * Splits a byte stream into lines. Works on bytes so a UTF-8 character cut across chunks is decoded
 * whole; an over-long line is dropped (and reported) rather than growing the buffer without bound.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      this.append(chunk.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  private append(piece: Buffer): void {
    if (this.discarding || piece.length === 0) return;
    if (this.size + piece.length > this.maxBytes) {
      this.parts = [];
      this.size = 0;
      this.discarding = true;
      this.onTooLong();
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private flush(): void {
    const wasDiscarding = this.discarding;
    this.discarding = false;
    if (wasDiscarding) return;
    let line = Buffer.concat(this.parts, this.size).toString("utf8");
    this.parts = [];
    this.size = 0;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() !== "") this.onLine(line);
  }
}

type Optional = "onConnected" | "onDisconnected" | "log" | "passphrase";
type Resolved = Required<Omit<GerritStreamOptions, Optional>> & Pick<GerritStreamOptions, Optional>;

const DEFAULTS = {
  port: 29418,
  command: "gerrit stream-events",
  keepaliveIntervalMs: 30_000,
  keepaliveCountMax: 3,
  watchdogMs: 10 * 60_000,
  readyTimeoutMs: 20_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  maxLineBytes: 8 * 1024 * 1024,
  now: Date.now,
  random: Math.random,
};

export class GerritStream {
  private readonly o: Resolved;
  private readonly st: GerritStreamState = {
    connected: false,
    connectedSince: null,
    reconnects: 0,
    lastLineAt: null,
    lines: 0,
    linesTooLong: 0,
    hostKeyRejections: 0,
    lastError: null,
    connectFailures: 0,
    retryDelayMs: null,
  };
  private client: SshClient | undefined;
  /** Bumped per attempt so late events from an old connection are ignored. */
  private generation = 0;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastByteAt = 0;
  /** Ends the current attempt through the normal disconnect path (used by the watchdog). */
  private endCurrent: ((err: Error) => void) | undefined;

  constructor(opts: GerritStreamOptions) {
    // An option given as undefined (e.g. straight from optional config) keeps its default.
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.o = { ...DEFAULTS, ...(given as unknown as GerritStreamOptions) };
    // A bad key is a configuration mistake: fail at start-up, not in every reconnect.
    const parsed = utils.parseKey(this.o.privateKey, this.o.passphrase);
    if (parsed instanceof Error) throw new Error(`Gerrit SSH private key is unusable: ${parsed.message}`);
  }

  get state(): Readonly<GerritStreamState> {
    return { ...this.st };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const c = this.client;
    this.closeCurrent();
    if (!c) return;
    await new Promise<void>((resolve) => {
      const done = setTimeout(resolve, 1_000);
      c.once("close", () => {
        clearTimeout(done);
        resolve();
      });
    });
  }

  private connect(): void {
    // Always close the old connection first: a leaked one keeps a stream-events session open on Gerrit.
    this.closeCurrent();
    const gen = ++this.generation;
    const client = new Client();
    this.client = client;
    let wasConnected = false;
    let hostKeyError: HostKeyMismatchError | undefined;
    let stderr = "";
    let ended = false;

    const end = (err: Error): void => {
      if (ended || gen !== this.generation) return;
      ended = true;
      this.onEnded(hostKeyError ?? err, wasConnected);
    };
    this.endCurrent = end;

    const pinned = normaliseFingerprint(this.o.hostKeyFingerprint);
    const cfg: ConnectConfig = {
      host: this.o.host,
      port: this.o.port,
      username: this.o.user,
      privateKey: this.o.privateKey,
      keepaliveInterval: this.o.keepaliveIntervalMs,
      keepaliveCountMax: this.o.keepaliveCountMax,
      readyTimeout: this.o.readyTimeoutMs,
      hostVerifier: (key: Buffer): boolean => {
        const seen = sshFingerprint(key);
        if (seen === pinned) return true;
        this.st.hostKeyRejections++;
        hostKeyError = new HostKeyMismatchError(
          `Gerrit SSH host key for ${this.o.host}:${this.o.port} is ${seen}, but the pinned fingerprint is ` +
            `${pinned}; refusing to connect (if the key really changed, update gerrit.ssh.hostKeyFingerprint)`,
        );
        this.o.log?.error({ host: this.o.host, port: this.o.port, seen, pinned }, hostKeyError.message);
        return false;
      },
    };
    if (this.o.passphrase !== undefined) cfg.passphrase = this.o.passphrase;

    client.on("error", (err) => end(err));
    client.on("close", () =>
      end(new Error(stderr ? `connection closed: ${stderr.trim()}` : "connection closed")),
    );
    client.on("ready", () => {
      client.exec(this.o.command, (err, channel: ClientChannel) => {
        if (gen !== this.generation) return;
        if (err) return end(new Error(`exec "${this.o.command}" failed: ${errorMessage(err)}`));
        wasConnected = true;
        this.lastByteAt = this.o.now();
        this.st.connected = true;
        this.st.connectedSince = this.lastByteAt;
        this.o.log?.info({ host: this.o.host, port: this.o.port }, "gerrit stream-events connected");
        this.startWatchdog(gen);
        const splitter = new LineSplitter(
          this.o.maxLineBytes,
          (line) => this.deliver(line),
          () => {
            this.st.linesTooLong++;
            this.o.log?.warn({ maxLineBytes: this.o.maxLineBytes }, "gerrit stream line too long; dropped");
          },
        );
        // Read in a tight loop and hand lines over synchronously: Gerrit drops events for slow readers.
        channel.on("data", (chunk: Buffer) => {
          if (gen !== this.generation) return;
          this.lastByteAt = this.o.now();
          splitter.push(chunk);
        });
        channel.stderr.on("data", (chunk: Buffer) => {
          if (stderr.length < 4096) stderr += chunk.toString("utf8");
        });
        channel.on("close", (code: number | null) => {
          const why = stderr.trim() || `exit code ${code ?? "none"}`;
          end(new Error(`stream-events ended: ${why}`));
        });
        this.safely("onConnected", () => this.o.onConnected?.());
      });
    });
    try {
      client.connect(cfg);
    } catch (e) {
      // Let the current call stack finish before the reconnect path runs.
      queueMicrotask(() => end(e instanceof Error ? e : new Error(String(e))));
      return;
    }
    // The handshake is a series of small round trips; Nagle would add delayed-ACK waits to each.
    client.setNoDelay(true);
  }

  private deliver(line: string): void {
    this.st.lines++;
    this.st.lastLineAt = this.o.now();
    this.safely("onLine", () => this.o.onLine(line));
  }

  /** A faulty callback must never stop the reader or the reconnect loop. */
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.o.log?.error({ err: errorMessage(e) }, `${what} callback threw`);
    }
  }

  private startWatchdog(gen: number): void {
    clearInterval(this.watchdog);
    const every = Math.max(10, Math.min(this.o.watchdogMs / 4, 30_000));
    this.watchdog = setInterval(() => {
      if (gen !== this.generation) return;
      const idle = this.o.now() - this.lastByteAt;
      if (idle < this.o.watchdogMs) return;
      this.o.log?.warn({ idleMs: idle }, "gerrit stream silent too long; reconnecting");
      this.endCurrent?.(new Error(`no data for ${Math.round(idle / 1000)} s (watchdog)`));
    }, every);
    this.watchdog.unref();
  }

  private onEnded(err: Error, wasConnected: boolean): void {
    this.st.connected = false;
    this.st.connectedSince = null;
    this.st.lastError = err.message;
    clearInterval(this.watchdog);
    this.closeCurrent();
    this.safely("onDisconnected", () => this.o.onDisconnected?.(err, wasConnected));
    if (this.stopped) return;
    const next = reconnectDelay(
      wasConnected,
      this.st.connectFailures,
      this.o.backoffBaseMs,
      this.o.backoffMaxMs,
      this.o.random,
    );
    const delay = next.delayMs;
    this.st.connectFailures = next.failures;
    this.st.retryDelayMs = delay;
    this.st.reconnects++;
    this.o.log?.warn(
      { err: err.message, failures: next.failures, delayMs: delay, reconnects: this.st.reconnects },
      "gerrit stream disconnected; reconnecting",
    );
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private closeCurrent(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.endCurrent = undefined;
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // Later events from this client belong to an old generation and are ignored.
    this.generation++;
    this.st.connected = false;
    c.on("error", () => undefined);
    try {
      c.end();
    } finally {
      c.destroy();
    }
  }
}
