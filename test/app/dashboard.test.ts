// The Bull Board queue dashboard on the bot's HTTP server: absent when off, basic auth when on.
import { afterEach, describe, expect, it } from "vitest";
import { MemoryAdapter } from "../../src/chat/memory.js";
import { validateConfig, type LoadedConfig } from "../../src/app/config-load.js";
import { checkBasicAuth } from "../../src/app/dashboard.js";
import { Bot } from "../../src/app/bot.js";
import { QUEUE_NAMES } from "../../src/core/queues.js";
import { quietLogger, startTestBot, testConfig } from "../helpers/bot.js";
import { dropPrefix, randomPrefix } from "../helpers/redis.js";

const PASSWORD = "correct horse battery staple";
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

let running: { bot: Bot; prefix: string } | undefined;
afterEach(async () => {
  await running?.bot.stop();
  if (running) await dropPrefix(running.prefix);
  running = undefined;
});

/**
 * A bot whose config turns the dashboard on. The section is added after validation, so the test does not
 * depend on the schema's spelling in config.ts; the wiring (bot-routes → http) is the real one.
 */
async function botWithDashboard(
  dashboard: Record<string, unknown>,
): Promise<{ port: number; logs: string[]; bot: Bot }> {
  const prefix = randomPrefix();
  const loaded = validateConfig(testConfig(prefix), { DASHBOARD_PASSWORD: PASSWORD }, "test");
  const withDashboard: LoadedConfig = {
    ...loaded,
    config: { ...loaded.config, http: Object.assign({}, loaded.config.http, { dashboard }) },
  };
  const logs: string[] = [];
  const bot = new Bot({
    loaded: withDashboard,
    log: quietLogger(logs),
    adapters: [new MemoryAdapter("console")],
  });
  running = { bot, prefix };
  await bot.start();
  return { port: bot.http?.port ?? 0, logs, bot };
}

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

