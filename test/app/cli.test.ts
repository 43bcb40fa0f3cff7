import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectRedis } from "../../src/core/redis.js";
import { freePort } from "../../src/core/redis-server.js";
import { ROUTES } from "../../src/features.js";
import { Queues } from "../../src/core/queues.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import { runCli, startCli, until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe("sunbeam-bot replay", () => {
  it("prints one JSON object per line: events with their announcement, bad lines with an error", async () => {
    const r = await runCli(["replay", "test/fixtures/gerrit-all-types.jsonl", "--json"]);
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(22);
    expect(rows[0]).toMatchObject({
      line: 1,
      ok: true,
      event: { kind: "gerrit.patchset-created" },
      announce: expect.stringContaining("proposed 912345,3"),
    });
    expect(rows[5]).toMatchObject({
      line: 6,
      ok: true,
      event: { kind: "gerrit.ref-updated" },
      announce: null,
    });
    expect(rows[18]).toMatchObject({ line: 19, ok: false, error: expect.stringContaining("line 19") });
    expect(rows.filter((x) => x.ok === false)).toHaveLength(4);
  });

  it("exits 2 with a clear message when the file cannot be read", async () => {
    const r = await runCli(["replay", "/nonexistent/events.jsonl", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read /nonexistent/events.jsonl (ENOENT)");
    noStack(r.stderr);
  });
});

describe("sunbeam-bot config check", () => {
  it("passes the shipped example once the key file it names exists", async () => {
    // The example's key lives at /etc/sunbeam-bot/gerrit_ed25519; here, in a temp dir, with a free port.
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const key = join(dir, "gerrit_ed25519");
    writeFileSync(key, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      readFileSync("deploy/config.example.yaml", "utf8")
        .replace("/etc/sunbeam-bot/gerrit_ed25519", key)
        .replace("/etc/sunbeam-bot/cycle-actions.yaml", join(process.cwd(), "deploy", "cycle-actions.yaml"))
        .replace("/var/lib/sunbeam-bot/", `${dir}/state/`)
        .replace("port: 8080", `port: ${await freePort()}`),
    );
    const r = await runCli(["config", "check", "--config", file], {
      env: { GERRIT_HTTP_PASSWORD: "x-example-pw" },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("config OK");
    expect(r.code).toBe(0);
  });

  it("lists every problem with its key path and value, exit 2, no stack", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "redis:\n  url: localhost:6379\nbot:\n  unauthorized: yell\nrelay:\n  - room: nowhere\ncolour: blue\n",
    );
    const r = await runCli(["config", "check", "--config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("redis.url");
    expect(r.stderr).toContain('(got "localhost:6379")');
    expect(r.stderr).toContain("bot.unauthorized");
    expect(r.stderr).toContain("colour: unknown key");
    noStack(r.stderr);
    const j = await runCli(["config", "check", "--config", file, "--json"]);
    expect(j.code).toBe(2);
    expect((JSON.parse(j.stdout) as { problems: unknown[] }).problems.length).toBeGreaterThanOrEqual(3);
  });

  it("exits 2 on an unknown subcommand or option", async () => {
    expect((await runCli(["frobnicate"])).code).toBe(2);
    expect((await runCli(["replay"])).code).toBe(2);
  });
});

describe("sunbeam-bot demo", () => {
  it("announces the sample stream, answers !help, and removes its private Redis on exit", async () => {
    const r = await runCli(["demo"], { input: "!help\n!status\n", timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Alice Example proposed 912345,3 on main: Fix keystone TLS");
    expect(r.stdout).toContain(
      "Zuul: Verified -1 on 912345,3 (check) — failed: charm-build-bin-core, func-test-openstack",
    );
    expect(r.stdout).toContain("!help [command]");
    expect(r.stdout).toContain("Last Gerrit event");
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(r.stdout)?.[1]);
    const refused = await new Promise<boolean>((res) => {
      const s = connect(port, "127.0.0.1");
      s.on("connect", () => (s.destroy(), res(false)));
      s.on("error", () => res(true));
    });
    expect(refused).toBe(true);
  });
});

describe("sunbeam-bot demo without redis-server", () => {
  it("says how to install it and exits 2", async () => {
    const r = await runCli(["demo"], { env: { PATH: "/nonexistent" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("redis-server was not found");
    expect(r.stderr).toContain("apt-get install -y redis-server");
    noStack(r.stderr);
  });
});

describe("sunbeam-bot run", () => {
  it("on SIGTERM finishes running jobs and exits 0; a restart delivers the rest, none twice", async () => {
    const prefix = randomPrefix();
    const dir = mkdtempSync(join(tmpdir(), "run-"));
    const cfg = join(dir, "config.yaml");
    writeFileSync(
      cfg,
      [
        `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
        "chat: { console: { enabled: true } }",
        "rooms: { team: { network: console, id: '#team' } }",
        "relay: [{ room: team }]",
        "jobs: { concurrency: 4 }",
        "http: { enabled: false }",
        "bot: { coalesceSeconds: 0 }",
      ].join("\n"),
    );
    const redis = connectRedis(redisUrl());
    const queues = new Queues(redis, prefix, { attempts: 5, backoffMs: 50, keepDays: 1 }, 0, ROUTES);
    const N = 300;
    for (let i = 0; i < N; i++) {
      const line = JSON.stringify({
        type: "patchset-created",
        change: { project: "p", branch: "main", number: 1000 + i, subject: `s${i}` },
        patchSet: { number: 1 },
        uploader: { username: "u" },
        eventCreatedOn: 1764000000 + i,
      });
      const r = parseGerritLine(line);
      if (r.ok) await queues.enqueueEvent(r.event);
    }
    const first = startCli(["run", "--config", cfg]);
    await until(() => first.out().split("\n").length > 20, 20_000, "first announcements");
    first.child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => first.child.on("close", r));
    expect(code).toBe(0);
    const second = startCli(["run", "--config", cfg]);
    const all = () => (first.out() + second.out()).split("\n").filter((l) => l.startsWith("[#team]"));
    await until(() => all().length >= N, 30_000, `${N} announcements`);
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.on("close", r));
    const changes = all().map((l) => /proposed (\d+),1/.exec(l)?.[1]);
    expect(new Set(changes).size).toBe(N);
    expect(changes).toHaveLength(N);
    await queues.close();
    await redis.quit();
    await dropPrefix(prefix);
  });
});
