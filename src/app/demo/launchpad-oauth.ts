// OAuth side of the fake Launchpad: checks PLAINTEXT-signed requests and serves the three-step token dance.
import { randomBytes } from "node:crypto";

export interface DanceResponse {
  status: number;
  contentType: string;
  body: string;
}

/** Parses `OAuth realm="…", k="v", …` into percent-decoded fields; undefined when malformed. */
export function parseOAuthHeader(h: string): Record<string, string> | undefined {
  const m = /^OAuth\s+(.*)$/s.exec(h);
  if (!m?.[1]) return undefined;
  const out: Record<string, string> = {};
  for (const part of m[1].split(/,\s*/)) {
    const kv = /^([A-Za-z_]+)="([^"]*)"$/.exec(part.trim());
    if (!kv?.[1] || kv[2] === undefined) return undefined;
    try {
      out[kv[1]] = kv[1] === "realm" ? kv[2] : decodeURIComponent(kv[2]);
    } catch {
      return undefined;
    }
  }
  return out;
}

export class FakeOAuth {
  private readonly accessTokens = new Map<string, { secret: string; person: string }>();
  private readonly requestTokens = new Map<string, { secret: string; reviewed: boolean }>();
  private readonly nonces = new Set<string>();

  constructor(
    private readonly consumerKey: string,
    private readonly person: string,
    token: string,
    secret: string,
  ) {
    this.accessTokens.set(token, { secret, person });
  }

  /** undefined: anonymous; a name: the token's person; {error}: the text of a 401. */
  authenticate(h: string | undefined): string | undefined | { error: string } {
    if (h === undefined) return undefined;
    const o = parseOAuthHeader(h);
    if (!o) return { error: "Malformed Authorization header." };
    if (o.oauth_signature_method !== "PLAINTEXT") return { error: "Unsupported signature method." };
    if (o.oauth_version !== undefined && o.oauth_version !== "1.0") return { error: "Bad oauth_version." };
    if (o.oauth_consumer_key !== this.consumerKey) {
      return { error: `Unknown consumer (${o.oauth_consumer_key ?? ""}).` };
    }
    // An empty token key with signature "&" is Launchpad's anonymous access.
    if (o.oauth_token === "" && o.oauth_signature === "&") return undefined;
    const tok = this.accessTokens.get(o.oauth_token ?? "");
    if (!tok) return { error: "Unknown access token." };
    if (o.oauth_signature !== `&${tok.secret}`) return { error: "Invalid signature." };
    const ts = Number(o.oauth_timestamp);
    if (!Number.isFinite(ts) || Math.abs(Date.now() / 1000 - ts) > 3600)
      return { error: "Timestamp too old." };
    const nonce = `${o.oauth_token}:${o.oauth_nonce ?? ""}`;
    if (!o.oauth_nonce || this.nonces.has(nonce)) return { error: "Nonce has been used." };
    this.nonces.add(nonce);
    return tok.person;
  }

  /** Step 2, done by a human on launchpad.net. */
  authorizeRequestToken(token: string): void {
    const t = this.requestTokens.get(token);
    if (t) t.reviewed = true;
  }

  /** POST /+request-token and /+access-token; undefined for any other path. */
  dance(path: string, form: URLSearchParams, acceptJson: boolean): DanceResponse | undefined {
    const text = (status: number, body: string) => ({ status, contentType: "text/plain", body });
    const pair = (token: string, secret: string, extra = "") => ({
      status: 200,
      contentType: "application/x-www-form-urlencoded",
      body: `oauth_token=${token}&oauth_token_secret=${secret}${extra}`,
    });
    if (path !== "/+request-token" && path !== "/+access-token") return undefined;
    if (form.get("oauth_signature_method") !== "PLAINTEXT") return text(400, "Unsupported signature method.");
    const token = randomBytes(10).toString("hex");
    const secret = randomBytes(20).toString("hex");
    if (path === "/+request-token") {
      this.requestTokens.set(token, { secret, reviewed: false });
      if (!acceptJson) return pair(token, secret);
      const consumer = form.get("oauth_consumer_key");
      const body = JSON.stringify({
        oauth_token: token,
        oauth_token_secret: secret,
        oauth_token_consumer: consumer,
      });
      return { status: 200, contentType: "application/json", body };
    }
    const key = form.get("oauth_token") ?? "";
    const req = this.requestTokens.get(key);
    if (!req || form.get("oauth_signature") !== `&${req.secret}`) return text(401, "Invalid request token.");
    if (!req.reviewed) return text(401, "Request token has not yet been reviewed. Try again later.");
    this.requestTokens.delete(key);
    this.accessTokens.set(token, { secret, person: this.person });
    return pair(token, secret, "&lp.context=None");
  }
}
