// Pure parsers for registry response headers (Link, WWW-Authenticate, a 429's wait); total on arbitrary input.
import { parseRetryAfter } from "../http.js";

/** The `rel="next"` target of a Link header (RFC 8288), as written (possibly relative); {} when absent. */
export function parseLinkHeader(h: unknown): { next?: string } {
  if (typeof h !== "string") return {};
  // Each link is `<uri>` followed by `; param` pairs up to the next `<`.
  for (const m of h.matchAll(/<([^>]*)>([^<]*)/g)) {
    const uri = (m[1] ?? "").trim();
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))/i.exec(m[2] ?? "");
    // rel may hold several space-separated relation types ("next last").
    const rels = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (uri && rels.includes("next")) return { next: uri };
  }
  return {};
}

export interface BearerChallenge {
  realm: string;
  service?: string;
  scope?: string;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters; null when there is no Bearer challenge with a realm. */
export function parseBearerChallenge(h: unknown): BearerChallenge | null {
  if (typeof h !== "string") return null;
  const start = /(?:^|[\s,])bearer\s+/i.exec(h);
  if (!start) return null;
  const params = new Map<string, string>();
  const re = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/g;
  for (const m of h.slice(start.index + start[0].length).matchAll(re)) {
    const key = (m[1] ?? "").toLowerCase();
    // A later challenge (", Basic realm=…") must not override the Bearer one: first value wins.
    if (!params.has(key)) params.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? ""));
  }
  const realm = params.get("realm");
  if (!realm) return null;
  const out: BearerChallenge = { realm };
  const service = params.get("service");
  const scope = params.get("scope");
  if (service) out.service = service;
  if (scope) out.scope = scope;
  return out;
}

const MAX_WAIT_MS = 6 * 60 * 60 * 1000; // the same cap as parseRetryAfter's

export { parseRetryAfter };

/** GHCR-style bodies: `toomanyrequests: retry-after: 720.5ms, allowed: 44000/minute`. */
export function parseBodyRetryAfter(body: string): number | null {
  const m = /retry-after:\s*(\d+(?:\.\d+)?)\s*(ms|s)?\b/i.exec(body);
  if (!m) return null;
  const n = Number(m[1]);
  return Math.min(MAX_WAIT_MS, Math.round(m[2]?.toLowerCase() === "ms" ? n : n * 1000));
}

/**
 * How long to wait after a 429: Retry-After (header, else body), else a minute; plus up to 10 % + 1 s of
 * jitter so several replicas or images do not all retry at the same instant.
 */
export function retryAfterMs(headerValue: unknown, body: string, nowMs: number, random: number): number {
  const base = parseRetryAfter(headerValue, nowMs) ?? parseBodyRetryAfter(body) ?? 60_000;
  return base + Math.floor(random * (1000 + base / 10));
}
