// An HTTP proxy in front of a fake that, on demand, answers 5xx, resets, stalls or loses the fake's answer.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";

/**
 * What happens to one request. The first three never reach the fake (the server did nothing, so any
 * client may retry); `lose` reaches it and is processed there, then the answer is lost on the way back
 * (only an idempotent protocol, such as Matrix transaction ids, can retry that without doubling).
 */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: string }
  | { kind: "reset" }
  /** Held for `ms`, then the connection is closed without an answer (a proxy's idle timeout). */
  | { kind: "stall"; ms: number }
  /** Forwarded; the fake's answer is replaced by `status`, or by a closed connection when none is given. */
  | { kind: "lose"; status?: number };

export interface FaultProxyOptions {
  /** Which requests faults apply to (the others are always forwarded), e.g. only chat.postMessage. */
  match?: (method: string, path: string) => boolean;
  /** A seeded random source for `faultRate` (the same mix on every run). */
  random?: () => number;
}

export class FaultProxy {
  private readonly queue: Fault[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly target: URL;
  private port_ = 0;
  /** Besides queued faults: this share of matching requests gets one of `randomFaults`. */
  faultRate = 0;
  randomFaults: Fault[] = [];
  /** Matching requests forwarded untouched, and faults applied, by kind. */
  forwarded = 0;
  readonly applied: Record<Fault["kind"], number> = { status: 0, reset: 0, stall: 0, lose: 0 };

  private constructor(
    target: string,
    private readonly opts: FaultProxyOptions,
  ) {
    this.target = new URL(target);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  static async start(target: string, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
    const p = new FaultProxy(target, opts);
    await new Promise<void>((resolve) => p.server.listen(0, "127.0.0.1", () => resolve()));
    const addr = p.server.address();
    p.port_ = typeof addr === "object" && addr ? addr.port : 0;
    return p;
  }

  /** `http://127.0.0.1:<port>`: give this to the client instead of the fake's URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port_}`;
  }

  /** The next `count` matching requests get this fault. */
  inject(count: number, fault: Fault): void {
    for (let i = 0; i < count; i++) this.queue.push(fault);
  }

  get faults(): number {
    return Object.values(this.applied).reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pick(method: string, path: string): Fault | undefined {
    if (this.opts.match && !this.opts.match(method, path)) return undefined;
    const queued = this.queue.shift();
    if (queued) return queued;
    const random = this.opts.random ?? Math.random;
    if (this.faultRate > 0 && this.randomFaults.length > 0 && random() < this.faultRate)
      return this.randomFaults[Math.floor(random() * this.randomFaults.length)];
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const fault = this.pick(method, new URL(path, "http://x").pathname);
    if (fault) this.applied[fault.kind] += 1;
    else if (!this.opts.match || this.opts.match(method, new URL(path, "http://x").pathname))
      this.forwarded += 1;
    if (fault?.kind === "status") {
      req.resume();
      const headers: Record<string, string> = { "content-type": "text/plain" };
      if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(`fault proxy: HTTP ${fault.status}`);
      return;
    }
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "stall") {
      req.resume();
      const timer = setTimeout(() => req.socket.destroy(), fault.ms);
      req.socket.once("close", () => clearTimeout(timer));
      return;
    }
    this.forward(req, res, fault?.kind === "lose" ? fault : undefined);
  }

  private forward(req: IncomingMessage, res: ServerResponse, lose: { status?: number } | undefined): void {
    const upstream = httpRequest(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
      },
      (up) => {
        if (lose) {
          // Read the whole answer, so the fake has finished acting, then drop it.
          up.resume();
          up.on("end", () => {
            if (lose.status === undefined) req.socket.destroy();
            else res.writeHead(lose.status, { "content-type": "text/plain" }).end("fault proxy: lost answer");
          });
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => req.socket.destroy());
    // A client that gives up (long-poll aborted) ends the upstream request too.
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  }
}
