import { afterEach, describe, expect, it } from "vitest";
import { startRedisServer, type PrivateRedis } from "../../src/redis-server.js";
import { parseGerritLine } from "../../src/sources/gerrit-parse.js";
import { startTestBot, type TestBot } from "../helpers/bot.js";
import { parsePromText } from "../helpers/prom-text.js";
import { dropPrefix } from "../helpers/redis.js";

let t: TestBot | undefined;
let own: PrivateRedis | undefined;
afterEach(async () => {
  await t?.bot.stop();
  if (t && !own) await dropPrefix(t.prefix);
  await own?.stop();
  t = undefined;
  own = undefined;
});

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

describe("health, readiness and metrics", () => {
  it("serves /metrics as valid Prometheus text with the bot's families", async () => {
    t = await startTestBot();
    const e = parseGerritLine(
      '{"type":"patchset-created","change":{"project":"p","branch":"main","number":5,"subject":"s"},"patchSet":{"number":1},"uploader":{"username":"a"},"eventCreatedOn":1764000000}',
    );
    if (!e.ok) throw new Error(e.error);
    await t.bot.ingest(e.event);
    await t.chat.inject({ text: "!help", id: "m1" });
    await t.chat.waitForSent(2);
    const port = t.bot.http?.port ?? 0;
    const m = await get(port, "/metrics");
    expect(m.status).toBe(200);
    const fams = parsePromText(m.body);
    for (const f of [
      "sunbeam_bot_events_total",
      "sunbeam_bot_jobs",
      "sunbeam_bot_job_duration_seconds",
      "sunbeam_bot_chat_messages_sent_total",
      "sunbeam_bot_commands_total",
      "sunbeam_bot_gerrit_stream_connected",
      "process_resident_memory_bytes",
    ]) {
      expect(fams.has(f), f).toBe(true);
    }
    expect(fams.get("sunbeam_bot_events_total")?.samples).toContainEqual({
      name: "sunbeam_bot_events_total",
      labels: { source: "gerrit", kind: "gerrit.patchset-created" },
      value: 1,
    });
    expect(fams.get("sunbeam_bot_commands_total")?.samples).toContainEqual({
      name: "sunbeam_bot_commands_total",
      labels: { command: "help", result: "ok" },
      value: 1,
    });
    expect(
      fams
        .get("sunbeam_bot_jobs")
        ?.samples.some((s) => s.labels.queue === "relay" && s.labels.state === "completed" && s.value >= 1),
    ).toBe(true);
    expect((await get(port, "/healthz")).status).toBe(200);
  });

  it("turns /readyz non-200 when Redis is down", async () => {
    own = await startRedisServer();
    t = await startTestBot({
      extra: { redis: { url: own.url, prefix: "ready" }, jobs: { shutdownGraceSeconds: 0.5 } },
    });
    const port = t.bot.http?.port ?? 0;
    expect((await get(port, "/readyz")).status).toBe(200);
    await own.stop();
    const r = await get(port, "/readyz");
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ ready: false, checks: { redis: false } });
    expect((await get(port, "/healthz")).status).toBe(200);
  });
});
