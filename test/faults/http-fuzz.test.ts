// Fault suite, a bounded HTTP fuzz run: random request lines, headers and bodies (seeded) against a running
// bot's listeners (health/metrics/webhook, Slack HTTP mode, the dashboard on its own port), loopback only.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/core/redis-server.js";
import { FakeSlack } from "../fakes/slack-api.js";
import { startCli, until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";
import { HOSTILE_TARGETS, rawExchange, statusOf } from "../helpers/raw-http.js";

const SEED = 0x5eedb07;
const REQUESTS = 2_000;
const PARALLEL = 16;
/** Above every server-side timeout (headers 5 s, request 10 s): a request still open by then was left hanging. */
const HANG_MS = 15_000;

/** mulberry32: small, seeded, the same sequence on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECRETS = {
  GERRIT_WEBHOOK_SECRET: "webhook-secret-Hk3Jd8sPq1-fuzz",
  SLACK_BOT_TOKEN: "xoxb-slack-bot-Tg5Rf7Ue2y",
  SLACK_SIGNING_SECRET: "slack-signing-Mn8Bv3Cx6z",
  DASHBOARD_PASSWORD: "dashboard-pw-Ds4Fg5Hj6k",
};

const METHODS = [
  "GET",
  "POST",
  "PUT",
  "HEAD",
  "OPTIONS",
  "DELETE",
  "PATCH",
  "CONNECT",
  "TRACE",
  "get",
  "G\u00c9T",
  "",
  "POST POST",
];
const PATHS = [
  "/healthz",
  "/readyz",
  "/metrics",
  "/gerrit/events",
  "/slack/events",
  "/admin/queues",
  "/admin/queues/api/queues",
  "/",
];
const VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/9", "http/1.1", "", "HTTP/1.1 extra"];

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + int(95))).join("");
  const target = (): string => {
    switch (int(5)) {
      case 0:
        return pick(HOSTILE_TARGETS);
      case 1:
        return `${pick(PATHS)}${pick(["", "?", "?a=%", "/..", "%00", "#x", `?${text(int(40))}`])}`;
      case 2:
        return `/${text(int(60))}`;
      case 3:
        return bytes(int(30)).toString("latin1");
      default:
        return pick(PATHS);
    }
  };
  const header = (bodyLen: number, kind: number): string => {
    switch (kind) {
      case 0:
        return `Content-Length: ${pick([bodyLen, bodyLen + 10, -1, 0, "abc", "99999999999999999999", `${bodyLen}, ${bodyLen}`])}`;
      case 1:
        return "Transfer-Encoding: chunked";
      case 2:
        return `Host: ${pick(["127.0.0.1", "", "[", "x:99999", text(20)])}`;
      case 3:
        return `X-Webhook-Secret: ${pick([SECRETS.GERRIT_WEBHOOK_SECRET, text(int(40)), ""])}`;
      case 4:
        return `Authorization: ${pick(["Basic " + Buffer.from(`admin:${text(8)}`).toString("base64"), "Bearer " + text(30), "Basic %%%", "Basic"])}`;
      case 5:
        return `X-Slack-Request-Timestamp: ${pick([String(Math.floor(Date.now() / 1000)), "0", "-1", "1e99", text(5)])}`;
      case 6:
        return `X-Slack-Signature: ${pick(["v0=" + "0".repeat(64), "v0=", text(70), "v1=abc"])}`;
      case 7:
        return `Content-Type: ${pick(["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=" + text(10), text(30)])}`;
      case 8:
        return `Cookie: ${text(int(200))}`;
      case 9:
        return text(int(30)); // no colon
      case 10:
        return `X-Long: ${"a".repeat(int(20_000))}`;
      case 11:
        return `${text(5)}\u0000: ${bytes(10).toString("latin1")}`;
      case 12:
        return `Expect: ${pick(["100-continue", "nonsense"])}`;
      default:
        return `Connection: ${pick(["close", "keep-alive", "upgrade", "Upgrade, HTTP2-Settings"])}`;
    }
  };
  const body = (): Buffer => {
    switch (int(6)) {
      case 0:
        return Buffer.alloc(0);
      case 1:
        return bytes(int(4096));
      case 2:
        return Buffer.from(
          JSON.stringify({
            type: pick(["patchset-created", "url_verification", "event_callback", text(8)]),
            challenge: text(20),
            n: int(1e9),
          }),
        );
      case 3:
        return Buffer.from(
          `${pick(["5", "zz", "-1", "ffffffffffff"])}\r\n${text(int(20))}\r\n${pick(["0\r\n\r\n", "", "x"])}`,
        );
      case 4:
        return Buffer.from(`payload=${encodeURIComponent(text(int(300)))}&command=/sunbeam&text=!status`);
      default:
        return Buffer.from(text(int(2000)));
    }
  };
  /** Headers a well-formed request may carry, with random values: these reach the routes and their checks. */
  const PLAUSIBLE = [3, 4, 5, 6, 7, 8, 13];
  /**
   * One request. Half are well formed (a real method, path and version, valid header syntax, a correct
   * Content-Length) with random values and bodies, so they get past the parser to the routes; half are
   * hostile anywhere. One in eight is cut short at a random byte (a client that gives up mid-request).
   */
  return (): Buffer => {
    const b = body();
    let raw: Buffer;
    if (int(2) === 0) {
      const headers = Array.from({ length: int(5) }, () => header(b.length, pick(PLAUSIBLE)));
      const method = pick(["GET", "POST", "POST", "HEAD"]);
      const path = `${pick(PATHS)}${pick(["", "", `?x=${encodeURIComponent(text(int(20)))}`])}`;
      const head = [
        `${method} ${path} HTTP/1.1`,
        "Host: 127.0.0.1",
        ...headers,
        `Content-Length: ${b.length}`,
      ];
      raw = Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), b]);
    } else {
      const headers = Array.from({ length: int(9) }, () => header(b.length, int(14)));
      const sep = pick(["\r\n", "\r\n", "\r\n", "\n", "\r"]);
      const line = `${pick(METHODS)} ${target()} ${pick(VERSIONS)}`.trimEnd();
      raw = Buffer.concat([Buffer.from(`${line}${sep}${headers.join(sep)}${sep}${sep}`, "latin1"), b]);
    }
    return int(8) === 0 ? raw.subarray(0, int(raw.length + 1)) : raw;
  };
}

