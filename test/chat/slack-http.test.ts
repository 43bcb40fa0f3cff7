// Slack HTTP mode's receiver: unsigned requests refused before their body is read, small cap, short timeouts.
import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "@slack/bolt";
import { SLACK_LIMITS, SLACK_MAX_BODY_BYTES, SlackHttpReceiver } from "../../src/chat/slack-http.js";
import { quietLogger } from "../helpers/bot.js";
import { HOSTILE_TARGETS, rawRequest, statusOf } from "../helpers/raw-http.js";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
let receiver: SlackHttpReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

async function start(): Promise<{ port: number; events: unknown[] }> {
  const events: unknown[] = [];
  receiver = new SlackHttpReceiver({
    signingSecret: SECRET,
    port: 0,
    host: "127.0.0.1",
    path: "/slack/events",
    log: quietLogger(),
  });
  receiver.init({
    processEvent: async (e: { body: unknown; ack: () => Promise<void> }) => {
      events.push(e.body);
      await e.ack();
    },
  } as unknown as App);
  await receiver.start();
  return { port: receiver.port, events };
}

function signed(body: string, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  const sig = createHmac("sha256", SECRET).update(`v0:${ts}:${body}`).digest("hex");
  return { "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${sig}` };
}

function post(headers: Record<string, string>, body: string, declared = Buffer.byteLength(body)): string {
  const h = Object.entries({
    host: "x",
    "content-type": "application/json",
    "content-length": String(declared),
    ...headers,
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return `POST /slack/events HTTP/1.1\r\n${h}\r\n${body}`;
}

describe("SlackHttpReceiver", () => {
  it("refuses an unsigned request at once, without waiting for (or reading) its body", async () => {
    const { port, events } = await start();
    // A declared 900 KiB body of which nothing is sent: the answer must not wait for it.
    const res = await rawRequest(port, post({}, "", 900 * 1024), 1500);
    expect(statusOf(res)).toBe(401);
    const stale = await rawRequest(port, post(signed("{}", 1000), "", 900 * 1024), 1500);
    expect(statusOf(stale)).toBe(401);
    expect(events).toEqual([]);
  });

  it("caps a signed-looking body far below 1 MiB and still takes a real signed event", async () => {
    const { port, events } = await start();
    const big = "x".repeat(SLACK_MAX_BODY_BYTES + 1);
    expect(statusOf(await rawRequest(port, post(signed(big), big)))).toBe(413);
    expect(SLACK_MAX_BODY_BYTES).toBeLessThanOrEqual(128 * 1024);
    const body = JSON.stringify({ type: "url_verification", challenge: "abc" });
    const ok = await rawRequest(port, post(signed(body), body));
    expect(statusOf(ok)).toBe(200);
    expect(ok).toContain("abc");
    expect(events).toEqual([]);
  });

  it("has short header and request timeouts, and survives hostile request targets", async () => {
    const { port } = await start();
    for (const t of HOSTILE_TARGETS) {
      const res = await rawRequest(port, `POST ${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
      expect(statusOf(res), t).toBeGreaterThanOrEqual(400);
    }
    const server = (receiver as unknown as { server: Server }).server;
    expect(server.headersTimeout).toBe(SLACK_LIMITS.headersTimeoutMs);
    expect(server.requestTimeout).toBeLessThanOrEqual(10_000);
  });
});
