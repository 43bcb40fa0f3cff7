import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/config-load.js";
import { loadConfigFile, validateConfig } from "../../src/app/config-load.js";

function problems(
  input: unknown,
  env: NodeJS.ProcessEnv = {},
): { path: string; message: string; value?: unknown }[] {
  try {
    validateConfig(input, env, "test");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("config", () => {
  it("accepts an empty document with defaults", () => {
    const { config } = validateConfig({}, {}, "test");
    expect(config.redis).toEqual({ url: "redis://127.0.0.1:6379", prefix: "sunbeam" });
    expect(config.bot.commandPrefix).toBe("!");
  });

  it("lists every problem at once, each with its path and bad value", () => {
    const p = problems({
      redis: { url: "http://nope", colour: "blue" },
      bot: { unauthorized: "shout" },
      relay: [{ room: "team", events: ["patchset-created", "coffee-made"] }],
    });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: "redis.url", value: "http://nope" }),
        expect.objectContaining({ path: "redis.colour", message: "unknown key" }),
        expect.objectContaining({ path: "bot.unauthorized", value: "shout" }),
        expect.objectContaining({ path: "relay.0.events.1", value: "coffee-made" }),
      ]),
    );
    expect(p.length).toBe(4);
  });

  it("checks references between sections", () => {
    const p = problems({ relay: [{ room: "nowhere" }], commands: { status: { role: "wizard" } } });
    expect(p).toEqual([
      expect.objectContaining({ path: "relay.0.room", value: "nowhere" }),
      expect.objectContaining({ path: "commands.status.role", value: "wizard" }),
    ]);
  });

  it("refuses secrets in the file and points at the env var", () => {
    const p = problems({
      gerrit: { url: "https://review.example.org", http: { user: "bot", password: "hunter2" } },
    });
    expect(p[0]?.path).toBe("gerrit.http.password");
    expect(p[0]?.message).toMatch(/GERRIT_HTTP_PASSWORD/);
  });

  it("reads secrets from env or *_FILE, and requires them for enabled features", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    writeFileSync(join(dir, "pw"), "s3cret-from-file\n");
    const cfg = { gerrit: { url: "https://review.example.org", http: { user: "bot" } } };
    expect(problems(cfg)).toEqual([expect.objectContaining({ path: "gerrit.http" })]);
    expect(
      validateConfig(cfg, { GERRIT_HTTP_PASSWORD_FILE: join(dir, "pw") }, "t").secrets.gerritHttpPassword,
    ).toBe("s3cret-from-file");
    expect(problems(cfg, { GERRIT_HTTP_PASSWORD_FILE: join(dir, "missing") })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: "env.GERRIT_HTTP_PASSWORD_FILE",
          message: "cannot read the file (ENOENT)",
        }),
      ]),
    );
  });

  it("lets env override redis settings, and validates the override", () => {
    expect(validateConfig({}, { REDIS_URL: "redis://10.0.0.1:6380" }, "t").config.redis.url).toBe(
      "redis://10.0.0.1:6380",
    );
    expect(problems({}, { REDIS_URL: "localhost" })).toEqual([
      expect.objectContaining({ path: "redis.url", value: "localhost" }),
    ]);
  });

  it("reports YAML syntax errors with a line", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.yaml");
    writeFileSync(file, "redis:\n  url: [unclosed\n");
    expect(() => loadConfigFile(file, {})).toThrow(ConfigError);
  });

  it("ships a complete example that passes", () => {
    const env = { GERRIT_HTTP_PASSWORD: "example-password" };
    expect(() => loadConfigFile("deploy/config.example.yaml", env)).not.toThrow();
  });
});
