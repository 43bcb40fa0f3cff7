// Gerrit webhooks plugin receiver: same JSON as the stream; secret required; 2xx only once stored in Redis.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BotEvent } from "../../core/events.js";
import type { Logger } from "../../core/log.js";
import { errorMessage } from "../../core/errors.js";
import { parseGerritObject } from "./parse.js";

export interface WebhookOptions {
  secret: string;
  maxBytes: number;
  ingest(event: BotEvent): Promise<unknown>;
  log: Logger;
}

/** The plugin cannot sign requests, so the secret may come as a query parameter, a header or a bearer token. */
function presentedSecret(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? "/", "http://x");
  const q = url.searchParams.get("secret");
  if (q) return q;
  const h = req.headers["x-webhook-secret"];
  if (typeof h === "string") return h;
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7);
  return undefined;
}

export function secretMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export function gerritWebhook(opts: WebhookOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== "POST") return reply(res, 405, { error: "POST only" });
    if (!secretMatches(opts.secret, presentedSecret(req))) {
      opts.log.warn({ remote: req.socket.remoteAddress }, "webhook without the right secret");
      req.resume();
      return reply(res, 401, { error: "missing or wrong secret" });
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > opts.maxBytes) {
      req.resume();
      return reply(res, 413, { error: `body over ${opts.maxBytes} bytes` });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > opts.maxBytes) tooBig = true;
      else chunks.push(c);
    });
    req.on("end", () => {
      if (tooBig) return reply(res, 413, { error: `body over ${opts.maxBytes} bytes` });
      void handleBody(Buffer.concat(chunks).toString("utf8"), opts, res);
    });
  };
}

async function handleBody(text: string, opts: WebhookOptions, res: ServerResponse): Promise<void> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return reply(res, 400, { error: `invalid JSON: ${errorMessage(err)}` });
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    return reply(res, 400, { error: "not a JSON object" });
  const parsed = parseGerritObject(obj as Record<string, unknown>, text);
  if (!parsed.ok) return reply(res, 400, { error: parsed.error });
  try {
    await opts.ingest(parsed.event);
  } catch (err) {
    // Not stored: the plugin retries on 5xx, so nothing is lost.
    opts.log.error({ err: errorMessage(err), eventId: parsed.event.id }, "could not store a webhook event");
    return reply(res, 503, { error: "could not store the event; retry" });
  }
  reply(res, 202, { id: parsed.event.id, kind: parsed.event.kind });
}
