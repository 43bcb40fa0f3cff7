// Fault suite, job re-runs: a worker SIGKILLed after a handler's last write but before BullMQ records the job
// as completed makes BullMQ run the job again (a stalled job). The relay handlers must be safe to re-run at
// any point, including after the room's window has been flushed. Deterministic: the re-run is a second call.
import { afterEach, describe, expect, it } from "vitest";
import { wireRelay } from "../../src/features/relay/index.js";
import type { ChatTarget, Outbox } from "../../src/chat/outbox.js";
import { validateConfig } from "../../src/app/config-load.js";
import type { GerritEvent } from "../../src/core/events.js";
import { createLogger } from "../../src/core/log.js";
import { Queues } from "../../src/core/queues.js";
import { connectRedis, type Redis } from "../../src/core/redis.js";
import { parseGerritLine } from "../../src/integrations/gerrit/parse.js";
import type { JobContext } from "../../src/core/worker.js";
import { dropPrefix, randomPrefix, redisUrl } from "../helpers/redis.js";

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

/** Like the bot's queue outbox: the send id is the chat-out job id, so a send id already used posts nothing. */
class SendIdOutbox implements Outbox {
  readonly posts = new Map<string, string>();
  async post(_target: ChatTarget, message: { text: string }, sendId: string): Promise<void> {
    if (!this.posts.has(sendId)) this.posts.set(sendId, message.text);
  }
  /** Deliveries per change number across every message posted. */
  counts(): Map<number, number> {
    const c = new Map<number, number>();
    for (const text of this.posts.values())
      for (const m of text.matchAll(/proposed (\d+),1/g)) c.set(Number(m[1]), (c.get(Number(m[1])) ?? 0) + 1);
    return c;
  }
}

function event(n: number): GerritEvent {
  const r = parseGerritLine(
    JSON.stringify({
      type: "patchset-created",
      change: { project: "openstack/sunbeam-charms", branch: "main", number: n, subject: `Change ${n}` },
      patchSet: { number: 1 },
      uploader: { username: "alice" },
      eventCreatedOn: 1764300000 + n,
    }),
  );
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

async function relayRig() {
  const prefix = randomPrefix();
  const { config } = validateConfig(
    {
      redis: { url: redisUrl(), prefix },
      chat: { console: { enabled: true } },
      rooms: { team: { network: "console", id: "#team" } },
      relay: [{ room: "team" }],
      bot: { coalesceSeconds: 3 },
    },
    {},
    "faults",
  );
  const redis: Redis = connectRedis(redisUrl());
  // No workers: the flush jobs the relay handler schedules just wait; the test runs each flush itself.
  const queues = new Queues(redis, prefix, { attempts: 3, backoffMs: 20, keepDays: 1 });
  const outbox = new SendIdOutbox();
  const { handlers } = wireRelay(config, redis, queues, outbox);
  cleanup.push(
    () => dropPrefix(prefix),
    async () => redis.quit(),
    () => queues.close(),
  );
  const ctx: JobContext = { log: createLogger({ level: "silent" }), jobId: "rerun", attempt: 1 };
  const relay = (e: GerritEvent) => (handlers.relay as NonNullable<typeof handlers.relay>)(e, ctx);
  const flush = (bucket: number) =>
    (handlers["relay-flush"] as NonNullable<(typeof handlers)["relay-flush"]>)(
      { key: "team", target: { network: "console", room: "#team" }, bucket },
      ctx,
    );
  return { relay, flush, outbox };
}

describe("relay jobs run again after a worker died (coalescing on)", () => {
  it("a relay job re-run after its window was flushed does not post the event a second time", async () => {
    const { relay, flush, outbox } = await relayRig();
    await relay(event(1));
    await flush(100);
    // The worker died before recording the relay job as done: BullMQ runs it again, a window later.
    await relay(event(1));
    await relay(event(2));
    await flush(101);
    expect(Object.fromEntries(outbox.counts())).toEqual({ 1: 1, 2: 1 });
  });

  it("a flush job re-run after it finished does not swallow the next window's lines", async () => {
    const { relay, flush, outbox } = await relayRig();
    await relay(event(1));
    await flush(100);
    await relay(event(2));
    // The flush worker died after its last write: the same flush job runs again while window 101 fills.
    await flush(100);
    await flush(101);
    expect(Object.fromEntries(outbox.counts())).toEqual({ 1: 1, 2: 1 });
  });

  it("a flush job run twice in a row posts its lines once", async () => {
    const { relay, flush, outbox } = await relayRig();
    await relay(event(1));
    await relay(event(2));
    await relay(event(3));
    await flush(100);
    await flush(100);
    expect(Object.fromEntries(outbox.counts())).toEqual({ 1: 1, 2: 1, 3: 1 });
    // The window's first event went out at once; the flush posted the two that followed once, as one digest.
    expect(outbox.posts.size).toBe(2);
    expect([...outbox.posts.values()][1]).toMatch(/^\*\*2 Gerrit updates\*\*/);
  });
});
