import { describe, expect, it } from "vitest";
import { UserError } from "../../src/core/errors.js";
import { Cluster } from "ioredis";
import { clusterPrefixProblem, connectRedis, parseRedisUrl, redactRedisUrl } from "../../src/core/redis.js";

function failure(url: string): UserError {
  try {
    parseRedisUrl(url);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error(`${url} parsed`);
}

describe("parseRedisUrl", () => {
  it("leaves single-server URLs to ioredis", () => {
    for (const url of ["redis://127.0.0.1:6379", "rediss://:pw@redis.example.org:6380/2"])
      expect(parseRedisUrl(url)).toEqual({ kind: "standalone", url });
  });

  it("parses a Sentinel URL: hosts, default port, master name, db and credentials", () => {
    expect(parseRedisUrl("redis+sentinel://10.0.0.1:26380,sentinel-b,[::1]:26381/mymaster")).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "10.0.0.1", port: 26380 },
        { host: "sentinel-b", port: 26379 },
        { host: "::1", port: 26381 },
      ],
      name: "mymaster",
      db: 0,
    });
    expect(
      parseRedisUrl("redis+sentinel://bot:p%40ss%3Aword@h:1/my%20master/3/?sentinelPassword=s%26p"),
    ).toEqual({
      kind: "sentinel",
      sentinels: [{ host: "h", port: 1 }],
      name: "my master",
      db: 3,
      username: "bot",
      password: "p@ss:word",
      sentinelPassword: "s&p",
    });
    expect(parseRedisUrl("redis+sentinel://:pw@h/m")).toMatchObject({ password: "pw", db: 0 });
    expect(parseRedisUrl("redis+sentinel://:pw@h/m")).not.toHaveProperty("username");
  });

  it("parses a Cluster URL", () => {
    expect(parseRedisUrl("redis+cluster://:secret@node-a:7000,node-b,node-c:7002/")).toEqual({
      kind: "cluster",
      nodes: [
        { host: "node-a", port: 7000 },
        { host: "node-b", port: 6379 },
        { host: "node-c", port: 7002 },
      ],
      password: "secret",
    });
  });

  it.each([
    ["http://h:1", "must start with redis://"],
    ["redis+sentinel:///mymaster", "at least one host"],
    ["redis+sentinel://h:1", "needs the master name"],
    ["redis+sentinel://h:1/", "needs the master name"],
    ["redis+sentinel://h:1/m/x", 'database "x" is not a number'],
    ["redis+sentinel://h:1/m/0/extra", "path must be"],
    ["redis+sentinel://h:70000/m", "port 70000 is out of range"],
    ["redis+sentinel://h:1,,h2:2/m", '"" is not host[:port]'],
    ["redis+sentinel://h:1 h2:2/m", "is not host[:port]"],
    ["redis+sentinel://h:1/m?db=2", 'unknown parameter "db"'],
    ["redis+cluster://h:1/0", "only database 0"],
    ["redis+cluster://h:1?sentinelPassword=x", 'unknown parameter "sentinelPassword"'],
    ["redis+sentinel://:%E0%A4%A@h/m", "password is not valid percent-encoding"],
  ])("rejects %s", (url, why) => {
    const err = failure(url);
    expect(err.message).toContain(why);
    expect(err.message).toContain("bad redis URL");
  });

  it("names the URL in errors without its passwords", () => {
    const cases: [string, string][] = [
      ["redis+sentinel://:hunter2@h:1/m/x", "redis+sentinel://:***@h:1/m/x"],
      ["redis+sentinel://bob:hunter2@h:99999/m", "redis+sentinel://bob:***@h:99999/m"],
      ["redis+sentinel://hunter2@h:1/m", "redis+sentinel://***@h:1/m"],
      [
        "redis+sentinel://h:1/m?sentinelPassword=hunter2&x=1",
        "redis+sentinel://h:1/m?sentinelPassword=***&x=1",
      ],
      ["redis+cluster://:hunter2@h:1/5", "redis+cluster://:***@h:1/5"],
      ["redis+clutser://:hunter2@h:1", "redis+clutser://:***@h:1"],
    ];
    for (const [url, shown] of cases) {
      const err = failure(url);
      expect(err.message).not.toContain("hunter2");
      expect(err.message).toContain(shown);
    }
  });
});

describe("redactRedisUrl", () => {
  it("masks every password form and leaves the rest", () => {
    expect(redactRedisUrl("redis://:pw@h:6379/0")).toBe("redis://:***@h:6379/0");
    expect(redactRedisUrl("rediss://user:pw@h")).toBe("rediss://user:***@h");
    expect(redactRedisUrl("redis://h:6379")).toBe("redis://h:6379");
  });
});

describe("clusterPrefixProblem", () => {
  it("asks for a hash-tag prefix only with a Cluster URL", () => {
    expect(clusterPrefixProblem("redis+cluster://h:1", "{sunbeam}")).toBeUndefined();
    expect(clusterPrefixProblem("redis+cluster://h:1", "sunbeam")).toContain("{sunbeam}");
    expect(clusterPrefixProblem("redis+cluster://h:1", "{a}{b}")).toContain("hash tag");
    expect(clusterPrefixProblem("redis://h:1", "sunbeam")).toBeUndefined();
    expect(clusterPrefixProblem("redis+sentinel://h:1/m", "sunbeam")).toBeUndefined();
  });
});

describe("connectRedis options (lazy: no server is contacted)", () => {
  it("maps a Sentinel URL onto ioredis's sentinel options, keeping BullMQ's settings", () => {
    const r = connectRedis("redis+sentinel://:pw@s1:26380,s2/mymaster/2?sentinelPassword=sp", {
      lazyConnect: true,
    });
    try {
      expect(r.options).toMatchObject({
        sentinels: [
          { host: "s1", port: 26380 },
          { host: "s2", port: 26379 },
        ],
        name: "mymaster",
        db: 2,
        password: "pw",
        sentinelPassword: "sp",
        maxRetriesPerRequest: null,
      });
      expect(r.options.sentinelRetryStrategy?.(3)).toBe(r.options.retryStrategy?.(3));
    } finally {
      r.disconnect();
    }
  });

  it("builds an ioredis Cluster whose nodes carry BullMQ's settings and the password", () => {
    const r = connectRedis("redis+cluster://:pw@n1:7000,n2:7001", { lazyConnect: true });
    try {
      expect(r).toBeInstanceOf(Cluster);
      const c = r as unknown as Cluster;
      expect(c.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, password: "pw" });
      expect(c.options.lazyConnect).toBe(true);
      expect(c.options.clusterRetryStrategy?.(2)).toBe(400);
    } finally {
      r.disconnect();
    }
  });
});
