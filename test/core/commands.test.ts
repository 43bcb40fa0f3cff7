import { afterAll, describe, expect, it } from "vitest";
import {
  bindArgs,
  CommandRouter,
  defineCommand,
  parseInvocation,
  suggest,
  tokenize,
  z,
} from "../../src/core/commands.js";
import { RedisRateLimiter } from "../../src/core/rate-limit.js";
import { connectRedis } from "../../src/core/redis.js";
import { COMMANDS } from "../../src/app/commands/index.js";
import { quietLogger } from "../helpers/bot.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

const echo = defineCommand({
  name: "echo",
  summary: "say it back",
  usage: "<count> <text...> [--loud]",
  args: z.object({
    count: z.coerce.number().int().min(1).max(5),
    text: z.string(),
    loud: z.boolean().optional(),
  }),
  positional: ["count", "text"],
  rest: true,
  permission: "core",
  async run(_ctx, a) {
    const t = a.text.repeat(a.count);
    return a.loud ? t.toUpperCase() : t;
  },
});

describe("command parsing", () => {
  it("tokenizes quoted words", () => {
    expect(tokenize(`a "b c" 'd e' f\\"g`)).toEqual(["a", "b c", "d e", 'f\\"g']);
  });

  it("recognises only prefixed command names", () => {
    expect(parseInvocation("!Help status", "!")).toEqual({ name: "help", words: ["status"] });
    expect(parseInvocation("hello !help", "!")).toBeNull();
    expect(parseInvocation("!", "!")).toBeNull();
    expect(parseInvocation("!!!", "!")).toBeNull();
  });

  it("binds positionals, the rest and flags, validated by zod", () => {
    expect(bindArgs(echo, ["2", "ab", "cd", "--loud"])).toEqual({ count: 2, text: "ab cd", loud: true });
  });

  it("names the bad argument and its value", () => {
    expect(() => bindArgs(echo, ["9", "x"])).toThrow(/bad argument <count>: .*\(got "9"\)/);
    expect(() => bindArgs(echo, [])).toThrow(/bad argument <count>: missing/);
    expect(() => bindArgs(echo, ["1", "x", "--shout"])).toThrow(/unknown option --shout/);
  });

  it("suggests the nearest command", () => {
    expect(suggest("stats", COMMANDS)).toBe("status");
    expect(suggest("hlep", COMMANDS)).toBe("help");
    expect(suggest("zzzzzz", COMMANDS)).toBeUndefined();
  });
});

describe("CommandRouter", () => {
  const prefix = randomPrefix();
  const redis = connectRedis(redisUrl());
  afterAll(async () => {
    await redis.quit();
    await dropPrefix(prefix);
  });
  const router = new CommandRouter(
    [...COMMANDS, echo],
    { prefix: "!", unauthorized: "refuse", roles: { core: { matrix: ["@alice:x"] } }, overrides: {} },
    new RedisRateLimiter(redis, prefix, 3, 60),
  );
  const log = quietLogger();
  const ask = (user: string, text: string) =>
    router.handle({ network: "matrix", room: "!r", user, text }, {}, log);

  it("runs a permitted command", async () => {
    expect(await ask("@alice:x", "!echo 2 hi")).toMatchObject({ reply: "hihi", outcome: "ok" });
  });

  it("refuses a user without the role, politely", async () => {
    expect(await ask("@mallory:x", "!echo 1 hi")).toEqual({
      reply: "Sorry, !echo needs the core role.",
      outcome: "denied",
      command: "echo",
    });
  });

  it("hides commands a user cannot run from help and suggestions", async () => {
    const r = await ask("@bob:x", "!help");
    expect(r.reply).toContain("!status");
    expect(r.reply).not.toContain("!echo");
  });

  it("answers unknown commands with a suggestion", async () => {
    expect((await ask("@carol:x", "!stauts")).reply).toBe(
      "Unknown command !stauts. Did you mean !status? Try !help.",
    );
  });

  it("rate-limits per user", async () => {
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await ask("@dave:x", "!help")).outcome);
    expect(outcomes).toEqual(["ok", "ok", "ok", "rate-limited"]);
    expect((await ask("@erin:x", "!help")).outcome).toBe("ok");
  });

  it("rate-limits unknown and refused commands too: every reply counts", async () => {
    const outcomes = [];
    for (const t of ["!nosuch", "!echo 1 hi", "!stauts", "!echo 1 hi"])
      outcomes.push((await ask("@frank:x", t)).outcome);
    expect(outcomes).toEqual(["unknown", "denied", "unknown", "rate-limited"]);
  });

  it("refuses an over-long command and logs only a bounded part of its arguments", async () => {
    const lines: string[] = [];
    const big = `!echo 1 ${"x".repeat(1024 * 1024)}`;
    const r = await router.handle(
      { network: "matrix", room: "!r", user: "@alice2:x", text: big },
      {},
      quietLogger(lines),
    );
    expect(r.outcome).toBe("bad-args");
    expect(r.reply).toMatch(/too long: at most 2000 characters/);
    expect(lines.join("").length).toBeLessThan(4096);
    const words = Array.from({ length: 500 }, (_, i) => `w${i}${"y".repeat(3)}`).join(" ");
    await router.handle(
      { network: "matrix", room: "!r", user: "@alice3:x", text: `!nosuch ${words}`.slice(0, 1999) },
      {},
      quietLogger(lines),
    );
    expect(lines.join("").length).toBeLessThan(8192);
  });

  it("shows one command's usage", async () => {
    expect((await ask("@alice:x", "!help echo")).reply).toContain(
      "`!echo <count> <text...> [--loud]` — say it back",
    );
  });

  it("is silent for unauthorised users when configured", async () => {
    const silent = new CommandRouter(
      [echo],
      { prefix: "!", unauthorized: "silent", roles: {}, overrides: {} },
      new RedisRateLimiter(redis, prefix, 100, 60),
    );
    expect(
      (await silent.handle({ network: "matrix", room: "!r", user: "@x:y", text: "!echo 1 a" }, {}, log))
        .reply,
    ).toBeNull();
  });

  it("lets config override a command's role", async () => {
    const r = new CommandRouter(
      COMMANDS,
      { prefix: "!", unauthorized: "refuse", roles: {}, overrides: { status: { role: "core" } } },
      new RedisRateLimiter(redis, prefix, 100, 60),
    );
    expect(
      (await r.handle({ network: "matrix", room: "!r", user: "@x:y", text: "!status" }, {}, log)).outcome,
    ).toBe("denied");
  });
});
