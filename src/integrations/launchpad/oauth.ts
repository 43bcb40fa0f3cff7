// Launchpad OAuth 1.0a PLAINTEXT: the per-request Authorization header and the three-step token dance.
import { randomBytes } from "node:crypto";
import axios from "axios";
import { z } from "zod";
import { PermanentError } from "../../core/errors.js";
import { serverMessage } from "../http.js";

/** launchpadlib sends this realm; it is not part of a PLAINTEXT signature. */
export const OAUTH_REALM = "https://api.launchpad.net/";
export const DEFAULT_WEB_ROOT = "https://launchpad.net";
export const DEFAULT_CONSUMER_KEY = "sunbeam-bot";

/** Percent-encoding per RFC 3986 (OAuth 1.0a §3.6): encodeURIComponent leaves !'()* alone, OAuth does not. */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** PLAINTEXT signature: enc(consumer secret) & enc(token secret); Launchpad consumers have no secret. */
export function plaintextSignature(tokenSecret: string, consumerSecret = ""): string {
  return `${rfc3986(consumerSecret)}&${rfc3986(tokenSecret)}`;
}

/** A fresh nonce per request; Launchpad refuses a nonce it has already seen. */
export function newNonce(): string {
  return BigInt(`0x${randomBytes(12).toString("hex")}`).toString(10);
}

export interface OAuthHeaderInput {
  consumerKey: string;
  token: string;
  tokenSecret: string;
  nonce: string;
  /** Seconds since the epoch. */
  timestamp: number;
  realm?: string;
}

/**
 * The header launchpadlib sends, field for field. Every value is encoded once more for the header,
 * so the signature "&<secret>" travels as "%26<encoded secret>".
 */
export function oauthHeader(i: OAuthHeaderInput): string {
  const fields: Array<[string, string]> = [
    ["oauth_nonce", i.nonce],
    ["oauth_timestamp", String(i.timestamp)],
    ["oauth_version", "1.0"],
    ["oauth_signature_method", "PLAINTEXT"],
    ["oauth_consumer_key", i.consumerKey],
    ["oauth_token", i.token],
    ["oauth_signature", plaintextSignature(i.tokenSecret)],
  ];
  const parts = fields.map(([k, v]) => `${k}="${rfc3986(v)}"`);
  return `OAuth realm="${i.realm ?? OAUTH_REALM}", ${parts.join(", ")}`;
}

// ---- the token dance (for `sunbeam-bot launchpad login`) ----

export interface TokenPair {
  token: string;
  tokenSecret: string;
}

export interface DanceOptions {
  consumerKey?: string;
  /** https://launchpad.net (production) or https://staging.launchpad.net; no trailing slash needed. */
  webRoot?: string;
  userAgent?: string;
  timeoutMs?: number;
}

const TokenResponseSchema = z.looseObject({ oauth_token: z.string().min(1), oauth_token_secret: z.string() });

/** Launchpad answers JSON when asked with Accept: application/json, form-encoded otherwise. */
export function parseTokenResponse(body: string): TokenPair {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    data = Object.fromEntries(new URLSearchParams(body));
  }
  const r = TokenResponseSchema.safeParse(data);
  if (!r.success) throw new PermanentError("Launchpad token response has no oauth_token/oauth_token_secret");
  return { token: r.data.oauth_token, tokenSecret: r.data.oauth_token_secret };
}

async function postForm(step: string, url: string, form: URLSearchParams, o: DanceOptions): Promise<string> {
  const res = await axios
    .post<string>(url, form.toString(), {
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
        "User-Agent": o.userAgent ?? o.consumerKey ?? DEFAULT_CONSUMER_KEY,
      },
      timeout: o.timeoutMs ?? 30_000,
      maxRedirects: 0,
      responseType: "text",
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
    })
    .catch((err: unknown) => {
      // The AxiosError carries the request body (a secret in step 3): keep only its code.
      throw new PermanentError(`Launchpad ${step}: ${axios.isAxiosError(err) ? err.code : "request failed"}`);
    });
  if (res.status < 200 || res.status >= 300) {
    throw new PermanentError(`Launchpad ${step}: HTTP ${res.status}: ${serverMessage(res.data)}`);
  }
  return typeof res.data === "string" ? res.data : "";
}

function webRoot(o: DanceOptions): string {
  return (o.webRoot ?? DEFAULT_WEB_ROOT).replace(/\/+$/, "");
}

/** Step 1: an unauthorised request token. */
export async function requestToken(o: DanceOptions = {}): Promise<TokenPair> {
  const form = new URLSearchParams({
    oauth_consumer_key: o.consumerKey ?? DEFAULT_CONSUMER_KEY,
    oauth_signature_method: "PLAINTEXT",
    oauth_signature: "&",
  });
  return parseTokenResponse(await postForm("+request-token", `${webRoot(o)}/+request-token`, form, o));
}

/** Step 2: the page a human opens to grant the token; the bot needs WRITE_PUBLIC. */
export function authorizeUrl(token: string, o: DanceOptions & { allowPermission?: string } = {}): string {
  const q = new URLSearchParams({ oauth_token: token });
  if (o.allowPermission) q.set("allow_permission", o.allowPermission);
  return `${webRoot(o)}/+authorize-token?${q.toString()}`;
}

/** Step 3: exchange the authorised request token for a long-lived access token. */
export async function accessToken(request: TokenPair, o: DanceOptions = {}): Promise<TokenPair> {
  const form = new URLSearchParams({
    oauth_consumer_key: o.consumerKey ?? DEFAULT_CONSUMER_KEY,
    oauth_token: request.token,
    oauth_signature_method: "PLAINTEXT",
    oauth_signature: plaintextSignature(request.tokenSecret),
  });
  return parseTokenResponse(await postForm("+access-token", `${webRoot(o)}/+access-token`, form, o));
}
