// OCI distribution client: tags (Link paging), manifest digests (HEAD, GET+sha256 fallback), anonymous bearer tokens, 429/5xx.
import { createHash } from "node:crypto";
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import { z } from "zod";
import { PermanentError, RetryLaterError, UserError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import {
  DOCKER_HUB,
  formatImageRef,
  normalizeRegistryHost,
  parseImageRef,
  type ImageRef,
} from "./image-ref.js";
import { parseBearerChallenge, parseLinkHeader, retryAfterMs } from "./headers.js";
import { classify } from "../http.js";

export { parseBearerChallenge, parseLinkHeader, parseRetryAfter } from "./headers.js";
export type { BearerChallenge } from "./headers.js";

/** All four manifest types: without the index types a multi-arch tag answers 404 on registry 2.8. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** A registry that is down or flaky (5xx, connection refused, timeout): retry with backoff. */
export class TransientRegistryError extends Error {
  override readonly name = "TransientRegistryError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface RegistryClientOptions {
  /** Registry hosts (host[:port]; `docker.io` means Docker Hub) this client may contact; others are refused. */
  allowedHosts: string[];
  /** Hosts spoken to over plain http (a local test registry or mirror); everything else is https. */
  plainHttpHosts?: string[];
  /**
   * Canonical registry host → the host every request for it goes to (a mirror or pull-through cache);
   * `http://host:port` also makes the mirror plain http. References and errors keep the canonical names.
   */
  mirrors?: Record<string, string>;
  /** Pages of `tags/list` followed before giving up with what was collected (Renovate stops at 20). */
  maxPages?: number;
  /** The `n` asked for per tags page; registries may ignore it. */
  pageSize?: number;
  /** Lifetime of a token whose response has no `expires_in` (GHCR sends none). */
  tokenTtlMs?: number;
  timeoutMs?: number;
  log?: Logger;
  /** Clock and randomness, injectable so token expiry and 429 jitter are deterministic in tests. */
  now?: () => number;
  random?: () => number;
}

const TagsBody = z.object({ name: z.string().optional(), tags: z.array(z.string()).nullish() });
const TokenBody = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
  })
  .refine((b) => b.token !== undefined || b.access_token !== undefined, "no token or access_token");
const ManifestBody = z.looseObject({ schemaVersion: z.number(), mediaType: z.string().optional() });
const DIGEST_HEADER = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}$/;
const REFERENCE = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,})$/;
// Docker Hub hands out tokens from a separate host; it is allowed exactly when Docker Hub is.
const TOKEN_HOSTS: Record<string, string[]> = { [DOCKER_HUB]: ["auth.docker.io"] };

interface CachedToken {
  token: Promise<string>;
  expiresAt: number;
}

function header(res: AxiosResponse, name: string): string | undefined {
  const v: unknown = res.headers[name];
  if (Array.isArray(v)) return v.join(", ");
  return v === undefined || v === null ? undefined : String(v);
}

/** `host[:port]` or `http(s)://host[:port]` (a trailing `/` allowed) → the host and whether it is plain http. */
export function parseMirror(value: string): { host: string; plain: boolean } {
  const m = /^(?:(https?):\/\/)?([^/\s]+)\/?$/.exec(value.trim());
  if (!m?.[2])
    throw new UserError(`bad mirror ${JSON.stringify(value)}: expected host[:port] or http(s)://host[:port]`);
  return { host: normalizeRegistryHost(m[2]), plain: m[1] === "http" };
}

