// The Slack adapter (@slack/bolt): Socket Mode or verified HTTP, !commands, mentions, /sunbeam, threads, DMs.
import { App, LogLevel, SocketModeReceiver, webApi, type Logger as BoltLogger } from "@slack/bolt";
import type { ChatAdapter, ChatMessage, IncomingMessage, SendOptions, SentMessage } from "./adapter.js";
import { fitRendered, SLACK_MAX_CHARS, toSlackMrkdwn } from "./format.js";
import { SlackHttpReceiver } from "./slack-http.js";
import type { Logger } from "../core/log.js";
import { errorMessage, PermanentError, RetryLaterError } from "../core/errors.js";

export interface SlackOptions {
  /** xoxb- bot token (chat:write, channels:history, groups:history, im:history, app_mentions:read, im:write, commands). */
  botToken: string;
  /** xapp- app-level token with connections:write; required in Socket Mode. */
  appToken?: string;
  /** Required in HTTP mode. */
  signingSecret?: string;
  mode?: "socket" | "http";
  /** HTTP mode: where the receiver listens (default 127.0.0.1:3000, path /slack/events). */
  port?: number;
  host?: string;
  path?: string;
  /** Web API base URL (tests point it at a fake; it also serves apps.connections.open). */
  slackApiUrl?: string;
  ignoreUsers?: string[];
  commandPrefix?: string;
  slashCommand?: string;
  log: Logger;
  /** HTTP mode clock, for tests of the timestamp window. */
  now?: () => number;
}

/** A tiny LRU: Map keeps insertion order, so the first key is the least recently set. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    return this.map.get(k);
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

/** Slack's markup in incoming text: `<url|label>` → url, `<#C1|name>` → #name, then &amp; &lt; &gt; unescaped. */
export function fromSlackText(text: string): string {
  return text
    .replace(/<(https?:\/\/[^|>]+)(?:\|[^>]*)?>/g, "$1")
    .replace(/<mailto:([^|>]+)(?:\|[^>]*)?>/g, "$1")
    .replace(/<#[A-Z0-9]+\|([^>]+)>/g, "#$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** `!name args` stays; `<@BOT> name args` (a mention) becomes `!name args`; anything else is left as is. */
export function commandText(raw: string, botUserId: string | undefined, prefix: string): string {
  const text = raw.trim();
  const mention = botUserId ? new RegExp(`^<@${botUserId}(?:\\|[^>]*)?>[\\s:,]*`) : undefined;
  const m = mention?.exec(text);
  if (!m) return fromSlackText(text);
  const rest = fromSlackText(text.slice(m[0].length).trim());
  if (!rest) return `${prefix}help`;
  return rest.startsWith(prefix) ? rest : `${prefix}${rest}`;
}

/** Slack errors a retry cannot fix: the job fails at once instead of retrying for hours. */
const PERMANENT = new Set([
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "msg_too_long",
  "no_text",
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "missing_scope",
  "restricted_action",
  "invalid_arguments",
  "user_not_found",
  "users_not_found",
  "cannot_dm_bot",
]);

export function classifySlackError(err: unknown): Error {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string } };
  if (e.code === webApi.ErrorCode.RateLimitedError)
    return new RetryLaterError("slack: rate limited", Math.max(1, e.retryAfter ?? 1) * 1000);
  const code = e.data?.error;
  if (e.code === webApi.ErrorCode.PlatformError && code && PERMANENT.has(code))
    return new PermanentError(`slack: ${code}`);
  return err instanceof Error ? err : new Error(errorMessage(err));
}

