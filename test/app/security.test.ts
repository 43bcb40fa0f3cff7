// Security review as tests: secrets never in logs, chat or `config check`; no shell; no SSRF through chat;
// webhook bounds through the running bot; bots ignored; write commands role-gated (docs/security.md).
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GerritEvent } from "../../src/core/events.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import { FakeGerritRest, makeChange, verifiedLabels } from "../fakes/gerrit-rest.js";
import { FakeHomeserver } from "../fakes/matrix-hs.js";
import { FakeSlack } from "../fakes/slack-api.js";
import { startTestBot, type TestBot } from "../helpers/bot.js";
import { runCli, startCli, until } from "../helpers/cli.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../helpers/synthetic-monorepo.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** One HTTP server on 127.0.0.1 that records every request and answers with `answer`. */
interface Recorder {
  url: string;
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}

async function recorder(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
  closeWith: Array<() => unknown>,
): Promise<Recorder> {
  const requests: Recorder["requests"] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => answer(req, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const rec: Recorder = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  closeWith.push(() => rec.close());
  return rec;
}

/**
 * A hostile (or merely badly configured) server: 403 for everything, with the request's credentials in
 * the error body, raw and decoded, the way some proxies and debug error pages echo a request back.
 */
function echoCredentials(req: IncomingMessage, res: ServerResponse): void {
  const auth = req.headers.authorization ?? "";
  const basic = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8") : "";
  let decoded = auth;
  try {
    decoded = decodeURIComponent(auth);
  } catch {
    // keep it raw
  }
  res
    .writeHead(403, { "content-type": "text/plain" })
    .end(`Forbidden. You sent Authorization: ${auth} (decoded: ${decoded}; basic: ${basic})`);
}

describe("secrets", () => {
  // Long, distinctive values: a leak cannot be a coincidence, and none is short enough to be left unscrubbed.
  const SECRETS = {
    GERRIT_HTTP_PASSWORD: "gerrit-http-pw-Q7x9v2LmZp",
    GERRIT_WEBHOOK_SECRET: "webhook-secret-Hk3Jd8sPq1",
    MATRIX_ACCESS_TOKEN: "syt_matrix_token_Vb6Nc4Xz0w",
    SLACK_BOT_TOKEN: "xoxb-slack-bot-Tg5Rf7Ue2y",
    SLACK_APP_TOKEN: "xapp-slack-app-Wq2Ea9Sd4f",
    SLACK_SIGNING_SECRET: "slack-signing-Mn8Bv3Cx6z",
    LAUNCHPAD_OAUTH_TOKEN: "lp-token-Pl0Ok9Ij8u",
    LAUNCHPAD_OAUTH_TOKEN_SECRET: "lp-token-secret-Yh7Tg6Rf5e",
    DASHBOARD_PASSWORD: "dashboard-pw-Ds4Fg5Hj6k",
  };
  const RAW_FORMS = (s: string) => [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)];

  describe("a running bot at LOG_LEVEL=debug, whose servers echo the credentials they get", () => {
    const run = { stderr: "", stdout: "", chat: "", gerritAuthed: false, webhook: [] as number[] };
    const done: Array<() => unknown> = [];
    afterAll(async () => {
      for (const c of done.reverse()) await c();
    });

    beforeAll(async () => {
      const repo = await createSyntheticMonorepo();
      const hs = await FakeHomeserver.start({ accessToken: SECRETS.MATRIX_ACCESS_TOKEN });
      const room = "!team:fake.local";
      hs.addRoom(room);
      const slack = await FakeSlack.start({
        botToken: SECRETS.SLACK_BOT_TOKEN,
        appToken: SECRETS.SLACK_APP_TOKEN,
      });
      const gerrit = await recorder(echoCredentials, done);
      const launchpad = await recorder(echoCredentials, done);
      const prefix = randomPrefix();
      const dir = mkdtempSync(join(tmpdir(), "sec-run-"));
      done.push(
        () => repo.cleanup(),
        () => hs.close(),
        () => slack.close(),
        () => dropPrefix(prefix),
        () => rmSync(dir, { recursive: true, force: true }),
      );
      const cfg = join(dir, "config.yaml");
      writeFileSync(
        cfg,
        [
          `redis: { url: "${redisUrl()}", prefix: ${prefix} }`,
          "http: { port: 0 }",
          "bot: { coalesceSeconds: 0 }",
          "chat:",
          `  matrix: { homeserver: "${hs.url}", userId: "${hs.userId}", minIntervalMs: 0 }`,
          `  slack: { apiUrl: "${slack.apiUrl}", minIntervalMs: 0 }`,
          `rooms: { mx: { network: matrix, id: "${room}" }, sl: { network: slack, id: C0TEAM } }`,
          'roles: { core: { matrix: ["@alice:fake.local"] } }',
          `gerrit: { url: "${gerrit.url}", http: { user: sunbeam-bot }, settleSeconds: 0, webhook: { enabled: true } }`,
          `monorepo: { path: "${join(dir, "clone.git")}", remote: "${repo.dir}", fetchMinutes: 0 }`,
          "launchpad:",
          `  apiRoot: "${launchpad.url}/devel"`,
          "  projects: [snap-openstack]",
          "  writes: true",
          "  triageRoom: mx",
        ].join("\n"),
      );
      const bot = startCli(["run", "--config", cfg], { ...SECRETS, LOG_LEVEL: "debug" });
      done.push(async () => {
        if (bot.child.exitCode === null) {
          bot.child.kill("SIGKILL");
          await new Promise((r) => bot.child.on("close", r));
        }
      });
      await slack.waitUntil(() => slack.connections === 1, 20_000, "socket mode connection");
      await until(() => hs.requests.filter((r) => r.includes("/sync")).length > 1, 20_000, "matrix sync");
      const notices = () =>
        hs.sent.filter((s) => s.content.msgtype === "m.notice").map((s) => String(s.content.body));
      // Both commands make the bot authenticate to a server that echoes the credentials into its error.
      hs.inject(room, "@bob:fake.local", { msgtype: "m.text", body: "!affected 912345" });
      hs.inject(room, "@bob:fake.local", { msgtype: "m.text", body: "!triage 2081234" });
      slack.sendEvent({
        type: "message",
        channel: "C0TEAM",
        user: "UBOB",
        text: "!affected 912345",
        ts: (Date.now() / 1000).toFixed(6),
      });
      // The webhook secret travels in a header, the wrong one too; a query-string secret is refused.
      const port = Number(/"port":(\d+)[^\n]*"http listening"/.exec(bot.err())?.[1]);
      const line = JSON.stringify({ type: "project-created", projectName: "x", eventCreatedOn: 1 });
      const hook = SECRETS.GERRIT_WEBHOOK_SECRET;
      run.webhook.push((await post(port, "/gerrit/events", line, { "x-webhook-secret": hook })).status);
      run.webhook.push(
        (await post(port, "/gerrit/events", line, { "x-webhook-secret": `${hook}-wrong` })).status,
      );
      run.webhook.push((await post(port, `/gerrit/events?secret=${hook}`, line)).status);
      await until(
        () => notices().length >= 2 && slack.posted.length >= 1 && launchpad.requests.length > 0,
        20_000,
        "both replies, the Slack reply and a Launchpad poll",
      );
      run.gerritAuthed = gerrit.requests.some((r) => r.headers.authorization?.startsWith("Basic "));
      bot.child.kill("SIGTERM");
      await new Promise((res) => bot.child.on("close", res));
      run.stderr = bot.err();
      run.stdout = bot.out();
      run.chat = [...notices(), ...slack.posted.map((p) => p.text)].join("\n");
    });

    it("really exercised every credential path", () => {
      expect(run.gerritAuthed).toBe(true);
      expect(run.chat).toMatch(/403/); // the echo reached the bot and its replies
      expect(run.webhook).toEqual([202, 401, 401]);
      expect(run.stderr).toMatch(/"level":20/); // debug lines were written
    });

    it("logs no secret in its raw, JSON-escaped or percent-encoded form", () => {
      for (const [name, s] of Object.entries(SECRETS)) {
        for (const f of RAW_FORMS(s)) {
          expect(run.stderr.includes(f), `${name} in stderr`).toBe(false);
          expect(run.stdout.includes(f), `${name} in stdout`).toBe(false);
        }
      }
    });

    // KNOWN LEAK (docs/security.md, finding 1): the scrubber knows the password, not the base64 of
    // "user:password" that HTTP basic auth sends; a server echoing its Authorization header puts it in the log.
    // Turn into it() once src/clients/http.ts registers that form.
    it("logs no HTTP basic-auth credential either", () => {
      const basic = Buffer.from(`sunbeam-bot:${SECRETS.GERRIT_HTTP_PASSWORD}`).toString("base64");
      expect(run.stderr.includes(basic)).toBe(false);
    });

    // KNOWN LEAK (docs/security.md, finding 1): chat text is not scrubbed, and a command that fails with a
    // server's error message posts it as is. Turn into it() once the outbox scrubs registered secrets.
    it("says no secret in chat, in any form", () => {
      const basic = Buffer.from(`sunbeam-bot:${SECRETS.GERRIT_HTTP_PASSWORD}`).toString("base64");
      for (const s of Object.values(SECRETS))
        for (const f of RAW_FORMS(s)) expect(run.chat.includes(f)).toBe(false);
      expect(run.chat.includes(basic)).toBe(false);
    });
  });

  describe("config check", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "sec-check-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, lines: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, lines.join("\n"));
      return file;
    };
    /** Every feature that needs a secret switched on, so each one is read and checked. */
    const FULL = [
      "chat:",
      "  matrix: { homeserver: https://matrix.example.org, userId: '@bot:example.org' }",
      "  slack: { mode: http }",
      "rooms: { mx: { network: matrix, id: '!r:example.org' } }",
      "gerrit: { url: https://review.example.org, http: { user: bot }, webhook: { enabled: true } }",
      "launchpad: { writes: true, triageRoom: mx }",
    ];
    const printed = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

    it("prints no secret value when the config is valid, nor when it lists problems (text and --json)", async () => {
      const good = write("good.yaml", FULL);
      const bad = write("bad.yaml", [...FULL, "relay: [{ room: nowhere }]"]);
      const [ok, ...failed] = await Promise.all([
        runCli(["config", "check", "--config", good], { env: SECRETS }),
        runCli(["config", "check", "--config", bad], { env: SECRETS }),
        runCli(["config", "check", "--config", bad, "--json"], { env: SECRETS }),
      ]);
      expect(ok?.code).toBe(0);
      expect(ok?.stdout).toContain("config OK");
      for (const s of Object.values(SECRETS)) expect(ok && printed(ok)).not.toContain(s);
      for (const r of failed) {
        expect(r.code).toBe(2);
        expect(printed(r)).toMatch(/relay\.0\.room/);
        for (const s of Object.values(SECRETS)) expect(printed(r)).not.toContain(s);
      }
    });

    it("names a secret pasted into the YAML, without printing its value", async () => {
      const pasted = "pasted-into-yaml-Zx8Cv7Bn6m";
      const file = write("pasted.yaml", [
        `gerrit: { url: https://review.example.org, http: { user: bot, password: "${pasted}" } }`,
        `chat: { slack: { botToken: "${pasted}" } }`,
      ]);
      const runs = await Promise.all([
        runCli(["config", "check", "--config", file]),
        runCli(["config", "check", "--config", file, "--json"]),
      ]);
      for (const r of runs) {
        expect(r.code).toBe(2);
        expect(printed(r)).toMatch(/gerrit\.http\.password/);
        expect(printed(r)).toMatch(/GERRIT_HTTP_PASSWORD/);
        expect(printed(r)).not.toContain(pasted);
      }
    });

    let redisCheck = "";
    it("reports a malformed REDIS_URL", async () => {
      const r = await runCli(["config", "check", "--config", write("empty.yaml", ["{}"])], {
        env: { REDIS_URL: "redis//:redis-pass-Gh5Jk6Lm7n@localhost:6379" },
      });
      expect(r.code).toBe(2);
      redisCheck = printed(r);
      expect(redisCheck).toMatch(/redis\.url: .*must start with redis:\/\//);
    });

    // KNOWN LEAK (docs/security.md, open finding 2): a REDIS_URL that fails the schema is echoed, password
    // included, in the message and as "got …". Turn into it() once both places redact it.
    it("…without printing its password", () => {
      expect(redisCheck).not.toContain("redis-pass-Gh5Jk6Lm7n");
    });
  });
});

