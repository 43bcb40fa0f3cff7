// Scale-out and durability with real processes: several `sunbeam-bot run` against one redis-server, leases
// moving when a holder dies, Redis killed and restarted under the bot, a worker SIGKILLed mid-send.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROUTES } from "../../src/features.js";
import { Queues } from "../../src/core/queues.js";
import { connectRedis, keyFor } from "../../src/core/redis.js";
import { freePort, startRedisServer, type PrivateRedis } from "../../src/core/redis-server.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import type { GerritEvent } from "../../src/core/events.js";
import { FakeGerritRest } from "../fakes/gerrit-rest.js";
import { FakeGerritSsh, generateKeyPair } from "../fakes/gerrit-ssh.js";
import { FakeHomeserver } from "../fakes/matrix-hs.js";
import { runCli, startCli, until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

type Proc = ReturnType<typeof startCli>;
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

function spawnBot(cfg: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Proc {
  const p = startCli(["run", "--config", cfg, ...args], env);
  cleanup.push(async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGKILL");
      await new Promise((r) => p.child.on("close", r));
    }
  });
  return p;
}

async function stopBot(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  const closed = new Promise<number | null>((r) => p.child.on("close", (code) => r(code)));
  p.child.kill(signal);
  return closed;
}

function writeConfig(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "scale-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, lines.join("\n"));
  return file;
}

