// A dead Gerrit under real BullMQ workers: jobs keep their attempts, back off, are counted per dependency
// and say "retrying: <reason>" in their log (what the queue dashboard shows); our own waits stay uncounted.
import { afterEach, describe, expect, it } from "vitest";
import { RetryLaterError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";
import { Metrics } from "../../src/core/metrics.js";
import { Queues } from "../../src/core/queues.js";
import { connectRedis, type Redis } from "../../src/core/redis.js";
import { freePort } from "../../src/core/redis-server.js";
import { Workers } from "../../src/core/worker.js";
import { dependencyBackoffMs, dependencyOf } from "../../src/core/dependencies.js";
import { HttpClient } from "../../src/integrations/http.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

const log = createLogger({ level: "silent" });
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(): Promise<{ redis: Redis; prefix: string; queues: Queues; metrics: Metrics }> {
  const redis = connectRedis(redisUrl());
  const prefix = randomPrefix();
  const queues = new Queues(redis, prefix, { attempts: 3, backoffMs: 10, keepDays: 1 }, 0, [], log);
  cleanup.push(async () => {
    await queues.close();
    await dropPrefix(prefix);
    await redis.quit();
  });
  return { redis, prefix, queues, metrics: new Metrics({ defaults: false }) };
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("a dependency down", () => {
  it("names the dependency from each client's own error text", () => {
    expect(dependencyOf("Gerrit GET /changes/: connect ECONNREFUSED 127.0.0.1:1")).toBe("gerrit");
    expect(dependencyOf("Launchpad POST /bugs/1: HTTP 503 Service Unavailable")).toBe("launchpad");
    expect(dependencyOf("slack: rate limited")).toBe("slack");
    expect(dependencyOf("matrix: M_LIMIT_EXCEEDED")).toBe("matrix");
    expect(dependencyOf("manifest openstack/keystone:2024.1: registry answered 502")).toBe("registry");
    expect(dependencyOf("pacing slack room C1")).toBeUndefined();
    expect(dependencyOf("bug 1: grace period after filing")).toBeUndefined();
    expect(dependencyOf("another replica is fetching the monorepo")).toBeUndefined();
    expect([0, 1, 2, 5, 6, 30].map((n) => dependencyBackoffMs(0, n))).toEqual([
      1000, 2000, 4000, 32_000, 60_000, 60_000,
    ]);
    expect(dependencyBackoffMs(90_000, 0)).toBe(90_000);
  });

  it("counts each failed run, spends no attempt, backs off and logs 'retrying: <reason>' on the job", async () => {
    const { redis, prefix, queues, metrics } = await setup();
    // A real client against a port where nothing listens: the error text a dead Gerrit produces.
    const gerrit = new HttpClient({
      name: "Gerrit",
      baseURL: `http://127.0.0.1:${await freePort()}`,
      retry: { retries: 0, baseDelayMs: 1 },
      log,
    });
    let runs = 0;
    const workers = new Workers(
      {
        merges: async () => {
          runs++;
          await gerrit.request("GET", "/changes/");
        },
      },
      { connection: redis, prefix, concurrency: 1, log, metrics },
    );
    workers.start();
    cleanup.push(() => workers.close(1000));
    await queues.add("merges", "change-merged", { id: "gerrit:change-merged:1" } as never, "dead-gerrit-1");
    const job = async () => queues.get("merges").getJob("dead-gerrit-1");
    await until(async () => runs >= 2 && (await job())?.delay === 2000, 15_000);
    const j = await job();
    expect(j?.attemptsMade).toBe(0);
    expect(await j?.getState()).toBe("delayed");
    expect(j?.progress).toMatchObject({
      dependency: "gerrit",
      retrying: expect.stringMatching(/^Gerrit GET/),
    });
    const { logs } = await queues.get("merges").getJobLogs("dead-gerrit-1");
    expect(logs.length).toBe(2);
    expect(logs[0]).toMatch(/retrying: Gerrit GET \/changes\/: .*ECONNREFUSED.* \(in 1 s\)$/);
    expect(logs[1]).toMatch(/\(in 2 s\)$/);
    const text = await metrics.render();
    expect(text).toMatch(/^sunbeam_bot_dependency_errors_total\{dependency="gerrit"\} 2$/m);
    expect(text).toMatch(/^sunbeam_bot_job_retries_total\{queue="merges"\} 2$/m);
    expect(text).toMatch(/^sunbeam_bot_job_failures_total\{queue="merges"\} 0$/m);
  });

  it("leaves waits of our own making uncounted", async () => {
    const { redis, prefix, queues, metrics } = await setup();
    let runs = 0;
    const workers = new Workers(
      {
        "chat-out": async () => {
          if (++runs === 1) throw new RetryLaterError("pacing console room #x", 20);
        },
      },
      { connection: redis, prefix, concurrency: 1, log, metrics },
    );
    workers.start();
    cleanup.push(() => workers.close(1000));
    await queues.add("chat-out", "send", { network: "console" } as never, "paced-1");
    await until(async () => (await queues.get("chat-out").getJob("paced-1"))?.finishedOn !== undefined);
    expect(runs).toBe(2);
    expect(await metrics.render()).toMatch(/^sunbeam_bot_job_retries_total\{queue="chat-out"\} 0$/m);
  });
});
