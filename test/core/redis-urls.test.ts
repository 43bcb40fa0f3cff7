// connectRedis with a redis+sentinel:// URL against a real redis-server and a real Sentinel.
// (redis+cluster:// is covered by parsing and option tests only: a cluster needs six servers.)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRedisServer, type PrivateRedis } from "../../src/core/redis-server.js";
import { connectRedis, type Redis } from "../../src/core/redis.js";
import { randomPrefix } from "../helpers/redis.js";

const PASSWORD = "s3cret-pw";

interface Sentinel {
  port: number;
  stop(): Promise<void>;
}

/** `redis-server <conf> --sentinel` watching the given masters; resolves once it monitors all of them. */
async function startSentinel(
  masters: { name: string; port: number; password?: string }[],
): Promise<Sentinel> {
  const dir = mkdtempSync(join(tmpdir(), "sunbeam-sentinel-"));
  const port = await freePort();
  const conf = [
    `port ${port}`,
    "bind 127.0.0.1",
    `dir ${dir}`,
    ...masters.flatMap((m) => [
      `sentinel monitor ${m.name} 127.0.0.1 ${m.port} 1`,
      ...(m.password ? [`sentinel auth-pass ${m.name} ${m.password}`] : []),
    ]),
  ];
  // Sentinel rewrites its config file, so it lives in the temp dir.
  writeFileSync(join(dir, "sentinel.conf"), `${conf.join("\n")}\n`);
  const child: ChildProcess = spawn("redis-server", [join(dir, "sentinel.conf"), "--sentinel"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`sentinel exited (${code}):\n${output}`)));
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      if (masters.every((m) => output.includes(`+monitor master ${m.name} `))) resolve();
    });
  });
  child.removeAllListeners("exit");
  child.stdout?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let plain: PrivateRedis;
let secured: PrivateRedis;
let sentinel: Sentinel;
const opened: Redis[] = [];

function open(url: string, extra: Parameters<typeof connectRedis>[1] = {}): Redis {
  const r = connectRedis(url, extra);
  opened.push(r);
  return r;
}

beforeAll(async () => {
  [plain, secured] = await Promise.all([startRedisServer(), startRedisServer()]);
  const admin = connectRedis(secured.url);
  await admin.config("SET", "requirepass", PASSWORD);
  admin.disconnect();
  sentinel = await startSentinel([
    { name: "mymaster", port: plain.port },
    { name: "secured", port: secured.port, password: PASSWORD },
  ]);
});

afterAll(async () => {
  for (const r of opened) r.disconnect();
  await sentinel?.stop();
  await Promise.all([plain?.stop(), secured?.stop()]);
});

describe("redis+sentinel:// URLs", () => {
  it("reaches the master the Sentinel names: SET there, GET back, and the key is on that server", async () => {
    const r = open(`redis+sentinel://127.0.0.1:${sentinel.port}/mymaster`);
    await r.set("sentinel-test", "through-sentinel");
    expect(await r.get("sentinel-test")).toBe("through-sentinel");
    const direct = open(plain.url);
    expect(await direct.get("sentinel-test")).toBe("through-sentinel");
  });

  it("selects the database in the path", async () => {
    const r = open(`redis+sentinel://127.0.0.1:${sentinel.port}/mymaster/3`);
    await r.set("in-db-3", "yes");
    const direct = open(`${plain.url}/3`);
    expect(await direct.get("in-db-3")).toBe("yes");
    expect(await open(plain.url).get("in-db-3")).toBeNull();
  });

  it("authenticates to a master with the URL's password", async () => {
    const r = open(`redis+sentinel://:${PASSWORD}@127.0.0.1:${sentinel.port}/secured`);
    await r.set("secured-key", "ok");
    expect(await r.get("secured-key")).toBe("ok");
  });

  it("carries a BullMQ Queue and Worker round trip", async () => {
    const url = `redis+sentinel://:${PASSWORD}@127.0.0.1:${sentinel.port}/secured`;
    const prefix = randomPrefix();
    const queue = new Queue("sentinel-roundtrip", { connection: open(url), prefix });
    const done = new Promise<unknown>((resolve, reject) => {
      const worker = new Worker(
        "sentinel-roundtrip",
        async (job) => ({ doubled: (job.data as { n: number }).n * 2 }),
        {
          connection: open(url),
          prefix,
        },
      );
      worker.on("completed", (_job, result) => void worker.close().then(() => resolve(result)));
      worker.on("failed", (_job, err) => reject(err));
    });
    await queue.add("double", { n: 21 }, { jobId: "job-1" });
    expect(await done).toEqual({ doubled: 42 });
    expect(await queue.getJobCounts("completed")).toEqual({ completed: 1 });
    await queue.close();
  });

  it("fails fast on an unknown master name when told to (retryStrategy → null)", async () => {
    const r = open(`redis+sentinel://127.0.0.1:${sentinel.port}/nosuchmaster`, {
      lazyConnect: true,
      retryStrategy: () => null,
    });
    r.on("error", () => undefined);
    await expect(r.connect()).rejects.toThrow(/sentinel/i);
  });
});
