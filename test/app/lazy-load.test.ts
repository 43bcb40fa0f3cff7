// What a process loads: the one-shot `affected` tool runs on a light module graph (no bot, no queues, no chat
// SDKs), and `run` with the console alone never loads the Slack or Matrix SDK.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cliEnv } from "../helpers/cli.js";
import { createSyntheticMonorepo, type SyntheticRepo } from "../helpers/synthetic-monorepo.js";
import { randomPrefix, redisUrl, dropPrefix } from "../helpers/redis.js";

const HOOK = join(import.meta.dirname, "../helpers/module-log.mjs");

/** Runs the built CLI with the module log hook; resolves with every module URL it loaded. */
function loadedBy(args: string[], env: NodeJS.ProcessEnv, until?: (stderr: string) => boolean) {
  const log = join(mkdtempSync(join(tmpdir(), "modlog-")), "modules");
  writeFileSync(log, "");
  return new Promise<{ code: number | null; modules: string[]; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", HOOK, BIN, ...args], {
      env: cliEnv({ ...env, MODULE_LOG: log }),
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (!killed && until?.(stderr)) killed = child.kill("SIGTERM");
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out: ${stderr}`));
    }, 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, modules: readFileSync(log, "utf8").split("\n").filter(Boolean) });
    });
  });
}

const has = (mods: string[], pkg: string) => mods.some((m) => m.includes(`/node_modules/${pkg}/`));

let repo: SyntheticRepo;
const prefix = randomPrefix();
beforeAll(async () => {
  repo = await createSyntheticMonorepo();
});
afterAll(async () => {
  repo.cleanup();
  await dropPrefix(prefix);
});

describe("load what is used", () => {
  it("affected --rev loads git and the model, not the bot, BullMQ, Redis or a chat SDK", async () => {
    const sha = await repo.commit({ "charms/keystone-k8s/src/charm.py": "# changed\n" });
    const r = await loadedBy(["affected", "--repo", repo.dir, "--rev", `${sha}^..${sha}`, "--json"], {
      SUNBEAM_BOT_CACHE_DIR: mkdtempSync(join(tmpdir(), "mc-")),
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: ["charms/keystone-k8s/src/charm.py"] });
    expect(r.modules.some((m) => m.endsWith("/integrations/monorepo/monorepo.js"))).toBe(true);
    for (const pkg of ["bullmq", "ioredis", "axios", "@slack/bolt", "matrix-js-sdk", "prom-client", "ssh2"])
      expect(has(r.modules, pkg), pkg).toBe(false);
    expect(r.modules.some((m) => m.endsWith("/dist/src/app/bot.js"))).toBe(false);
  });

  it("run with only the console network never loads the Slack or Matrix SDK", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lazy-run-"));
    const config = join(dir, "config.yaml");
    writeFileSync(
      config,
      [
        `redis: { url: "${redisUrl()}", prefix: "${prefix}" }`,
        "http: { enabled: false }",
        "chat: { console: { enabled: true } }",
        'rooms: { team: { network: console, id: "#team" } }',
      ].join("\n"),
    );
    const r = await loadedBy(["run", "-c", config], { LOG_LEVEL: "info" }, (err) =>
      err.includes("sunbeam-bot started"),
    );
    // It started (and stopped cleanly on SIGTERM): the bot was loaded, the SDKs were not.
    expect(r.code).toBe(0);
    expect(r.modules.some((m) => m.endsWith("/dist/src/app/bot.js"))).toBe(true);
    expect(has(r.modules, "@slack/bolt")).toBe(false);
    expect(has(r.modules, "matrix-js-sdk")).toBe(false);
    expect(r.modules.some((m) => m.endsWith("/chat/slack.js") || m.endsWith("/chat/matrix.js"))).toBe(false);
  });
});
