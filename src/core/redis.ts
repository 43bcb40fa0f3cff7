// Redis connections from config: one place that knows the ioredis options BullMQ needs, and the URL forms
// for a single server, a Sentinel-managed master and a Cluster.
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { UserError } from "./errors.js";

export type { Redis };

export interface HostPort {
  host: string;
  port: number;
}

/** What a redis.url names; pure data, so the parsing is tested without a server. */
export type RedisTarget =
  | { kind: "standalone"; url: string }
  | {
      kind: "sentinel";
      sentinels: HostPort[];
      /** The master group name, as in `sentinel monitor <name> …`. */
      name: string;
      db: number;
      username?: string;
      password?: string;
      sentinelPassword?: string;
    }
  | { kind: "cluster"; nodes: HostPort[]; username?: string; password?: string };

export const SENTINEL_SCHEME = "redis+sentinel://";
export const CLUSTER_SCHEME = "redis+cluster://";

/** The URL with its passwords replaced by `***`, safe for error messages and logs. */
export function redactRedisUrl(url: string): string {
  return (
    url
      // Whatever stands before an '@' is masked, whatever the scheme looks like (a typo like `redis//:pw@h`).
      .replace(/^(.*?)([^/@]*)@/, (_m, head: string, info: string) => {
        const colon = info.indexOf(":");
        // No colon: a lone word before '@' may well be a password typed without its ':'.
        return colon === -1 ? `${head}***@` : `${head}${info.slice(0, colon)}:***@`;
      })
      .replace(/([?&]sentinelPassword=)[^&#]*/gi, "$1***")
  );
}

function bad(url: string, why: string): UserError {
  return new UserError(`bad redis URL ${redactRedisUrl(url)}: ${why}`);
}

function decode(url: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw bad(url, `${what} is not valid percent-encoding`);
  }
}

function hostList(url: string, text: string, defaultPort: number): HostPort[] {
  return text.split(",").map((item) => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9_.-]+))(?::(\d{1,5}))?$/.exec(item.trim());
    if (!m) throw bad(url, `"${item}" is not host[:port]`);
    const port = m[3] === undefined ? defaultPort : Number(m[3]);
    if (port < 1 || port > 65535) throw bad(url, `port ${m[3]} is out of range`);
    return { host: (m[1] ?? m[2]) as string, port };
  });
}

function userInfo(url: string, info: string | undefined): { username?: string; password?: string } {
  if (info === undefined) return {};
  const colon = info.indexOf(":");
  if (colon === -1) throw bad(url, "credentials must be :password or user:password before '@'");
  const username = decode(url, info.slice(0, colon), "the user name");
  const password = decode(url, info.slice(colon + 1), "the password");
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/**
 * Parses redis.url. Single servers (`redis://`, `rediss://`) are left to ioredis as before; the two
 * multi-host forms are ours, since the WHATWG URL parser rejects a comma-separated host list:
 *
 *   redis+sentinel://[[user]:password@]host1[:26379],host2[:port]/<masterName>[/<db>][?sentinelPassword=…]
 *   redis+cluster://[[user]:password@]host1[:6379],host2[:port]
 *
 * A bad URL is a UserError that names the URL with its passwords masked.
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//i.test(url)) return { kind: "standalone", url };
  const m = /^(redis\+sentinel|redis\+cluster):\/\/(?:([^@/?#]*)@)?([^/?#]*)([^?#]*)(?:\?([^#]*))?$/i.exec(
    url,
  );
  if (!m) {
    throw bad(url, "must start with redis://, rediss://, redis+sentinel:// or redis+cluster://");
  }
  const [, scheme, info, hosts, path, query] = m as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
    string | undefined,
  ];
  const sentinel = scheme.toLowerCase() === "redis+sentinel";
  if (!hosts) throw bad(url, `needs at least one host:port`);
  const creds = userInfo(url, info);
  const params = new URLSearchParams(query ?? "");
  const allowed = sentinel ? ["sentinelPassword"] : [];
  for (const key of params.keys()) {
    if (!allowed.includes(key))
      throw bad(url, `unknown parameter "${key}" (known: ${allowed.join(", ") || "none"})`);
  }
  if (!sentinel) {
    if (path !== "" && path !== "/") throw bad(url, "a Redis Cluster has only database 0: no path allowed");
    return { kind: "cluster", nodes: hostList(url, hosts, 6379), ...creds };
  }
  const segments = path.split("/").slice(1);
  if (segments.at(-1) === "") segments.pop();
  const [rawName, rawDb, ...rest] = segments;
  if (!rawName) throw bad(url, "needs the master name as its path: redis+sentinel://host:port/mymaster");
  if (rest.length > 0) throw bad(url, "path must be /<masterName> or /<masterName>/<db>");
  if (rawDb !== undefined && !/^\d{1,5}$/.test(rawDb)) throw bad(url, `database "${rawDb}" is not a number`);
  const sentinelPassword = params.get("sentinelPassword");
  return {
    kind: "sentinel",
    sentinels: hostList(url, hosts, 26379),
    name: decode(url, rawName, "the master name"),
    db: rawDb === undefined ? 0 : Number(rawDb),
    ...creds,
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

/**
 * BullMQ keeps each queue's keys together in Lua scripts, which a Cluster allows only within one hash slot:
 * the prefix must be a hash tag like `{sunbeam}`. Returns the problem, or undefined when the pair is fine.
 */
export function clusterPrefixProblem(url: string, prefix: string): string | undefined {
  if (!url.toLowerCase().startsWith(CLUSTER_SCHEME)) return undefined;
  if (/^\{[^{}]+\}$/.test(prefix)) return undefined;
  return `with Redis Cluster the prefix must be a hash tag such as {${prefix.replace(/[{}]/g, "") || "sunbeam"}}: BullMQ needs each queue's keys in one hash slot`;
}

/**
 * BullMQ workers block on Redis, so requests must not fail after N retries (maxRetriesPerRequest: null);
 * while Redis is down, commands wait for the reconnect instead of being lost.
 */
export function connectRedis(url: string, extra: RedisOptions = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    ...extra,
  };
  const target = parseRedisUrl(url);
  switch (target.kind) {
    case "standalone":
      return new Redis(url, options);
    case "sentinel": {
      const { kind: _kind, ...sentinel } = target;
      // The sentinels are retried like the master: a fail-fast caller (retryStrategy → null) fails fast.
      const retry = options.retryStrategy;
      return new Redis({
        ...options,
        ...sentinel,
        sentinelRetryStrategy: retry === null ? () => null : retry,
      });
    }
    case "cluster": {
      const { retryStrategy, lazyConnect, enableReadyCheck, ...node } = options;
      const cluster = new Cluster(target.nodes, {
        clusterRetryStrategy: retryStrategy ?? null,
        ...(lazyConnect !== undefined ? { lazyConnect } : {}),
        ...(enableReadyCheck !== undefined ? { enableReadyCheck } : {}),
        // Per-node options; BullMQ reads maxRetriesPerRequest from here for a Cluster.
        redisOptions: {
          ...node,
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
        },
      });
      // A Cluster speaks the commands we and BullMQ use (single-slot keys under a `{prefix}` hash tag) and
      // BullMQ detects it itself; the Redis type is what the rest of the code is written against.
      return cluster as unknown as Redis;
    }
  }
}

/** Our own keys (stats, rate limits, relay subscriptions) live beside BullMQ's under the same prefix. */
export function keyFor(prefix: string, ...parts: (string | number)[]): string {
  return [prefix, "bot", ...parts].join(":");
}
