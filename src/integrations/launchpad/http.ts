// HTTP layer of the Launchpad client: signing, same-origin links, retries with backoff, JSON + zod, paging.
import axios, { type AxiosInstance, type AxiosResponse, type Method } from "axios";
import type { Readable } from "node:stream";
import type { z } from "zod";
import { PermanentError, UserError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { HttpPermanentError, classify, retryStep, serverMessage, type RetryPolicy } from "../http.js";
import { DEFAULT_CONSUMER_KEY, newNonce, oauthHeader } from "./oauth.js";
import { collectionSchema } from "./schemas.js";

export const DEFAULT_API_ROOT = "https://api.launchpad.net/devel";

export interface LaunchpadHttpOptions {
  apiRoot?: string;
  consumerKey?: string;
  /** Without a token every call is anonymous (public data only) and writes are refused. */
  token?: string;
  tokenSecret?: string;
  log?: Logger;
  userAgent?: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Upper bound on pages read from one collection (a runaway `next_collection_link` stops here). */
  maxPages?: number;
  /** Test hooks. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface SendOptions {
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Whether repeating is harmless; a POST is repeated only when the server clearly did not act. */
  idempotent: boolean;
  write?: boolean;
  /** Do not read the body (attachment data links): the caller destroys the stream. */
  stream?: boolean;
}

export function header(res: AxiosResponse<unknown> | undefined, name: string): string | undefined {
  const v: unknown = res?.headers[name];
  return typeof v === "string" ? v : undefined;
}

export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

export class LaunchpadHttp {
  readonly apiRoot: string;
  private readonly origin: string;
  private readonly http: AxiosInstance;
  private readonly consumerKey: string;
  private readonly creds: { token: string; secret: string } | undefined;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: LaunchpadHttpOptions = {}) {
    this.apiRoot = (opts.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, "");
    this.origin = new URL(this.apiRoot).origin;
    this.consumerKey = opts.consumerKey ?? DEFAULT_CONSUMER_KEY;
    if ((opts.token === undefined) !== (opts.tokenSecret === undefined)) {
      throw new UserError("Launchpad OAuth token and token secret must be given together");
    }
    this.creds = opts.token !== undefined ? { token: opts.token, secret: opts.tokenSecret ?? "" } : undefined;
    // lazr.restfulclient repeats 502/503; the shared policy adds 408, 429, 504 and timeouts here, and sends
    // a 500 (an OOPS) back to the queue.
    this.retry = {
      retries: 4,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 60_000,
      ...opts.retry,
    };
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
    this.http = axios.create({
      timeout: opts.timeoutMs ?? 30_000,
      maxContentLength: 50 * 1024 * 1024,
      // Redirects are read, never followed: following a data_link 303 would download the file.
      maxRedirects: 0,
      validateStatus: () => true,
      transformResponse: [(d: unknown) => d],
    });
  }

  get canWrite(): boolean {
    return this.creds !== undefined;
  }

  refuseWrite(method: string, url: string): never {
    throw new PermanentError(
      `Launchpad ${method} ${pathOf(url)}: writes need an OAuth token (see "sunbeam-bot launchpad login")`,
    );
  }

  /** Every entry of a collection, page after page, by following next_collection_link (never offsets). */
  async *iterate<S extends z.ZodType>(
    entry: S,
    firstUrl: string,
    maxPages?: number,
  ): AsyncGenerator<z.infer<S>> {
    const pageSchema = collectionSchema(entry);
    const cap = maxPages ?? this.opts.maxPages ?? 100;
    let url: string | undefined = firstUrl;
    for (let pages = 0; url !== undefined; pages++) {
      if (pages >= cap) {
        this.opts.log?.warn({ path: pathOf(url), maxPages: cap }, "Launchpad collection cut at the page cap");
        return;
      }
      const page: { data: z.infer<typeof pageSchema> } = await this.getJson(pageSchema, url);
      for (const e of page.data.entries as Array<z.infer<S>>) yield e;
      url = page.data.next_collection_link;
    }
  }

  async getJson<T>(schema: z.ZodType<T>, url: string): Promise<{ data: T; etag: string | undefined }> {
    const res = await this.send("GET", url, { idempotent: true });
    if (res.status !== 200) {
      throw new HttpPermanentError(`Launchpad GET ${pathOf(url)}: unexpected HTTP ${res.status}`, res.status);
    }
    return { data: this.parse(schema, res, url), etag: header(res, "etag") };
  }

  parse<T>(schema: z.ZodType<T>, res: AxiosResponse<unknown>, url: string): T {
    const what = `Launchpad ${pathOf(url)}`;
    let data: unknown;
    try {
      data = JSON.parse(typeof res.data === "string" ? res.data : "");
    } catch {
      throw new HttpPermanentError(`${what}: response is not JSON`, res.status);
    }
    const r = schema.safeParse(data);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    const at = issue?.path.join(".") || "(root)";
    throw new HttpPermanentError(
      `${what}: unexpected shape at ${at}: ${issue?.message ?? "invalid"}`,
      res.status,
    );
  }

  /** Server text without our own credentials (a 401 may echo a token key). */
  private scrub(text: string): string {
    let out = text;
    for (const s of [this.creds?.token, this.creds?.secret]) if (s) out = out.split(s).join("[REDACTED]");
    return out;
  }

  private authorization(): string | undefined {
    if (!this.creds) return undefined;
    return oauthHeader({
      consumerKey: this.consumerKey,
      token: this.creds.token,
      tokenSecret: this.creds.secret,
      nonce: newNonce(),
      timestamp: Math.floor(this.now() / 1000),
    });
  }

  /** One request with retries; returns any status < 400 (the caller checks which), throws classified errors. */
  async send(method: Method, url: string, so: SendOptions): Promise<AxiosResponse<unknown>> {
    const target = new URL(url, `${this.apiRoot}/`);
    // Links come from responses: never send our credentials to another host.
    if (target.origin !== this.origin) {
      throw new PermanentError(`Launchpad: refusing a link outside ${this.origin}: ${target.origin}`);
    }
    if (so.write && !this.creds) this.refuseWrite(method, url);
    const what = `Launchpad ${method} ${target.pathname}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {
        "User-Agent": this.opts.userAgent ?? this.consumerKey,
        Accept: "application/json",
        ...so.headers,
      };
      if (so.contentType) headers["Content-Type"] = so.contentType;
      const auth = this.authorization(); // a fresh nonce and timestamp on every attempt
      if (auth) headers.Authorization = auth;
      let res: AxiosResponse<unknown> | undefined;
      let code: string | undefined;
      try {
        const responseType = so.stream ? "stream" : "text";
        res = await this.http.request({
          method,
          url: target.toString(),
          data: so.body,
          headers,
          responseType,
        });
      } catch (err) {
        // Drop the AxiosError itself: its config carries the Authorization header.
        code = axios.isAxiosError(err) ? (err.code ?? "ERR_NETWORK") : "request failed";
      }
      const text = res && typeof res.data === "string" ? this.scrub(serverMessage(res.data)) : "";
      const verdict = classify(
        res?.status,
        code,
        (res?.headers ?? {}) as Record<string, unknown>,
        text,
        this.now(),
      );
      if (verdict.kind === "ok" && res) return res;
      if (so.stream) (res?.data as Readable | undefined)?.destroy();
      if (verdict.kind === "ok") throw new HttpPermanentError(`${what}: no response`, undefined);
      const step = retryStep(verdict, what, attempt, this.retry, so.idempotent ?? false, () => 1);
      if (step.action === "throw") throw step.error;
      const delay = step.delayMs;
      const reason = verdict.reason;
      this.opts.log?.warn({ what, reason, attempt: attempt + 1, delayMs: delay }, "Launchpad retry");
      await this.sleep(delay);
    }
  }
}
