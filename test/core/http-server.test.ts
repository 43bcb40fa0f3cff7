// The request-target parser cannot throw; every route answers hostile targets; bodies are capped and timed.
import { PassThrough } from "node:stream";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseRequestTarget, readBody, startHttp, type HttpServer } from "../../src/core/http-server.js";
import { HOSTILE_TARGETS, rawRequest, statusOf } from "../helpers/raw-http.js";

describe("parseRequestTarget", () => {
  it("never throws, and only origin-form targets have a path", () => {
    for (const t of HOSTILE_TARGETS) expect(() => parseRequestTarget(t), t).not.toThrow();
    expect(parseRequestTarget("//")).toEqual(expect.objectContaining({ path: "//" }));
    expect(parseRequestTarget("http://[")).toBeUndefined();
    expect(parseRequestTarget("*")).toBeUndefined();
    expect(parseRequestTarget("/%zz")).toBeUndefined();
    expect(parseRequestTarget(undefined)).toBeUndefined();
  });

  it("removes dot segments, encoded ones too, and refuses encoded slashes", () => {
    expect(parseRequestTarget("/admin/queues/../../metrics")?.path).toBe("/metrics");
    expect(parseRequestTarget("/a/%2e%2e/healthz?x=1")?.path).toBe("/healthz");
    expect(parseRequestTarget("/a/%2e%2e/healthz?x=1")?.query.get("x")).toBe("1");
    expect(parseRequestTarget("/..%2f..%2fadmin")).toBeUndefined();
    expect(parseRequestTarget("/a%5c..")).toBeUndefined();
  });
});

describe("startHttp with hostile request targets", () => {
  let http: HttpServer | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  it("answers every one, keeps serving, and never reaches a route by a trick", async () => {
    const hits: string[] = [];
    http = await startHttp("127.0.0.1", 0, {
      "/healthz": (_q, r) => void r.writeHead(200).end("ok"),
      "/admin/queues/*": (q, r) => {
        hits.push(q.url ?? "");
        r.writeHead(200).end("dash");
      },
    });
    for (const t of HOSTILE_TARGETS) {
      const res = await rawRequest(http.port, `GET ${t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect([200, 400, 404, 414, 431], t).toContain(statusOf(res));
    }
    expect(hits).toEqual([]);
    const ok = await rawRequest(http.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(statusOf(ok)).toBe(200);
  });

  it("a route that throws synchronously gets a 500, not a dead process", async () => {
    http = await startHttp("127.0.0.1", 0, {
      "/boom": () => {
        throw new Error("boom");
      },
    });
    const res = await rawRequest(http.port, "GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(statusOf(res)).toBe(500);
  });

  it("sets header and request timeouts on the listener", async () => {
    http = await startHttp("127.0.0.1", 0, {});
    expect(http.server.headersTimeout).toBeLessThanOrEqual(10_000);
    expect(http.server.requestTimeout).toBeLessThanOrEqual(30_000);
    expect(http.server.timeout).toBeGreaterThan(0);
  });
});

function fakeRequest(headers: Record<string, string> = {}): IncomingMessage & PassThrough {
  const s = new PassThrough() as unknown as IncomingMessage & PassThrough;
  Object.assign(s, { headers, socket: { destroy: vi.fn() } });
  return s;
}

describe("readBody", () => {
  afterEach(() => void vi.useRealTimers());

  it("gives up on a slow body (slow loris) after its time, and cuts the socket", async () => {
    vi.useFakeTimers();
    const req = fakeRequest();
    const p = readBody(req, { maxBytes: 1024, timeoutMs: 5000 });
    req.write("a");
    await vi.advanceTimersByTimeAsync(4999);
    req.write("b");
    await vi.advanceTimersByTimeAsync(2);
    expect(await p).toMatchObject({ ok: false, status: 408 });
    expect(req.socket.destroy).toHaveBeenCalled();
  });

  it("refuses a declared or actual body over the cap without keeping it", async () => {
    const declared = await readBody(fakeRequest({ "content-length": "2048" }), {
      maxBytes: 1024,
      timeoutMs: 1000,
    });
    expect(declared).toMatchObject({ ok: false, status: 413 });
    const req = fakeRequest();
    const p = readBody(req, { maxBytes: 1024, timeoutMs: 1000 });
    req.write(Buffer.alloc(1025));
    expect(await p).toMatchObject({ ok: false, status: 413 });
    const small = fakeRequest();
    const q = readBody(small, { maxBytes: 1024, timeoutMs: 1000 });
    small.end("hello");
    const got = await q;
    expect(got.ok && got.body.toString()).toBe("hello");
  });
});