describe("a bounded HTTP fuzz run of the bot's listeners", () => {
  const done: Array<() => unknown> = [];
  let bot: ReturnType<typeof startCli>;
  const ports = { http: 0, slack: 0, dashboard: 0 };

  beforeAll(async () => {
    const slack = await FakeSlack.start({ botToken: SECRETS.SLACK_BOT_TOKEN });
    const prefix = randomPrefix();
    const dir = mkdtempSync(join(tmpdir(), "fuzz-run-"));
    done.push(
      () => slack.close(),
      () => dropPrefix(prefix),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    ports.slack = await freePort();
    ports.dashboard = await freePort();
    const cfg = join(dir, "config.yaml");
    writeFileSync(
      cfg,
      [
        `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
        `http: { host: 127.0.0.1, port: 0, dashboard: { enabled: true, host: 127.0.0.1, port: ${ports.dashboard} } }`,
        "chat:",
        `  slack: { mode: http, http: { host: 127.0.0.1, port: ${ports.slack} }, apiUrl: "${slack.apiUrl}", minIntervalMs: 0 }`,
        "rooms: { sl: { network: slack, id: C0TEAM } }",
        "gerrit: { url: https://review.example.org, settleSeconds: 0, webhook: { enabled: true } }",
      ].join("\n"),
    );
    bot = startCli(["run", "--config", cfg], { ...SECRETS, LOG_LEVEL: "info" });
    done.push(async () => {
      if (bot.child.exitCode === null) {
        bot.child.kill("SIGKILL");
        await new Promise((r) => bot.child.on("close", r));
      }
    });
    await until(
      () => /"http listening"/.test(bot.err()) && /dashboard listening/.test(bot.err()),
      20_000,
      "listening",
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; the bot said: ${bot.err().slice(-2000)} ${bot.out().slice(-500)}`);
    });
    ports.http = Number(/"port":(\d+)[^\n]*"http listening"/.exec(bot.err())?.[1]);
    // Slack HTTP mode is up once it answers (its own listener starts with the adapter).
    await until(
      async () => statusOf((await rawExchange(ports.slack, "GET / HTTP/1.1\r\n\r\n", 2000)).response) > 0,
      30_000,
      "slack http",
    );
  });

  afterAll(async () => {
    for (const c of done.reverse()) await c();
  });

  it(`answers or closes each of ${REQUESTS} random requests, and is alive and healthy after`, async () => {
    const next = generator(rng(SEED));
    const targets = [ports.http, ports.slack, ports.dashboard];
    const hung: string[] = [];
    const statuses = new Map<number, number>();
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        const i = sent++;
        const raw = next();
        const port = targets[i % targets.length] as number;
        const r = await rawExchange(port, raw, HANG_MS);
        if (r.outcome === "timeout")
          hung.push(`#${i} to ${port}: ${JSON.stringify(raw.subarray(0, 120).toString("latin1"))}`);
        const s = statusOf(r.response);
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
        expect(bot.child.exitCode, `the bot exited after request #${i}`).toBeNull();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(hung).toEqual([]);
    expect(bot.child.exitCode).toBeNull();
    // Answers were given, not only closes: the fuzz reached the routes and the parsers both.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    for (const port of targets) {
      const after = await rawExchange(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 5000);
      expect(statusOf(after.response), `port ${port} answers after the run`).toBeGreaterThan(0);
    }
    const health = await rawExchange(ports.http, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 5000);
    expect(statusOf(health.response)).toBe(200);
    expect(bot.err()).not.toMatch(/uncaught|unhandled|FATAL/i);
  });
});
