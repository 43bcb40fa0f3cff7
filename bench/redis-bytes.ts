// Bench: Redis memory kept per Gerrit event, for a project no room follows and for the followed one.
import type { Redis } from "ioredis";
import { pace } from "./pipeline.js";
import { startSshBot } from "./gerrit-ssh.js";

export interface RedisBytes {
  events: number;
  bytesPerUnfollowedEvent: number;
  bytesPerFollowedEvent: number;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info("memory"))?.[1] ?? 0);
}

function line(project: string, number: number, at: number): string {
  return JSON.stringify({
    type: "comment-added",
    change: {
      project,
      branch: "master",
      number,
      subject: `A change to ${project} with a subject of ordinary length`,
      url: `https://review.opendev.org/c/${project}/+/${number}`,
      owner: { name: "Alice Example", email: "alice@example.com", username: "alice" },
    },
    patchSet: { number: 3, revision: "c".repeat(40), ref: `refs/changes/${number % 100}/${number}/3` },
    author: { name: "Bob Example", email: "bob@example.com", username: "bob" },
    approvals: [{ type: "Code-Review", description: "Code-Review", value: "1" }],
    comment: "Patch Set 3: Code-Review+1\n\nLooks good to me, one nit inline.",
    eventCreatedOn: at,
  });
}

/**
 * Through the whole intake (SSH stream → source seen-keys → ingest → queues → relay → chat-out) at a steady
 * rate with the shipped defaults: used_memory before and after n events of each kind, once all is done.
 * What stays is what the keepDays retention keeps: the jobs, the seen-keys, the relay window's markers.
 */
export async function redisBytesPerEvent(
  url: string,
  prefix: string,
  n = 1000,
  rateHz = 200,
): Promise<RedisBytes> {
  const s = await startSshBot(url, prefix, {
    relay: [{ room: "team", projects: ["openstack/sunbeam-charms"] }],
  });
  const redis = s.bot.redis;
  const counted = async () => {
    await s.bot.stats.flush();
    return (await s.bot.stats.counters())["events:gerrit.comment-added"] ?? 0;
  };
  const at0 = Math.floor(Date.now() / 1000) + 10;
  const feed = async (project: string, from: number) => {
    const before = await usedMemory(redis);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await pace(t0, i, rateHz);
      s.ssh.emit(line(project, 980000 + from + i, at0 + from + i));
    }
    while ((await counted()) < from + n) await new Promise((r) => setTimeout(r, 50));
    while (!(await s.bot.idle(200))) await new Promise((r) => setTimeout(r, 50));
    return ((await usedMemory(redis)) - before) / n;
  };
  await new Promise((r) => setTimeout(r, 500));
  const unfollowed = await feed("openstack/nova", 0);
  const followed = await feed("openstack/sunbeam-charms", n);
  await s.close();
  return { events: n, bytesPerUnfollowedEvent: unfollowed, bytesPerFollowedEvent: followed };
}
