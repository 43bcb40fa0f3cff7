// Fault suite, real processes: `sunbeam-bot run` fed by the fake Gerrit (SSH + REST) and posting to the fake
// Matrix homeserver, while redis-server is SIGKILLed, or the bot is SIGTERMed or SIGKILLed and restarted.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRedisServer, type PrivateRedis } from "../../src/core/redis-server.js";
import { ALICE, FakeGerritRest, makeChange } from "../fakes/gerrit-rest.js";
import { FakeGerritSsh, generateKeyPair, type KeyPair } from "../fakes/gerrit-ssh.js";
import { FakeHomeserver } from "../fakes/matrix-hs.js";
import { startCli, until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

type Proc = ReturnType<typeof startCli>;
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

let key: KeyPair;
let keyFile: string;
beforeAll(() => {
  key = generateKeyPair();
  keyFile = join(mkdtempSync(join(tmpdir(), "faults-key-")), "key");
  writeFileSync(keyFile, key.private);
  chmodSync(keyFile, 0o600);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gerritTime = (s: number) => new Date(s * 1000).toISOString().replace("T", " ").replace("Z", "000000");
const PROJECTS = ["p0", "p1", "p2", "p3", "p4", "p5"].map((p) => `openstack/${p}`);

interface Rig {
  ssh: FakeGerritSsh;
  rest: FakeGerritRest;
  hs: FakeHomeserver;
  cfg: string;
  env: NodeJS.ProcessEnv;
  /** Event times start here, after the first process's cursor (its start time). */
  t0: number;
}

/**
 * Fakes and a config. One Matrix room per project with coalescing on (each room's digest then holds at most
 * 50 lines, so every event's line is visible and countable); one room for everything without it.
 */
async function rig(opts: { redis: string; coalesceSeconds: number; leaseSeconds?: number }): Promise<Rig> {
  const ssh = await FakeGerritSsh.start({ clientPublicKey: key.public });
  const rest = await FakeGerritRest.start({ user: "sunbeam-bot", password: "rest-pw-123456" });
  const hs = await FakeHomeserver.start();
  const prefix = randomPrefix();
  cleanup.push(
    () => ssh.close(),
    () => rest.close(),
    () => hs.close(),
  );
  if (opts.redis === redisUrl()) cleanup.push(() => dropPrefix(prefix));
  const perProject = opts.coalesceSeconds > 0;
  const rooms = perProject ? PROJECTS.map((_, i) => `r${i}`) : ["team"];
  for (const r of rooms) hs.addRoom(`!${r}:fake.local`);
  const dir = mkdtempSync(join(tmpdir(), "faults-"));
  const cfg = join(dir, "config.yaml");
  writeFileSync(
    cfg,
    [
      `redis: { url: "${opts.redis}", prefix: ${prefix} }`,
      "http: { enabled: false }",
      `log: { level: ${process.env.FAULT_LOG_LEVEL ?? "info"} }`,
      `bot: { coalesceSeconds: ${opts.coalesceSeconds} }`,
      `chat: { matrix: { homeserver: "${hs.url}", userId: "${hs.userId}", minIntervalMs: 0 } }`,
      `rooms: { ${rooms.map((r) => `${r}: { network: matrix, id: "!${r}:fake.local" }`).join(", ")} }`,
      perProject
        ? `relay: [${rooms.map((r, i) => `{ room: ${r}, projects: ["${PROJECTS[i]}"] }`).join(", ")}]`
        : "relay: [{ room: team }]",
      `scaleOut: { leaseSeconds: ${opts.leaseSeconds ?? 1} }`,
      // A job whose worker died is taken up again after lockSeconds.
      "jobs: { lockSeconds: 2, backoffMs: 50 }",
      "gerrit:",
      `  url: ${rest.url}`,
      "  settleSeconds: 0",
      "  http: { user: sunbeam-bot }",
      `  ssh: { host: 127.0.0.1, port: ${ssh.port}, user: sunbeam-bot, privateKeyFile: ${keyFile}, hostKeyFingerprint: "${ssh.hostFingerprint}" }`,
    ].join("\n"),
  );
  const env = {
    GERRIT_HTTP_PASSWORD: "rest-pw-123456",
    MATRIX_ACCESS_TOKEN: hs.accessToken,
    LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? "info",
  };
  return { ssh, rest, hs, cfg, env, t0: Math.floor(Date.now() / 1000) + 30 };
}

function spawnBot(r: Rig): Proc {
  const p = startCli(["run", "--config", r.cfg], r.env);
  cleanup.push(async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGKILL");
      await new Promise((res) => p.child.on("close", res));
    }
  });
  return p;
}

async function kill(p: Proc, signal: NodeJS.Signals): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error("the bot died on its own");
  const closed = new Promise<number | null>((res) => p.child.on("close", (code) => res(code)));
  p.child.kill(signal);
  return closed;
}

