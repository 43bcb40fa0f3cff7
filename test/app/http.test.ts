import { afterEach, describe, expect, it } from "vitest";
import { countCalls } from "../../src/core/metrics.js";
import { startRedisServer, type PrivateRedis } from "../../src/core/redis-server.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
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

/**
 * The families issue 9 asks for, named here rather than read from the registry so a family that goes
 * missing fails the test: events by source and kind; jobs by queue and state; job durations; retries and
 * failures; chat messages and 429s per network; the Gerrit stream gauge, reconnects and backfill; triage
 * outcomes and Launchpad writes; registry polls and announcements; commands by name and result.
 */
const FAMILIES: Record<string, { type: string; labels: string[] }> = {
  sunbeam_bot_events_total: { type: "counter", labels: ["source", "kind"] },
  sunbeam_bot_jobs: { type: "gauge", labels: ["queue", "state"] },
  sunbeam_bot_job_duration_seconds: { type: "histogram", labels: ["queue"] },
  sunbeam_bot_job_retries_total: { type: "counter", labels: ["queue"] },
  sunbeam_bot_job_failures_total: { type: "counter", labels: ["queue"] },
  sunbeam_bot_chat_messages_sent_total: { type: "counter", labels: ["network"] },
  sunbeam_bot_chat_rate_limited_total: { type: "counter", labels: ["network"] },
  sunbeam_bot_gerrit_stream_connected: { type: "gauge", labels: [] },
  sunbeam_bot_gerrit_reconnects_total: { type: "counter", labels: [] },
  sunbeam_bot_gerrit_events_backfilled_total: { type: "counter", labels: [] },
  sunbeam_bot_triage_outcomes_total: { type: "counter", labels: ["outcome"] },
  sunbeam_bot_launchpad_writes_total: { type: "counter", labels: ["kind"] },
  sunbeam_bot_registry_polls_total: { type: "counter", labels: ["result"] },
  sunbeam_bot_oci_announcements_total: { type: "counter", labels: [] },
  sunbeam_bot_commands_total: { type: "counter", labels: ["command", "result"] },
  sunbeam_bot_dependency_errors_total: { type: "counter", labels: ["dependency"] },
  sunbeam_bot_build_info: { type: "gauge", labels: ["version", "node"] },
  sunbeam_bot_chat_connected: { type: "gauge", labels: ["network"] },
  sunbeam_bot_last_event_timestamp_seconds: { type: "gauge", labels: ["source"] },
  sunbeam_bot_oldest_waiting_job_age_seconds: { type: "gauge", labels: ["queue"] },
  sunbeam_bot_redis_up: { type: "gauge", labels: [] },
  sunbeam_bot_ready_check: { type: "gauge", labels: ["check"] },
};

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
    for (const [name, want] of Object.entries(FAMILIES)) {
      const fam = fams.get(name);
      expect(fam?.type, name).toBe(want.type);
      expect(fam?.help, name).toBeTruthy();
      // Every sample carries exactly the family's labels (plus `le` on histogram buckets).
      for (const s of fam?.samples ?? [])
        expect(
          Object.keys(s.labels).filter((l) => l !== "le"),
          s.name,
        ).toEqual(want.labels);
    }
    for (const f of ["process_resident_memory_bytes", "nodejs_eventloop_lag_seconds"])
      expect(fams.has(f), f).toBe(true);
    // Nothing named sunbeam_bot_* that the list above does not know (a new family needs a dashboard panel).
    expect([...fams.keys()].filter((n) => n.startsWith("sunbeam_bot_") && !(n in FAMILIES))).toEqual([]);
    expect(
      fams
        .get("sunbeam_bot_job_duration_seconds")
        ?.samples.some(
          (s) =>
            s.name === "sunbeam_bot_job_duration_seconds_count" && s.labels.queue === "relay" && s.value >= 1,
        ),
    ).toBe(true);
    expect(fams.get("sunbeam_bot_chat_messages_sent_total")?.samples).toContainEqual({
      name: "sunbeam_bot_chat_messages_sent_total",
      labels: { network: "console" },
      value: 2,
    });
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
    const value = (name: string, labels: Record<string, string> = {}) =>
      fams.get(name)?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    expect(value("sunbeam_bot_redis_up")).toBe(1);
    expect(value("sunbeam_bot_ready_check", { check: "redis" })).toBe(1);
    expect(value("sunbeam_bot_chat_connected", { network: "console" })).toBe(1);
    expect(value("sunbeam_bot_oldest_waiting_job_age_seconds", { queue: "relay" })).toBe(0);
    expect(value("sunbeam_bot_last_event_timestamp_seconds", { source: "gerrit" })).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    // Counters have a series before their first increment, so increase() sees the first failure.
    expect(value("sunbeam_bot_dependency_errors_total", { dependency: "gerrit" })).toBe(0);
    expect(fams.get("sunbeam_bot_build_info")?.samples[0]?.labels.node).toBe(process.versions.node);
    expect((await get(port, "/healthz")).status).toBe(200);
  });

  it("counts Launchpad writes by kind through countCalls, only for calls that succeed", async () => {
    t = await startTestBot();
    const client = {
      secret: "kept",
      async newMessage(text: string) {
        return `${this.secret}:${text}`;
      },
      async setStatus(_s: string) {
        throw new Error("409 Conflict");
      },
      async getBug() {
        return 1;
      },
    };
    const counted = countCalls(client, t.bot.metrics.launchpadWrites, {
      newMessage: "comment",
      setStatus: "status",
    });
    expect(await counted.newMessage("hi")).toBe("kept:hi");
    await counted.newMessage("again");
    await expect(counted.setStatus("New")).rejects.toThrow("409");
    expect(await counted.getBug()).toBe(1);
    const fams = parsePromText((await get(t.bot.http?.port ?? 0, "/metrics")).body);
    expect(fams.get("sunbeam_bot_launchpad_writes_total")?.samples).toEqual([
      { name: "sunbeam_bot_launchpad_writes_total", labels: { kind: "comment" }, value: 2 },
    ]);
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
    // Redis back on the same port: the bot reconnects by itself and is ready again, no restart.
    own = await startRedisServer({ port: own.port });
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await get(port, "/readyz")).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  });
});
