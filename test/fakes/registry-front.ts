// A node:http front for the real test registry adding what 2.8 lacks: bearer tokens, Link paging, 429s, no digest header.
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RegistryFront {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`: use it as the registry of image references. */
  host: string;
  /** Answer 401 + `WWW-Authenticate: Bearer …` unless a valid token for the repository is presented. */
  requireToken: boolean;
  /** Which field(s) the /token response carries (GHCR sends `token`, OAuth-style servers `access_token`). */
  tokenField: "token" | "access_token" | "both";
  /** When set, tags/list returns at most this many tags per page with a relative `Link: rel="next"`. */
  pageSize: number | null;
  /** Remove `Docker-Content-Digest` from every response (an old or odd registry). */
  stripDigest: boolean;
  /** Number of requests to /token so far. */
  tokenRequests: number;
  /** Every request seen, as `METHOD /path?query` (Authorization never recorded). */
  requests: string[];
  /** Answer the next `n` requests (of any kind) with `status` and, if given, a Retry-After header. */
  failNext(n: number, status: number, retryAfter?: string): void;
  /** Forget every issued token, as if they expired server-side: the next request gets a 401. */
  revokeTokens(): void;
  close(): Promise<void>;
}

const REPO_PATH = /^\/v2\/(.+?)\/(?:tags\/list|manifests\/[^/]+|blobs\/[^/]+)$/;

export async function startRegistryFront(upstream: string): Promise<RegistryFront> {
  const tokens = new Map<string, string>(); // token -> granted scope
  let failures: { n: number; status: number; retryAfter?: string } = { n: 0, status: 0 };

  const front: RegistryFront = {
    url: "",
    host: "",
    requireToken: false,
    tokenField: "token",
    pageSize: null,
    stripDigest: false,
    tokenRequests: 0,
    requests: [],
    failNext(n, status, retryAfter) {
      failures = retryAfter === undefined ? { n, status } : { n, status, retryAfter };
    },
    revokeTokens() {
      tokens.clear();
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Clients keep connections alive; without this close() would wait for them to idle out.
        server.closeAllConnections();
      }),
  };

  const json = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const issueToken = (url: URL, res: ServerResponse): void => {
    front.tokenRequests++;
    const token = `tok-${randomBytes(8).toString("hex")}`;
    tokens.set(token, url.searchParams.get("scope") ?? "");
    const body: Record<string, unknown> = { issued_at: new Date().toISOString() };
    if (front.tokenField !== "access_token") body.token = token;
    if (front.tokenField !== "token") body.access_token = token;
    json(res, 200, body);
  };

  const authorized = (req: IncomingMessage, repo: string | undefined): boolean => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    const scope = m?.[1] ? tokens.get(m[1]) : undefined;
    if (scope === undefined) return false;
    // A token is good only for the repository it was issued for, as on GHCR.
    return repo === undefined || scope.split(" ").includes(`repository:${repo}:pull`);
  };

  const paginateTags = async (res: ServerResponse, url: URL, repo: string): Promise<void> => {
    const up = await fetch(`${upstream}${url.pathname}`);
    if (up.status !== 200) return void json(res, up.status, await up.json());
    const all = ((await up.json()) as { tags: string[] | null }).tags ?? [];
    const size = Math.min(front.pageSize ?? all.length, Number(url.searchParams.get("n")) || Infinity);
    const last = url.searchParams.get("last");
    const rest = [...all].sort().filter((t) => last === null || t > last);
    const page = rest.slice(0, size);
    const headers: Record<string, string> = {};
    if (rest.length > page.length) {
      const next = `/v2/${repo}/tags/list?n=${size}&last=${encodeURIComponent(page.at(-1) ?? "")}`;
      headers.Link = `<${next}>; rel="next"`;
    }
    json(res, 200, { name: repo, tags: page }, headers);
  };

  const proxy = (req: IncomingMessage, res: ServerResponse): void => {
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers.host;
    const up = httpRequest(`${upstream}${req.url ?? "/"}`, { method: req.method, headers }, (upRes) => {
      const out = { ...upRes.headers };
      if (front.stripDigest) delete out["docker-content-digest"];
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
    });
    up.on("error", () => json(res, 502, { errors: [{ code: "UNKNOWN", message: "upstream down" }] }));
    req.pipe(up);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", front.url);
    front.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (failures.n > 0) {
      failures.n--;
      const headers: Record<string, string> = failures.retryAfter
        ? { "Retry-After": failures.retryAfter }
        : {};
      const code = failures.status === 429 ? "TOOMANYREQUESTS" : "UNAVAILABLE";
      return json(res, failures.status, { errors: [{ code, message: "try later" }] }, headers);
    }
    if (url.pathname === "/token") return issueToken(url, res);
    const repo = REPO_PATH.exec(url.pathname)?.[1];
    if (front.requireToken && !authorized(req, repo)) {
      const scope = repo ? `,scope="repository:${repo}:pull"` : "";
      const challenge = `Bearer realm="${front.url}/token",service="${front.host}"${scope}`;
      const body = { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] };
      return json(res, 401, body, { "WWW-Authenticate": challenge });
    }
    if (front.pageSize !== null && repo && req.method === "GET" && url.pathname.endsWith("/tags/list")) {
      return paginateTags(res, url, repo);
    }
    proxy(req, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      json(res, 500, { errors: [{ code: "UNKNOWN", message: String(err) }] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  front.host = `127.0.0.1:${port}`;
  front.url = `http://${front.host}`;
  return front;
}
