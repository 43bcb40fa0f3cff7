// Shared HTTP helper: one place that classifies failures (transient, permanent) and retries with backoff.
import type { AxiosInstance, AxiosResponse, AxiosStatic, Method } from "axios";
import { PermanentError, RetryLaterError } from "../core/errors.js";
import { registerSecret, scrubSecrets, type Logger } from "../core/log.js";

/** A 4xx (other than 429) or an unusable response: retrying cannot help. Carries the HTTP status. */
export class HttpPermanentError extends PermanentError {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export interface RetryOptions {
  /** Extra attempts after the first, in-process, for transient failures. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not slept on here: the error is thrown for the queue to wait. */
  maxRetryAfterMs?: number;
}

export interface HttpClientOptions {
  /** Used in error messages: "Gerrit GET /changes/: HTTP 404 …". */
  name: string;
  baseURL: string;
  auth?: { username: string; password: string };
  timeoutMs?: number;
  maxBodyBytes?: number;
  retry?: RetryOptions;
  headers?: Record<string, string>;
  log?: Logger;
  /** Test-only: injected sleep/clock/random. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export interface RequestOptions {
  params?: URLSearchParams;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether repeating the request is harmless. Non-idempotent requests (POST review) are repeated
   * in-process only when the server clearly did not act (429, 503, connection refused); other
   * transient failures are thrown as RetryLaterError so the caller's idempotency check decides.
   */
  idempotent?: boolean;
}

export type Verdict =
  | { kind: "ok" }
  | {
      kind: "transient";
      reason: string;
      status?: number;
      retryAfterMs?: number;
      /** The server clearly did not act (429, 503, connection refused): even a write may be repeated. */
      unprocessed: boolean;
      /**
       * Worth repeating in-process after a short backoff (no answer, 408, 429, 502, 503, 504). An internal
       * error (500 and other 5xx: a Launchpad OOPS, a Gerrit exception) goes back to the queue instead,
       * which waits longer: repeating it at once rarely helps and adds load to a sick server.
       */
      repeatHere: boolean;
    }
  | { kind: "permanent"; reason: string; status?: number };

/** Transport failures (no HTTP answer) that a later attempt may not meet. */
export const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ERR_NETWORK",
  "UND_ERR_SOCKET",
]);

const MAX_WAIT_MS = 6 * 60 * 60 * 1000; // Docker Hub's window; also keeps timers far from overflow

/** Retry-After as delta-seconds (decimals too) or an HTTP-date → ms from `nowMs` (≥ 0, capped); else undefined. */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== "string" || !value.trim()) return undefined;
  const v = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(v)) return Math.min(MAX_WAIT_MS, Math.round(Number(v) * 1000));
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_WAIT_MS, Math.max(0, at - nowMs));
}

/** The server's own words, trimmed: Gerrit answers errors as text/plain. Never includes request data. */
export function serverMessage(data: unknown): string {
  let text = typeof data === "string" ? data : data === undefined ? "" : JSON.stringify(data);
  text = text.replace(/^\)\]\}'\s*/, "").trim();
  if (text.length > 300) text = `${text.slice(0, 300)}…`;
  return text;
}

/** Classifies a response status (or a transport error code): the one classification every client uses. */
export function classify(
  status: number | undefined,
  code: string | undefined,
  headers: Record<string, unknown>,
  data: unknown,
  nowMs: number,
): Verdict {
  if (status === undefined) {
    if (code && TRANSIENT_CODES.has(code)) {
      return { kind: "transient", reason: code, unprocessed: code === "ECONNREFUSED", repeatHere: true };
    }
    return { kind: "permanent", reason: code ?? "request failed" };
  }
  if (status < 400) return { kind: "ok" };
  const msg = serverMessage(data);
  const reason = `HTTP ${status}${msg ? `: ${msg}` : ""}`;
  if (status === 429 || status >= 500 || status === 408) {
    const retryAfterMs = parseRetryAfter(headers["retry-after"], nowMs);
    const v: Verdict = {
      kind: "transient",
      reason,
      status,
      unprocessed: status === 429 || status === 503,
      repeatHere: [408, 429, 502, 503, 504].includes(status),
    };
    if (retryAfterMs !== undefined) v.retryAfterMs = retryAfterMs;
    return v;
  }
  return { kind: "permanent", reason, status };
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not slept on in-process: the queue waits instead. */
  maxRetryAfterMs: number;
}

export type RetryStep = { action: "repeat"; delayMs: number } | { action: "throw"; error: Error };

