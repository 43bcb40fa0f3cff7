// A fake Slack (node:http on 127.0.0.1): Web API methods, 429s on demand, and a Socket Mode WebSocket with acks.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { acceptWebSocket, type WsConnection } from "./ws-server.js";

export interface PostedMessage {
  channel: string;
  text: string;
  thread_ts?: string;
  ts: string;
  args: Record<string, string>;
}

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
}

/** The `v0` signature Slack puts in X-Slack-Signature for a request body sent at `timestamp` (seconds). */
export function signSlack(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly posted: PostedMessage[] = [];
  readonly calls: { method: string; args: Record<string, string> }[] = [];
  /** Socket Mode acks by envelope id (the payload the app answered with). */
  readonly acks = new Map<string, unknown>();
  /** Envelopes sent over the socket, in order. */
  readonly envelopes: string[] = [];
  private readonly rateLimits: number[] = [];
  /** Like Slack's ~1 message/s per channel: posts closer together than this get a 429 (0: off). */
  channelIntervalMs = 0;
  /** 429s answered, on demand or by the per-channel limit. */
  rateLimited = 0;
  private readonly lastPostAt = new Map<string, number>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private conns = new Set<WsConnection>();
  private port_ = 0;
  private seq = 0;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  private constructor(opts: FakeSlackOptions) {
    this.botToken = opts.botToken ?? "xoxb-fake-bot-token";
    this.appToken = opts.appToken ?? "xapp-fake-app-token";
    this.botUserId = opts.botUserId ?? "UBOT";
    this.botId = opts.botId ?? "BBOT";
    this.teamId = opts.teamId ?? "T0001";
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    this.server.on("upgrade", (req, socket) => {
      const conn = acceptWebSocket(req, socket, {
        onText: (_c, text) => this.onSocketText(text),
        onClose: (c) => {
          this.conns.delete(c);
          this.notify();
        },
      });
      if (!conn) return;
      this.conns.add(conn);
      conn.sendText(JSON.stringify({ type: "hello", num_connections: 1, connection_info: { app_id: "A1" } }));
      this.notify();
    });
  }

  static async start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
    const f = new FakeSlack(opts);
    await new Promise<void>((resolve) => f.server.listen(0, "127.0.0.1", () => resolve()));
    const addr = f.server.address();
    f.port_ = typeof addr === "object" && addr ? addr.port : 0;
    return f;
  }

  /** What the WebClient's `slackApiUrl` should be. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port_}/api/`;
  }

  get connections(): number {
    return this.conns.size;
  }

  /** The next `count` chat.postMessage calls answer 429 with this Retry-After (seconds). */
  rateLimitPosts(count: number, retryAfterSeconds: number): void {
    for (let i = 0; i < count; i++) this.rateLimits.push(retryAfterSeconds);
  }

  /** Delivers an Events API event (`message`, `app_mention`) over Socket Mode; returns its envelope id. */
  sendEvent(event: Record<string, unknown>): string {
    const id = this.nextEnvelope();
    this.broadcast({
      envelope_id: id,
      type: "events_api",
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: "",
      payload: {
        token: "verification-token",
        team_id: this.teamId,
        api_app_id: "A1",
        type: "event_callback",
        event_id: `Ev${id}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: this.teamId, user_id: this.botUserId, is_bot: true }],
        event: { event_ts: event.ts, ...event },
      },
    });
    return id;
  }

  /** Delivers a slash command over Socket Mode; returns its envelope id. */
  sendSlashCommand(cmd: { command?: string; text: string; user_id: string; channel_id: string }): string {
    const id = this.nextEnvelope();
    this.broadcast({
      envelope_id: id,
      type: "slash_commands",
      accepts_response_payload: true,
      payload: {
        token: "verification-token",
        team_id: this.teamId,
        api_app_id: "A1",
        command: cmd.command ?? "/sunbeam",
        text: cmd.text,
        user_id: cmd.user_id,
        user_name: cmd.user_id.toLowerCase(),
        channel_id: cmd.channel_id,
        channel_name: "chan",
        trigger_id: `trig.${id}`,
        response_url: `http://127.0.0.1:${this.port_}/response/${id}`,
      },
    });
    return id;
  }

  /** Resolves when check() holds; re-checked after every request, socket message and connection change. */
  waitUntil(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fake slack: timed out waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  waitForAck(envelopeId: string): Promise<void> {
    return this.waitUntil(() => this.acks.has(envelopeId), 10_000, `ack of ${envelopeId}`);
  }

  waitForPosts(n: number): Promise<void> {
    return this.waitUntil(() => this.posted.length >= n, 10_000, `${n} posted messages`);
  }

  /** Envelopes sent but never acked: Slack would redeliver them. */
  unacked(): string[] {
    return this.envelopes.filter((id) => !this.acks.has(id));
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.close(1001);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private nextEnvelope(): string {
    this.seq += 1;
    return `env-${this.seq}-${randomBytes(3).toString("hex")}`;
  }

  private broadcast(envelope: { envelope_id: string } & Record<string, unknown>): void {
    const conn = [...this.conns][0];
    if (!conn) throw new Error("fake slack: no Socket Mode connection");
    this.envelopes.push(envelope.envelope_id);
    conn.sendText(JSON.stringify(envelope));
  }

  private onSocketText(text: string): void {
    const msg = JSON.parse(text) as { envelope_id?: string; payload?: unknown };
    if (typeof msg.envelope_id === "string") this.acks.set(msg.envelope_id, msg.payload ?? {});
    this.notify();
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
  }

  private json(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
    this.notify();
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const u = new URL(req.url ?? "/", "http://x");
    const method = u.pathname.replace(/^\/api\//, "");
    const type = req.headers["content-type"] ?? "";
    const args: Record<string, string> = type.includes("json")
      ? (JSON.parse(raw || "{}") as Record<string, string>)
      : Object.fromEntries(new URLSearchParams(raw));
    this.calls.push({ method, args });
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "") || args.token;
    if (method === "apps.connections.open") {
      if (token !== this.appToken) return this.json(res, 200, { ok: false, error: "invalid_auth" });
      return this.json(res, 200, { ok: true, url: `ws://127.0.0.1:${this.port_}/link/?ticket=${this.seq}` });
    }
    if (token !== this.botToken) return this.json(res, 200, { ok: false, error: "invalid_auth" });
    switch (method) {
      case "auth.test":
        return this.json(res, 200, {
          ok: true,
          url: "https://fake.slack.com/",
          team: "Fake",
          user: "sunbeam",
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
        });
      case "chat.postMessage": {
        const retry = this.rateLimits.shift();
        if (retry !== undefined) {
          this.rateLimited += 1;
          return this.json(res, 429, { ok: false, error: "ratelimited" }, { "retry-after": String(retry) });
        }
        if (!args.channel) return this.json(res, 200, { ok: false, error: "channel_not_found" });
        const last = this.lastPostAt.get(args.channel);
        if (this.channelIntervalMs > 0 && last !== undefined && Date.now() - last < this.channelIntervalMs) {
          this.rateLimited += 1;
          return this.json(res, 429, { ok: false, error: "ratelimited" }, { "retry-after": "1" });
        }
        this.lastPostAt.set(args.channel, Date.now());
        this.seq += 1;
        const ts = `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, "0")}`;
        const m: PostedMessage = { channel: args.channel, text: args.text ?? "", ts, args };
        if (args.thread_ts) m.thread_ts = args.thread_ts;
        this.posted.push(m);
        return this.json(res, 200, { ok: true, channel: args.channel, ts, message: { text: m.text, ts } });
      }
      case "conversations.open": {
        const users = args.users ?? "";
        if (!users) return this.json(res, 200, { ok: false, error: "users_not_found" });
        return this.json(res, 200, { ok: true, channel: { id: `D${users.replace(/[^A-Z0-9]/gi, "")}` } });
      }
      default:
        return this.json(res, 200, { ok: false, error: "unknown_method" });
    }
  }
}
