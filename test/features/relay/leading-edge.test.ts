// The leading edge of the relay window: an isolated event goes out at once, re-runs keep their first answer.
import { afterEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { parseGerritLine } from "../../../src/integrations/gerrit/parse.js";
import type { GerritEvent } from "../../../src/core/events.js";
import { RelayBuffer } from "../../../src/features/relay/buffer.js";
import type { BufferedLine } from "../../../src/features/relay/digest.js";
import { startTestBot, type TestBot } from "../../helpers/bot.js";
import { dropPrefix, randomPrefix, redisUrl } from "../../helpers/redis.js";

function ps(change: number, t: number): GerritEvent {
  const r = parseGerritLine(
    JSON.stringify({
      type: "patchset-created",
      change: { project: "openstack/sunbeam-charms", branch: "main", number: change, subject: `C ${change}` },
      patchSet: { number: 1 },
      uploader: { name: "Alice", username: "alice" },
      eventCreatedOn: t,
    }),
  );
  if (!r.ok) throw new Error(r.error);
  return r.event;
}

const line = (id: string): BufferedLine => ({ createdOn: 1, eventId: id, text: `line ${id}` });

let t: TestBot | undefined;
let redis: Redis | undefined;
const prefixes: string[] = [];
afterEach(async () => {
  await t?.bot.stop();
  if (t) await dropPrefix(t.prefix);
  t = undefined;
  redis?.disconnect();
  redis = undefined;
  for (const p of prefixes.splice(0)) await dropPrefix(p);
});

describe("leading-edge relay window", () => {
  it("posts an isolated event at once, long before its 60 s window would close", async () => {
    t = await startTestBot({ extra: { bot: { coalesceSeconds: 60 } } });
    await t.bot.ingest(ps(4000, 1764000000));
    await t.chat.waitForSent(1, 5000);
    expect(t.chat.sent[0]?.text).toMatch(/proposed 4000,1/);
    // Its window is open and empty: nothing else is waiting to be sent for it.
    const flush = await t.bot.queues.get("relay-flush").getJobCounts("delayed", "waiting");
    expect((flush.delayed ?? 0) + (flush.waiting ?? 0)).toBe(0);
  });

  it("after a window has closed, the next event leads a new window and is posted at once again", async () => {
    t = await startTestBot({ extra: { bot: { coalesceSeconds: 0.2 } } });
    await t.bot.ingest(ps(4100, 1764000000));
    await t.chat.waitForSent(1);
    await new Promise((r) => setTimeout(r, 400));
    await t.bot.ingest(ps(4101, 1764000100));
    await t.chat.waitForSent(2);
    expect(t.chat.sent.map((m) => m.text)).toEqual([
      expect.stringMatching(/proposed 4100,1/),
      expect.stringMatching(/proposed 4101,1/),
    ]);
  });

  it("gives a re-run the answer of its first run: a lead stays a lead, a follower stays in its window", async () => {
    redis = new Redis(redisUrl());
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const buf = new RelayBuffer(redis, prefix);
    expect(await buf.enter("room", line("a"), 5000)).toEqual({ lead: true });
    const b = await buf.enter("room", line("b"), 5000);
    expect(b).toMatchObject({ lead: false });
    // Re-runs of both jobs (a worker killed after the write).
    expect(await buf.enter("room", line("a"), 5000)).toEqual({ lead: true });
    const again = await buf.enter("room", line("b"), 5000);
    expect(again).toMatchObject({ lead: false, window: (b as { window: number }).window });
    // The lead is not in the digest; the follower is, once.
    const claimed = await buf.claim("room", (b as { window: number }).window);
    expect(claimed.map((l) => l.eventId)).toEqual(["b"]);
  });

  it("a re-run after its window was flushed puts the line in no later window", async () => {
    redis = new Redis(redisUrl());
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const buf = new RelayBuffer(redis, prefix);
    await buf.enter("room", line("a"), 50);
    const b = (await buf.enter("room", line("b"), 50)) as { lead: false; window: number };
    expect((await buf.claim("room", b.window)).map((l) => l.eventId)).toEqual(["b"]);
    await buf.release("room", b.window);
    await new Promise((r) => setTimeout(r, 80));
    expect(await buf.enter("room", line("b"), 50)).toMatchObject({
      lead: false,
      window: b.window,
      msLeft: 0,
    });
    // A new window opened by a new event holds nothing of b.
    expect(await buf.enter("room", line("c"), 50)).toEqual({ lead: true });
    const d = (await buf.enter("room", line("d"), 50)) as { lead: false; window: number };
    expect((await buf.claim("room", d.window)).map((l) => l.eventId)).toEqual(["d"]);
  });
});