describe("no shell, anywhere", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
  const sources = [...files(join(ROOT, "src"))].map((f) => ({
    file: relative(ROOT, f),
    text: readFileSync(f, "utf8"),
  }));

  it("no source uses exec/execSync, a shell option, eval or new Function", () => {
    expect(sources.length).toBeGreaterThan(50);
    const offenders = sources.flatMap(({ file, text }) =>
      [
        /\b(?:exec|execSync)\b[^;]*\bfrom\s+["'](?:node:)?child_process["']/,
        /\bchild_process\b[^;\n]*\.(?:exec|execSync)\s*\(/,
        /\bimport\s+\*\s+as\s+\w+\s+from\s+["'](?:node:)?child_process["']/,
        /\brequire\(\s*["'](?:node:)?child_process["']\s*\)/,
        /\bshell\s*:/,
        /(?<![.\w])eval\s*\(/, // redis.eval (Lua scripts) is not JavaScript eval
        /\bnew\s+Function\s*\(/,
      ]
        .filter((re) => re.test(text))
        .map((re) => `${file}: ${re.source}`),
    );
    expect(offenders).toEqual([]);
  });

  it("every process is started with a fixed program and an argument array", () => {
    const calls = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/\b(execFile|execFileSync|spawn|spawnSync|fork)\s*\(([^)]{0,80})/g)].map((m) => ({
        file,
        call: `${m[1]}(${m[2]}`,
      })),
    );
    // The only programs the bot runs: git (monorepo, the demo's sample monorepo), redis-server (demo) and
    // docker-registry (the demo's registry, a path: /usr/bin/docker-registry or DOCKER_REGISTRY_BIN).
    expect(new Set(calls.map((c) => c.file))).toEqual(
      new Set([
        "src/integrations/monorepo/git.ts",
        "src/integrations/monorepo/sync.ts",
        "src/integrations/gerrit/push.ts",
        "src/core/redis-server.ts",
        "src/app/demo/sample-monorepo.ts",
        "src/app/demo/registry.ts",
      ]),
    );
    for (const c of calls) {
      // `execFile(` split over lines puts the program on the next line: normalise whitespace first.
      const call = c.call.replace(/\s+/g, " ");
      if (c.file === "src/app/demo/registry.ts") expect(call).toMatch(/^spawn\(bin, \["serve", /);
      else expect(call, c.file).toMatch(/^\w+\( ?"(?:git|redis-server)", (?:\[|args\b)/);
    }
  });
});

/** Sends one POST to the bot's HTTP server; `chunked` omits Content-Length, as a streaming client would. */
function post(
  port: number,
  path: string,
  body: string,
  headers: Record<string, string> = {},
  chunked = false,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        let b = "";
        res.on("data", (c: Buffer) => (b += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: b }));
      },
    );
    req.on("error", reject);
    if (chunked) {
      // Several writes without a declared length: the bound must hold while reading, not only on the header.
      for (let i = 0; i < 8; i++) req.write(body);
      req.end();
    } else req.end(body);
  });
}

describe("chat input against a running bot", () => {
  const PROJECT = "openstack/sunbeam-charms";
  const PASSWORD = "pw-for-the-fake-gerrit";
  let repo: SyntheticRepo;
  let gerrit: FakeGerritRest;
  let elsewhere: Recorder;
  let registry: Recorder;
  let launchpad: Recorder;
  let work: string;
  let gitLog: string;
  let canary: string;
  let savedPath: string | undefined;
  let t: TestBot;
  const done: Array<() => unknown> = [];

  beforeAll(async () => {
    repo = await createSyntheticMonorepo();
    work = mkdtempSync(join(tmpdir(), "sec-chat-"));
    canary = join(work, "pwned");
    // Every git the bot starts goes through this wrapper, which records its arguments.
    const bin = join(work, "bin");
    mkdirSync(bin);
    gitLog = join(work, "git.log");
    const realGit = (process.env.PATH ?? "")
      .split(delimiter)
      .map((d) => join(d, "git"))
      .find((f) => existsSync(f));
    writeFileSync(
      join(bin, "git"),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${gitLog}'\nexec '${realGit}' "$@"\n`,
    );
    chmodSync(join(bin, "git"), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ""}`;
    const c = makeChange(201, { status: "NEW", project: PROJECT });
    Object.assign(c, verifiedLabels([{ username: "zuul", value: -1 }]));
    gerrit = await FakeGerritRest.start({ user: "sunbeam-bot", password: PASSWORD, changes: [c] });
    elsewhere = await recorder((_req, res) => res.writeHead(200).end("{}"), done);
    registry = await recorder(
      (_req, res) =>
        res
          .writeHead(404, { "content-type": "application/json" })
          .end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}'),
      done,
    );
    // A permanent answer: the poll fails at once instead of retrying while the bot shuts down.
    launchpad = await recorder((_req, res) => res.writeHead(404).end("Object: no such project"), done);
    const reg = `127.0.0.1:${registry.port}`;
    t = await startTestBot({
      env: { GERRIT_HTTP_PASSWORD: PASSWORD, GERRIT_WEBHOOK_SECRET: "hook-secret-for-security" },
      extra: {
        roles: { core: { console: ["core-user"] } },
        // The rate limit has its own tests; here it would only cut the list of inputs short.
        bot: { coalesceSeconds: 0, ignoreUsers: ["other-bot"], rateLimit: { commands: 1000 } },
        gerrit: {
          url: gerrit.url,
          http: { user: "sunbeam-bot" },
          settleSeconds: 0,
          webhook: { enabled: true, maxBytes: 2048 },
        },
        monorepo: { path: join(work, "clone.git"), remote: repo.dir, fetchMinutes: 0 },
        oci: {
          registries: [reg],
          plainHttp: [reg],
          images: [
            { image: `${reg}/canonical/keystone:2024.1` },
            // Named in config, yet on a host outside the allow-list: never contacted.
            { image: `127.0.0.1:${elsewhere.port}/canonical/evil:2024.1` },
          ],
        },
        launchpad: { apiRoot: `${launchpad.url}/devel`, projects: ["snap-openstack"] },
        summary: { enabled: false },
      },
    });
  });

  afterAll(async () => {
    await t?.bot.stop();
    process.env.PATH = savedPath;
    await gerrit?.close();
    for (const c of done.reverse()) await c();
    repo?.cleanup();
    rmSync(work, { recursive: true, force: true });
    await dropPrefix(t.prefix);
  });

  /** One command from `user`; resolves with the bot's reply. */
  async function ask(user: string, text: string): Promise<string> {
    const before = t.chat.sent.length;
    await t.chat.inject({ user, text });
    await t.chat.waitForSent(before + 1, 15_000);
    return t.chat.sent[before]?.text ?? "";
  }
  const counts = async (queue: string) => (await t.bot.queues.counts())[queue] ?? {};
  /** Every job the queue has seen (finished ones are kept), so the number only grows. */
  const total = async (queue: string) => Object.values(await counts(queue)).reduce((a, b) => a + b, 0);
  const finished = async (queue: string) => {
    const c = await counts(queue);
    return (c.completed ?? 0) + (c.failed ?? 0);
  };
  const pending = async (queue: string) => {
    const c = await counts(queue);
    return (c.waiting ?? 0) + (c.active ?? 0);
  };
  const gitCalls = () => (existsSync(gitLog) ? readFileSync(gitLog, "utf8") : "");

  describe("arguments with shell metacharacters", () => {
    const payloads = () => [
      `;touch ${canary}`,
      `"$(touch ${canary})"`,
      `\`touch ${canary}\``,
      `"912345; touch ${canary}"`,
      `'912345 && touch ${canary}'`,
      `"| touch ${canary}"`,
    ];

    it("are refused by !affected, !recheck-affected, !images and !triage, and never reach a process", async () => {
      // A real request first, so the wrapper has seen the bot's own git runs.
      expect(await ask("core-user", "!affected 201")).toMatch(/Change \[?201/);
      expect(gitCalls()).toMatch(/clone|fetch/);
      for (const p of payloads()) {
        for (const cmd of ["affected", "recheck-affected", "triage"]) {
          const reply = await ask("core-user", `!${cmd} ${p}`);
          // A UserError reply: usage or a refusal; "Sorry, !x failed: …" would be an unexpected error.
          expect(reply, `!${cmd} ${p}`).toMatch(
            /too many arguments|bad argument|not a change number|only links|no change number|bad change/,
          );
        }
        expect(await ask("core-user", `!images ${p}`)).toMatch(/too many arguments|No watched image matches/);
      }
      expect(existsSync(canary)).toBe(false);
      expect(gitCalls()).not.toMatch(/touch|pwned/);
      for (const r of [...gerrit.requests.map((q) => q.path), ...launchpad.requests.map((q) => q.url)]) {
        expect(r).not.toMatch(/touch|pwned/);
      }
      expect(gerrit.reviews).toEqual([]);
    });
  });

  describe("no SSRF", () => {
    it("refuses links to any host but the configured Gerrit, and contacts none", async () => {
      const here = new URL(gerrit.url).host;
      const there = `127.0.0.1:${elsewhere.port}`;
      const links = [
        `http://${there}/c/${PROJECT}/+/201`,
        `http://${here}@${there}/c/${PROJECT}/+/201`,
        `http://${there}#@${here}/c/${PROJECT}/+/201`,
        `<http://${there}/c/${PROJECT}/+/201|201>`,
        `[201](http://${there}/c/${PROJECT}/+/201)`,
        `http://localhost:${gerrit.url.split(":").pop() ?? ""}/c/${PROJECT}/+/201`,
        `file:///etc/passwd`,
        `gopher://${there}/_x`,
      ];
      const before = gerrit.requests.length;
      for (const link of links) {
        for (const cmd of ["affected", "recheck-affected --dry-run"]) {
          const reply = await ask("core-user", `!${cmd} ${link}`);
          expect(reply, `!${cmd} ${link}`).toMatch(
            /only links to 127\.0\.0\.1:\d+ are accepted|not a change number/,
          );
        }
      }
      expect(elsewhere.requests).toEqual([]);
      expect(gerrit.requests.length).toBe(before); // refused before asking even the right Gerrit
      // The same change through the configured host is answered.
      expect(await ask("core-user", `!affected ${gerrit.url}/c/${PROJECT}/+/201`)).toMatch(/Change \[?201/);
    });

    it("polls only allow-listed registries, whatever the config or a chat user names", async () => {
      const before = await finished("oci-poll");
      await t.bot.queues.get("oci-poll").add("poll", {});
      await until(async () => (await finished("oci-poll")) > before, 15_000, "the poll job");
      expect(registry.requests.length).toBeGreaterThan(0);
      // The config image outside the allow-list is left out of the watch list (a problem), never contacted.
      expect(await ask("anyone", `!images 127.0.0.1:${elsewhere.port}/canonical/evil`)).toMatch(
        /No watched image matches/,
      );
      expect(await ask("anyone", `!images ghcr.io/canonical/keystone`)).not.toMatch(/Sorry/);
      expect(registry.requests.some((r) => r.url.startsWith("/v2/canonical/keystone/"))).toBe(true);
      expect(elsewhere.requests).toEqual([]);
    });
  });

  describe("webhook, through the running bot", () => {
    const hook = "hook-secret-for-security";
    const line = JSON.stringify({
      type: "patchset-created",
      change: { project: PROJECT, branch: "main", number: 401, subject: "Via webhook" },
      patchSet: { number: 1 },
      uploader: { username: "alice" },
      eventCreatedOn: 1764000401,
    });

    it("checks the secret before reading a body, and bounds a body sent without a length (413)", async () => {
      const port = t.bot.http?.port ?? 0;
      const relayBefore = await total("relay");
      // A large body without the secret: 401 at once.
      expect((await post(port, "/gerrit/events", "x".repeat(64 * 1024))).status).toBe(401);
      expect((await post(port, "/gerrit/events", line, { "x-webhook-secret": `${hook}x` })).status).toBe(401);
      // Chunked (no Content-Length) and over the bound: read, dropped, refused.
      const big = await post(port, "/gerrit/events", "y".repeat(1024), { "x-webhook-secret": hook }, true);
      expect(big.status).toBe(413);
      expect(await total("relay")).toBe(relayBefore);
      // The control: the same secret and a small body are accepted and queued.
      expect((await post(port, "/gerrit/events", line, { "x-webhook-secret": hook })).status).toBe(202);
      expect(await total("relay")).toBe(relayBefore + 1);
    });
  });

  describe("bots and the bot itself", () => {
    it("never acts on messages from bots (fromBot) or ignored users, even write commands from a core id", async () => {
      const commandsBefore = await total("commands");
      const sentBefore = t.chat.sent.length;
      const requestsBefore = gerrit.requests.length;
      // inject() resolves once the bot has dealt with the message: queued it, or dropped it.
      await t.chat.inject({ user: "core-user", text: "!recheck-affected 201", fromBot: true });
      await t.chat.inject({ user: "other-bot", text: "!recheck-affected 201" });
      await t.chat.inject({ user: "core-user", text: "!subscribe openstack/*", fromBot: true });
      expect(await total("commands")).toBe(commandsBefore); // never even queued
      // A human's command after them is answered, and is the only answer.
      expect(await ask("someone", "!help")).toContain("!affected");
      expect(t.chat.sent.length).toBe(sentBefore + 1);
      expect(gerrit.requests.length).toBe(requestsBefore);
      expect(gerrit.reviews).toEqual([]);
    });

    it("never relays a Gerrit event caused by its own account", async () => {
      const event = (n: number, uploader: string): GerritEvent => {
        const r = parseGerritLine(
          JSON.stringify({
            type: "patchset-created",
            change: { project: PROJECT, branch: "main", number: n, subject: `By ${uploader}` },
            patchSet: { number: 1 },
            uploader: { username: uploader },
            eventCreatedOn: 1764000000 + n,
          }),
        );
        if (!r.ok) throw new Error(r.error);
        return r.event;
      };
      const before = t.chat.sent.length;
      const relayed0 = await finished("relay");
      // Its own event is not even queued for the relay (intake asks the relay, which would not announce it).
      expect(await t.bot.ingest(event(301, "sunbeam-bot"))).not.toContain("relay");
      await t.bot.ingest(event(302, "alice"));
      // The relay job done, then every message it queued sent.
      await until(async () => (await finished("relay")) >= relayed0 + 1, 15_000, "the relay job");
      await t.chat.waitForSent(before + 1);
      await until(async () => (await pending("chat-out")) === 0, 15_000, "chat-out drained");
      const relayed = t.chat.sent.slice(before).map((m) => m.text);
      expect(relayed.join("\n")).toContain("302");
      expect(relayed.join("\n")).not.toContain("301");
    });
  });

  describe("write commands are role-gated", () => {
    it("refuses !recheck-affected, !subscribe, !unsubscribe and !actions done to a non-core user", async () => {
      const requestsBefore = gerrit.requests.length;
      expect(await ask("guest", "!recheck-affected 201")).toMatch(/needs the core role/);
      expect(await ask("guest", "!recheck-affected 201 --dry-run")).toMatch(/needs the core role/);
      expect(gerrit.requests.length).toBe(requestsBefore);
      expect(gerrit.reviews).toEqual([]);

      expect(await ask("guest", "!subscribe openstack/*")).toMatch(/needs the core role/);
      expect(await ask("guest", "!unsubscribe")).toMatch(/needs the core role/);
      const subs = t.bot.services().subscriptions;
      expect((await subs?.list("console", "room"))?.runtime).toEqual([]);

      expect(await ask("guest", "!actions done release-process")).toMatch(/needs the core or ptl role/);
      expect(await ask("guest", "!actions list")).not.toMatch(/release-process[^\n]*done/);
    });

    it("lets a core user through the same gates (the refusals are about the role, nothing else)", async () => {
      expect(await ask("core-user", "!subscribe openstack/x")).toMatch(/now gets/);
      expect(await ask("core-user", "!unsubscribe openstack/x")).not.toMatch(/needs the/);
      expect(await ask("core-user", "!actions done release-process")).toMatch(
        /Marked `release-process` done/,
      );
    });
  });
});
