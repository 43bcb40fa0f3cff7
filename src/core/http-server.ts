// The bot's HTTP server: health, readiness, metrics, the Gerrit webhook receiver and the queue dashboard.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * A route's key is an exact path (`/metrics`), or a prefix ending in `/*` (`/admin/queues/*`) that takes
 * the bare prefix and everything below it: a mounted app such as the queue dashboard serves its own tree.
 * Paths are normalised first (`/a/../b` is `/b`), so a prefix cannot be reached or left by `..`.
 */
export function findRoute(routes: Record<string, Route>, path: string): Route | undefined {
  const exact = routes[path];
  if (exact) return exact;
  for (const [key, route] of Object.entries(routes)) {
    if (!key.endsWith("/*")) continue;
    const base = key.slice(0, -2);
    if (path === base || path.startsWith(`${base}/`)) return route;
  }
  return undefined;
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
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const route = findRoute(routes, path);
    if (!route) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":"not found"}');
      return;
    }
    Promise.resolve(route(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // Bodies must arrive promptly; a slow client cannot hold a socket for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
