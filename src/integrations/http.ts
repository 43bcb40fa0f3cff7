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
  | { kind: "transient"; reason: string; retryAfterMs?: number; unprocessed: boolean }
  | { kind: "permanent"; reason: string; status?: number };

const TRANSIENT_CODES = new Set([
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

/** Retry-After is either delta-seconds or an HTTP-date. Returns milliseconds, or undefined if unusable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The server's own words, trimmed: Gerrit answers errors as text/plain. Never includes request data. */
export function serverMessage(data: unknown): string {
  let text = typeof data === "string" ? data : data === undefined ? "" : JSON.stringify(data);
  text = text.replace(/^\)\]\}'\s*/, "").trim();
  if (text.length > 300) text = `${text.slice(0, 300)}…`;
  return text;
}

/** Classifies a response status (or a transport error code) in one place. */
export function classify(
  status: number | undefined,
  code: string | undefined,
  headers: Record<string, unknown>,
  data: unknown,
  nowMs: number,
): Verdict {
  if (status === undefined) {
    if (code && TRANSIENT_CODES.has(code)) {
      return { kind: "transient", reason: code, unprocessed: code === "ECONNREFUSED" };
    }
    return { kind: "permanent", reason: code ?? "request failed" };
  }
  if (status >= 200 && status < 300) return { kind: "ok" };
  const msg = serverMessage(data);
  const reason = `HTTP ${status}${msg ? `: ${msg}` : ""}`;
  if (status === 429 || status >= 500 || status === 408) {
    const ra = headers["retry-after"];
    const retryAfterMs = parseRetryAfter(typeof ra === "string" ? ra : undefined, nowMs);
    const v: Verdict = { kind: "transient", reason, unprocessed: status === 429 || status === 503 };
    if (retryAfterMs !== undefined) v.retryAfterMs = retryAfterMs;
    return v;
  }
  return { kind: "permanent", reason, status };
}

// axios and its proxy/form-data dependencies are a third of a one-shot CLI's start (`affected` reads this
// module for its error class only): loaded at the first request.
let axiosModule: Promise<AxiosStatic> | undefined;
const loadAxios = () => (axiosModule ??= import("axios").then((m) => m.default));

export class HttpClient {
  private http: Promise<AxiosInstance> | undefined;
  private readonly retry: Required<RetryOptions>;
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
      // The reason quotes the server's body, which may echo our request: it can reach a log or a chat reply.
      const reason = scrubSecrets(v.reason);
      if (v.kind === "permanent") throw new HttpPermanentError(`${what}: ${reason}`, v.status);
      const backoff = Math.floor(
        this.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt),
      );
      const delay = v.retryAfterMs ?? backoff;
      const mayRepeat = idempotent || v.unprocessed;
      if (!mayRepeat || attempt >= this.retry.retries || delay > this.retry.maxRetryAfterMs) {
        throw new RetryLaterError(`${what}: ${reason}`, Math.max(delay, this.retry.baseDelayMs));
      }
      this.opts.log?.warn({ what, reason, attempt: attempt + 1, delayMs: delay }, "HTTP retry");
      await this.sleep(delay);
    }
  }
}