export class RegistryClient {
  private readonly http: AxiosInstance;
  private readonly allowed: Set<string>;
  private readonly plain: Set<string>;
  private readonly mirrors: Map<string, string>;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly maxPages: number;
  private readonly pageSize: number;
  private readonly tokenTtlMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: RegistryClientOptions) {
    this.allowed = new Set(opts.allowedHosts.map(normalizeRegistryHost));
    this.plain = new Set((opts.plainHttpHosts ?? []).map(normalizeRegistryHost));
    this.mirrors = new Map();
    for (const [from, to] of Object.entries(opts.mirrors ?? {})) {
      const m = parseMirror(to);
      this.mirrors.set(normalizeRegistryHost(from), m.host);
      if (m.plain) this.plain.add(m.host);
    }
    this.maxPages = opts.maxPages ?? 20;
    this.pageSize = opts.pageSize ?? 1000;
    this.tokenTtlMs = opts.tokenTtlMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.http = axios.create({
      timeout: opts.timeoutMs ?? 15_000,
      // No redirects: manifests and tags are never redirected, and following one could leave the allow-list.
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: "arraybuffer",
      maxContentLength: 16 * 1024 * 1024,
      headers: { "User-Agent": "sunbeam-bot (OCI image watcher)" },
    });
  }

  /** Parses and checks a reference against the allow-list before any request is made (no SSRF). */
  ref(image: string | ImageRef): ImageRef {
    // An ImageRef built by hand is re-parsed too: its repository ends up in a URL path.
    const ref = parseImageRef(typeof image === "string" ? image : formatImageRef(image));
    if (!this.allowed.has(ref.registry)) {
      throw new UserError(
        `registry ${ref.registry} is not in the allowed registry hosts (${[...this.allowed].join(", ") || "none"})`,
      );
    }
    return ref;
  }

  /**
   * Every tag of the repository, following `Link: rel="next"` pages up to `maxPages`; null when the
   * repository does not exist. A registry that ignores `n` and sends no Link simply yields one page.
   */
  async listTags(image: string | ImageRef): Promise<string[] | null> {
    const ref = this.ref(image);
    let url = `${this.base(ref.registry)}/v2/${ref.repository}/tags/list?n=${this.pageSize}`;
    const tags: string[] = [];
    const seen = new Set<string>();
    const visited = new Set<string>();
    for (let page = 0; page < this.maxPages; page++) {
      visited.add(url);
      const res = await this.request(ref, "GET", url, "application/json");
      if (res.status === 404 && page === 0) return null;
      if (res.status !== 200) this.fail(res, `tags of ${ref.repository}`);
      const body = this.json(res, TagsBody, `tags of ${ref.repository}`);
      for (const t of body.tags ?? []) {
        if (!seen.has(t)) tags.push(t);
        seen.add(t);
      }
      const next = parseLinkHeader(header(res, "link")).next;
      if (!next) return tags;
      let nextUrl: string;
      try {
        nextUrl = new URL(next, url).toString();
      } catch {
        throw new PermanentError(`tags of ${ref.repository}: unusable Link next ${JSON.stringify(next)}`);
      }
      // A Link that points back at a page already read would loop until the page cap: stop now.
      if (visited.has(nextUrl)) return tags;
      url = nextUrl;
    }
    this.opts.log?.warn({ image: ref.repository, pages: this.maxPages }, "tags/list page cap reached");
    return tags;
  }

  /**
   * The digest a tag (or digest reference) resolves to: for a multi-arch tag, the index/manifest-list
   * digest. HEAD first (cheap, not counted as a pull on Docker Hub); GET + sha256 of the exact body
   * bytes when the registry omits `Docker-Content-Digest`. Null when the tag or repository is unknown.
   */
  async digest(image: string | ImageRef, tag?: string): Promise<string | null> {
    const ref = this.ref(image);
    const reference = tag ?? ref.tag ?? ref.digest;
    if (!reference || !REFERENCE.test(reference)) {
      throw new UserError(`no valid tag or digest to resolve for ${ref.repository}: ${String(reference)}`);
    }
    const what = `manifest ${ref.repository}:${reference}`;
    const url = `${this.base(ref.registry)}/v2/${ref.repository}/manifests/${reference}`;
    const head = await this.request(ref, "HEAD", url, MANIFEST_ACCEPT);
    if (head.status === 404) return null;
    if (head.status === 200) {
      const d = header(head, "docker-content-digest")?.trim();
      if (d && DIGEST_HEADER.test(d)) return d;
    } else if (head.status !== 405) {
      this.fail(head, what);
    }
    const res = await this.request(ref, "GET", url, MANIFEST_ACCEPT);
    if (res.status === 404) return null;
    if (res.status !== 200) this.fail(res, what);
    const body = Buffer.from(res.data as ArrayBuffer);
    this.json(res, ManifestBody, what);
    // The digest is over the bytes as served; re-serialising the JSON would change it.
    return `sha256:${createHash("sha256").update(body).digest("hex")}`;
  }

  /** The host actually contacted for a canonical registry: its mirror when one is configured. */
  hostFor(registry: string): string {
    return this.mirrors.get(registry) ?? registry;
  }

  private base(registry: string): string {
    const host = this.hostFor(registry);
    return `${this.plain.has(host) ? "http" : "https"}://${host}`;
  }

  /** One request with the cached token; on 401 a fresh token is fetched and the request retried once. */
  private async request(ref: ImageRef, method: "GET" | "HEAD", url: string, accept: string) {
    const target = new URL(url);
    if (target.host !== this.hostFor(ref.registry) || target.origin !== this.base(ref.registry)) {
      throw new PermanentError(`refusing ${target.origin}: not the registry ${ref.registry} being queried`);
    }
    const key = `${ref.registry}/${ref.repository}`;
    const cached = this.tokens.get(key);
    const fresh = cached && cached.expiresAt > this.now() ? cached : undefined;
    let res = await this.send(method, url, accept, fresh ? await fresh.token : undefined);
    if (res.status !== 401) return res;
    const challenge = parseBearerChallenge(header(res, "www-authenticate"));
    if (!challenge) {
      throw new PermanentError(
        `${method} ${url}: 401 without a Bearer challenge (credentials are not supported)`,
      );
    }
    // Concurrent requests hit the same 401: reuse a token another one fetched meanwhile instead of a second fetch.
    const current = this.tokens.get(key);
    let entry = current && current !== fresh && current.expiresAt > this.now() ? current : undefined;
    if (!entry) {
      const pending = this.fetchToken(ref, challenge.realm, challenge.service, challenge.scope);
      const created: CachedToken = {
        token: pending.then((t) => t.token),
        expiresAt: this.now() + this.tokenTtlMs,
      };
      entry = created;
      this.tokens.set(key, created);
      pending.then(
        (t) => (created.expiresAt = this.now() + t.ttlMs),
        () => this.tokens.get(key) === created && this.tokens.delete(key),
      );
    }
    const token = entry.token;
    res = await this.send(method, url, accept, await token);
    if (res.status === 401) {
      if (this.tokens.get(key) === entry) this.tokens.delete(key);
      throw new PermanentError(`${method} ${url}: still 401 with a fresh anonymous token (private image?)`);
    }
    return res;
  }

  private async fetchToken(
    ref: ImageRef,
    realm: string,
    service?: string,
    scope?: string,
  ): Promise<{ token: string; ttlMs: number }> {
    const what = `token for ${ref.repository}`;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new PermanentError(`${what}: bad realm ${JSON.stringify(realm)}`);
    }
    const host = url.host.toLowerCase();
    const mirror = this.mirrors.get(ref.registry);
    // Through a mirror, its own token service is the one that answers; Docker Hub's auth host only without one.
    const hostOk =
      this.allowed.has(host) ||
      host === mirror ||
      (!mirror && (TOKEN_HOSTS[ref.registry] ?? []).includes(host));
    const schemeOk = url.protocol === "https:" || (url.protocol === "http:" && this.plain.has(host));
    if (!hostOk || !schemeOk) {
      throw new PermanentError(`${what}: refusing token realm ${url.origin} (not an allowed registry host)`);
    }
    if (service) url.searchParams.set("service", service);
    url.searchParams.set("scope", scope ?? `repository:${ref.repository}:pull`);
    const res = await this.send("GET", url.toString(), "application/json");
    if (res.status !== 200) this.fail(res, what);
    const body = this.json(res, TokenBody, what);
    // Renew a little before the server's expiry; GHCR gives none, so assume the configured lifetime.
    const ttlMs = body.expires_in ? Math.max(1000, body.expires_in * 1000 - 5000) : this.tokenTtlMs;
    return { token: (body.token ?? body.access_token) as string, ttlMs };
  }

  private async send(method: string, url: string, accept: string, token?: string): Promise<AxiosResponse> {
    const headers: Record<string, string> = { Accept: accept };
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await this.http.request({ method, url, headers });
    } catch (err) {
      // No response at all (refused, reset, timeout, DNS): the registry may be back soon.
      const code = (err as { code?: string }).code ?? (err as Error).message;
      const where = `${method} ${new URL(url).origin}${new URL(url).pathname}`;
      // No answer at all: the shared classification says whether the registry may be back soon.
      if (classify(undefined, code, {}, undefined, this.now()).kind === "transient")
        throw new TransientRegistryError(`${where}: ${code}`);
      throw new PermanentError(`${where}: ${code}`);
    }
  }

  /** Turns an unexpected status into the error type that decides what the job does next. */
  private fail(res: AxiosResponse, what: string): never {
    const status = res.status;
    const text = res.data
      ? Buffer.from(res.data as ArrayBuffer)
          .toString("utf8")
          .slice(0, 300)
      : "";
    const v = classify(status, undefined, {}, text, this.now());
    if (v.kind === "transient" && status === 429) {
      // Registries say how long in the header or (GHCR) the body: wait that long, with jitter, in the queue.
      const ms = retryAfterMs(header(res, "retry-after"), text, this.now(), this.random());
      throw new RetryLaterError(
        `${what}: rate limited by the registry (429), retry in ${Math.ceil(ms / 1000)} s`,
        ms,
      );
    }
    if (v.kind === "transient")
      throw new TransientRegistryError(`${what}: registry answered ${status}`, status);
    const codes = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1];
    throw new PermanentError(`${what}: registry answered ${status}${codes ? ` ${codes}` : ""}`);
  }

  private json<T>(res: AxiosResponse, schema: z.ZodType<T>, what: string): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(res.data as ArrayBuffer).toString("utf8"));
    } catch {
      throw new PermanentError(`${what}: response is not JSON`);
    }
    const r = schema.safeParse(parsed);
    if (!r.success) throw new PermanentError(`${what}: unexpected response: ${r.error.issues[0]?.message}`);
    return r.data;
  }
}
