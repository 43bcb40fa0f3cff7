// The chat side of one process: the network connections and the chat-out sender, run only by the holder of
// the chat lease (the sender needs the connections), so replicas never hold two connections to a network.
import type { ChatAdapter, IncomingMessage } from "../chat/adapter.js";
import { Sender } from "../chat/outbox.js";
import type { Config } from "./config.js";
import { Lease } from "../core/lease.js";
import type { Logger } from "../core/log.js";
import type { Metrics } from "../core/metrics.js";
import type { Redis } from "../core/redis.js";
import { Workers, type WorkerOptions } from "../core/worker.js";

export class ChatConnections {
  readonly adapters: Map<string, ChatAdapter>;
  readonly lease: Lease;
  private readonly sender: Workers;

  constructor(
    adapters: readonly ChatAdapter[],
    deps: {
      config: Config;
      redis: Redis;
      metrics: Metrics;
      workerOpts: WorkerOptions;
      log: Logger;
      onMessage(m: IncomingMessage): Promise<void>;
    },
  ) {
    const { config } = deps;
    this.adapters = new Map(adapters.map((a) => [a.network, a]));
    const sender = new Sender(this.adapters, deps.redis, config.redis.prefix, deps.metrics, {
      console: config.chat.console.minIntervalMs,
      matrix: config.chat.matrix?.minIntervalMs ?? 0,
      slack: config.chat.slack?.minIntervalMs ?? 0,
    });
    this.sender = new Workers({ "chat-out": (job) => sender.deliver(job) }, deps.workerOpts);
    this.lease = new Lease({
      redis: deps.redis,
      prefix: config.redis.prefix,
      ttlMs: config.scaleOut.leaseSeconds * 1000,
      log: deps.log,
      name: "chat",
      onAcquired: async () => {
        for (const a of this.adapters.values()) await a.start((m) => deps.onMessage(m));
        this.sender.start();
      },
      onLost: async () => {
        // The sender goes first: a reply being sent finishes, the rest waits in Redis for the new holder.
        await this.sender.close(config.jobs.shutdownGraceSeconds * 1000);
        for (const a of this.adapters.values()) await a.stop().catch(() => undefined);
      },
    });
  }

  /** Connected state per network, for !status. */
  networks(): Record<string, boolean> {
    return Object.fromEntries([...this.adapters.values()].map((a) => [a.network, a.isConnected()]));
  }

  /** Readiness: a standby replica (lease held elsewhere) is ready; the holder when every network is up. */
  checks(): Record<string, boolean> {
    const here = this.lease.held;
    return Object.fromEntries(
      [...this.adapters.values()].map((a) => [`chat:${a.network}`, !here || a.isConnected()]),
    );
  }
}