/** Bolt's logger interface over pino; Bolt's chatter goes to debug. */
function boltLogger(log: Logger): BoltLogger {
  const fmt = (m: unknown[]) => m.map((x) => (typeof x === "string" ? x : errorMessage(x))).join(" ");
  return {
    debug: (...m: unknown[]) => log.debug(fmt(m)),
    info: (...m: unknown[]) => log.debug(fmt(m)),
    warn: (...m: unknown[]) => log.warn(fmt(m)),
    error: (...m: unknown[]) => log.error(fmt(m)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** The fields of a message or app_mention event this adapter reads. */
interface SlackEvent {
  type?: string;
  subtype?: string;
  channel?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
}

/** Message subtypes that are someone saying something (edits, joins and deletions are not). */
const SPOKEN = new Set([undefined, "thread_broadcast", "file_share", "bot_message"]);

export class SlackAdapter implements ChatAdapter {
  readonly network = "slack";
  readonly threads = true;
  private app: App | undefined;
  private http: SlackHttpReceiver | undefined;
  private web: webApi.WebClient | undefined;
  private botUserId: string | undefined;
  private botId: string | undefined;
  private socketUp = false;
  /** Slack has no idempotency key: a repeated send id returns the ts of the first post. */
  private readonly sentTs = new Lru<string>(2000);
  /** A mention arrives as both `message` and `app_mention`: deliver it once. */
  private readonly seen = new Lru<true>(2000);
  private readonly dmChannels = new Map<string, string>();
  private readonly prefix: string;

  constructor(private readonly opts: SlackOptions) {
    this.prefix = opts.commandPrefix ?? "!";
  }

  async start(onMessage: (msg: IncomingMessage) => void | Promise<void>): Promise<void> {
    const o = this.opts;
    // Rate limits go back to the chat-out queue as RetryLaterError instead of sleeping inside the client.
    const clientOptions = () => ({
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      // A post that never gets an answer would hold the room's sender forever: give up, let the queue retry.
      timeout: 30_000,
      ...(o.slackApiUrl ? { slackApiUrl: o.slackApiUrl } : {}),
    });
    const logger = boltLogger(o.log);
    this.web = new webApi.WebClient(o.botToken, { ...clientOptions(), logger });
    const auth = await this.web.auth.test();
    this.botUserId = auth.user_id;
    this.botId = auth.bot_id;
    const base = {
      token: o.botToken,
      // Known ids: Bolt's ignoreSelf works without a second auth.test.
      ...(auth.user_id ? { botUserId: auth.user_id } : {}),
      ...(auth.bot_id ? { botId: auth.bot_id } : {}),
      tokenVerificationEnabled: false,
      clientOptions: clientOptions(),
      logger,
    };
    if (o.mode === "http") {
      if (!o.signingSecret) throw new PermanentError("slack: HTTP mode needs a signing secret");
      this.http = new SlackHttpReceiver({
        signingSecret: o.signingSecret,
        port: o.port ?? 3000,
        host: o.host ?? "127.0.0.1",
        path: o.path ?? "/slack/events",
        log: o.log,
        ...(o.now ? { now: o.now } : {}),
      });
      this.app = new App({ ...base, receiver: this.http });
    } else {
      if (!o.appToken) throw new PermanentError("slack: Socket Mode needs an app-level token");
      const receiver = new SocketModeReceiver({
        appToken: o.appToken,
        logger,
        installerOptions: { clientOptions: clientOptions() },
      });
      receiver.client.on("connected", () => (this.socketUp = true));
      for (const s of ["disconnected", "reconnecting", "disconnecting"])
        receiver.client.on(s, () => (this.socketUp = false));
      this.app = new App({ ...base, receiver, socketMode: true });
    }
    this.listen(this.app, onMessage);
    await this.app.start();
    if (o.mode !== "http") this.socketUp = true;
    o.log.info({ mode: o.mode ?? "socket", botUserId: this.botUserId }, "slack connected");
  }

  private listen(app: App, onMessage: (msg: IncomingMessage) => void | Promise<void>): void {
    const deliver = async (m: IncomingMessage) => {
      try {
        await onMessage(m);
      } catch (err) {
        this.opts.log.error({ err: errorMessage(err), room: m.room }, "slack message handler failed");
      }
    };
    app.message(async ({ message }) => {
      const m = this.toIncoming(message as SlackEvent);
      if (m) await deliver(m);
    });
    app.event("app_mention", async ({ event }) => {
      const m = this.toIncoming(event as SlackEvent);
      if (m) await deliver(m);
    });
    app.command(this.opts.slashCommand ?? "/sunbeam", async ({ command, ack }) => {
      // Slack shows an error unless the command is acked within 3 s: ack first, answer through the queue.
      await ack();
      const args = fromSlackText(command.text ?? "").trim();
      await deliver({
        network: this.network,
        room: command.channel_id,
        user: command.user_id,
        text: `${this.prefix}${args || "help"}`,
        id: `slash-${command.trigger_id}`,
        ts: Date.now(),
      });
    });
    app.error(async (err) => {
      this.opts.log.warn({ err: errorMessage(err) }, "slack listener error");
    });
  }

  /** A message event as an IncomingMessage; undefined for own messages, edits, joins and duplicates. */
  private toIncoming(ev: SlackEvent): IncomingMessage | undefined {
    if (!ev.channel || !ev.ts || !SPOKEN.has(ev.subtype)) return undefined;
    if ((ev.user && ev.user === this.botUserId) || (ev.bot_id && ev.bot_id === this.botId)) return undefined;
    const key = `${ev.channel}:${ev.ts}`;
    if (this.seen.get(key)) return undefined;
    this.seen.set(key, true);
    const user = ev.user ?? ev.bot_id ?? "unknown";
    const ignored = this.opts.ignoreUsers ?? [];
    const fromBot = Boolean(ev.bot_id) || ev.subtype === "bot_message" || ignored.includes(user);
    return {
      network: this.network,
      room: ev.channel,
      user,
      text: commandText(ev.text ?? "", this.botUserId, this.prefix),
      id: ev.ts,
      ts: Math.round(Number(ev.ts) * 1000),
      ...(ev.thread_ts ? { thread: ev.thread_ts } : {}),
      ...(fromBot ? { fromBot: true } : {}),
    };
  }

  private client(): webApi.WebClient {
    if (!this.web) throw new Error("slack adapter not started");
    return this.web;
  }

  async send(room: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    if (opts.sendId) {
      const earlier = this.sentTs.get(opts.sendId);
      if (earlier) return { id: earlier };
    }
    const fitted = fitRendered(message.text, SLACK_MAX_CHARS, (t) => toSlackMrkdwn(t).length);
    let ts: string | undefined;
    try {
      const res = await this.client().chat.postMessage({
        channel: room,
        text: toSlackMrkdwn(fitted),
        mrkdwn: true,
        unfurl_links: false,
        unfurl_media: false,
        ...(opts.thread ? { thread_ts: opts.thread } : {}),
      });
      ts = res.ts;
    } catch (err) {
      throw classifySlackError(err);
    }
    if (opts.sendId && ts) this.sentTs.set(opts.sendId, ts);
    return ts ? { id: ts } : {};
  }

  async sendDirect(user: string, message: ChatMessage, opts: SendOptions = {}): Promise<SentMessage> {
    let channel = this.dmChannels.get(user);
    if (!channel) {
      try {
        const res = await this.client().conversations.open({ users: user });
        channel = res.channel?.id;
      } catch (err) {
        throw classifySlackError(err);
      }
      if (!channel) throw new PermanentError(`slack: no DM channel for ${user}`);
      this.dmChannels.set(user, channel);
    }
    return this.send(channel, message, opts);
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    this.socketUp = false;
    await app
      ?.stop()
      .catch((err: unknown) => this.opts.log.warn({ err: errorMessage(err) }, "slack stop failed"));
  }

  isConnected(): boolean {
    if (this.opts.mode === "http") return this.http?.listening ?? false;
    return this.app !== undefined && this.socketUp;
  }

  /** HTTP mode: the port the receiver listens on (useful with port 0). */
  get httpPort(): number {
    return this.http?.port ?? 0;
  }
}
