// The real CLI with its Redis stopped: /metrics still answers fast, /readyz says why, stderr stays JSON;
// a SIGHUP before that does not kill it.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startRedisServer } from "../../src/core/redis-server.js";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "sunbeam-outage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(url: string, status: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (r?.status === status) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${ms} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe("Redis stopped under a running bot", () => {
  it("answers /metrics in under 2 s and writes only JSON lines to stderr", async () => {
    const redis = await startRedisServer();
    const port = await freePort();
    const config = join(dir, "config.yaml");
    writeFileSync(
      config,
      [
        `redis: { url: "${redis.url}", prefix: outage }`,
        `http: { enabled: true, host: 127.0.0.1, port: ${port} }`,
        "chat: { console: { enabled: false } }",
        "jobs: { shutdownGraceSeconds: 1 }",
      ].join("\n"),
    );
    const child = spawn(process.execPath, [join(ROOT, "bin", "sunbeam-bot.js"), "run", "--config", config], {
      env: { ...process.env, LOG_LEVEL: "info", REDIS_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${base}/readyz`, 200, 20_000);
      // SIGHUP (Node's default: die without a drain) is answered with a warning; the bot keeps running.
      child.kill("SIGHUP");
      await new Promise((r) => setTimeout(r, 300));
      await waitFor(`${base}/readyz`, 200, 5000);
      expect(stderr).toContain("SIGHUP: the config is read at start only");
      await redis.stop();
      // Reconnect attempts and the workers' blocked reads fail for a while, as they do in an outage.
      await new Promise((r) => setTimeout(r, 1500));
      const times: number[] = [];
      let body = "";
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
        body = await r.text();
        times.push(performance.now() - t0);
        expect(r.status).toBe(200);
      }
      console.log(`/metrics with Redis stopped: ${times.map((t) => `${Math.round(t)} ms`).join(", ")}`);
      for (const t of times) expect(t).toBeLessThan(2000);
      expect(body).toMatch(/^sunbeam_bot_redis_up 0$/m);
      expect(body).toMatch(/^sunbeam_bot_build_info\{/m);
      const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, boolean> }).checks.redis).toBe(false);
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).not.toBeNull();
    const lines = stderr.split("\n").filter((l) => l.trim() !== "");
    const notJson = lines.filter((l) => {
      try {
        return typeof JSON.parse(l) !== "object";
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    // The outage was logged (as JSON), and a few lines, not one per reconnect attempt and queue.
    const msgs = lines.map((l) => (JSON.parse(l) as { msg?: string }).msg);
    expect(msgs.some((m) => /redis|queue error|worker error/.test(m ?? ""))).toBe(true);
    expect(lines.length).toBeLessThan(200);
  }, 60_000);
});
