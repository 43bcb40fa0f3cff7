// matrix-js-sdk glue and pure helpers: txn ids, notice content, error mapping, a resuming store, logging, login.
import { createHash } from "node:crypto";
import { createClient, MatrixError, MemoryStore, type ICreateClientOpts } from "matrix-js-sdk";
import { logger as sdkRootLogger } from "matrix-js-sdk/lib/logger.js";
import { z } from "zod";
import { toPlainText, type IncomingMessage } from "./adapter.js";
import { fitRendered, MATRIX_MAX_CHARS, toMatrixHtml } from "./format.js";
import type { Logger } from "../core/log.js";
import { errorMessage, PermanentError, RetryLaterError } from "../core/errors.js";

type SavedSync = Awaited<ReturnType<MemoryStore["getSavedSync"]>>;
type SdkLogger = NonNullable<ICreateClientOpts["logger"]>;

/** A stable transaction id: the homeserver treats a repeated (token, txnId) as the same send. */
export function txnIdFor(sendId: string): string {
  return `sb.${createHash("sha256").update(sendId).digest("hex").slice(0, 32)}`;
}

/** Drops the "> <@user> quoted" fallback that some clients still put at the top of a reply's body. */
export function stripReplyFallback(body: string): string {
  const lines = body.split("\n");
  if (!lines[0]?.startsWith("> ")) return body;
  let i = 0;
  while (i < lines.length && lines[i]?.startsWith(">")) i++;
  return lines.slice(i).join("\n").replace(/^\n+/, "");
}

const MessageContent = z.object({
  msgtype: z.string(),
  body: z.string(),
  "m.relates_to": z.object({ rel_type: z.string().optional(), event_id: z.string().optional() }).optional(),
});

/**
 * An m.room.message as an IncomingMessage: thread from an m.thread relation, fromBot for anything but
 * m.text (m.notice above all) and for ignored users; undefined for edits and malformed content.
 */
export function incomingFromEvent(
  ev: { sender: string; id: string; ts: number; content: unknown },
  roomId: string,
  ignoreUsers: readonly string[],
): IncomingMessage | undefined {
  const parsed = MessageContent.safeParse(ev.content);
  if (!parsed.success) return undefined;
  const rel = parsed.data["m.relates_to"];
  // An edit repeats the command: never run it twice.
  if (rel?.rel_type === "m.replace") return undefined;
  const thread = rel?.rel_type === "m.thread" ? rel.event_id : undefined;
  const fromBot = parsed.data.msgtype !== "m.text" || ignoreUsers.includes(ev.sender);
  return {
    network: "matrix",
    room: roomId,
    user: ev.sender,
    text: stripReplyFallback(parsed.data.body),
    id: ev.id,
    ts: ev.ts,
    ...(thread ? { thread } : {}),
    ...(fromBot ? { fromBot: true } : {}),
  };
}

/** An m.notice (never answered by other bots) with HTML and plain bodies, in a thread when one is given. */
export function noticeContent(text: string, thread?: string): Record<string, unknown> {
  const measure = (t: string) => Math.max(toPlainText(t).length, toMatrixHtml(t).length);
  const fitted = fitRendered(text, MATRIX_MAX_CHARS, measure);
  const content: Record<string, unknown> = {
    msgtype: "m.notice",
    body: toPlainText(fitted),
    format: "org.matrix.custom.html",
    formatted_body: toMatrixHtml(fitted),
  };
  if (thread)
    content["m.relates_to"] = {
      rel_type: "m.thread",
      event_id: thread,
      // Clients without thread support show it as a plain reply to the root.
      is_falling_back: true,
      "m.in_reply_to": { event_id: thread },
    };
  return content;
}

/** A send or room error as the chat-out queue understands it: retry later, fail now, or back off. */
export function classifyMatrixError(err: unknown): Error {
  if (err instanceof MatrixError && err.isRateLimitError())
    return new RetryLaterError(`matrix: ${err.errcode ?? "rate limited"}`, err.getRetryAfterMs() ?? 5000);
  if (err instanceof MatrixError && err.httpStatus && err.httpStatus >= 400 && err.httpStatus < 500)
    return new PermanentError(`matrix: ${err.errcode ?? err.httpStatus}: ${err.data.error ?? ""}`);
  return err instanceof Error ? err : new Error(errorMessage(err));
}

/** A MemoryStore that hands the SDK a stored sync token, so the first /sync continues from it. */
export class ResumingStore extends MemoryStore {
  constructor(private readonly since: string | undefined) {
    super();
  }
  override async getSavedSync(): Promise<SavedSync> {
    if (!this.since) return null;
    return {
      nextBatch: this.since,
      roomsData: { join: {}, invite: {}, leave: {}, knock: {} },
      accountData: [],
    };
  }
  override async getSavedSyncToken(): Promise<string | null> {
    return this.since ?? null;
  }
}

const fmt = (m: unknown[]) => m.map((x) => (typeof x === "string" ? x : errorMessage(x))).join(" ");

/** The SDK's logger interface over pino; its chatter goes to trace/debug. */
export function sdkLogger(log: Logger): SdkLogger {
  const l: SdkLogger = {
    trace: (...m: unknown[]) => log.trace(fmt(m)),
    debug: (...m: unknown[]) => log.trace(fmt(m)),
    info: (...m: unknown[]) => log.debug(fmt(m)),
    warn: (...m: unknown[]) => log.warn(fmt(m)),
    error: (...m: unknown[]) => log.warn(fmt(m)),
    getChild: () => l,
  };
  return l;
}

let rootRouted = false;

/**
 * Parts of the SDK (MatrixRTC, the login client) log through its global loglevel logger straight to the
 * console, which would break JSON logs: route that logger into pino once per process.
 */
export function routeSdkRootLogger(log: Logger): void {
  if (rootRouted) return;
  rootRouted = true;
  const root = sdkRootLogger as unknown as {
    methodFactory: (method: string) => (...args: unknown[]) => void;
    rebuild(): void;
  };
  root.methodFactory = (method) =>
    method === "warn" || method === "error" ? (...a) => log.warn(fmt(a)) : (...a) => log.trace(fmt(a));
  root.rebuild();
}

/** One-off password login (for `sunbeam-bot matrix login`): returns a token to store; never logged here. */
export async function passwordLogin(
  homeserver: string,
  user: string,
  password: string,
  log?: Logger,
): Promise<{ accessToken: string; deviceId: string; userId: string }> {
  const quiet: SdkLogger = {
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error() {},
    getChild: () => quiet,
  };
  const client = createClient({ baseUrl: homeserver, logger: log ? sdkLogger(log) : quiet });
  try {
    const res = await client.loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user },
      password,
      initial_device_display_name: "sunbeam-bot",
    });
    return { accessToken: res.access_token, deviceId: res.device_id, userId: res.user_id };
  } catch (err) {
    throw classifyMatrixError(err);
  }
}
