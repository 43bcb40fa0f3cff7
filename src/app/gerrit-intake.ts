// Wires Gerrit: the REST client (backfill, !affected, rechecks, the summary) and the SSH stream source,
// which runs only on the holder of the gerrit-stream lease.
import { GerritClient } from "../integrations/gerrit/client.js";
import type { Config } from "./config.js";
import type { Secrets } from "../core/secrets.js";
import type { GerritEvent } from "../core/events.js";
import { Lease } from "../core/lease.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import type { Redis } from "../core/redis.js";
import { gerritSourceFromConfig } from "../integrations/gerrit/source.js";
import type { Source } from "../core/source.js";
import type { Stats } from "../core/stats.js";

export interface GerritWiring {
  client: GerritClient | undefined;
  sources: Source[];
  /** Absent without an SSH stream to hold. */
  lease: Lease | undefined;
}

/** The REST account's basic-auth credentials, when the config names an HTTP user and its password is set. */
export function gerritCredentials(
  config: Config,
  secrets: Secrets,
): { user: string; password: string } | object {
  const h = config.gerrit?.http;
  return h && secrets.gerritHttpPassword ? { user: h.user, password: secrets.gerritHttpPassword } : {};
}

export function wireGerrit(
  config: Config,
  secrets: Secrets,
  deps: {
    redis: Redis;
    metrics: Metrics;
    stats: Stats;
    log: Logger;
    ingest(e: GerritEvent): Promise<unknown>;
    /** The SSH private key (read by the caller from gerrit.ssh.privateKeyFile). */
    privateKey?: Buffer | undefined;
    backoffMs?: { base: number; max: number } | undefined;
  },
): GerritWiring {
  const g = config.gerrit;
  if (!g) return { client: undefined, sources: [], lease: undefined };
  const client = new GerritClient({ url: g.url, log: deps.log, ...gerritCredentials(config, secrets) });
  if (!g.ssh || !deps.privateKey) return { client, sources: [], lease: undefined };
  const sources: Source[] = [
    gerritSourceFromConfig(g, g.ssh, {
      privateKey: deps.privateKey,
      client,
      ingest: deps.ingest,
      redis: deps.redis,
      prefix: config.redis.prefix,
      log: deps.log.child({ source: "gerrit" }),
      metrics: deps.metrics,
      stats: deps.stats,
      ...(deps.backoffMs ? { backoffMs: deps.backoffMs } : {}),
    }),
  ];
  const lease = new Lease({
    redis: deps.redis,
    prefix: config.redis.prefix,
    ttlMs: config.scaleOut.leaseSeconds * 1000,
    log: deps.log,
    name: "gerrit-stream",
    onAcquired: async () => {
      for (const src of sources) await src.start();
    },
    onLost: async () => {
      for (const src of sources) await src.stop().catch(() => undefined);
    },
  });
  return { client, sources, lease };
}