describe("queue dashboard", () => {
  it("does not exist when it is off (the default)", async () => {
    const t = await startTestBot({ env: { DASHBOARD_PASSWORD: PASSWORD } });
    running = t;
    const port = t.bot.http?.port ?? 0;
    for (const path of ["/admin/queues", "/admin/queues/", "/admin/queues/api/queues"]) {
      const r = await get(port, path, { authorization: basic("admin", PASSWORD) });
      expect(r.status, path).toBe(404);
      expect(r.headers.get("www-authenticate"), path).toBeNull();
    }
  });

  it("asks for credentials and refuses wrong ones", async () => {
    const { port, logs } = await botWithDashboard({ enabled: true, maxFailuresPerMinute: 10 });
    const none = await get(port, "/admin/queues");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm="[^"]+"/);
    for (const auth of [
      basic("admin", "wrong"),
      basic("root", PASSWORD),
      basic("admin", `${PASSWORD}x`),
      basic("admin", ""),
      `Bearer ${PASSWORD}`,
      "Basic !!!",
    ]) {
      const r = await get(port, "/admin/queues/api/queues", { authorization: auth });
      expect(r.status, auth).toBe(401);
      expect(r.body).not.toContain("relay");
    }
    expect(logs.some((l) => l.includes("wrong credentials") && l.includes('"user":"root"'))).toBe(true);
    expect(logs.join("")).not.toContain(PASSWORD);
  });

  it("serves the board, its assets and the bot's queues with the right credentials", async () => {
    const { port } = await botWithDashboard({ enabled: true, user: "ops", path: "/ops/bull" });
    const auth = { authorization: basic("ops", PASSWORD) };
    expect((await get(port, "/admin/queues", auth)).status).toBe(404);
    const page = await get(port, "/ops/bull", auth);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    // Not frameable, and the page's Google Fonts link is blocked (no request leaves for another site).
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline';/);
    expect(csp).not.toMatch(/googleapis|https:/);
    expect(page.body).toContain('<base href="/ops/bull/"');
    expect(page.body).toContain("sunbeam-bot queues");
    // What the browser loads next: the scripts (relative to <base>) and the queue list.
    const script = /<script defer src="([^"]+)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const js = await get(port, `/ops/bull/${script}`, auth);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect((await get(port, `/ops/bull/${script}`)).status).toBe(401);
    const api = await get(port, "/ops/bull/api/queues", auth);
    expect(api.status).toBe(200);
    const names = (JSON.parse(api.body) as { queues: { name: string }[] }).queues.map((q) => q.name);
    expect([...names].sort()).toEqual([...QUEUE_NAMES].sort());
    expect((await get(port, "/ops/bull/no/such/page", auth)).status).toBe(404);
    expect((await get(port, "/ops/bullx", auth)).status).toBe(404);
  });

  it("acts on a queue from its own pages, refuses cross-site requests and audits actions", async () => {
    const { port, logs, bot } = await botWithDashboard({ enabled: true, readOnly: false });
    const url = `http://127.0.0.1:${port}/admin/queues/api/queues/summary/pause`;
    const authorization = basic("admin", PASSWORD);
    const forged = await fetch(url, {
      method: "PUT",
      headers: { authorization, origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(forged.status).toBe(403);
    expect(await bot.queues.get("summary").isPaused()).toBe(false);
    const own = await fetch(url, {
      method: "PUT",
      headers: { authorization, "sec-fetch-site": "same-origin" },
    });
    expect(own.status).toBe(200);
    expect(await bot.queues.get("summary").isPaused()).toBe(true);
    const audit = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
    expect(audit).toContainEqual(
      expect.objectContaining({
        source: "dashboard",
        user: "admin",
        method: "PUT",
        path: "/api/queues/summary/pause",
      }),
    );
  });

  it("is read-only unless told otherwise: no job can be added, retried or paused", async () => {
    const { port, bot } = await botWithDashboard({ enabled: true });
    const r = await fetch(`http://127.0.0.1:${port}/admin/queues/api/queues/summary/pause`, {
      method: "PUT",
      headers: { authorization: basic("admin", PASSWORD), "sec-fetch-site": "same-origin" },
    });
    expect(r.status).not.toBe(200);
    expect(await bot.queues.get("summary").isPaused()).toBe(false);
  });

  it("throttles password guessing per address: after 5 wrong logins, 429 even for the right one", async () => {
    const { port } = await botWithDashboard({ enabled: true });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push(
        (await get(port, "/admin/queues/api/queues", { authorization: basic("admin", `guess${i}`) })).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const right = await get(port, "/admin/queues/api/queues", { authorization: basic("admin", PASSWORD) });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("refuses a short DASHBOARD_PASSWORD in config check", () => {
    const loaded = () =>
      validateConfig(
        { ...testConfig(randomPrefix()), http: { dashboard: { enabled: true } } },
        { DASHBOARD_PASSWORD: "x" },
        "test",
      );
    expect(loaded).toThrow(/DASHBOARD_PASSWORD is 1 characters; needs at least 12/);
  });

  it("listens on a port of its own when given one, and not on the webhook port", async () => {
    const { port, bot } = await botWithDashboard({ enabled: true, port: 0 });
    const auth = { authorization: basic("admin", PASSWORD) };
    expect((await get(port, "/admin/queues/api/queues", auth)).status).toBe(404);
    const own = bot.dashboardHttp?.port ?? 0;
    expect(own).toBeGreaterThan(0);
    expect(own).not.toBe(port);
    expect((await get(own, "/admin/queues/api/queues", auth)).status).toBe(200);
    expect((await get(own, "/healthz")).status).toBe(404);
  });

  it("can be read-only", async () => {
    const { port, bot } = await botWithDashboard({ enabled: true, readOnly: true });
    const r = await fetch(`http://127.0.0.1:${port}/admin/queues/api/queues/summary/pause`, {
      method: "PUT",
      headers: { authorization: basic("admin", PASSWORD) },
    });
    expect(r.status).toBe(405);
    expect(await r.text()).toContain("READ_ONLY");
    expect(await bot.queues.get("summary").isPaused()).toBe(false);
  });
});

describe("checkBasicAuth", () => {
  it("accepts only the exact pair, including ':' in the password", () => {
    const h = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
    expect(checkBasicAuth(h("admin:pa:ss"), "admin", "pa:ss")).toEqual({ ok: true, user: "admin" });
    expect(checkBasicAuth(h("admin:pa:ss"), "admin", "pa")).toEqual({ ok: false, user: "admin" });
    expect(checkBasicAuth(h("adminpass"), "admin", "pass").ok).toBe(false);
    expect(checkBasicAuth(undefined, "admin", "pass").ok).toBe(false);
    expect(checkBasicAuth(`basic ${Buffer.from("admin:pass").toString("base64")}`, "admin", "pass").ok).toBe(
      true,
    );
  });
});
