// Gerrit webhooks plugin receiver: same JSON as the stream; secret required; 2xx only once stored in Redis.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BotEvent } from "../../core/events.js";
import type { Logger } from "../../core/log.js";
import { errorMessage } from "../../core/errors.js";
import { readBody, refuseBody } from "../../core/http-server.js";
import { parseGerritObject } from "./parse.js";

export interface WebhookOptions {
  secret: string;
  maxBytes: number;
  ingest(event: BotEvent): Promise<unknown>;
  log: Logger;
}

/** Shortest webhook secret accepted: a guessable one is no secret (config check names it). */
export const MIN_WEBHOOK_SECRET_LENGTH = 24;
/** How long a webhook body may take to arrive once its headers are in. */
const BODY_TIMEOUT_MS = 10_000;

/**
 * The secret from the `X-Webhook-Secret` header or a bearer token, never from the query string: a URL
 * ends up in access logs, proxies' logs and Gerrit's own plugin config listings.
 */
function presentedSecret(req: IncomingMessage): string | undefined {
  const h = req.headers["x-webhook-secret"];
  if (typeof h === "string") return h;
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7);
  return undefined;
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes before the comparison. */
export function secretMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined || expected.length === 0) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}

/** Why a configured secret is refused, or undefined when it is long enough. */
export function webhookSecretProblem(secret: string): string | undefined {
  return secret.length >= MIN_WEBHOOK_SECRET_LENGTH
    ? undefined
    : `is ${secret.length} characters; needs at least ${MIN_WEBHOOK_SECRET_LENGTH}`;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export function gerritWebhook(opts: WebhookOptions): (req: IncomingMessage, res: ServerResponse) => void {
  // A short secret never guards the route: refused here as well as by config check.
  const weak = webhookSecretProblem(opts.secret);
  if (weak) opts.log.error(`GERRIT_WEBHOOK_SECRET ${weak}: the webhook refuses every request`);
  return (req, res) => {
    if (weak) {
      req.resume();
      return reply(res, 503, { error: "webhook secret too short; see config check" });
    }
    if (req.method !== "POST") return reply(res, 405, { error: "POST only" });
    if (!secretMatches(opts.secret, presentedSecret(req))) {
      opts.log.warn({ remote: req.socket.remoteAddress }, "webhook without the right secret");
      req.resume();
      return reply(res, 401, { error: "missing or wrong secret" });
    }
    void readBody(req, { maxBytes: opts.maxBytes, timeoutMs: BODY_TIMEOUT_MS }).then((r) => {
      if (!r.ok) return refuseBody(res, r);
      return handleBody(r.body.toString("utf8"), opts, res);
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