/**
 * The one retry policy for a failed attempt (`verdict` not ok): repeat here after a jittered exponential
 * backoff (or the server's Retry-After), or throw — permanent failures as HttpPermanentError, the rest as
 * RetryLaterError for the queue. A non-idempotent request is repeated here only where the server clearly
 * did not act (`unprocessed`), so an ambiguous failure of a write is decided by the caller's own check.
 */
export function retryStep(
  verdict: Exclude<Verdict, { kind: "ok" }>,
  what: string,
  attempt: number,
  policy: RetryPolicy,
  idempotent: boolean,
  random: () => number,
): RetryStep {
  const reason = scrubSecrets(verdict.reason);
  if (verdict.kind === "permanent") {
    return { action: "throw", error: new HttpPermanentError(`${what}: ${reason}`, verdict.status) };
  }
  const backoff = Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
  const delay = verdict.retryAfterMs ?? backoff;
  const mayRepeat = verdict.repeatHere && (idempotent || verdict.unprocessed);
  if (!mayRepeat || attempt >= policy.retries || delay > policy.maxRetryAfterMs) {
    return {
      action: "throw",
      error: new RetryLaterError(`${what}: ${reason}`, Math.max(delay, policy.baseDelayMs)),
    };
  }
  return { action: "repeat", delayMs: delay };
}

// axios and its proxy/form-data dependencies are a third of a one-shot CLI's start (`affected` reads this
// module for its error class only): loaded at the first request.
let axiosModule: Promise<AxiosStatic> | undefined;
const loadAxios = () => (axiosModule ??= import("axios").then((m) => m.default));

export class HttpClient {
  private http: Promise<AxiosInstance> | undefined;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: HttpClientOptions) {
    this.retry = { retries: 3, baseDelayMs: 500, maxDelayMs: 10_000, maxRetryAfterMs: 60_000, ...opts.retry };
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    if (opts.auth) {
      // A server that echoes its request puts the basic-auth header in its error text: scrub that form too.
      registerSecret(Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString("base64"));
    }
  }

  private client(): Promise<AxiosInstance> {
    const opts = this.opts;
    return (this.http ??= loadAxios().then((axios) =>
      axios.create({
        baseURL: opts.baseURL,
        timeout: opts.timeoutMs ?? 30_000,
        maxContentLength: opts.maxBodyBytes ?? 50 * 1024 * 1024,
        maxRedirects: 3,
        // Credentials go through axios' auth option only, never into a URL or an error message.
        ...(opts.auth ? { auth: opts.auth } : {}),
        headers: { "User-Agent": "sunbeam-bot", ...opts.headers },
        // Every status is a response here; classify() decides.
        validateStatus: () => true,
        responseType: "text",
        transformResponse: [(d: unknown) => d],
      }),
    ));
  }

  /** Performs a request and returns the body text of a 2xx response, or throws a classified error. */
  async request(method: Method, path: string, ro: RequestOptions = {}): Promise<string> {
    const idempotent = ro.idempotent ?? (method === "GET" || method === "HEAD");
    const what = `${this.opts.name} ${method.toUpperCase()} ${path}`;
    const axios = await loadAxios();
    const http = await this.client();
    for (let attempt = 0; ; attempt++) {
      let res: AxiosResponse<unknown> | undefined;
      let code: string | undefined;
      try {
        res = await http.request({
          method,
          url: path,
          params: ro.params,
          data: ro.body,
          headers: ro.headers,
        });
      } catch (err) {
        // Deliberately drop the AxiosError: its config holds the Authorization header.
        code = axios.isAxiosError(err) ? (err.code ?? "ERR_NETWORK") : "request failed";
        if (axios.isAxiosError(err) && err.message.includes("maxContentLength")) {
          throw new HttpPermanentError(`${what}: response larger than allowed`, undefined);
        }
      }
      const v = classify(
        res?.status,
        code,
        (res?.headers ?? {}) as Record<string, unknown>,
        res?.data,
        this.now(),
      );
      if (v.kind === "ok") return typeof res?.data === "string" ? res.data : "";
      // The reason quotes the server's body, which may echo our request: retryStep scrubs it.
      const step = retryStep(v, what, attempt, this.retry, idempotent, this.random);
      if (step.action === "throw") throw step.error;
      const delay = step.delayMs;
      this.opts.log?.warn(
        { what, reason: scrubSecrets(v.reason), attempt: attempt + 1, delayMs: delay },
        "HTTP retry",
      );
      await this.sleep(delay);
    }
  }
}
