// The bot's HTTP server: health, readiness, metrics, the Gerrit webhook receiver and the queue dashboard.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Longest request target the bot looks at: anything longer is no route of ours. */
const MAX_TARGET = 8192;

export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

/**
 * The path and query of a request target, or undefined when it is not an origin-form target (`/path?q`).
 * Never throws: `new URL("//", base)` throws on targets a client can send (`//`, `//@`, `//x:99999/`), and
 * one throw in a request listener kills the process. Only `/…` targets are served; absolute-form
 * (`http://host/…`, proxies only), authority-form and `*` are not ours. Dot segments are removed and
 * repeated slashes are kept as they are (they name no route).
 */
export function parseRequestTarget(target: string | undefined): RequestTarget | undefined {
  if (typeof target !== "string" || target.length === 0 || target.length > MAX_TARGET) return undefined;
  if (target[0] !== "/") return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(target)) return undefined;
  const q = target.indexOf("?");
  const rawPath = (q === -1 ? target : target.slice(0, q)).split("#")[0] as string;
  const rawQuery = q === -1 ? "" : (target.slice(q + 1).split("#")[0] as string);
  const out: string[] = [];
  for (const seg of rawPath.split("/").slice(1)) {
    let s: string;
    try {
      s = decodeURIComponent(seg);
    } catch {
      return undefined;
    }
    // A decoded "/" or "\" inside a segment would let a path reach or leave a prefix route.
    if (s.includes("/") || s.includes("\\")) return undefined;
    if (s === ".") continue;
    if (s === "..") out.pop();
    else out.push(seg);
  }
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(rawQuery);
  } catch {
    return undefined;
  }
  return { path: `/${out.join("/")}`, query };
}

/**
 * A route's key is an exact path (`/metrics`), or a prefix ending in `/*` (`/admin/queues/*`) that takes
 * the bare prefix and everything below it: a mounted app such as the queue dashboard serves its own tree.
 * Paths are normalised first (`/a/../b` is `/b`), so a prefix cannot be reached or left by `..`.
 */
export function findRoute(routes: Record<string, Route>, path: string): Route | undefined {
  const exact = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (exact) return exact;
  for (const [key, route] of Object.entries(routes)) {
    if (!key.endsWith("/*")) continue;
    const base = key.slice(0, -2);
    if (path === base || path.startsWith(`${base}/`)) return route;
  }
  return undefined;
}

export interface ListenerLimits {
  /** Time for the whole request line and headers. */
  headersTimeoutMs: number;
  /** Time for the whole request, body included. */
  requestTimeoutMs: number;
  /** An idle socket (keep-alive or stalled) is closed after this long. */
  idleTimeoutMs: number;
  /** Most headers per request. */
  maxHeadersCount: number;
}

/** Every listener of the bot gets these unless it asks for tighter ones: no slow client holds a socket. */
export const LISTENER_LIMITS: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 15_000,
  maxHeadersCount: 100,
};

/** Applies the limits to a node:http server; the one place a listener's timeouts are set. */
export function limitListener(server: Server, limits: Partial<ListenerLimits> = {}): Server {
  const l = { ...LISTENER_LIMITS, ...limits };
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = Math.min(5_000, l.idleTimeoutMs);
  server.maxHeadersCount = l.maxHeadersCount;
  server.setTimeout(l.idleTimeoutMs, (socket) => socket.destroy());
  // A malformed request line or header never reaches a listener; answer 400 and close.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 408 | 413 | 400; error: string };

/**
 * Reads a request body of at most `maxBytes`, within `timeoutMs` of the call; never throws. Over the cap
 * (declared or actual) or too slow, the socket is cut: a client must not hold memory or a socket.
 */
export function readBody(
  req: IncomingMessage,
  o: { maxBytes: number; timeoutMs: number },
): Promise<BodyResult> {
  return new Promise((resolve) => {
    let settled = false;
    // A slow body gets no answer (the socket is cut); an over-long one stops being read and gets its
    // 413 with `connection: close` from the caller (see refuseBody), so the rest is never read.
    const finish = (r: BodyResult, cut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.removeAllListeners("data");
      if (cut) req.pause();
      if (!r.ok && r.status === 408) req.socket?.destroy();
      resolve(r);
    };
    const declared = Number(req.headers["content-length"] ?? 0);
    const timer = setTimeout(
      () => finish({ ok: false, status: 408, error: `body not received within ${o.timeoutMs} ms` }, true),
      o.timeoutMs,
    );
    if (Number.isFinite(declared) && declared > o.maxBytes) {
      finish({ ok: false, status: 413, error: `body over ${o.maxBytes} bytes` }, true);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > o.maxBytes) finish({ ok: false, status: 413, error: `body over ${o.maxBytes} bytes` }, true);
      else chunks.push(c);
    });
    req.on("end", () => finish({ ok: true, body: Buffer.concat(chunks) }, false));
    req.on("error", (err) => finish({ ok: false, status: 400, error: err.message }, false));
    req.on("aborted", () => finish({ ok: false, status: 400, error: "request aborted" }, false));
  });
}

/** The answer to a body readBody refused: JSON error, and the connection closed so the rest is never read. */
export function refuseBody(res: ServerResponse, r: { status: number; error: string }): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(r.status, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ error: r.error }));
}

export interface HttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(
  host: string,
  port: number,
  routes: Record<string, Route>,
): Promise<HttpServer> {
  const server = createServer((req, res) => {
    const target = parseRequestTarget(req.url);
    const route = target ? findRoute(routes, target.path) : undefined;
    if (!route) {
      res.writeHead(target ? 404 : 400, { "content-type": "application/json" });
      res.end(target ? '{"error":"not found"}' : '{"error":"bad request target"}');
      return;
    }
    try {
      Promise.resolve(route(req, res)).catch(() => internalError(res));
    } catch {
      internalError(res);
    }
  });
  limitListener(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((r) => {
        server.closeIdleConnections();
        server.close(() => r());
      }),
  };
}

function internalError(res: ServerResponse): void {
  if (!res.headersSent) res.writeHead(500);
  res.end();
}
