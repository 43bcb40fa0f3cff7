// The whole Gerrit path: real ssh2 client ↔ fake Gerrit SSH, backfill over the fake REST, real Redis, chat.
import { patchsetCreated } from "../../helpers/gerrit-events.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryAdapter } from "../../../src/chat/memory.js";
import { validateConfig } from "../../../src/app/config-load.js";
import { Bot } from "../../../src/app/bot.js";
import type { GerritSource } from "../../../src/integrations/gerrit/source.js";
import { FakeGerritRest, makeChange, ALICE } from "../../fakes/gerrit-rest.js";
import { FakeGerritSsh, generateKeyPair, type KeyPair } from "../../fakes/gerrit-ssh.js";
import { quietLogger } from "../../helpers/bot.js";
import { until } from "../../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";

let key: KeyPair;
beforeAll(() => {
  key = generateKeyPair();
});

interface Rig {
  ssh: FakeGerritSsh;
  rest: FakeGerritRest;
  bot: Bot;
  chat: MemoryAdapter;
  prefix: string;
  logs: string[];
}
let rig: Rig | undefined;
afterEach(async () => {
  if (!rig) return;
  await rig.bot.stop();
  await rig.ssh.close();
  await rig.rest.close();
  await dropPrefix(rig.prefix);
  rig = undefined;
});

async function setup(opts: { fingerprint?: string } = {}): Promise<Rig> {
  const ssh = await FakeGerritSsh.start({ clientPublicKey: key.public });
  const rest = await FakeGerritRest.start({ user: "sunbeam-bot", password: "rest-pw-123456" });
  const prefix = randomPrefix();
  const loaded = validateConfig(
    {
      redis: { url: redisUrl(), prefix },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team" }],
      bot: { coalesceSeconds: 0 },
      http: { enabled: false },
      jobs: { backoffMs: 20 },
      gerrit: {
        url: rest.url,
        settleSeconds: 0,
        projects: ["openstack/sunbeam-charms"],
        ssh: {
          host: "127.0.0.1",
          port: ssh.port,
          user: "sunbeam-bot",
          privateKeyFile: "(in memory)",
          hostKeyFingerprint: opts.fingerprint ?? ssh.hostFingerprint,
        },
        http: { user: "sunbeam-bot" },
      },
    },
    { GERRIT_HTTP_PASSWORD: "rest-pw-123456" },
    "test",
  );
  const chat = new MemoryAdapter("console");
  const logs: string[] = [];
  const bot = new Bot({
    loaded,
    log: quietLogger(logs),
    adapters: [chat],
    gerritKey: Buffer.from(key.private),
    gerritBackoffMs: { base: 20, max: 100 },
  });
  await bot.start();
  return { ssh, rest, bot, chat, prefix, logs };
}

const T0 = Math.floor(Date.now() / 1000) + 10;
const gerritTime = (s: number) => new Date(s * 1000).toISOString().replace("T", " ").replace("Z", "000000");

/** A new change: in REST always, on the stream only if someone is connected (like real Gerrit). */
function publish(r: Rig, n: number, at: number): void {
  const sha = n.toString(16).padStart(40, "b");
  r.rest.changes.push(
    makeChange(n, {
      created: gerritTime(at),
      updated: gerritTime(at),
      current_revision: sha,
      revisions: {
        [sha]: {
          _number: 1,
          created: gerritTime(at),
          uploader: ALICE,
          ref: `refs/changes/00/${n}/1`,
          kind: "REWORK",
        },
      },
    }),
  );
  r.ssh.emitEvent(patchsetCreated(n, sha, at));
}

const relayed = (r: Rig) => r.chat.sent.map((m) => /proposed (\d+),1/.exec(m.text)?.[1]).filter(Boolean);

describe("Gerrit stream with backfill", () => {
  it("relays every event exactly once while the connection is killed 10 times", async () => {
    rig = await setup();
    const r = rig;
    await r.ssh.waitForStreams(1);
    let n = 5000;
    for (let kill = 0; kill < 10; kill++) {
      for (let i = 0; i < 3; i++) publish(r, n++, T0 + n - 5000);
      r.ssh.dropAll();
      // Produced while nobody is connected: only REST knows these.
      for (let i = 0; i < 2; i++) publish(r, n++, T0 + n - 5000);
      await r.ssh.waitForStreams(1);
    }
    for (let i = 0; i < 3; i++) publish(r, n++, T0 + n - 5000);
    const total = n - 5000;
    await until(() => relayed(r).length >= total, 20_000, `${total} relays (have ${relayed(r).length})`);
    expect(await r.bot.idle()).toBe(true);
    const got = relayed(r);
    expect(got).toHaveLength(total);
    expect(new Set(got).size).toBe(total);
    const status = await (r.bot.sources[0] as GerritSource).status();
    expect(status.lines.join("; ")).toMatch(/reconnects (\d+)/);
    expect(Number(/reconnects (\d+)/.exec(status.lines.join(" "))?.[1])).toBeGreaterThanOrEqual(10);
    expect(Number(/events backfilled (\d+)/.exec(status.lines.join(" "))?.[1])).toBeGreaterThanOrEqual(20);
    // The weekly summary reads the same reconnects from Redis.
    expect((await r.bot.stats.counters())["gerrit:reconnects"]).toBeGreaterThanOrEqual(10);
  });

  it("backfills on dropped-output, and a garbage line or unknown type does not stop the stream", async () => {
    rig = await setup();
    const r = rig;
    await r.ssh.waitForStreams(1);
    r.ssh.sendGarbage();
    r.ssh.emitEvent({ type: "assignee-changed", change: { number: 1 }, eventCreatedOn: T0 });
    // Events the server dropped for us: only REST has them, until dropped-output says so.
    const sha = "c".repeat(40);
    r.rest.changes.push(
      makeChange(7001, {
        created: gerritTime(T0 + 1),
        updated: gerritTime(T0 + 1),
        current_revision: sha,
        revisions: {
          [sha]: {
            _number: 1,
            created: gerritTime(T0 + 1),
            uploader: ALICE,
            ref: "refs/changes/01/7001/1",
            kind: "REWORK",
          },
        },
      }),
    );
    publish(r, 7002, T0 + 2);
    await until(() => relayed(r).includes("7002"), 10_000, "live event after garbage").catch((e: unknown) => {
      console.log(r.logs.join(""));
      throw e;
    });
    expect(relayed(r)).not.toContain("7001");
    r.ssh.sendDroppedOutput(T0 + 3);
    await until(() => relayed(r).includes("7001"), 10_000, "backfilled event").catch((e: unknown) => {
      console.log(r.logs.join(""));
      throw e;
    });
    expect(await r.bot.idle()).toBe(true);
    expect(relayed(r).sort()).toEqual(["7001", "7002"]);
    const lines = (await r.bot.status()).sections[0]?.lines.join("; ") ?? "";
    expect(lines).toContain("dropped-output seen 1");
    expect(lines).toContain("malformed lines 1");
  });

  it("refuses a changed host key with a clear error and relays nothing", async () => {
    rig = await setup({ fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    const r = rig;
    const src = r.bot.sources[0] as GerritSource;
    await until(
      async () => ((await src.status()).lines[0] ?? "").includes("host key"),
      10_000,
      "host key error",
    );
    expect(src.connected()).toBe(false);
    expect(r.ssh.streamCount).toBe(0);
    expect((await src.status()).lines[0]).toMatch(/DISCONNECTED .*host key/i);
  });
});