/** Change n: in REST always, on the stream to whoever is connected (nobody while the bot restarts). */
function publish(r: Rig, n: number): void {
  const at = r.t0 + n;
  const project = PROJECTS[n % PROJECTS.length] as string;
  const sha = (100_000 + n).toString(16).padStart(40, "c");
  const created = gerritTime(at);
  r.rest.changes.push(
    makeChange(100_000 + n, {
      id: `${encodeURIComponent(project)}~main~I${sha}`,
      project,
      created,
      updated: created,
      current_revision: sha,
      revisions: {
        [sha]: { _number: 1, created, uploader: ALICE, ref: `refs/changes/00/${n}/1`, kind: "REWORK" },
      },
    }),
  );
  r.ssh.emitEvent({
    type: "patchset-created",
    change: { project, branch: "main", number: 100_000 + n, subject: `Change ${n}`, owner: ALICE },
    patchSet: { number: 1, revision: sha, uploader: ALICE },
    uploader: ALICE,
    project,
    refName: "refs/heads/main",
    eventCreatedOn: at,
  });
}

/** Publishes n events in the background, a few milliseconds apart; resolves when all are out. */
function publisher(r: Rig, n: number, gapMs: number): { done: Promise<void>; published: () => number } {
  let i = 0;
  const done = (async () => {
    for (; i < n; i++) {
      publish(r, i);
      await sleep(gapMs);
    }
  })();
  return { done, published: () => i };
}

/** Deliveries per event at the homeserver (after its transaction-id dedupe: what the room shows). */
function counts(hs: FakeHomeserver): Map<number, number> {
  const c = new Map<number, number>();
  for (const s of hs.sent) {
    const body = String(s.content.body ?? "");
    if (body.includes("…and")) throw new Error(`a digest hid lines, the count would be blind: ${body}`);
    for (const m of body.matchAll(/proposed (\d+),1/g)) {
      const n = Number(m[1]) - 100_000;
      c.set(n, (c.get(n) ?? 0) + 1);
    }
  }
  return c;
}

function tally(hs: FakeHomeserver, n: number) {
  const c = counts(hs);
  return {
    lost: Array.from({ length: n }, (_, i) => i).filter((i) => !c.has(i)),
    doubled: [...c].filter(([, k]) => k > 1).map(([i]) => i),
    unexpected: [...c.keys()].filter((i) => i < 0 || i >= n),
  };
}

const delivered = (hs: FakeHomeserver) => counts(hs).size;

/** The processes' logs (stderr, JSON) for the post-mortem, when FAULT_LOGS names a file. */
function saveLogs(procs: Proc[]): void {
  if (process.env.FAULT_LOGS)
    writeFileSync(process.env.FAULT_LOGS, procs.map((p) => p.err()).join("\n--- next process ---\n"));
}

/** Waits for every event in the rooms, then asserts each arrived exactly once. */
async function expectExactlyOnce(r: Rig, n: number, procs: Proc[]): Promise<void> {
  await until(() => delivered(r.hs) >= n, 60_000, `${n} events in the rooms`).catch((e: unknown) => {
    saveLogs(procs);
    const t = tally(r.hs, n);
    throw new Error(`${String(e)}: lost ${t.lost.length} (${t.lost.slice(0, 15).join(" ")})`);
  });
  // Anything still on its way (a retried send) would land now: give it a moment, then count.
  await sleep(500);
  const t = tally(r.hs, n);
  if (t.doubled.length > 0) {
    saveLogs(procs);
    const shown = new Set(t.doubled.slice(0, 3).map((i) => `proposed ${100_000 + i},1`));
    const where = r.hs.sent
      .filter((s) => [...shown].some((x) => String(s.content.body).includes(x)))
      .map((s) => `${s.roomId} ${s.txnId}`);
    console.log(`doubled ${t.doubled.join(" ")} in messages: ${where.join(", ")}`);
  }
  expect(t).toEqual({ lost: [], doubled: [], unexpected: [] });
}