function event(i: number): GerritEvent {
  const r = parseGerritLine(
    JSON.stringify({
      type: "patchset-created",
      change: { project: "openstack/sunbeam-charms", branch: "main", number: 70000 + i, subject: `s${i}` },
      patchSet: { number: 1 },
      uploader: { username: "alice" },
      eventCreatedOn: 1764000000 + i,
    }),
  );
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

async function producer(url: string, prefix: string) {
  const redis = connectRedis(url);
  const queues = new Queues(redis, prefix, { attempts: 8, backoffMs: 50, keepDays: 1 }, 0, ROUTES);
  cleanup.push(async () => {
    await queues.close();
    redis.disconnect();
  });
  return { redis, queues };
}

const relayed = (procs: Proc[]) =>
  procs
    .flatMap((p) => p.out().split("\n"))
    .map((l) => /proposed (\d+),1/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);

describe("several replicas on one Redis", () => {
  it("two processes handle a stream seen by both exactly once, one of them holding the chat", async () => {
    const prefix = randomPrefix();
    cleanup.push(() => dropPrefix(prefix));
    const cfg = writeConfig([
      `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
      "chat: { console: { enabled: true } }",
      "rooms: { team: { network: console, id: '#team' } }",
      "relay: [{ room: team }]",
      "http: { enabled: false }",
      "bot: { coalesceSeconds: 0 }",
      "scaleOut: { leaseSeconds: 2 }",
      // The weekly summary, ticking every second: both replicas run its scheduler, one message a week.
      'summary: { cron: "* * * * * *", timezone: UTC, ptl: { console: local }, sourceTimeoutSeconds: 5 }',
      'launchpad: { enabled: false, apiRoot: "http://127.0.0.1:9/devel" }',
    ]);
    const a = spawnBot(cfg);
    const b = spawnBot(cfg);
    const { redis, queues } = await producer(redisUrl(), prefix);
    await until(
      async () => (await redis.get(keyFor(prefix, "lease", "chat"))) !== null,
      20_000,
      "chat lease",
    );
    const N = 120;
    // Each replica's source sees the whole stream: every event is queued twice, under the same id.
    for (let i = 0; i < N; i++) {
      await queues.enqueueEvent(event(i));
      await queues.enqueueEvent(event(i));
    }
    await until(() => relayed([a, b]).length >= N, 30_000, `${N} announcements`);
    await new Promise((r) => setTimeout(r, 300));
    const ids = relayed([a, b]);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    // One replica holds the chat connection: only its console prints.
    expect([a, b].filter((p) => relayed([p]).length > 0)).toHaveLength(1);
    // Several ticks have fired on the two replicas by now; the PTL got this week's summary once.
    const summaries = () =>
      [a, b].flatMap((p) => p.out().split("\n")).filter((l) => l.startsWith("[dm local]"));
    await until(() => summaries().length >= 1, 20_000, "the weekly summary");
    await new Promise((r) => setTimeout(r, 2500));
    expect(summaries()).toHaveLength(1);
    expect(await stopBot(a)).toBe(0);
    expect(await stopBot(b)).toBe(0);
  });

  it("the Gerrit stream is held by one replica; killing it moves the stream to the other within the TTL", async () => {
    const key = generateKeyPair();
    const ssh = await FakeGerritSsh.start({ clientPublicKey: key.public });
    const rest = await FakeGerritRest.start({ user: "sunbeam-bot", password: "rest-pw-123456" });
    const prefix = randomPrefix();
    cleanup.push(
      () => ssh.close(),
      () => rest.close(),
      () => dropPrefix(prefix),
    );
    const dir = mkdtempSync(join(tmpdir(), "lease-"));
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, key.private);
    chmodSync(keyFile, 0o600);
    const cfg = writeConfig([
      `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
      "chat: { console: { enabled: true } }",
      "rooms: { team: { network: console, id: '#team' } }",
      "relay: [{ room: team }]",
      "http: { enabled: false }",
      "bot: { coalesceSeconds: 0 }",
      "scaleOut: { leaseSeconds: 1 }",
      "jobs: { lockSeconds: 2 }",
      "gerrit:",
      `  url: ${rest.url}`,
      "  settleSeconds: 0",
      "  http: { user: sunbeam-bot }",
      `  ssh: { host: 127.0.0.1, port: ${ssh.port}, user: sunbeam-bot, privateKeyFile: ${keyFile}, hostKeyFingerprint: "${ssh.hostFingerprint}" }`,
    ]);
    const env = { GERRIT_HTTP_PASSWORD: "rest-pw-123456" };
    const procs = [spawnBot(cfg, env), spawnBot(cfg, env)];
    const redis = connectRedis(redisUrl());
    cleanup.push(async () => redis.disconnect());
    await ssh.waitForStreams(1);
    // Both replicas run for several lease periods; the standby never opens a second stream.
    await new Promise((r) => setTimeout(r, 2500));
    expect(ssh.sessionsOpened).toBe(1);
    const holderToken = await redis.get(keyFor(prefix, "lease", "gerrit-stream"));
    const holder = procs.find((p) => holderToken?.includes(`:${p.child.pid}:`));
    const standby = procs.find((p) => p !== holder);
    if (!holder || !standby) throw new Error(`no holder among the processes (lease: ${holderToken})`);
    ssh.emitEvent({
      type: "patchset-created",
      change: { project: "p", branch: "main", number: 1, subject: "before" },
      patchSet: { number: 1 },
      uploader: { username: "alice" },
      eventCreatedOn: Math.floor(Date.now() / 1000),
    });
    await until(() => relayed(procs).includes("1"), 20_000, "the first event");

    holder.child.kill("SIGKILL");
    const killedAt = Date.now();
    await until(() => ssh.sessionsOpened === 2 && ssh.streamCount === 1, 10_000, "the standby's stream");
    // Lease TTL 1 s, checked every third of it, plus an SSH handshake: well within a few seconds.
    expect(Date.now() - killedAt).toBeLessThan(8000);
    const newToken = await redis.get(keyFor(prefix, "lease", "gerrit-stream"));
    expect(newToken).toContain(`:${standby.child.pid}:`);
    ssh.emitEvent({
      type: "patchset-created",
      change: { project: "p", branch: "main", number: 2, subject: "after" },
      patchSet: { number: 1 },
      uploader: { username: "alice" },
      eventCreatedOn: Math.floor(Date.now() / 1000),
    });
    await until(() => relayed([standby]).includes("2"), 20_000, "the event after the takeover");
    expect(await stopBot(standby)).toBe(0);
  });
});

describe("durability", () => {
  it("redis-server killed mid-run and restarted (appendonly): nothing lost, nothing doubled, no bot restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aof-"));
    const port = await freePort();
    let server: PrivateRedis = await startRedisServer({ port, dir, appendonly: true });
    cleanup.push(() => server.stop());
    const url = server.url;
    const cfg = writeConfig([
      `redis: { url: "${url}", prefix: dur }`,
      "chat: { console: { enabled: true } }",
      "rooms: { team: { network: console, id: '#team' } }",
      "relay: [{ room: team }]",
      "http: { enabled: false }",
      "bot: { coalesceSeconds: 0 }",
      // A job whose completion was cut off by the kill loses its lock and is recovered as a stalled job
      // after lockSeconds (30 s by default): short here so that the test does not wait.
      "jobs: { backoffMs: 100, lockSeconds: 2 }",
    ]);
    const bot = spawnBot(cfg);
    const N = 200;
    const before = await producer(url, "dur");
    for (let i = 0; i < N / 2; i++) await before.queues.enqueueEvent(event(i));
    await until(() => relayed([bot]).length >= 20, 20_000, "the first announcements");
    // Mid-run: some of the first half relayed, the rest waiting in Redis.
    await before.queues.close();
    before.redis.disconnect();
    await server.stop({ keepDir: true, signal: "SIGKILL" });
    await new Promise((r) => setTimeout(r, 1000));
    server = await startRedisServer({ port, dir, appendonly: true });
    const after = await producer(url, "dur");
    for (let i = N / 2; i < N; i++) await after.queues.enqueueEvent(event(i));
    await until(() => relayed([bot]).length >= N, 20_000, `${N} announcements after the restart`);
    await new Promise((r) => setTimeout(r, 300));
    const ids = relayed([bot]);
    expect(new Set(ids).size).toBe(N);
    expect(ids).toHaveLength(N);
    expect(await stopBot(bot)).toBe(0);
  });

  it("a worker SIGKILLed mid-send: the stalled job is taken up again and the message is not doubled", async () => {
    const hs = await FakeHomeserver.start();
    const ROOM = "!team:fake.local";
    hs.addRoom(ROOM);
    const prefix = randomPrefix();
    cleanup.push(
      () => hs.close(),
      () => dropPrefix(prefix),
    );
    const cfg = writeConfig([
      `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
      "http: { enabled: false }",
      "bot: { coalesceSeconds: 0 }",
      `chat: { matrix: { homeserver: "${hs.url}", userId: "${hs.userId}", minIntervalMs: 0 } }`,
      `rooms: { mx: { network: matrix, id: "${ROOM}" } }`,
      "relay: [{ room: mx }]",
      "scaleOut: { leaseSeconds: 1 }",
      "jobs: { lockSeconds: 1 }",
    ]);
    const env = { MATRIX_ACCESS_TOKEN: hs.accessToken };
    hs.stallSends = true;
    const first = spawnBot(cfg, env);
    const { queues } = await producer(redisUrl(), prefix);
    await queues.enqueueEvent(event(1));
    // The homeserver stored the message; its answer never comes; the worker dies holding the job.
    await until(() => hs.sent.length === 1, 10_000, "the send to reach the homeserver");
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.on("close", r));
    hs.stallSends = false;
    const second = spawnBot(cfg, env);
    await until(
      async () => ((await queues.counts())["chat-out"]?.completed ?? 0) >= 1,
      30_000,
      "the stalled send to complete on the second process",
    );
    // The retry used the same transaction id: the homeserver answered with the first event, posted nothing.
    expect(hs.sent).toHaveLength(1);
    expect(new Set(hs.sent.map((s) => s.txnId)).size).toBe(1);
    expect(await stopBot(second)).toBe(0);
  });
});

describe("the deploy files' start command", () => {
  it("runs the container config as the Dockerfile, compose, k8s and systemd start it: healthy and ready", async () => {
    const port = await freePort();
    const prefix = randomPrefix();
    cleanup.push(() => dropPrefix(prefix));
    // The shipped container config, with only what differs here: the Redis address and the port.
    const text = readFileSync("deploy/k8s/config.yaml", "utf8")
      .replace("redis://sunbeam-bot-redis:6379", redisUrl())
      .replace("prefix: sunbeam", `prefix: ${prefix}`)
      .replace("port: 8080", `port: ${port}`);
    const cfg = writeConfig([text]);
    const check = await runCli(["config", "check", "--config", cfg]);
    expect(check.code).toBe(0);
    const bot = spawnBot(cfg);
    const get = async (path: string) => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}${path}`);
        return r.status;
      } catch {
        return 0;
      }
    };
    await until(async () => (await get("/readyz")) === 200, 20_000, "/readyz 200");
    expect(await get("/healthz")).toBe(200);
    expect(await stopBot(bot)).toBe(0);
  });
});
