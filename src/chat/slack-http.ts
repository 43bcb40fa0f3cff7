// Slack HTTP mode: a Bolt receiver that checks the v0 signature over the raw body (±5 min) before parsing.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { App, Receiver } from "@slack/bolt";
import type { Logger } from "../core/log.js";
import { errorMessage } from "../core/errors.js";
import { limitListener, parseRequestTarget, readBody } from "../core/http-server.js";

/**
 * Slack's own payloads are small (events, slash commands, interactions: a few KiB); nothing unsigned may
 * make the bot hold more than this. The body is read only after the signature headers look right.
 */
export const SLACK_MAX_BODY_BYTES = 64 * 1024;
/** Slack sends each request at once; a client that dribbles is not Slack. */
export const SLACK_LIMITS = { headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, idleTimeoutMs: 10_000 };
const SLACK_BODY_TIMEOUT_MS = 5_000;

/** Slack's window: requests signed more than five minutes away from now (either way) are replays or junk. */
export const SLACK_MAX_SKEW_SECONDS = 300;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks `X-Slack-Signature` (`v0=<hex HMAC-SHA256(secret, "v0:" + ts + ":" + body)>`) in constant time,
 * and rejects timestamps more than five minutes in the past or the future (Bolt only rejects stale ones).
 */
export function verifySlackSignature(p: {
  signingSecret: string;
  rawBody: string | Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
}): VerifyResult {
  if (!p.timestamp || !/^\d{1,12}$/.test(p.timestamp))
    return { ok: false, reason: "missing or bad timestamp" };
  const skew = Math.abs(p.nowMs / 1000 - Number(p.timestamp));
  if (skew > SLACK_MAX_SKEW_SECONDS) return { ok: false, reason: "timestamp outside the 5 minute window" };
  if (!p.signature || !/^v0=[0-9a-f]{64}$/.test(p.signature))
    return { ok: false, reason: "missing or bad signature" };
  const mac = createHmac("sha256", p.signingSecret);
  mac.update(`v0:${p.timestamp}:`);
  mac.update(p.rawBody);
  const expected = Buffer.from(`v0=${mac.digest("hex")}`, "utf8");
  const given = Buffer.from(p.signature, "utf8");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "signature mismatch" };
  return { ok: true };
}

/** A request body as Bolt wants it: JSON events, form-encoded slash commands, or `payload=` interactions. */
export function parseSlackBody(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.includes("application/json")) return JSON.parse(raw) as Record<string, unknown>;
  const form = Object.fromEntries(new URLSearchParams(raw));
  if (typeof form.payload === "string") return JSON.parse(form.payload) as Record<string, unknown>;
  return form;
}

export interface SlackHttpOptions {
  signingSecret: string;
  port: number;
  host: string;
  path: string;
  log: Logger;
  maxBytes?: number;
  now?: () => number;
}

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;

  constructor(private readonly opts: SlackHttpOptions) {}

  init(app: App): void {
    this.app = app;
  }

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === "object" && addr ? addr.port : 0;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async start(): Promise<Server> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.log.warn({ err: errorMessage(err) }, "slack http request failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    limitListener(server, SLACK_LIMITS);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = parseRequestTarget(req.url)?.path;
    if (req.method !== "POST" || path !== this.opts.path) return void res.writeHead(404).end();
    const signed = {
      signingSecret: this.opts.signingSecret,
      timestamp: header(req, "x-slack-request-timestamp"),
      signature: header(req, "x-slack-signature"),
      nowMs: (this.opts.now ?? Date.now)(),
    };
    // Everything the signature can be judged on without the body first: an unsigned, stale or malformed
    // request is refused before a byte of its body is read.
    const early = verifySlackSignature({ ...signed, signingSecret: "", rawBody: "" });
    if (!early.ok && early.reason !== "signature mismatch") {
      this.opts.log.warn({ reason: early.reason }, "slack request rejected");
      res.writeHead(401, { connection: "close" }).end();
      return;
    }
    const got = await readBody(req, {
      maxBytes: this.opts.maxBytes ?? SLACK_MAX_BODY_BYTES,
      timeoutMs: SLACK_BODY_TIMEOUT_MS,
    });
    if (!got.ok) {
      if (!res.destroyed) res.writeHead(got.status, { connection: "close" }).end();
      return;
    }
    const raw = got.body;
    const verdict = verifySlackSignature({ ...signed, rawBody: raw });
    if (!verdict.ok) {
      this.opts.log.warn({ reason: verdict.reason }, "slack request rejected");
      return void res.writeHead(401).end();
    }
    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(header(req, "content-type") ?? "", raw.toString("utf8"));
    } catch {
      return void res.writeHead(400).end();
    }
    if (body.type === "url_verification") {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ challenge: body.challenge }));
    }
    let acked = false;
    const ack = async (response?: unknown): Promise<void> => {
      if (acked || res.headersSent) return;
      acked = true;
      if (response === undefined || response === "") res.writeHead(200).end();
      else if (typeof response === "string")
        res.writeHead(200, { "content-type": "text/plain" }).end(response);
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(response));
    };
    const retryNum = Number(header(req, "x-slack-retry-num") ?? "");
    const retryReason = header(req, "x-slack-retry-reason");
    if (!this.app) throw new Error("slack receiver not initialised");
    await this.app.processEvent({
      body,
      ack,
      ...(Number.isFinite(retryNum) && retryNum > 0 ? { retryNum } : {}),
      ...(retryReason ? { retryReason } : {}),
    });
    // Events are acked by Bolt itself; anything no listener acked still gets its 200 so Slack does not retry.
    await ack();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