describe("process and Redis faults under load", () => {
  it("redis-server SIGKILLed three times (appendonly, fsync always) while events flow: no loss, no double, no bot restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "faults-aof-"));
    const port = await freePort();
    let server: PrivateRedis = await startRedisServer({ port, dir, appendonly: true });
    cleanup.push(() => server.stop());
    const r = await rig({ redis: server.url, coalesceSeconds: 0, leaseSeconds: 15 });
    const bot = spawnBot(r);
    await r.ssh.waitForStreams(1);
    const N = 300;
    const pub = publisher(r, N, 10);
    for (const at of [50, 120, 190]) {
      await until(() => delivered(r.hs) >= at, 30_000, `${at} delivered`);
      await server.stop({ keepDir: true, signal: "SIGKILL" });
      // Events keep coming while Redis is gone: the source holds them until it can write again.
      await sleep(700);
      server = await startRedisServer({ port, dir, appendonly: true });
    }
    await pub.done;
    await expectExactlyOnce(r, N, [bot]);
    expect(bot.child.exitCode).toBeNull();
    // One stream for the whole run: the bot rode out both outages without reconnecting to Gerrit.
    expect(r.ssh.sessionsOpened).toBe(1);
    expect(await kill(bot, "SIGTERM")).toBe(0);
  });

  it("the bot SIGTERMed three times under load and restarted: it exits 0, and the next process backfills the gap", async () => {
    const r = await rig({ redis: redisUrl(), coalesceSeconds: 0 });
    const procs = [spawnBot(r)];
    await r.ssh.waitForStreams(1);
    const N = 300;
    const pub = publisher(r, N, 20);
    for (const at of [50, 120, 190]) {
      // Each process is stopped while it streams: after its own stream opened, and with events flowing.
      await r.ssh.waitForSessions(procs.length);
      await until(() => delivered(r.hs) >= at, 30_000, `${at} delivered`);
      expect(await kill(procs[procs.length - 1] as Proc, "SIGTERM")).toBe(0);
      procs.push(spawnBot(r));
    }
    await pub.done;
    await expectExactlyOnce(r, N, procs);
    // Events made while no process was connected reached the rooms through REST backfill.
    expect(r.ssh.sessionsOpened).toBe(4);
    expect(await kill(procs[3] as Proc, "SIGTERM")).toBe(0);
  });

  it("the bot SIGKILLed three times under load (once holding a send), coalescing on: stalled jobs recovered, nothing doubled", async () => {
    const r = await rig({ redis: redisUrl(), coalesceSeconds: 1 });
    const procs = [spawnBot(r)];
    await r.ssh.waitForStreams(1);
    const N = 300;
    const pub = publisher(r, N, 20);
    for (const [k, at] of [50, 120, 190].entries()) {
      await r.ssh.waitForSessions(procs.length);
      await until(() => delivered(r.hs) >= at, 30_000, `${at} delivered`);
      if (k === 0) {
        // Killed while a send is in flight: the homeserver stored it but its answer never left.
        const before = r.hs.sent.length;
        r.hs.stallSends = true;
        await until(() => r.hs.sent.length > before, 20_000, "a stalled send");
      }
      await kill(procs[procs.length - 1] as Proc, "SIGKILL");
      r.hs.stallSends = false;
      procs.push(spawnBot(r));
    }
    await pub.done;
    await expectExactlyOnce(r, N, procs);
    // Coalescing did its job (far fewer messages than events) and a resend reused its transaction id.
    expect(r.hs.sent.length).toBeLessThan(N / 2);
    expect(r.ssh.sessionsOpened).toBe(4);
    expect(await kill(procs[3] as Proc, "SIGTERM")).toBe(0);
  });
});
